package accounts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// ErrNoIMAPServer says that the account names no IMAP server, so no copy
// of its sent messages can be filed.
var ErrNoIMAPServer = errors.New("the account has no IMAP server")

// IMAPAddress is the account's IMAP server as "host:port", in the form
// PinFor holds; "" when it has none. A port of 0 means the usual one for
// the security: 993 for implicit TLS, else 143.
func (a Account) IMAPAddress() string {
	if a.IMAP.Host == "" {
		return ""
	}
	return net.JoinHostPort(strings.Trim(normalizeHost(a.IMAP.Host), "[]"), strconv.Itoa(a.imapPort()))
}

func (a Account) imapPort() int {
	switch {
	case a.IMAP.Port != 0:
		return a.IMAP.Port
	case a.IMAP.Security == smtpclient.SecurityTLS:
		return 993
	}
	return 143
}

// PinIMAPCertificate accepts the IMAP server's certificate with the
// SHA-256 fingerprint for the account's current IMAP server, and for no
// other.
func (a *Account) PinIMAPCertificate(fingerprint string) {
	a.IMAP.PinSHA256, a.IMAP.PinFor = NormalizePin(fingerprint), a.IMAPAddress()
}

// imapPinHere returns the IMAP pin if it was accepted for the account's
// current IMAP server, and "" otherwise.
func (a Account) imapPinHere() string {
	if a.IMAP.PinSHA256 == "" || a.IMAP.PinFor != a.IMAPAddress() {
		return ""
	}
	return a.IMAP.PinSHA256
}

// DropIMAPPinOfOtherServer forgets the accepted IMAP certificate unless it
// was accepted for the account's current IMAP server, as
// DropPinOfOtherServer does for the SMTP one.
func (a *Account) DropIMAPPinOfOtherServer() {
	if a.imapPinHere() == "" {
		a.IMAP.PinSHA256, a.IMAP.PinFor = "", ""
	}
}

// IMAPConfig returns the settings imapclient needs to file copies for the
// account, with secret: the user name defaults to the SMTP one, and the CA
// file is the account's. A pinned certificate is used only when it was
// accepted for this very host:port: the IMAP server's own pin, or else
// one accepted for the SMTP server when that is the same host:port.
func (a Account) IMAPConfig(secret string) imapclient.Config {
	cfg := imapclient.Config{
		Host:     a.IMAP.Host,
		Port:     a.imapPort(),
		Security: a.IMAP.Security,
		Username: a.IMAP.Username,
		Secret:   secret,
		OAuth:    a.IsOAuth(),
		CAFile:   a.CAFile,
		PinFor:   a.IMAPAddress(),
	}
	if cfg.Username == "" {
		cfg.Username = a.Username
	}
	switch {
	case a.imapPinHere() != "":
		cfg.PinSHA256 = a.IMAP.PinSHA256
	case a.PinSHA256 != "" && a.PinFor == cfg.PinFor:
		cfg.PinSHA256 = a.PinSHA256
	}
	return cfg
}

// IMAPConfig returns the settings for filing copies of the sent messages
// of the account with the id, with the secret from the keyring (or this
// session): the IMAP server's own, under IMAPSecretID, when it has one,
// else the account's; for an account that signs in with its provider, the
// same TokenSource as for sending. It returns ErrNoIMAPServer for an
// account without an IMAP server.
func (s *Store) IMAPConfig(ctx context.Context, accountID string) (imapclient.Config, error) {
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return imapclient.Config{}, err
	}
	if a.IMAP.Host == "" {
		return imapclient.Config{}, ErrNoIMAPServer
	}
	if a.OAuthProvider != "" {
		// The same token as for sending, asked for at AUTHENTICATE and
		// renewed there when refused; the address names the mailbox.
		// The provider's scopes must cover IMAP (Google's mail scope
		// does); where they do not, the server refuses the sign-in and
		// the copy fails with login-refused.
		if err := s.checkProvider(a); err != nil {
			return imapclient.Config{}, err
		}
		cfg := a.IMAPConfig("")
		cfg.OAuth, cfg.Tokens = true, s.TokenSource(a.ID)
		if cfg.Username == "" {
			cfg.Username = a.Email
		}
		return cfg, nil
	}
	secret := ""
	switch {
	case a.IMAP.OwnSecret:
		if secret, err = s.secrets.Get(ctx, a.IMAPSecretID()); err != nil {
			return a.IMAPConfig(""), err
		}
	case a.Username != "" || a.IMAP.Username != "":
		if secret, err = s.Secret(ctx, a); err != nil {
			return a.IMAPConfig(""), err
		}
	}
	return a.IMAPConfig(secret), nil
}

// SetSentFolder remembers the Sent folder found on the account's IMAP
// server, so that it is found again at once (and recognised when renamed).
// It changes nothing else, so an edit saved meanwhile is kept.
func (s *Store) SetSentFolder(ctx context.Context, accountID, folder string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET sent_folder = ? WHERE id = ?`, folder, accountID); err != nil {
		return fmt.Errorf("cannot save the account: %w", err)
	}
	return nil
}
