package ui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
)

// localMicrosoft is "Microsoft" for outlook.com addresses, signing in at a
// local authorization server and sending through a local submission
// server that accepts only the access token valid now: it returns the
// POSTIE_OAUTH_PROVIDERS file that says so, and the authorization server.
func localMicrosoft(t *testing.T) (providersFile string, srv *testpeer.OAuthServer) {
	t.Helper()
	srv = testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	smtpServer := testpeer.Run(t, testpeer.Options{Backend: &testpeer.Backend{
		Mechanisms: []string{"OAUTHBEARER", "XOAUTH2"}, User: signInAddressForTest, RequireAuth: true,
		ValidToken: func(_, token string) bool { return srv.Valid(token) },
	}})
	return srv.ProvidersFile(t, testpeer.OAuthProvider{ID: "microsoft", Name: "Microsoft",
		Domains: []string{"outlook.com"}, SMTPPort: smtpServer.Port}), srv
}

// followingBrowser is the user who follows the sign-in address in the
// browser the window opens.
func followingBrowser(t *testing.T) func(*url.URL) error {
	return func(u *url.URL) error {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := testpeer.Browse(ctx, u.String()); err != nil {
				t.Errorf("the test browser: %v", err)
			}
		}()
		return nil
	}
}

// TestWelcomeWizardSignsInWithTheLocalProvider adds the first account from
// the welcome screen with the real core: the address brings "Sign in with
// Microsoft", the browser follows the sign-in to Postie's loopback
// redirect, the core tests the token with the submission server and saves
// the account, and the window goes on to its main views.
func TestWelcomeWizardSignsInWithTheLocalProvider(t *testing.T) {
	testpeer.RequireSession(t) // the refresh token goes to the keyring
	providers, srv := localMicrosoft(t)
	t.Setenv(oauth.EnvProviders, providers)
	w := openWindow(t, test.NewTempApp(t), shortTempDir(t), options{})
	if w.welcome == nil {
		t.Fatal("no welcome screen on a new data folder")
	}
	w.browser = followingBrowser(t)
	z := w.welcome.wizard
	test.Type(z.name, "Anna Lind")
	test.Type(z.email, signInAddressForTest)
	w.settle()
	if z.continueButton.Text != "Sign in with Microsoft" || z.passwordRow[1].Visible() {
		t.Fatalf("for %s the wizard offers %q, password shown %v", signInAddressForTest, z.continueButton.Text, z.passwordRow[1].Visible())
	}
	test.Tap(z.continueButton)
	w.waitUntil(t, "the main views after signing in", func() bool { return w.tabs != nil || z.signIn.problem.Visible() })
	if w.tabs == nil {
		t.Fatalf("the sign-in failed: %s", z.signIn.problem.Text)
	}
	list, err := realCore(w).ListAccounts(w.ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("accounts %+v, %v", list, err)
	}
	a := list[0]
	t.Cleanup(func() { realCore(w).RemoveAccount(context.Background(), a.Name) }) // out of the keyring
	if a.Email != signInAddressForTest || a.OAuthProvider != "microsoft" || a.DisplayName != "Anna Lind" || a.Host != "127.0.0.1" {
		t.Errorf("saved %+v", a)
	}
	if hint := srv.LastAuthorization().Get("login_hint"); hint != signInAddressForTest {
		t.Errorf("the sign-in asked the provider for %q", hint)
	}
	if n := srv.Counts().Exchanges; n != 1 {
		t.Errorf("%d codes exchanged", n)
	}
}

// TestAccountWizardWithTheBuiltInProviders types Gmail and Outlook.com
// addresses against the real provider table: a build with the provider's
// client ID offers its sign-in; one without (as `go test` builds are,
// unless the Makefile's client IDs are given) says so in a sentence,
// with the app-password route where the provider has one, and offers no
// button that cannot work.
func TestAccountWizardWithTheBuiltInProviders(t *testing.T) {
	w := openDemoWindow(t)
	for _, c := range []struct {
		address, id, name string
		appPasswords      bool
	}{
		{"anna@gmail.com", "google", "Google", true},
		{"anna@outlook.com", "microsoft", "Microsoft", false},
		{"anna@hotmail.com", "microsoft", "Microsoft", false},
		{"anna@yahoo.com", "yahoo", "Yahoo", true},
	} {
		z := newAccountWizard(w, nil, func() {})
		test.Type(z.email, c.address)
		w.settle()
		p, err := realCore(w).OAuthProvider(c.id)
		if err != nil {
			t.Fatal(err)
		}
		if z.passwordRow[1].Visible() {
			t.Errorf("%s: the password is asked for", c.address)
		}
		if p.Configured() {
			if !z.continueButton.Visible() || z.continueButton.Text != "Sign in with "+p.Name || z.signIn.notConfigured.Visible() {
				t.Errorf("%s, with a client ID: action %q (visible %v)", c.address, z.continueButton.Text, z.continueButton.Visible())
			}
		} else {
			if z.continueButton.Visible() || !z.signIn.notConfigured.Visible() || !strings.Contains(z.signIn.notConfigured.Text, "cannot sign in with "+c.name) {
				t.Errorf("%s, without a client ID: button %q shown %v; sentence %q", c.address, z.continueButton.Text, z.continueButton.Visible(), z.signIn.notConfigured.Text)
			}
		}
		if z.signIn.appPassword.Visible() != c.appPasswords {
			t.Errorf("%s: app-password route shown %v", c.address, z.signIn.appPassword.Visible())
		}
	}
}
