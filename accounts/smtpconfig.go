package accounts

import (
	"context"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// SMTPConfig returns the settings smtpclient needs to send from the account,
// with the secret from Secret. The provider table's hint, if any, is
// attached so that a refused password explains what the provider wants.
func (a Account) SMTPConfig(secret string) smtpclient.Config {
	return smtpclient.Config{
		Host:       a.Host,
		Port:       a.Port,
		Security:   a.Security,
		Username:   a.Username,
		Secret:     secret,
		OAuth:      a.IsOAuth(),
		Mechanisms: append([]string(nil), a.Mechanisms...),
		CAFile:     a.CAFile,
		PinSHA256:  a.pinHere(), // never a pin accepted for another server
		PinFor:     a.PinFor,
	}
}

// Test connects to the server a describes, sets up TLS, signs in with the
// secret and disconnects without sending: the "Test the connection" of
// account setup and of a saved account. It is the one place that records
// what the server said, whoever runs the test (the window or `postie
// accounts add|test`): its SIZE limit goes into a.MaxMessageSize, and, when
// a is a saved account whose stored server is the one tested, into the
// store as well.
//
// When a names an IMAP server, Test then signs in there too (see
// TestWithIMAPSecret), and an IMAP failure comes back as an
// *IMAPTestError together with the SMTP result: sending works.
//
// An empty secret for a saved account that signs in means its saved one.
// SMTP failures are *smtpclient.Error values whose facts the front ends
// explain; when the server's certificate is not trusted, its Certificate
// describes it so the user can accept it as the account's PinSHA256.
// Accept a certificate only here, at setup or edit time, never while
// sending.
//
// A saved account that signs in with a provider is tested with its access
// token (refreshed as for sending) when secret is empty; a new one is
// tested with the access token its sign-in gave, as secret.
func (s *Store) Test(ctx context.Context, a *Account, secret string) (*smtpclient.ProbeResult, error) {
	return s.TestWithIMAPSecret(ctx, a, secret, "")
}

// TestWithIMAPSecret is Test with the IMAP server's own password, for
// settings not saved yet. An empty imapSecret means the saved one when the
// IMAP server has its own (a.IMAP.OwnSecret), else the account's secret.
func (s *Store) TestWithIMAPSecret(ctx context.Context, a *Account, secret, imapSecret string) (*smtpclient.ProbeResult, error) {
	cfg := a.SMTPConfig(secret)
	oauth := false
	switch {
	case secret == "" && a.ID != "" && a.OAuthProvider != "":
		if err := s.checkProvider(*a); err != nil {
			return nil, err
		}
		cfg, oauth = s.oauthConfig(*a), true
	case secret == "" && a.ID != "" && a.Username != "":
		saved, err := s.Secret(ctx, *a)
		if err != nil {
			return nil, err
		}
		cfg, secret = a.SMTPConfig(saved), saved
	}
	result, err := smtpclient.Probe(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.MaxMessageSize = result.MaxSize
	if a.ID != "" {
		// Only while the saved account still names the tested server: a
		// test of edited settings is saved with them, by Update.
		_, err := s.db.ExecContext(ctx, `UPDATE accounts SET max_message_size = ? WHERE id = ? AND host = ? AND port = ?`,
			a.MaxMessageSize, a.ID, a.Host, a.Port)
		if err != nil {
			return result, &SizeLimitNotSavedError{Err: err}
		}
	}
	if err := s.testIMAP(ctx, a, secret, imapSecret, oauth); err != nil {
		return result, err
	}
	return result, nil
}

// testIMAP signs in to a's IMAP server, if it names one and copies are
// filed there, and logs out.
// A saved account that signs in with its provider (savedToken) signs in
// with the same TokenSource as for sending.
func (s *Store) testIMAP(ctx context.Context, a *Account, secret, imapSecret string, savedToken bool) error {
	if !a.HasIMAP() || a.SentCopy == SentCopyNever {
		return nil // no copy is filed there
	}
	if files, _ := autoconfig.FilesOwnSentCopy(a.Email, a.Host); files && a.SentCopy != SentCopyAlways {
		// "Automatic" files none where the provider files its own, so the
		// IMAP server is not used, and its sign-in (perhaps outside the
		// scopes a provider's sign-in granted) is not tested.
		return nil
	}
	if a.IsOAuth() {
		cfg := a.IMAPConfig(secret)
		if savedToken {
			cfg.Secret, cfg.OAuth, cfg.Tokens = "", true, s.TokenSource(a.ID)
		}
		if cfg.Username == "" {
			cfg.Username = a.Email // XOAUTH2 and OAUTHBEARER name the mailbox
		}
		if err := imapclient.Probe(ctx, cfg); err != nil {
			return &IMAPTestError{Host: a.IMAP.Host, Port: a.IMAP.Port, Err: err}
		}
		return nil
	}
	if imapSecret == "" {
		imapSecret = secret
		if a.IMAP.OwnSecret && a.ID != "" {
			saved, err := s.secrets.Get(ctx, a.IMAPSecretID())
			if err != nil {
				return &IMAPTestError{Host: a.IMAP.Host, Port: a.IMAP.Port, Err: err}
			}
			imapSecret = saved
		}
	}
	if imapSecret != "" && a.imapSendsPasswordInClear() {
		return &IMAPTestError{Host: a.IMAP.Host, Port: a.IMAP.Port, Err: ErrIMAPCleartextPassword}
	}
	if err := imapclient.Probe(ctx, a.IMAPConfig(imapSecret)); err != nil {
		return &IMAPTestError{Host: a.IMAP.Host, Port: a.IMAP.Port, Err: err}
	}
	return nil
}

// SMTPConfig returns the settings for sending from the account with the id,
// with its secret from the keyring (or this session). An account without a
// user name signs in to nothing, so the keyring is not asked. It makes a
// Store the outbox worker's source of server settings.
func (s *Store) SMTPConfig(ctx context.Context, accountID string) (smtpclient.Config, error) {
	a, err := s.ByID(ctx, accountID)
	if err != nil {
		return smtpclient.Config{}, err
	}
	if a.OAuthProvider != "" {
		// The token is asked for at AUTH, and refreshed there as needed.
		if err := s.checkProvider(a); err != nil {
			return smtpclient.Config{}, err
		}
		return s.oauthConfig(a), nil
	}
	secret := ""
	if a.Username != "" {
		if secret, err = s.Secret(ctx, a); err != nil {
			return smtpclient.Config{}, err
		}
	}
	return a.SMTPConfig(secret), nil
}

// oauthConfig is the configuration of an account that signs in with its
// provider: no secret, but the account's TokenSource, and the address as
// the user name (XOAUTH2 and OAUTHBEARER name the mailbox, RFC 7628 §3.1).
func (s *Store) oauthConfig(a Account) smtpclient.Config {
	cfg := a.SMTPConfig("")
	cfg.OAuth = true
	cfg.Tokens = s.TokenSource(a.ID)
	if cfg.Username == "" {
		cfg.Username = a.Email
	}
	return cfg
}

// SizeLimitNotSavedError says that a connection test passed but the server's
// SIZE limit it found could not be saved with the account.
type SizeLimitNotSavedError struct{ Err error }

func (e *SizeLimitNotSavedError) Error() string {
	return "connection works, but saving the size limit failed: " + e.Err.Error()
}

func (e *SizeLimitNotSavedError) Unwrap() error { return e.Err }
