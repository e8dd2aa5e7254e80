package accounts

import (
	"context"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
)

// SMTPConfig returns the settings smtpclient needs to send from the account,
// with the secret from Secret. The provider table's hint, if any, is
// attached so that a refused password explains what the provider wants.
func (a Account) SMTPConfig(secret string) smtpclient.Config {
	return smtpclient.Config{
		Host:         a.Host,
		Port:         a.Port,
		Security:     a.Security,
		Username:     a.Username,
		Secret:       secret,
		OAuth:        a.IsOAuth(),
		Mechanisms:   append([]string(nil), a.Mechanisms...),
		CAFile:       a.CAFile,
		PinSHA256:    a.PinSHA256,
		ProviderHint: autoconfig.HintFor(a.Host),
	}
}

// Test connects to the account's server, sets up TLS, signs in with the
// secret and disconnects without sending: the "Test the connection" of
// account setup. Failures are *smtpclient.Error values with a plain-language
// Message; when the server's certificate is not trusted, its Certificate
// describes it so the user can accept it as the account's PinSHA256. Accept
// a certificate only here, at setup or edit time, never while sending.
func (a Account) Test(ctx context.Context, secret string) (*smtpclient.ProbeResult, error) {
	return smtpclient.Probe(ctx, a.SMTPConfig(secret))
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
	secret := ""
	if a.Username != "" {
		if secret, err = s.Secret(ctx, a); err != nil {
			return smtpclient.Config{}, err
		}
	}
	return a.SMTPConfig(secret), nil
}
