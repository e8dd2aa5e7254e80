package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
)

// Signing in with a provider (OAuth 2.0). The provider table is
// oauth.Load's (the built-in providers and POSTIE_OAUTH_PROVIDERS), given
// to the account store by Open; the store refreshes and revokes tokens,
// and these use cases run the browser sign-in.

// mxLookupTimeout bounds the MX lookup that recognises a custom domain
// hosted by a provider: the wizard waits for it before showing a button.
const mxLookupTimeout = 5 * time.Second

// revokeAfterFailureTimeout bounds the revocation of the tokens of a
// sign-in whose account could not be saved.
const revokeAfterFailureTimeout = 10 * time.Second

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
	// NoTest saves the account without first signing in to its mail
	// server with the new token.
	NoTest bool
	// IMAP is the incoming server for the copy in Sent. With no Host, it
	// is the provider's (if the provider table names one), and only
	// Username and PinSHA256 apply to it. A PinSHA256 is accepted for
	// that IMAP server only (Account.PinIMAPCertificate).
	IMAP accounts.IMAPServer
	// SentCopy is the choice "Save a copy in Sent"; "" means automatic.
	SentCopy accounts.SentCopyMode
}

// OAuthProviders is the provider table: built in, and from the file named
// by POSTIE_OAUTH_PROVIDERS (or Options.OAuthProviders).
func (c *Core) OAuthProviders() oauth.Providers { return c.accounts.Providers() }

// OAuthProvider returns the provider with the id. When the
// POSTIE_OAUTH_PROVIDERS file could not be read, the table is empty and
// the error is that file's problem (an *oauth.Error, bad-provider-file);
// an id the table lacks is an *accounts.InvalidError.
func (c *Core) OAuthProvider(id string) (oauth.Provider, error) {
	return c.accounts.Provider(accounts.Account{OAuthProvider: strings.ToLower(strings.TrimSpace(id))})
}

// OAuthProviderFor returns the provider whose sign-in the address uses,
// from its domain or its MX hosts; false for a password account.
func (c *Core) OAuthProviderFor(ctx context.Context, email string) (oauth.Provider, bool) {
	ps := c.accounts.Providers()
	if p, ok := ps.ForAddress(email, nil); ok {
		return p, true
	}
	// A custom domain (Google Workspace, Microsoft 365) is known by its MX.
	ctx, cancel := context.WithTimeout(ctx, mxLookupTimeout)
	defer cancel()
	mx, err := c.Discoverer.MXHosts(ctx, email)
	if err != nil || len(mx) == 0 {
		return oauth.Provider{}, false
	}
	return ps.ForAddress(email, mx)
}

// AddAccountWithSignIn signs in with the provider in the browser, then
// saves the account with its refresh token in the keyring. Cancel ctx to
// give up (oauth ProblemCancelled).
//
// Unless req.NoTest is set, it signs in to the provider's mail server with
// the new access token before saving, as `accounts add` tests a password:
// the browser may have signed in to another account than the address
// typed, or the mailbox may have SMTP sign-in turned off (Microsoft 365),
// and either is better said now than at the first send. Nothing is saved
// when the test fails, and the new tokens are revoked.
func (c *Core) AddAccountWithSignIn(ctx context.Context, req SignInRequest) (accounts.Account, error) {
	a := accounts.Account{Name: req.Name, DisplayName: req.DisplayName, Email: req.Email,
		OAuthProvider: req.Provider, OAuthClientID: req.ClientID, OAuthTenant: req.Tenant}
	p, err := c.accounts.Provider(a)
	if err != nil {
		return accounts.Account{}, err
	}
	server := p.SMTPFor(req.Email) // Microsoft 365 or Outlook.com
	a.Host, a.Port, a.Security, a.Username = server.Host, server.Port, server.Security, strings.TrimSpace(req.Email)
	if req.IMAP.Host != "" {
		a.IMAP = accounts.IMAPServer{Host: req.IMAP.Host, Port: req.IMAP.Port, Security: req.IMAP.Security}
	} else {
		fillProviderIMAP(&a, p)
	}
	a.IMAP.Username, a.SentCopy = req.IMAP.Username, req.SentCopy
	if req.IMAP.PinSHA256 != "" {
		a.PinIMAPCertificate(req.IMAP.PinSHA256)
	}
	// Everything that can be refused without the browser is refused first.
	if err := a.Validate(); err != nil {
		return accounts.Account{}, err
	}
	if _, err := c.accounts.Get(ctx, a.Name); err == nil {
		return accounts.Account{}, &accounts.DuplicateError{Name: a.Name}
	}
	token, err := c.signIn(ctx, p, a, req.Open)
	if err != nil {
		return accounts.Account{}, err
	}
	if !req.NoTest {
		if _, err := c.accounts.Test(ctx, &a, token.Access); err != nil {
			c.revokeUnsaved(ctx, p, a, token)
			return accounts.Account{}, err
		}
	}
	if err := c.accounts.AddSignedIn(ctx, &a, token); err != nil {
		c.revokeUnsaved(ctx, p, a, token)
		return accounts.Account{}, err
	}
	return a, nil
}

