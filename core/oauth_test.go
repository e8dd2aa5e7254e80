package core

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/smtpclient"
)

// oauthCore is a Core whose provider table has one provider, "testmail",
// signing in at a local authorization server, and sending through a
// submission server that accepts only the access token valid now.
type oauthCore struct {
	*Core
	oauth *testpeer.OAuthServer
	smtp  *testpeer.Server
}

func openOAuthCore(t *testing.T, opts testpeer.OAuthOptions, authErr ...error) *oauthCore {
	t.Helper()
	testpeer.RequireSession(t) // the refresh token goes to the real keyring
	srv := testpeer.StartOAuth(t, opts)
	backend := &testpeer.Backend{
		Mechanisms: []string{"OAUTHBEARER", "XOAUTH2"}, User: "anna@oauth.test", RequireAuth: true,
		ValidToken: func(_, token string) bool { return srv.Valid(token) },
	}
	if len(authErr) > 0 {
		backend.AuthErr = authErr[0]
	}
	smtpServer := testpeer.Run(t, testpeer.Options{Backend: backend})
	providers, err := oauth.Load(func(name string) string {
		if name == oauth.EnvProviders {
			return srv.ProvidersFile(t, testpeer.OAuthProvider{SMTPPort: smtpServer.Port})
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(t.Context(), t.TempDir(), Options{OAuthProviders: providers, SignInTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &oauthCore{Core: c, oauth: srv, smtp: smtpServer}
}

// browse is the user following the sign-in address in the browser.
func browse(t *testing.T) func(string) {
	return func(address string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := testpeer.Browse(ctx, address); err != nil {
				t.Errorf("the test browser: %v", err)
			}
		}()
	}
}

func (c *oauthCore) add(t *testing.T) accounts.Account {
	t.Helper()
	a, err := c.AddAccountWithSignIn(t.Context(), SignInRequest{Email: "anna@oauth.test", Provider: "testmail", Open: browse(t)})
	if err != nil {
		t.Fatalf("AddAccountWithSignIn: %v", err)
	}
	t.Cleanup(func() { c.RemoveAccount(context.Background(), a.Name) }) // out of the keyring
	return a
}

func (c *oauthCore) sendOne(t *testing.T, a accounts.Account, subject string) {
	t.Helper()
	msg := &mail.Message{To: []mail.Address{{Email: "bo@example.org"}}, Subject: subject, Body: "Hi"}
	id, err := c.Enqueue(t.Context(), a.ID, msg, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.SendNow(t.Context(), id)
	if err != nil || out.Err != nil {
		t.Fatalf("SendNow: %v, %v", err, out.Err)
	}
}

// The access token the sign-in gave is used until it expires; one that
// expired at the provider while Postie believed it valid is refused by the
// server, renewed once, and the message goes out on the second AUTH.
func TestOAuthSendRefreshesAnExpiredTokenInOneProcess(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{})
	a := c.add(t)
	if a.Host != "127.0.0.1" || a.Port != c.smtp.Port || a.OAuthProvider != "testmail" || a.Username != "anna@oauth.test" {
		t.Fatalf("saved account %+v: not the provider's server", a)
	}
	c.sendOne(t, a, "One")
	if n := c.oauth.Counts().Refreshes; n != 0 {
		t.Fatalf("%d refreshes with the sign-in's token still valid, want 0", n)
	}
	c.oauth.ExpireNow()
	c.sendOne(t, a, "Two")
	if n := c.oauth.Counts().Refreshes; n != 1 {
		t.Fatalf("%d refreshes after the token expired at the provider, want 1", n)
	}
	if got := len(c.smtp.Received()); got != 2 {
		t.Fatalf("the server received %d messages, want 2", got)
	}
}

// A token that has less than a minute to live is refreshed before AUTH.
func TestOAuthTokenAboutToExpireIsRefreshedBeforeSending(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{AccessLifetime: 30 * time.Second})
	a := c.add(t)
	c.sendOne(t, a, "Soon expired")
	if c := c.oauth.Counts(); c.Refreshes != 1 || c.Refused != 0 {
		t.Fatalf("provider counts %+v, want one refresh before sending", c)
	}
}

func TestOAuthProviderForKnowsTheDomain(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{})
	if p, ok := c.OAuthProviderFor(t.Context(), "Anna@OAuth.test"); !ok || p.ID != "testmail" {
		t.Fatalf("OAuthProviderFor(anna@oauth.test) = %+v, %v", p, ok)
	}
	c.Discoverer.DNSServer = "127.0.0.1:1" // nothing answers: no MX, no provider
	if p, ok := c.OAuthProviderFor(t.Context(), "anna@example.org"); ok {
		t.Fatalf("OAuthProviderFor(anna@example.org) = %+v", p)
	}
}

// A sign-in whose account cannot be saved leaves no valid grant at the
// provider.
func TestOAuthAddThatFailsTheConnectionTestRevokes(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{}, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 139},
		Message: "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."})
	_, err := c.AddAccountWithSignIn(t.Context(), SignInRequest{Email: "anna@oauth.test", Provider: "testmail", Open: browse(t)})
	var se *smtpclient.Error
	if !errors.As(err, &se) {
		t.Fatalf("AddAccountWithSignIn with SMTP AUTH off = %v, want the server's refusal", err)
	}
	if list, _ := c.ListAccounts(t.Context()); len(list) != 0 {
		t.Fatalf("an account was saved: %+v", list)
	}
	if n := c.oauth.Counts().Revocations; n != 1 {
		t.Fatalf("%d revocations, want the unsaved sign-in revoked", n)
	}
}

