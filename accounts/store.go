package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/store"
)

// migrations is the accounts schema history; see store.DB.Migrate. There is
// no column for a secret.
var migrations = []string{
	`CREATE TABLE accounts (
		id           TEXT PRIMARY KEY,
		name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
		display_name TEXT NOT NULL DEFAULT '',
		email        TEXT NOT NULL,
		host         TEXT NOT NULL,
		port         INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
		security     TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
		username     TEXT NOT NULL DEFAULT '',
		mechanisms   TEXT NOT NULL DEFAULT '', -- space-separated; empty means automatic
		ca_file      TEXT NOT NULL DEFAULT '',
		pin_sha256   TEXT NOT NULL DEFAULT '',
		signature    TEXT NOT NULL DEFAULT '',
		is_default   INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
		has_secret   INTEGER NOT NULL DEFAULT 0 CHECK (has_secret IN (0, 1)),
		created_at   TEXT NOT NULL
	)`,
	// At most one default; the Store keeps exactly one while any account exists.
	`CREATE UNIQUE INDEX accounts_one_default ON accounts(is_default) WHERE is_default = 1`,
	// The composer warns about a message too large for the server.
	`ALTER TABLE accounts ADD COLUMN max_message_size INTEGER NOT NULL DEFAULT 0`,
	// A pinned certificate is accepted for one server (host:port) only.
	`ALTER TABLE accounts ADD COLUMN pin_for TEXT NOT NULL DEFAULT ''`,
	// A pin saved before pin_for existed was accepted in a connection test
	// of the settings saved with it, and Postie never kept a pin across a
	// change of server on purpose: bind it to the account's current server,
	// where it was accepted, written as Account.ServerAddress writes it
	// (an IPv6 address in brackets). A later change of server drops it.
	`UPDATE accounts SET pin_for = CASE
		WHEN instr(trim(host, '[]'), ':') > 0 THEN '[' || trim(host, '[]') || ']:' || port
		ELSE host || ':' || port END
	WHERE pin_sha256 <> ''`,
	// Sign-in with the provider (OAuth 2.0); the refresh token is in the keyring.
	`ALTER TABLE accounts ADD COLUMN oauth_provider TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN oauth_client_id TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN oauth_tenant TEXT NOT NULL DEFAULT ''`,
	// The incoming server, for the copy in the Sent folder.
	`ALTER TABLE accounts ADD COLUMN imap_host TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN imap_port INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE accounts ADD COLUMN imap_security TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN imap_username TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN imap_own_secret INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE accounts ADD COLUMN sent_copy TEXT NOT NULL DEFAULT 'auto'`,
	`ALTER TABLE accounts ADD COLUMN sent_folder TEXT NOT NULL DEFAULT ''`,
	// A certificate accepted for the IMAP server (host:port) only.
	`ALTER TABLE accounts ADD COLUMN imap_pin_sha256 TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE accounts ADD COLUMN imap_pin_for TEXT NOT NULL DEFAULT ''`,
}

// NotFoundError says that no account has the name.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("no account named %q", e.Name) }

// DuplicateError says that an account with the name already exists.
type DuplicateError struct{ Name string }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("an account named %q already exists", e.Name)
}

// ErrNoAccount says that no account exists yet, so there is no default.
var ErrNoAccount = errors.New("no account yet")

// NotRemovedError says that an account was kept because its saved secret
// could not be deleted from the keyring; Err says why.
type NotRemovedError struct {
	Name string
	Err  error
}

func (e *NotRemovedError) Error() string {
	return fmt.Sprintf("account %q not removed: cannot delete its secret: %v", e.Name, e.Err)
}

func (e *NotRemovedError) Unwrap() error { return e.Err }

// ErrCleartextPassword refuses settings that would send a password over an
// unencrypted connection to another computer.
var ErrCleartextPassword = &InvalidError{Field: "security", Problem: InvalidCleartextAuth, Value: "none"}

// ErrIMAPCleartextPassword refuses IMAP settings that would send a password
// over an unencrypted connection to another computer: the account's own,
// which signs in to the IMAP server too, or the IMAP server's.
var ErrIMAPCleartextPassword = &InvalidError{Field: "IMAP security", Problem: InvalidIMAPCleartextAuth, Value: "none"}

// Store keeps the accounts in the database and their secrets in Secrets.
type Store struct {
	// RevokeTimeout bounds the revocation of a removed account's sign-in
	// at its provider; zero means DefaultRevokeTimeout.
	RevokeTimeout time.Duration

	db      *store.DB
	secrets *Secrets

	providersMu  sync.Mutex
	providers    oauth.Providers // see SetProviders
	providersErr error
	tokens       tokenCache // access tokens, only in memory
	refresh      refreshFunc
	// lockWaiting, when set (by tests), is called when an account's
	// sign-in lock is held by someone else, before waiting for it.
	lockWaiting func(accountID string)
}

