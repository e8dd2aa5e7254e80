// Package oauth signs Postie in to mail providers with OAuth 2.0 for native
// apps: the system browser, a loopback redirect and PKCE (RFC 8252, RFC
// 7636), then refreshes and revokes the tokens it got (RFC 6749, RFC 7009).
//
// It returns facts (*Error with a Problem); the front ends write the
// sentences. It never stores a token: the accounts package keeps the
// refresh token in the keyring and the access token in memory.
//
// CONTRACT STUB: the types and signatures below are what the rest of
// Postie builds on; the bodies are being written.
package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Server is a provider's mail server for accounts that sign in with it.
type Server struct {
	Host     string              `json:"host"`
	Port     int                 `json:"port"`
	Security smtpclient.Security `json:"security"`
}

// Provider is one identity provider Postie can sign in with.
type Provider struct {
	ID   string // "google", "microsoft", "yahoo", "aol", or from POSTIE_OAUTH_PROVIDERS
	Name string // "Google", "Microsoft", …: for "Sign in with NAME"
	// AuthorizationURL and TokenURL may contain "{tenant}" (Microsoft).
	AuthorizationURL string
	TokenURL         string
	RevocationURL    string // "" when the provider has no revocation endpoint
	ClientID         string // "" when this build has none: Configured is false
	ClientSecret     string // not secret for installed apps (Google issues one)
	Scopes           []string
	// Domains are email domains served by the provider; MX are suffixes of
	// MX hosts that identify a custom domain hosted there.
	Domains []string
	MX      []string
	SMTP    Server
	IMAP    Server
	// AppPasswordURL is the provider's page for an app password, for the
	// "use an app password instead" route; "" when it has none.
	AppPasswordURL string
}

// Configured reports whether this build (or the user's override) has a
// client id to sign in with.
func (p Provider) Configured() bool { return p.ClientID != "" }

// Providers is the provider table: built in, plus POSTIE_OAUTH_PROVIDERS.
type Providers []Provider

// EnvProviders is the environment variable naming a JSON file that adds or
// overrides providers.
const EnvProviders = "POSTIE_OAUTH_PROVIDERS"

// Load returns the built-in providers, with those of the file named by
// POSTIE_OAUTH_PROVIDERS (getenv) added or overriding by id.
func Load(getenv func(string) string) (Providers, error) { return nil, errors.New("oauth: not implemented") }

// Find returns the provider with the id.
func (ps Providers) Find(id string) (Provider, bool) { return Provider{}, false }

// ForAddress returns the provider that serves the email address, from its
// domain or, for a custom domain, its MX hosts (mx may be nil).
func (ps Providers) ForAddress(email string, mx []string) (Provider, bool) { return Provider{}, false }

// Token is what a sign-in or a refresh returns.
type Token struct {
	Access  string
	Refresh string // may be empty after a refresh: keep the old one
	Expiry  time.Time
}

// SignInOptions adjust SignIn.
type SignInOptions struct {
	LoginHint string // the email address, to preselect the account
	ClientID  string // the organisation's own registration; "" = the provider's
	Tenant    string // Microsoft tenant; "" = "common"
	// Open is called with the authorization URL once the loopback
	// listener is ready: show it and open the browser (or not).
	Open func(url string)
	// Timeout is how long to wait for the browser; zero means 5 minutes.
	Timeout time.Duration
}

// SignIn runs the whole sign-in: loopback listener on 127.0.0.1, PKCE S256,
// state check, one code, token exchange. Cancel ctx to give up.
func SignIn(ctx context.Context, p Provider, opt SignInOptions) (Token, error) {
	return Token{}, errors.New("oauth: not implemented")
}

// Refresh exchanges a refresh token for a new access token (and perhaps a
// new refresh token, which the caller must persist before using the access
// token).
func Refresh(ctx context.Context, p Provider, clientID, tenant, refresh string) (Token, error) {
	return Token{}, errors.New("oauth: not implemented")
}

// Revoke asks the provider to revoke the token, where it has an endpoint.
func Revoke(ctx context.Context, p Provider, clientID, tenant, token string) error {
	return errors.New("oauth: not implemented")
}

// Problem is what went wrong with a sign-in, a refresh or a revocation.
type Problem string

const (
	ProblemNotConfigured  Problem = "not-configured"         // this build has no client id for the provider
	ProblemDenied         Problem = "consent-denied"         // the user said no (access_denied)
	ProblemCancelled      Problem = "cancelled"              // the user cancelled in Postie
	ProblemTimedOut       Problem = "timed-out"              // nobody came back from the browser in time
	ProblemAdminConsent   Problem = "admin-consent-required" // the organisation blocks the app
	ProblemExpired        Problem = "sign-in-expired"        // refresh token expired or revoked (invalid_grant)
	ProblemStateMismatch  Problem = "state-mismatch"         // a redirect that is not the answer to our request
	ProblemProviderError  Problem = "provider-error"         // any other OAuth error the provider returned
	ProblemUnreachable    Problem = "unreachable"            // network failure talking to the provider
	ProblemBadProviderDef Problem = "bad-provider-file"      // POSTIE_OAUTH_PROVIDERS file is wrong
)

// Error is a failure with its facts. It never holds a token.
type Error struct {
	Problem     Problem
	Provider    string // the provider's name
	Code        string // the OAuth error code, e.g. "invalid_grant", "AADSTS65001"
	Description string // the provider's error_description, for logs
	Err         error
}

func (e *Error) Error() string {
	msg := "oauth " + e.Provider + ": " + string(e.Problem)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// NeedsSignIn reports whether only a new sign-in by the user can help;
// smtpclient and imapclient look for this method.
func (e *Error) NeedsSignIn() bool {
	return e.Problem == ProblemExpired || e.Problem == ProblemDenied || e.Problem == ProblemAdminConsent
}
