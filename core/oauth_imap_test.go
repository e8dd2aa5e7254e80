package core

import (
	"errors"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// An account added with a provider's sign-in gets the provider's IMAP
// server, as discovery gives a password account its own; the connection
// test signs in there with the access token the sign-in gave.
func TestOAuthAddGetsTheProvidersIMAPServerAndTestsIt(t *testing.T) {
	testpeer.RequireSession(t) // the refresh token goes to the real keyring
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	smtpServer := testpeer.Run(t, testpeer.Options{Backend: &testpeer.Backend{
		Mechanisms: []string{"OAUTHBEARER", "XOAUTH2"}, User: "anna@oauth.test", RequireAuth: true,
		ValidToken: func(_, token string) bool { return srv.Valid(token) },
	}})
	// The IMAP server accepts no token of this sign-in: it records the
	// one it was offered.
	imap := testpeer.StartIMAP(t, testpeer.IMAPOptions{Security: testpeer.None, User: "anna@oauth.test",
		Mechanisms: []string{"XOAUTH2", "OAUTHBEARER"}, Token: "not this one"})
	providers, err := oauth.Load(func(name string) string {
		if name == oauth.EnvProviders {
			return srv.ProvidersFile(t, testpeer.OAuthProvider{SMTPPort: smtpServer.Port, IMAPPort: imap.Port, IMAPSecurity: testpeer.None})
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

	_, err = c.AddAccountWithSignIn(t.Context(), SignInRequest{Email: "anna@oauth.test", Provider: "testmail", Open: browse(t)})
	var imapTest *accounts.IMAPTestError
	var imapErr *imapclient.Error
	if !errors.As(err, &imapTest) || !errors.As(err, &imapErr) || imapErr.Reason != imapclient.ReasonLoginRefused {
		t.Fatalf("add with the IMAP server refusing the token = %v, want an IMAPTestError with login-refused", err)
	}
	if tokens := imap.Tokens(); len(tokens) == 0 || !srv.Valid(tokens[0]) {
		t.Errorf("the IMAP server was offered %q, not the access token of the sign-in", tokens)
	}
	if list, _ := c.ListAccounts(t.Context()); len(list) != 0 {
		t.Fatalf("saved %+v although the IMAP sign-in failed", list)
	}

	a, err := c.AddAccountWithSignIn(t.Context(), SignInRequest{Email: "anna@oauth.test", Provider: "testmail", Open: browse(t), NoTest: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.RemoveAccount(t.Context(), a.Name) })
	want := accounts.IMAPServer{Host: "127.0.0.1", Port: imap.Port, Security: smtpclient.SecurityNone}
	if saved, _ := c.Account(t.Context(), a.Name); saved.IMAP != want || saved.SentCopy != accounts.SentCopyAuto {
		t.Errorf("saved IMAP %+v, sent copy %q; want %+v, auto", saved.IMAP, saved.SentCopy, want)
	}
}
