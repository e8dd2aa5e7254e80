package core

import (
	"context"
	"errors"
)

// SwitchToSignIn turns the named password account into one that signs in
// with the provider (the id of an oauth.Provider): it signs in in the
// browser (open as for SignInAgain), takes the provider's mail server, keeps
// the refresh token in the keyring instead of the password, and sends the
// messages that were waiting for the account. The window offers it when a
// Microsoft 365 or Outlook server refuses passwords (smtpclient
// ReasonOAuthRequired).
func (c *Core) SwitchToSignIn(ctx context.Context, name, provider string, open func(url string)) error {
	return errors.New("core: not implemented")
}
