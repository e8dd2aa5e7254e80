package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/smtpclient"
)

// An account that signs in with a provider (Account.OAuthProvider set) has
// two tokens (RFC 6749 §1.4, §1.5). The refresh token is long-lived and is
// kept in the keyring, where a password would be; the access token lives an
// hour or so and is kept only in this process's memory, in the Store's
// token cache. Each send asks the account's TokenSource for the access
// token just before AUTH; the cache refreshes it when it has expired, is
// about to, or the server refused it.

// refreshMargin is how long before its expiry an access token is refreshed,
// so that one that is valid when asked for is still valid at AUTH.
const refreshMargin = time.Minute

// DefaultRevokeTimeout bounds the revocation of a refresh token when an
// account is removed: removing must not hang on a provider that does not
// answer.
const DefaultRevokeTimeout = 10 * time.Second

// refreshFunc is oauth.Refresh; a variable only so that the cache's rules
// (one refresh at a time, persist before use) can be tested with a
// provider that counts its calls.
type refreshFunc func(ctx context.Context, p oauth.Provider, clientID, tenant, refresh string) (oauth.Token, error)

// tokenCache holds the access tokens of this process, by account ID.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry
}

// tokenEntry is one account's access token. sem (capacity 1) is held while
// the entry is read or refreshed, so that one refresh runs at a time per
// account and concurrent callers wait for its result instead of spending
// the refresh token twice (a provider that rotates refresh tokens refuses
// the second use).
type tokenEntry struct {
	sem    chan struct{}
	gen    atomic.Uint64 // counts the access tokens the entry has held
	access string
	expiry time.Time // zero when the provider gave no lifetime
	// unsaved is a refresh result whose new refresh token the keyring
	// did not take. Its access token is not used until that token is
	// saved, so that the keyring never holds only the spent one.
	unsaved *oauth.Token
}

func (c *tokenCache) entry(id string) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*tokenEntry{}
	}
	e, ok := c.entries[id]
	if !ok {
		e = &tokenEntry{sem: make(chan struct{}, 1)}
		c.entries[id] = e
	}
	return e
}