// Open prepares the accounts tables in db. secrets holds the passwords.
func Open(db *store.DB, secrets *Secrets) (*Store, error) {
	if err := db.Migrate("accounts", migrations); err != nil {
		return nil, err
	}
	return &Store{db: db, secrets: secrets, refresh: oauth.Refresh}, nil
}

const columns = `id, name, display_name, email, host, port, security, username, mechanisms,
	ca_file, pin_sha256, pin_for, signature, is_default, has_secret, max_message_size,
	oauth_provider, oauth_client_id, oauth_tenant,
	imap_host, imap_port, imap_security, imap_username, imap_own_secret, sent_copy, sent_folder,
	imap_pin_sha256, imap_pin_for`

func scan(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var mechanisms string
	err := row.Scan(&a.ID, &a.Name, &a.DisplayName, &a.Email, &a.Host, &a.Port, &a.Security, &a.Username,
		&mechanisms, &a.CAFile, &a.PinSHA256, &a.PinFor, &a.Signature, &a.Default, &a.HasSecret, &a.MaxMessageSize,
		&a.OAuthProvider, &a.OAuthClientID, &a.OAuthTenant,
		&a.IMAP.Host, &a.IMAP.Port, &a.IMAP.Security, &a.IMAP.Username, &a.IMAP.OwnSecret, &a.SentCopy, &a.SentFolder,
		&a.IMAP.PinSHA256, &a.IMAP.PinFor)
	a.Mechanisms = strings.Fields(mechanisms)
	return a, err
}

// List returns all accounts, the default first, then by name.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM accounts ORDER BY is_default DESC, name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("cannot read the accounts: %w", err)
	}
	defer rows.Close()
	var list []Account
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the accounts: %w", err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// Get returns the account with the name, ignoring case.
func (s *Store) Get(ctx context.Context, name string) (Account, error) {
	return s.one(ctx, `name = ?`, name, &NotFoundError{Name: name})
}

// ByID returns the account with the id.
func (s *Store) ByID(ctx context.Context, id string) (Account, error) {
	return s.one(ctx, `id = ?`, id, &NotFoundError{Name: id})
}

// Default returns the default account.
func (s *Store) Default(ctx context.Context) (Account, error) {
	a, err := s.one(ctx, `is_default = ?`, 1, nil)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNoAccount
	}
	return a, err
}

func (s *Store) one(ctx context.Context, where string, arg any, notFound error) (Account, error) {
	a, err := scan(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM accounts WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) && notFound != nil {
		return Account{}, notFound
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("cannot read the account: %w", err)
	}
	return a, err
}

// Add saves a new account with its secret: the secret goes to the keyring
// first, so a keyring failure saves nothing, and it is removed again if the
// account cannot be saved. An empty secret stores none. Add sets a.ID, and
// makes the account the default when it is the first or a.Default is set.
func (s *Store) Add(ctx context.Context, a *Account, secret string) error {
	if err := s.prepareNew(ctx, a, secret); err != nil {
		return err
	}
	if secret != "" {
		if err := s.secrets.setNew(ctx, a.ID, secret); err != nil {
			return err
		}
		a.HasSecret = true
	}
	if err := s.insert(ctx, a); err != nil {
		if a.HasSecret {
			s.secrets.Delete(context.WithoutCancel(ctx), a.ID)
		}
		return err
	}
	return nil
}

// AddWithSessionSecret saves a new account whose secret is kept only in
// memory until Postie exits. Use it only after the user chose so because
// the keyring cannot be used.
func (s *Store) AddWithSessionSecret(ctx context.Context, a *Account, secret string) error {
	if err := s.prepareNew(ctx, a, secret); err != nil {
		return err
	}
	a.HasSecret = false
	if err := s.insert(ctx, a); err != nil {
		return err
	}
	s.secrets.KeepForSession(a.ID, secret)
	return nil
}