// SignInAgain signs the named OAuth account in again and sends the
// messages that were waiting for it.
func (c *Core) SignInAgain(ctx context.Context, name string, open func(url string)) error {
	_, err := c.SignInAgainResuming(ctx, name, open)
	return err
}

// SignInAgainResuming is SignInAgain, and returns how many messages were
// waiting for the sign-in and are queued again. The worker (or the
// command line's flush) sends them.
func (c *Core) SignInAgainResuming(ctx context.Context, name string, open func(url string)) (int, error) {
	a, err := c.accounts.Get(ctx, name)
	if err != nil {
		return 0, err
	}
	if a.OAuthProvider == "" {
		return 0, &accounts.InvalidError{Field: "oauth provider", Problem: accounts.InvalidOAuthProvider}
	}
	p, err := c.accounts.Provider(a)
	if err != nil {
		return 0, err
	}
	token, err := c.signIn(ctx, p, a, open)
	if err != nil {
		return 0, err
	}
	if err := c.accounts.SetSignIn(ctx, &a, token); err != nil {
		c.revokeUnsaved(ctx, p, a, token)
		return 0, err
	}
	return c.resumeAfterSignIn(ctx, a.ID)
}

// SwitchToSignIn moves the named password account to the sign-in with
// the provider (providerID): for an account at a provider that turned
// passwords off, such as Microsoft 365's "basic authentication is
// disabled" (535 5.7.139). It signs in in the browser, points the account
// at the provider's server for its address, replaces the password in the
// keyring with the refresh token, and queues again the messages that
// waited for a sign-in. It returns how many.
func (c *Core) SwitchToSignIn(ctx context.Context, name, providerID string, open func(url string)) (int, error) {
	a, err := c.accounts.Get(ctx, name)
	if err != nil {
		return 0, err
	}
	switched := a
	switched.OAuthProvider = providerID
	p, err := c.accounts.Provider(switched)
	if err != nil {
		return 0, err
	}
	server := p.SMTPFor(a.Email)
	switched.Host, switched.Port, switched.Security = server.Host, server.Port, server.Security
	if switched.IMAP.Host == "" {
		fillProviderIMAP(&switched, p)
	}
	switched.Username, switched.Mechanisms, switched.CAFile = a.Email, nil, ""
	switched.PinSHA256, switched.PinFor, switched.MaxMessageSize = "", "", 0
	if err := switched.Validate(); err != nil {
		return 0, err
	}
	token, err := c.signIn(ctx, p, switched, open)
	if err != nil {
		return 0, err
	}
	// The settings and the token change together, under the account's
	// sign-in lock: a send in between never posts the password to the
	// provider's token endpoint as a refresh token. When the token cannot
	// be saved the account stays on its password, which the keyring
	// still holds.
	if err := c.accounts.UpdateSignedIn(ctx, &switched, token); err != nil {
		c.revokeUnsaved(ctx, p, switched, token)
		return 0, err
	}
	return c.resumeAfterSignIn(ctx, a.ID)
}

// signIn runs the browser sign-in for the account. A cancelled ctx is
// reported as oauth ProblemCancelled, whatever stage it stopped.
func (c *Core) signIn(ctx context.Context, p oauth.Provider, a accounts.Account, open func(string)) (oauth.Token, error) {
	if !p.Configured() {
		return oauth.Token{}, &oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: p.Name}
	}
	token, err := oauth.SignIn(ctx, p, oauth.SignInOptions{
		LoginHint: a.Email, ClientID: a.OAuthClientID, Tenant: a.OAuthTenant,
		Open: open, Timeout: c.signInTimeout,
	})
	var oe *oauth.Error
	if err != nil && !errors.As(err, &oe) && ctx.Err() != nil {
		return oauth.Token{}, &oauth.Error{Problem: oauth.ProblemCancelled, Provider: p.Name, Err: err}
	}
	return token, err
}

// revokeUnsaved revokes the tokens of a sign-in that is not kept, so that
// no valid refresh token is left at the provider that Postie no longer
// has. Best effort: a failure is only logged.
func (c *Core) revokeUnsaved(ctx context.Context, p oauth.Provider, a accounts.Account, t oauth.Token) {
	if p.RevocationURL == "" || t.Refresh == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeAfterFailureTimeout)
	defer cancel()
	if err := oauth.Revoke(ctx, p, a.OAuthClientID, a.OAuthTenant, t.Refresh); err != nil {
		c.logError("cannot revoke the sign-in of an account that was not saved", err)
	}
}

// RemoveAccountReporting deletes the named account and its saved password
// or sign-in, revoking the sign-in at its provider where it can, and says
// whether that revocation failed (the account is removed all the same).
func (c *Core) RemoveAccountReporting(ctx context.Context, name string) (accounts.Removal, error) {
	return c.accounts.RemoveReporting(ctx, name)
}

// fillProviderIMAP gives an account that signs in with its provider the
// provider's IMAP server, for the copy in the Sent folder, as discovery
// does for a password account (FillIMAP).
func fillProviderIMAP(a *accounts.Account, p oauth.Provider) {
	if m := p.IMAP; m.Host != "" {
		a.IMAP = accounts.IMAPServer{Host: m.Host, Port: m.Port, Security: m.Security}
	}
}
