package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// These tests check the token cache's own rules with a provider stand-in
// that counts refreshes and rotates refresh tokens as Microsoft does; the
// whole sign-in against a real authorization server and SMTP server is
// proven through the binary (the root package's oauth tests).

// rotatingProvider hands out a new access and refresh token on each
// refresh and refuses a spent refresh token with invalid_grant.
type rotatingProvider struct {
	mu       sync.Mutex
	current  string // the refresh token that is valid now
	n        int
	lifetime time.Duration
	// gate, when set, holds each refresh until it is closed.
	gate chan struct{}
}

func (p *rotatingProvider) refresh(ctx context.Context, _ oauth.Provider, _, _, refresh string) (oauth.Token, error) {
	if p.gate != nil {
		<-p.gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if refresh != p.current {
		return oauth.Token{}, &oauth.Error{Problem: oauth.ProblemExpired, Provider: "Test", Code: "invalid_grant"}
	}
	p.n++
	p.current = fmt.Sprintf("refresh-%d", p.n)
	return oauth.Token{Access: fmt.Sprintf("access-%d", p.n), Refresh: p.current, Expiry: time.Now().Add(p.lifetime)}, nil
}

func (p *rotatingProvider) refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// flakyKeyring is an in-memory keyring whose writes can be made to fail.
type flakyKeyring struct {
	testpeer.Keyring
	mu      sync.Mutex
	failSet bool
}

func (k *flakyKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	fail := k.failSet
	k.mu.Unlock()
	if fail {
		return errors.New("the keyring refuses to write")
	}
	return k.Keyring.Set(service, user, password)
}

func (k *flakyKeyring) setFailing(fail bool) {
	k.mu.Lock()
	k.failSet = fail
	k.mu.Unlock()
}

var testProviders = oauth.Providers{{ID: "test", Name: "Test", ClientID: "postie-test",
	AuthorizationURL: "http://127.0.0.1:1/authorize", TokenURL: "http://127.0.0.1:1/token",
	SMTP: oauth.Server{Host: "smtp.example.org", Port: 587, Security: smtpclient.SecurityStartTLS}}}

// openOAuthStore is a store with one account that signs in with the
// "test" provider, signed in with refresh-0 and an access token that
// expires at expiry.
func openOAuthStore(t *testing.T, expiry time.Time) (*Store, *Account, *rotatingProvider, *flakyKeyring) {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr := &flakyKeyring{}
	s, err := Open(db, &Secrets{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	s.SetProviders(testProviders, nil)
	p := &rotatingProvider{current: "refresh-0", lifetime: time.Hour}
	s.refresh = p.refresh
	a := &Account{Name: "Anna", Email: "anna@example.org", OAuthProvider: "test",
		Host: "smtp.example.org", Port: 587, Security: smtpclient.SecurityStartTLS, Username: "anna@example.org"}
	if err := s.AddSignedIn(background, a, oauth.Token{Access: "access-0", Refresh: "refresh-0", Expiry: expiry}); err != nil {
		t.Fatal(err)
	}
	return s, a, p, kr
}

func accessToken(t *testing.T, s *Store, a *Account, renew bool) string {
	t.Helper()
	token, err := s.TokenSource(a.ID).AccessToken(background, renew)
	if err != nil {
		t.Fatalf("AccessToken(renew %v): %v", renew, err)
	}
	return token
}

func TestAccessTokenIsKeptInMemoryUntilItExpiresWithinAMinute(t *testing.T) {
	s, a, p, kr := openOAuthStore(t, time.Now().Add(refreshMargin+time.Minute))
	if got := accessToken(t, s, a, false); got != "access-0" || p.refreshes() != 0 {
		t.Fatalf("a token valid for two minutes: got %q after %d refreshes, want access-0 and none", got, p.refreshes())
	}
	if saved, _ := kr.Get(KeyringService, a.ID); saved != "refresh-0" {
		t.Fatalf("the keyring holds %q, want the refresh token", saved)
	}

	// Within the margin: refreshed, and the rotated refresh token saved.
	s2, a2, p2, kr2 := openOAuthStore(t, time.Now().Add(refreshMargin-time.Second))
	if got := accessToken(t, s2, a2, false); got != "access-1" || p2.refreshes() != 1 {
		t.Fatalf("a token expiring within a minute: got %q after %d refreshes, want access-1 after 1", got, p2.refreshes())
	}
	if saved, _ := kr2.Get(KeyringService, a2.ID); saved != "refresh-1" {
		t.Fatalf("after rotation the keyring holds %q, want refresh-1", saved)
	}
	if got := accessToken(t, s2, a2, false); got != "access-1" || p2.refreshes() != 1 {
		t.Fatalf("the new token is not kept: got %q after %d refreshes", got, p2.refreshes())
	}
}

func TestRenewRefreshesATokenThatLooksValid(t *testing.T) {
	s, a, p, _ := openOAuthStore(t, time.Now().Add(time.Hour))
	if got := accessToken(t, s, a, true); got != "access-1" || p.refreshes() != 1 {
		t.Fatalf("renew: got %q after %d refreshes, want access-1 after 1", got, p.refreshes())
	}
}

// Many sends at once with an expired token: one refresh, and all of them
// get its token. Two refreshes would spend refresh-0 twice, and a provider
// that rotates would refuse the second.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	s, a, p, _ := openOAuthStore(t, time.Now().Add(-time.Minute))
	p.gate = make(chan struct{})
	const callers = 8
	tokens := make(chan string, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token, err := s.TokenSource(a.ID).AccessToken(background, false)
			tokens <- token
			errs <- err
		}()
	}
	close(p.gate) // let the refresh through, with the other callers waiting
	wg.Wait()
	close(tokens)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller failed: %v", err)
		}
	}
	for token := range tokens {
		if token != "access-1" {
			t.Errorf("a caller got %q, want the one refreshed token access-1", token)
		}
	}
	if p.refreshes() != 1 {
		t.Fatalf("%d refreshes for %d concurrent callers, want 1", p.refreshes(), callers)
	}
}