func (s *Store) prepareNew(ctx context.Context, a *Account, secret string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.checkProvider(*a); err != nil {
		return err
	}
	if secret != "" && a.sendsPasswordInClear() {
		return ErrCleartextPassword
	}
	if secret != "" && a.imapSendsPasswordInClear() {
		return ErrIMAPCleartextPassword
	}
	// The IMAP server's own secret is added with SetIMAPSecret, which sets
	// the flag once the keyring holds it.
	a.IMAP.OwnSecret = false
	if _, err := s.Get(ctx, a.Name); err == nil {
		return &DuplicateError{Name: a.Name}
	}
	if a.PinSHA256 != "" && a.PinFor == "" {
		// Given with a new account, a pin was accepted for its server.
		a.PinFor = a.ServerAddress()
	}
	a.DropPinOfOtherServer()
	if a.IMAP.PinSHA256 != "" && a.IMAP.PinFor == "" {
		a.IMAP.PinFor = a.IMAPAddress() // likewise for its IMAP server
	}
	a.DropIMAPPinOfOtherServer()
	a.ID = newID()
	return nil
}

func (s *Store) insert(ctx context.Context, a *Account) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&count); err != nil {
			return err
		}
		if count == 0 {
			a.Default = true
		}
		if a.Default {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET is_default = 0 WHERE is_default = 1`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts(`+columns+`, created_at)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, a.DisplayName, a.Email, a.Host, a.Port, a.Security, a.Username,
			strings.Join(a.Mechanisms, " "), a.CAFile, a.PinSHA256, a.PinFor, a.Signature, a.Default, a.HasSecret, a.MaxMessageSize,
			a.OAuthProvider, a.OAuthClientID, a.OAuthTenant,
			a.IMAP.Host, a.IMAP.Port, a.IMAP.Security, a.IMAP.Username, a.IMAP.OwnSecret, a.SentCopy, a.SentFolder,
			a.IMAP.PinSHA256, a.IMAP.PinFor,
			time.Now().UTC().Format(time.RFC3339))
		return nameTaken(err, a.Name)
	})
}

// nameTaken turns SQLite's refusal of a second account with the same name
// (the column is UNIQUE) into a DuplicateError; other errors pass through.
func nameTaken(err error, name string) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: accounts.name") {
		return &DuplicateError{Name: name}
	}
	return err
}

// Update saves changed settings of an existing account (found by a.ID).
// The secret and the default flag are changed with SetSecret and
// SetDefault.
//
// A pinned certificate is kept only while the account stays on the server
// (host and port) it was accepted for. When a names another server, the
// pin is cleared, in a too: a caller that let the user change the server
// sees a.PinSHA256 empty and tells the user the certificate was removed.
// The same holds for the IMAP server's pin, a.IMAP.PinSHA256.
func (s *Store) Update(ctx context.Context, a *Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.checkProvider(*a); err != nil {
		return err
	}
	old, err := s.ByID(ctx, a.ID)
	if err != nil {
		return err
	}
	hasSecret := old.HasSecret || s.secrets.HasSessionSecret(a.ID)
	if hasSecret && a.sendsPasswordInClear() {
		return ErrCleartextPassword
	}
	// The flag mirrors the keyring; SetIMAPSecret and DeleteIMAPSecret
	// change it.
	a.IMAP.OwnSecret = old.IMAP.OwnSecret
	if (hasSecret || a.IMAP.OwnSecret) && a.imapSendsPasswordInClear() {
		return ErrIMAPCleartextPassword
	}
	if a.PinSHA256 != "" && a.PinFor == "" {
		// A pin that comes without its server can only be the one accepted
		// for the saved server.
		a.PinFor = old.ServerAddress()
	}
	a.DropPinOfOtherServer()
	if a.IMAP.PinSHA256 != "" && a.IMAP.PinFor == "" {
		a.IMAP.PinFor = old.IMAPAddress()
	}
	a.DropIMAPPinOfOtherServer()
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET name = ?, display_name = ?, email = ?, host = ?, port = ?,
		security = ?, username = ?, mechanisms = ?, ca_file = ?, pin_sha256 = ?, pin_for = ?, signature = ?,
		max_message_size = ?, oauth_provider = ?, oauth_client_id = ?, oauth_tenant = ?,
		imap_host = ?, imap_port = ?, imap_security = ?, imap_username = ?, imap_own_secret = ?,
		imap_pin_sha256 = ?, imap_pin_for = ?, sent_copy = ?, sent_folder = CASE WHEN imap_host = ? AND imap_port = ? THEN sent_folder ELSE '' END
		WHERE id = ?`,
		a.Name, a.DisplayName, a.Email, a.Host, a.Port, a.Security, a.Username, strings.Join(a.Mechanisms, " "),
		a.CAFile, a.PinSHA256, a.PinFor, a.Signature, a.MaxMessageSize, a.OAuthProvider, a.OAuthClientID, a.OAuthTenant,
		a.IMAP.Host, a.IMAP.Port, a.IMAP.Security, a.IMAP.Username, a.IMAP.OwnSecret,
		a.IMAP.PinSHA256, a.IMAP.PinFor, a.SentCopy,
		normalizeHost(a.IMAP.Host), a.IMAP.Port, a.ID)
	var dup *DuplicateError
	if err = nameTaken(err, a.Name); errors.As(err, &dup) {
		return err
	} else if err != nil {
		return fmt.Errorf("cannot save the account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &NotFoundError{Name: a.Name}
	}
	a.Default, a.HasSecret = old.Default, old.HasSecret
	// The Sent folder is what the copy worker found on the IMAP server
	// (SetSentFolder), not a setting: an edit keeps it, unless the account
	// moved to another IMAP server, where it means nothing.
	a.SentFolder = ""
	if old.IMAP.Host == a.IMAP.Host && old.IMAP.Port == a.IMAP.Port {
		a.SentFolder = old.SentFolder
	}
	return nil
}

