package accounts

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// openSecondProcess opens the data folder of s a second time, as another
// Postie process would: its own database handle and token cache, the same
// keyring.
func openSecondProcess(t *testing.T, s *Store) *Store {
	t.Helper()
	db, err := store.Open(s.db.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	other, err := Open(db, &Secrets{Keyring: s.secrets.Keyring})
	if err != nil {
		t.Fatal(err)
	}
	other.SetProviders(testProviders, nil)
	return other
}

// TestTwoProcessesRefreshingAtOnceBothGetAToken: two processes on one
// data folder find the access token expired at the same time, with a
// provider that rotates refresh tokens. The second must wait for the
// first's refresh and use the token it saved, not spend the old one and
// conclude that the user has to sign in again.
func TestTwoProcessesRefreshingAtOnceBothGetAToken(t *testing.T) {
	first, a, p, _ := openOAuthStore(t, time.Now())
	second := openSecondProcess(t, first)
	arrived := make(chan struct{}, 2)
	gate := make(chan struct{})
	gated := func(ctx context.Context, pr oauth.Provider, c, tn, r string) (oauth.Token, error) {
		arrived <- struct{}{}
		<-gate
		return p.refresh(ctx, pr, c, tn, r)
	}
	first.refresh, second.refresh = gated, gated
	waiting := make(chan struct{}, 1)
	second.lockWaiting = func(string) { waiting <- struct{}{} }

	errs := make(chan error, 2)
	go func() { _, err := first.TokenSource(a.ID).AccessToken(background, false); errs <- err }()
	<-arrived // the first is refreshing
	go func() { _, err := second.TokenSource(a.ID).AccessToken(background, false); errs <- err }()
	select {
	case <-arrived: // the second is refreshing too, with the same token
	case <-waiting: // the second waits for the first
	}
	close(gate)
	for range 2 {
		if err := <-errs; err != nil {
			var oe *oauth.Error
			t.Errorf("a process lost the race: %v (needs sign-in: %v)", err, errors.As(err, &oe) && oe.NeedsSignIn())
		}
	}
	if saved, _ := second.Secret(background, *a); saved != p.current {
		t.Errorf("the keyring holds %q, the provider's valid refresh token is %q", saved, p.current)
	}
}

// TestRefusedRefreshIsRetriedWithTheTokenAnotherProcessSaved: a process
// that does not take the lock (an older Postie) spends the refresh token
// and saves its successor between this process's read and its refresh.
// The refusal is not the end of the sign-in: the successor is tried.
func TestRefusedRefreshIsRetriedWithTheTokenAnotherProcessSaved(t *testing.T) {
	s, a, p, kr := openOAuthStore(t, time.Now())
	var once sync.Once
	s.refresh = func(ctx context.Context, pr oauth.Provider, c, tn, r string) (oauth.Token, error) {
		once.Do(func() {
			other, err := p.refresh(ctx, pr, c, tn, r) // the other process's refresh
			if err != nil {
				t.Error(err)
			}
			(&Secrets{Keyring: kr}).Set(ctx, a.ID, other.Refresh)
		})
		return p.refresh(ctx, pr, c, tn, r)
	}
	if got := accessToken(t, s, a, false); got != "access-2" {
		t.Errorf("got %q, want the access token of a refresh with the other process's refresh token", got)
	}
	if saved, _ := kr.Get(KeyringService, a.ID); saved != "refresh-2" {
		t.Errorf("the keyring holds %q, want refresh-2", saved)
	}
}

// TestSwitchToSignInNeverPostsThePasswordAsRefreshToken: while a password
// account moves to the sign-in with its provider, a send that finds it
// already signing in with the provider waits for the new refresh token; it
// never posts the saved password to the provider's token endpoint.
func TestSwitchToSignInNeverPostsThePasswordAsRefreshToken(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pk := &pausingKeyring{Keyring: &testpeer.Keyring{}, reached: make(chan struct{}), release: make(chan struct{})}
	s, err := Open(db, &Secrets{Keyring: pk})
	if err != nil {
		t.Fatal(err)
	}
	s.SetProviders(testProviders, nil)
	a := &Account{Name: "Anna", Email: "anna@example.org", Host: "smtp.example.org", Port: 587,
		Security: smtpclient.SecurityStartTLS, Username: "anna@example.org"}
	if err := s.Add(background, a, "the-password"); err != nil {
		t.Fatal(err)
	}
	pk.head = a.ID // from now on, the first write of the account's secret pauses

	var mu sync.Mutex
	var posted []string
	refreshed := make(chan struct{}, 1)
	s.refresh = func(_ context.Context, _ oauth.Provider, _, _, refresh string) (oauth.Token, error) {
		mu.Lock()
		posted = append(posted, refresh)
		mu.Unlock()
		refreshed <- struct{}{}
		return oauth.Token{Access: "access-1", Refresh: refresh, Expiry: time.Now().Add(time.Hour)}, nil
	}
	waiting := make(chan struct{}, 1)
	s.lockWaiting = func(string) { waiting <- struct{}{} }

	switched := *a
	switched.OAuthProvider = "test"
	done := make(chan error, 1)
	go func() {
		done <- s.UpdateSignedIn(background, &switched, oauth.Token{Access: "access-0", Refresh: "refresh-0", Expiry: time.Now()})
	}()
	<-pk.reached // the token is being saved
	sent := make(chan error, 1)
	go func() { _, err := s.TokenSource(a.ID).AccessToken(background, false); sent <- err }()
	select {
	case <-refreshed:
	case <-waiting:
	}
	close(pk.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(posted, "the-password") {
		t.Errorf("the password was posted to the token endpoint as a refresh token: %q", posted)
	}
}
