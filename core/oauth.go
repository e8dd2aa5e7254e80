package core

import (
	"context"
	"errors"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
)

// CONTRACT STUB: these use cases are being written; the window and the CLI
// build on their signatures.

// SignInRequest is a new account that signs in with a provider.
type SignInRequest struct {
	Email       string
	Name        string // "" means the email address
	DisplayName string
	Provider    string // provider id
	ClientID    string // the organisation's own registration, or ""
	Tenant      string // Microsoft tenant, or ""
	// Open is called with the provider's sign-in address once Postie
	// listens for the answer: show it, and open the browser (or not).
	Open func(url string)
}

// OAuthProviderFor returns the provider whose sign-in the address uses,
// from its domain or its MX hosts; false for a password account.
func (c *Core) OAuthProviderFor(ctx context.Context, email string) (oauth.Provider, bool) {
	return oauth.Provider{}, false
}

// AddAccountWithSignIn signs in with the provider in the browser, then
// saves the account with its refresh token in the keyring. Cancel ctx to
// give up (oauth ProblemCancelled).
func (c *Core) AddAccountWithSignIn(ctx context.Context, req SignInRequest) (accounts.Account, error) {
	return accounts.Account{}, errors.New("core: not implemented")
}

// SignInAgain signs the named OAuth account in again and sends the
// messages that were waiting for it.
func (c *Core) SignInAgain(ctx context.Context, name string, open func(url string)) error {
	return errors.New("core: not implemented")
}
