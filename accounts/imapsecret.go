package accounts

import (
	"context"
	"fmt"
)

// The IMAP server signs in with the account's secret, unless the user gave
// it its own: then that one is in the keyring under IMAPSecretID, and
// Account.IMAP.OwnSecret says so. The flag is set and cleared only here,
// after the keyring did what it was asked, so it never claims an entry
// that is not there.

// SetIMAPSecret saves the IMAP server's own password in the keyring,
// replacing one saved before. It refuses when the IMAP server would get it
// over an unencrypted connection to another computer.
func (s *Store) SetIMAPSecret(ctx context.Context, a *Account, secret string) error {
	if a.imapSendsPasswordInClear() {
		return ErrIMAPCleartextPassword
	}
	if err := s.secrets.Set(ctx, a.IMAPSecretID(), secret); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET imap_own_secret = 1 WHERE id = ?`, a.ID); err != nil {
		return fmt.Errorf("cannot save the account: %w", err)
	}
	a.IMAP.OwnSecret = true
	return nil
}

// DeleteIMAPSecret deletes the IMAP server's own password, so that it signs
// in with the account's again. Nothing saved is not an error.
func (s *Store) DeleteIMAPSecret(ctx context.Context, a *Account) error {
	if err := s.secrets.Delete(ctx, a.IMAPSecretID()); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET imap_own_secret = 0 WHERE id = ?`, a.ID); err != nil {
		return fmt.Errorf("cannot save the account: %w", err)
	}
	a.IMAP.OwnSecret = false
	return nil
}

// IMAPSecret returns the secret that signs in to the account's IMAP server:
// its own when it has one, else the account's (Secret). It returns
// ErrNoSecret when there is none.
func (s *Store) IMAPSecret(ctx context.Context, a Account) (string, error) {
	if a.IMAP.OwnSecret {
		return s.secrets.Get(ctx, a.IMAPSecretID())
	}
	return s.Secret(ctx, a)
}