// SetSecret replaces the account's saved password or token in the keyring.
func (s *Store) SetSecret(ctx context.Context, a *Account, secret string) error {
	if a.sendsPasswordInClear() {
		return ErrCleartextPassword
	}
	if !a.IMAP.OwnSecret && a.imapSendsPasswordInClear() {
		return ErrIMAPCleartextPassword
	}
	if err := s.secrets.Set(ctx, a.ID, secret); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET has_secret = 1 WHERE id = ?`, a.ID); err != nil {
		return fmt.Errorf("cannot save the account: %w", err)
	}
	a.HasSecret = true
	return nil
}

// Secret returns the account's password or token: kept for this session,
// or from the keyring. It returns ErrNoSecret when there is none.
func (s *Store) Secret(ctx context.Context, a Account) (string, error) {
	if !a.HasSecret && !s.secrets.HasSessionSecret(a.ID) {
		return "", ErrNoSecret
	}
	return s.secrets.Get(ctx, a.ID)
}

// Remove deletes the account and its keyring entry. When the keyring entry
// cannot be deleted, the account is kept, so no secret is left behind
// without an account that points to it. If the account was the default,
// the first remaining one by name becomes the default. An account that
// signs in with a provider has its sign-in revoked there first, as far as
// the provider allows; see RemoveReporting.
func (s *Store) Remove(ctx context.Context, name string) error {
	_, err := s.RemoveReporting(ctx, name)
	return err
}

// Removal is what became of a removed account's sign-in at its provider.
type Removal struct {
	// RevokeErr is why the provider could not be asked to revoke the
	// refresh token (unreachable, refused, timed out). The account and the
	// token in the keyring are removed all the same: a revocation that
	// fails must not keep an account the user wants gone. The token then
	// stays valid at the provider until it expires or the user revokes
	// Postie's access in the provider's account settings.
	RevokeErr error
}

// RemoveReporting is Remove, and says whether the sign-in of an account
// that signs in with a provider was revoked there (within RevokeTimeout).
func (s *Store) RemoveReporting(ctx context.Context, name string) (Removal, error) {
	var r Removal
	a, err := s.Get(ctx, name)
	if err != nil {
		return r, err
	}
	if a.OAuthProvider != "" {
		r.RevokeErr = s.revoke(ctx, a)
	}
	if a.IMAP.OwnSecret {
		if err := s.secrets.Delete(ctx, a.IMAPSecretID()); err != nil {
			return r, &NotRemovedError{Name: a.Name, Err: err}
		}
		// Should the account's own secret not be deleted below, the
		// account stays, and must not claim an entry that is gone.
		s.db.ExecContext(ctx, `UPDATE accounts SET imap_own_secret = 0 WHERE id = ?`, a.ID)
	}
	if a.HasSecret {
		if err := s.secrets.Delete(ctx, a.ID); err != nil {
			return r, &NotRemovedError{Name: a.Name, Err: err}
		}
	} else {
		s.secrets.forgetSession(a.ID)
	}
	s.tokens.forget(a.ID)
	return r, s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, a.ID); err != nil {
			return err
		}
		if !a.Default {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET is_default = 1
			WHERE id = (SELECT id FROM accounts ORDER BY name COLLATE NOCASE LIMIT 1)`)
		return err
	})
}

// SetDefault makes the named account the default, and no other.
func (s *Store) SetDefault(ctx context.Context, name string) error {
	a, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET is_default = 0 WHERE is_default = 1 AND id <> ?`, a.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET is_default = 1 WHERE id = ?`, a.ID)
		return err
	})
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot save the accounts: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		var dup *DuplicateError
		if errors.As(err, &dup) {
			return err
		}
		return fmt.Errorf("cannot save the accounts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot save the accounts: %w", err)
	}
	return nil
}