// A rotated refresh token that the keyring does not take must not be lost
// while the spent one stays saved: its access token is not used, an error
// says why, and the next call saves it first.
func TestRotatedRefreshTokenIsSavedBeforeItsAccessTokenIsUsed(t *testing.T) {
	s, a, p, kr := openOAuthStore(t, time.Now().Add(-time.Minute))
	kr.setFailing(true)
	token, err := s.TokenSource(a.ID).AccessToken(background, false)
	var notSaved *RefreshNotSavedError
	if token != "" || !errors.As(err, &notSaved) {
		t.Fatalf("with the keyring failing: %q, %v; want no token and a RefreshNotSavedError", token, err)
	}
	if saved, _ := kr.Get(KeyringService, a.ID); saved != "refresh-0" {
		t.Fatalf("the keyring holds %q", saved)
	}
	kr.setFailing(false)
	if got := accessToken(t, s, a, false); got != "access-1" {
		t.Fatalf("after the keyring recovered: %q, want access-1 (its refresh token saved first)", got)
	}
	if saved, _ := kr.Get(KeyringService, a.ID); saved != "refresh-1" || p.refreshes() != 1 {
		t.Fatalf("the keyring holds %q after %d refreshes; want refresh-1 after 1", saved, p.refreshes())
	}
}

// A refresh token the provider refuses (revoked, expired) is a fact that
// only a new sign-in helps with, which smtpclient reports as such.
func TestRefusedRefreshTokenNeedsSignIn(t *testing.T) {
	s, a, p, _ := openOAuthStore(t, time.Now().Add(-time.Minute))
	p.current = "revoked at the provider"
	_, err := s.TokenSource(a.ID).AccessToken(background, false)
	var needs interface{ NeedsSignIn() bool }
	if !errors.As(err, &needs) || !needs.NeedsSignIn() {
		t.Fatalf("refused refresh: %v, want an error that needs a sign-in", err)
	}
	// So does a missing one.
	if err := s.secrets.Delete(background, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.TokenSource(a.ID).AccessToken(background, true)
	if !errors.As(err, &needs) || !needs.NeedsSignIn() {
		t.Fatalf("no refresh token: %v, want an error that needs a sign-in", err)
	}
}

func TestSMTPConfigOfAnOAuthAccountCarriesItsTokenSource(t *testing.T) {
	s, a, _, _ := openOAuthStore(t, time.Now().Add(time.Hour))
	cfg, err := s.SMTPConfig(background, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.OAuth || cfg.Tokens == nil || cfg.Secret != "" || cfg.Username != "anna@example.org" {
		t.Fatalf("config: OAuth %v, Tokens %v, secret set %v, user %q", cfg.OAuth, cfg.Tokens, cfg.Secret != "", cfg.Username)
	}
	if token, err := cfg.Tokens.AccessToken(background, false); err != nil || token != "access-0" {
		t.Fatalf("its token: %q, %v", token, err)
	}
}

func TestSavingRefusesAnUnknownProvider(t *testing.T) {
	s, a, _, _ := openOAuthStore(t, time.Now().Add(time.Hour))
	edited := *a
	edited.OAuthProvider = "nobody"
	var invalid *InvalidError
	if err := s.Update(background, &edited); !errors.As(err, &invalid) || invalid.Problem != InvalidOAuthProvider {
		t.Fatalf("Update with an unknown provider: %v", err)
	}
	b := testAccount("Bo", "bo@example.org")
	b.OAuthProvider = "nobody"
	if err := s.Add(background, b, "token"); !errors.As(err, &invalid) || invalid.Problem != InvalidOAuthProvider {
		t.Fatalf("Add with an unknown provider: %v", err)
	}
	// The account's own client id replaces the provider's.
	edited.OAuthProvider, edited.OAuthClientID = "test", "corp-registration"
	if p, err := s.Provider(edited); err != nil || p.ClientID != "corp-registration" {
		t.Fatalf("Provider with the account's client id: %+v, %v", p, err)
	}
}