func (c *tokenCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

// fresh reports whether the access token may still be used.
func (e *tokenEntry) fresh(now time.Time) bool {
	return e.access != "" && (e.expiry.IsZero() || e.expiry.Sub(now) > refreshMargin)
}

func (e *tokenEntry) hold(t oauth.Token) {
	e.access, e.expiry, e.unsaved = t.Access, t.Expiry, nil
	e.gen.Add(1)
}

// SetProviders gives the Store the provider table (oauth.Load's), which
// the accounts that sign in with a provider need for refreshing and
// revoking their tokens. loadErr, when not nil, is why the table could not
// be read completely (a wrong POSTIE_OAUTH_PROVIDERS file): it is returned
// to whatever needs a provider the table lacks.
func (s *Store) SetProviders(ps oauth.Providers, loadErr error) {
	s.providersMu.Lock()
	defer s.providersMu.Unlock()
	s.providers, s.providersErr = ps, loadErr
}

// Providers returns the provider table given to SetProviders.
func (s *Store) Providers() oauth.Providers {
	s.providersMu.Lock()
	defer s.providersMu.Unlock()
	return s.providers
}

// Provider returns the provider the account signs in with, with the
// account's own client id and tenant in place of the provider's where set.
func (s *Store) Provider(a Account) (oauth.Provider, error) {
	s.providersMu.Lock()
	ps, loadErr := s.providers, s.providersErr
	s.providersMu.Unlock()
	p, ok := ps.Find(a.OAuthProvider)
	if !ok {
		if loadErr != nil {
			return oauth.Provider{}, loadErr
		}
		return oauth.Provider{}, &InvalidError{Field: "oauth provider", Problem: InvalidOAuthProvider, Value: a.OAuthProvider}
	}
	if a.OAuthClientID != "" {
		p.ClientID = a.OAuthClientID
	}
	return p, nil
}

// checkProvider refuses an account that names a provider the table lacks.
func (s *Store) checkProvider(a Account) error {
	if a.OAuthProvider == "" {
		return nil
	}
	_, err := s.Provider(a)
	return err
}

// tokenSource is an account's smtpclient.TokenSource.
type tokenSource struct {
	store     *Store
	accountID string
}

func (ts tokenSource) AccessToken(ctx context.Context, renew bool) (string, error) {
	return ts.store.accessToken(ctx, ts.accountID, renew)
}

// TokenSource returns the access tokens of the account with the id, from
// this process's memory or, when needed, a refresh with the provider.
func (s *Store) TokenSource(accountID string) smtpclient.TokenSource {
	return tokenSource{store: s, accountID: accountID}
}

// accessToken returns the account's access token: the one in memory while
// it has more than refreshMargin to live and renew is not set, else a new
// one from the provider. Concurrent callers wait for one refresh and share
// its token; a caller asking to renew one that was replaced while it
// waited takes the replacement.
func (s *Store) accessToken(ctx context.Context, id string, renew bool) (string, error) {
	e := s.tokens.entry(id)
	seen := e.gen.Load()
	if err := s.lockTokens(ctx, e, id); err != nil {
		return "", err
	}
	defer func() { <-e.sem }()

	if e.fresh(time.Now()) && (!renew || e.gen.Load() != seen) {
		return e.access, nil
	}
	// From reading the refresh token to saving its successor, no other
	// process on the data folder may spend it (see signinlock.go).
	unlock, err := s.lockSignInFile(ctx, id)
	if err != nil {
		return "", err
	}
	defer unlock()
	a, err := s.ByID(ctx, id)
	if err != nil {
		return "", err
	}
	p, err := s.Provider(a)
	if err != nil {
		return "", err
	}
	if e.unsaved != nil {
		// The last refresh's token could not be saved: save it now, and
		// use its access token only then.
		if err := s.saveRefreshToken(ctx, a, e.unsaved.Refresh); err != nil {
			return "", err
		}
		if t := *e.unsaved; t.Expiry.IsZero() || time.Until(t.Expiry) > refreshMargin {
			e.hold(t)
			if !renew {
				return e.access, nil
			}
		}
		e.unsaved = nil
	}
	refresh, err := s.Secret(ctx, a)
	if errors.Is(err, ErrNoSecret) {
		// Nothing to refresh with: only a sign-in can help.
		return "", &oauth.Error{Problem: oauth.ProblemExpired, Provider: p.Name, Err: err}
	}
	if err != nil {
		return "", err
	}
	t, err := s.refresh(ctx, p, a.OAuthClientID, a.OAuthTenant, refresh)
	var oe *oauth.Error
	if errors.As(err, &oe) && oe.Problem == oauth.ProblemExpired {
		// Refused as spent or expired: a process that did not wait for the
		// lock (its wait ran out, or an older Postie) may have spent it
		// and saved its successor meanwhile. Try that one before telling
		// the user to sign in again.
		if current, gerr := s.Secret(ctx, a); gerr == nil && current != refresh {
			refresh = current
			t, err = s.refresh(ctx, p, a.OAuthClientID, a.OAuthTenant, refresh)
		}
	}
	if err != nil {
		return "", err
	}
	if t.Refresh != "" && t.Refresh != refresh {
		// The provider rotated the refresh token and the old one is spent:
		// the keyring gets the new one before its access token is used.
		if err := s.saveRefreshToken(ctx, a, t.Refresh); err != nil {
			e.unsaved = &t
			return "", err
		}
	}
	e.hold(t)
	return e.access, nil
}

// RefreshNotSavedError says that the provider gave a new refresh token
// which the keyring did not take, so the new access token was not used.
// Postie keeps the new refresh token in memory and tries to save it again
// at the next send.
type RefreshNotSavedError struct{ Err error }

func (e *RefreshNotSavedError) Error() string {
	return "cannot save the renewed sign-in in the password store: " + e.Err.Error()
}

func (e *RefreshNotSavedError) Unwrap() error { return e.Err }

// saveRefreshToken replaces the account's refresh token where it is kept:
// in memory for an account whose secret the user chose to keep only for
// this session, else in the keyring.
func (s *Store) saveRefreshToken(ctx context.Context, a Account, refresh string) error {
	if s.secrets.HasSessionSecret(a.ID) {
		s.secrets.KeepForSession(a.ID, refresh)
		return nil
	}
	if err := s.secrets.Set(ctx, a.ID, refresh); err != nil {
		return &RefreshNotSavedError{Err: err}
	}
	return nil
}

// AddSignedIn saves a new account that signed in with its provider: the
// refresh token goes to the keyring (as Add does with a password), the
// access token into this process's memory.
func (s *Store) AddSignedIn(ctx context.Context, a *Account, t oauth.Token) error {
	if a.OAuthProvider == "" {
		return &InvalidError{Field: "oauth provider", Problem: InvalidOAuthProvider}
	}
	if t.Refresh == "" {
		return noRefreshToken(a.OAuthProvider)
	}
	if err := s.Add(ctx, a, t.Refresh); err != nil {
		return err
	}
	s.keepAccessToken(a.ID, t)
	return nil
}

// SetSignIn replaces the tokens of a saved account after a new sign-in.
func (s *Store) SetSignIn(ctx context.Context, a *Account, t oauth.Token) error {
	if t.Refresh == "" {
		return noRefreshToken(a.OAuthProvider)
	}
	release, err := s.lockSignIn(ctx, a.ID)
	if err != nil {
		return err
	}
	defer release()
	if err := s.SetSecret(ctx, a, t.Refresh); err != nil {
		return err
	}
	s.tokens.entry(a.ID).hold(t)
	return nil
}

// UpdateSignedIn saves new settings of a saved account together with a
// new sign-in: for a password account that moves to signing in with its
// provider. Both happen under the account's sign-in lock, so that a send
// in between, which finds the account signing in with the provider, waits
// for the refresh token instead of taking the saved password for one (and
// posting it to the token endpoint). If the token cannot be saved, the
// account's settings are put back as they were.
func (s *Store) UpdateSignedIn(ctx context.Context, a *Account, t oauth.Token) error {
	if t.Refresh == "" {
		return noRefreshToken(a.OAuthProvider)
	}
	release, err := s.lockSignIn(ctx, a.ID)
	if err != nil {
		return err
	}
	defer release()
	old, err := s.ByID(ctx, a.ID)
	if err != nil {
		return err
	}
	if err := s.Update(ctx, a); err != nil {
		return err
	}
	if err := s.SetSecret(ctx, a, t.Refresh); err != nil {
		// Back to the old settings, whose secret the keyring still holds.
		if undo := s.Update(context.WithoutCancel(ctx), &old); undo != nil {
			return errors.Join(err, undo)
		}
		return err
	}
	s.tokens.entry(a.ID).hold(t)
	return nil
}

// keepAccessToken puts a new account's first access token in memory.
func (s *Store) keepAccessToken(id string, t oauth.Token) {
	e := s.tokens.entry(id)
	e.sem <- struct{}{}
	e.hold(t)
	<-e.sem
}

// revoke asks the account's provider to revoke its refresh token, which
// also ends its access tokens at most providers (RFC 7009 §2.1). A
// provider without a revocation endpoint has nothing to do.
func (s *Store) revoke(ctx context.Context, a Account) error {
	p, err := s.Provider(a)
	if err != nil {
		return err
	}
	if p.RevocationURL == "" {
		return nil
	}
	refresh, err := s.Secret(ctx, a)
	if errors.Is(err, ErrNoSecret) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.revokeTimeout())
	defer cancel()
	if err := oauth.Revoke(ctx, p, a.OAuthClientID, a.OAuthTenant, refresh); err != nil {
		return fmt.Errorf("cannot revoke the sign-in at %s: %w", p.Name, err)
	}
	return nil
}

func (s *Store) revokeTimeout() time.Duration {
	if s.RevokeTimeout > 0 {
		return s.RevokeTimeout
	}
	return DefaultRevokeTimeout
}

// noRefreshToken is a sign-in that gave no refresh token: Postie could
// send for an hour and then not at all, so it is refused at once.
func noRefreshToken(provider string) error {
	return &oauth.Error{Problem: oauth.ProblemProviderError, Provider: provider,
		Err: errors.New("the provider gave no refresh token")}
}