// A password account whose provider turned passwords off moves to the
// sign-in: the provider's server, the refresh token in place of the
// password, and it sends.
func TestOAuthSwitchAPasswordAccountToSignIn(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{})
	a := accounts.Account{Name: "Anna", Email: "anna@oauth.test", Host: "smtp.oauth.test", Port: 465,
		Security: smtpclient.SecurityTLS, Username: "anna", Mechanisms: []string{"PLAIN"}}
	if err := c.SaveAccount(t.Context(), &a, "an old password", false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.RemoveAccount(context.Background(), a.Name) })
	if _, err := c.SwitchToSignIn(t.Context(), "Anna", "testmail", browse(t)); err != nil {
		t.Fatalf("SwitchToSignIn: %v", err)
	}
	switched, err := c.Account(t.Context(), "Anna")
	if err != nil {
		t.Fatal(err)
	}
	if switched.OAuthProvider != "testmail" || switched.Port != c.smtp.Port || switched.Username != "anna@oauth.test" || len(switched.Mechanisms) != 0 {
		t.Fatalf("after the switch: %+v", switched)
	}
	if secret, err := c.Accounts().Secret(t.Context(), switched); err != nil || secret == "an old password" {
		t.Fatalf("the keyring still holds the password (%v)", err)
	}
	c.sendOne(t, switched, "Switched")
}

// Removing an account whose provider cannot be reached to revoke its
// sign-in removes it all the same, its token out of the keyring, and says
// that the revocation failed.
func TestOAuthRemoveWhenTheProviderCannotRevoke(t *testing.T) {
	c := openOAuthCore(t, testpeer.OAuthOptions{})
	a := c.add(t)
	unreachable := append(oauth.Providers(nil), c.OAuthProviders()...)
	for i := range unreachable {
		if unreachable[i].ID == "testmail" {
			unreachable[i].RevocationURL = "http://127.0.0.1:1/revoke" // nothing listens there
		}
	}
	c.Accounts().SetProviders(unreachable, nil)
	removal, err := c.RemoveAccountReporting(t.Context(), a.Name)
	if err != nil {
		t.Fatalf("RemoveAccountReporting: %v", err)
	}
	if removal.RevokeErr == nil {
		t.Error("the failed revocation is not reported")
	}
	if _, err := c.Account(t.Context(), a.Name); err == nil {
		t.Error("the account was kept")
	}
	if _, err := c.Accounts().Secret(t.Context(), a); !errors.Is(err, accounts.ErrNoSecret) {
		t.Errorf("the refresh token is still in the keyring (%v)", err)
	}
}
