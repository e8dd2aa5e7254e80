package testpeer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// OAuthMode is what the fake provider's authorize endpoint does, standing
// in for the user in front of the provider's page.
type OAuthMode int

const (
	// OAuthAllow is the user clicking "Allow": redirect with a code and
	// the state received.
	OAuthAllow OAuthMode = iota
	// OAuthDeny is the user clicking "Cancel": error=access_denied.
	OAuthDeny
	// OAuthAdminConsent is an organisation that has not consented to the
	// app, as Microsoft answers it: error=consent_required with
	// AADSTS65001 and admin wording.
	OAuthAdminConsent
	// OAuthWrongState redirects with a code but a state that is not the
	// one received: an answer to some other request.
	OAuthWrongState
	// OAuthError redirects with the error code and description of SetError.
	OAuthError
)

// OAuthOptions describe a fake authorization server. The zero value is a
// server for client "postie-test" without secret, whose access tokens
// live an hour, and which rotates refresh tokens.
type OAuthOptions struct {
	ClientID     string // "" means "postie-test"
	ClientSecret string // when set, the token endpoint requires it
	// AccessLifetime is the expires_in of access tokens; 0 means an hour.
	AccessLifetime time.Duration
	// AccessSize and RefreshSize are the tokens' lengths in bytes; 0 means
	// 40 and 48. A 6,000-byte refresh token is Microsoft's worst case.
	AccessSize, RefreshSize int
	// KeepRefresh makes refreshes return no new refresh token (no
	// rotation): the old one stays valid.
	KeepRefresh bool
}

// OAuthCounts is how often each endpoint was used successfully.
type OAuthCounts struct {
	Authorizations int // codes issued
	Exchanges      int // codes exchanged for tokens
	Refreshes      int // refresh tokens exchanged
	Revocations    int // tokens revoked through the revocation endpoint
	Refused        int // token requests refused (any error)
}

// OAuthServer is a real OAuth 2.0 authorization server on 127.0.0.1 for
// tests: authorize (RFC 6749 §4.1.1, PKCE S256 required, RFC 7636), token
// (authorization_code with verifier check and single-use codes,
// refresh_token with rotation: a spent refresh token is invalid_grant),
// and revocation (RFC 7009).
type OAuthServer struct {
	URL  string // the server's base URL, http://127.0.0.1:PORT
	opts OAuthOptions

	mu          sync.Mutex
	mode        OAuthMode
	errCode     string
	errDesc     string
	codes       map[string]grant     // unused authorization codes
	refresh     map[string]bool      // refresh tokens that are valid
	access      map[string]time.Time // access token → expiry
	lifetime    time.Duration
	counts      OAuthCounts
	lastRequest url.Values // the last authorization request's parameters
}

// grant is what an authorization code stands for.
type grant struct {
	clientID, redirectURI, challenge string
}

// StartOAuth runs a fake authorization server until the test ends.
func StartOAuth(t testing.TB, opts OAuthOptions) *OAuthServer {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "postie-test"
	}
	if opts.AccessLifetime == 0 {
		opts.AccessLifetime = time.Hour
	}
	if opts.AccessSize == 0 {
		opts.AccessSize = 40
	}
	if opts.RefreshSize == 0 {
		opts.RefreshSize = 48
	}
	s := &OAuthServer{opts: opts, lifetime: opts.AccessLifetime,
		codes: map[string]grant{}, refresh: map[string]bool{}, access: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", s.revoke)
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// ClientID is the client id the server accepts.
func (s *OAuthServer) ClientID() string { return s.opts.ClientID }

// AuthorizationURL, TokenURL and RevocationURL are the endpoints.
func (s *OAuthServer) AuthorizationURL() string { return s.URL + "/authorize" }
func (s *OAuthServer) TokenURL() string         { return s.URL + "/token" }
func (s *OAuthServer) RevocationURL() string    { return s.URL + "/revoke" }

// SetMode changes what the authorize endpoint does from now on.
func (s *OAuthServer) SetMode(mode OAuthMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = mode
}

// SetError makes the authorize endpoint redirect with this error from now
// on (mode OAuthError).
func (s *OAuthServer) SetError(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.errCode, s.errDesc = OAuthError, code, description
}

// SetAccessLifetime changes the lifetime of the access tokens issued from
// now on.
func (s *OAuthServer) SetAccessLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// ExpireNow makes every access token issued so far expired.
func (s *OAuthServer) ExpireNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for tok := range s.access {
		s.access[tok] = past
	}
}

// RevokeAll withdraws every grant, as a user removing the app's access in
// the provider's account page: all refresh and access tokens are invalid.
func (s *OAuthServer) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
	clear(s.access)
}

// Valid reports whether the access token was issued by the server and has
// neither expired nor been revoked. An SMTP Backend's ValidToken can be
// func(_, token string) bool { return srv.Valid(token) }.
func (s *OAuthServer) Valid(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	expiry, ok := s.access[accessToken]
	return ok && time.Now().Before(expiry)
}

// ValidRefresh reports whether the refresh token would be accepted now.
func (s *OAuthServer) ValidRefresh(refreshToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[refreshToken]
}

// Counts returns how often each endpoint was used.
func (s *OAuthServer) Counts() OAuthCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// LastAuthorization returns the parameters of the last authorization
// request (login_hint, scope, access_type…).
func (s *OAuthServer) LastAuthorization() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRequest
}

// authorize checks the request and answers, like the provider's page
// after the user's choice, with a redirect to redirect_uri.
func (s *OAuthServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirectURI, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirectURI.Scheme != "http" || !isLoopbackURL(redirectURI) {
		// RFC 6749 §4.1.2.1: never redirect to an unchecked URI.
		http.Error(w, "redirect_uri must be a loopback http URI", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.lastRequest = q
	mode, errCode, errDesc := s.mode, s.errCode, s.errDesc
	s.mu.Unlock()
	answer := url.Values{}
	state := q.Get("state")
	switch {
	case q.Get("response_type") != "code":
		answer.Set("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		answer.Set("error", "invalid_request")
		answer.Set("error_description", "PKCE with S256 is required")
	case mode == OAuthDeny:
		answer.Set("error", "access_denied")
		answer.Set("error_description", "The user denied the request")
	case mode == OAuthAdminConsent:
		answer.Set("error", "consent_required")
		answer.Set("error_description", "AADSTS65001: The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource. An administrator must grant consent.")
	case mode == OAuthError:
		answer.Set("error", errCode)
		if errDesc != "" {
			answer.Set("error_description", errDesc)
		}
	default:
		code := randomToken(32)
		s.mu.Lock()
		s.codes[code] = grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		s.counts.Authorizations++
		s.mu.Unlock()
		answer.Set("code", code)
		if mode == OAuthWrongState {
			state = "not-" + state
		}
	}
	if state != "" {
		answer.Set("state", state)
	}
	redirectURI.RawQuery = answer.Encode()
	http.Redirect(w, r, redirectURI.String(), http.StatusFound)
}

// token is the token endpoint (RFC 6749 §4.1.3, §6).
func (s *OAuthServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.refuse(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.opts.ClientID {
		s.refuse(w, http.StatusUnauthorized, "invalid_client", "unknown client_id")
		return
	}
	if s.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.opts.ClientSecret)) != 1 {
		s.refuse(w, http.StatusUnauthorized, "invalid_client", "wrong client_secret")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.mu.Lock()
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use, even when refused below
		s.mu.Unlock()
		switch {
		case !ok:
			s.refuse(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		case g.redirectURI != f.Get("redirect_uri"):
			s.refuse(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs")
		case challengeOf(f.Get("code_verifier")) != g.challenge:
			s.refuse(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		default:
			s.issue(w, true, func(c *OAuthCounts) { c.Exchanges++ })
		}
	case "refresh_token":
		old := f.Get("refresh_token")
		s.mu.Lock()
		ok := s.refresh[old]
		if ok && !s.opts.KeepRefresh {
			delete(s.refresh, old) // spent: rotation
		}
		s.mu.Unlock()
		if !ok {
			s.refuse(w, http.StatusBadRequest, "invalid_grant", "refresh token expired, revoked or already used")
			return
		}
		s.issue(w, !s.opts.KeepRefresh, func(c *OAuthCounts) { c.Refreshes++ })
	default:
		s.refuse(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// issue answers with a new access token and, with withRefresh, a new
// refresh token.
func (s *OAuthServer) issue(w http.ResponseWriter, withRefresh bool, count func(*OAuthCounts)) {
	answer := map[string]any{"token_type": "Bearer"}
	s.mu.Lock()
	access := randomToken(s.opts.AccessSize)
	s.access[access] = time.Now().Add(s.lifetime)
	answer["access_token"] = access
	answer["expires_in"] = int(s.lifetime / time.Second)
	if withRefresh {
		refresh := randomToken(s.opts.RefreshSize)
		s.refresh[refresh] = true
		answer["refresh_token"] = refresh
	}
	count(&s.counts)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(answer)
}

// refuse is a token endpoint error (RFC 6749 §5.2).
func (s *OAuthServer) refuse(w http.ResponseWriter, status int, code, description string) {
	s.mu.Lock()
	s.counts.Refused++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// revoke is the revocation endpoint (RFC 7009 §2): it forgets the token,
// refresh or access, and answers 200 even for a token it does not know.
func (s *OAuthServer) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if id := r.PostForm.Get("client_id"); id != "" && id != s.opts.ClientID {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	token := r.PostForm.Get("token")
	s.mu.Lock()
	delete(s.refresh, token)
	delete(s.access, token)
	s.counts.Revocations++
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// randomToken is n random URL-safe characters.
func randomToken(n int) string {
	b := make([]byte, (n*3+3)/4)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// challengeOf is the S256 challenge of a PKCE verifier (RFC 7636 §4.2).
func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func isLoopbackURL(u *url.URL) bool {
	h := u.Hostname()
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}

// Browse is a test browser: it opens authURL, follows the redirects to
// the loopback redirect URI as a browser would, and returns the text of
// the final page, whatever its status.
func Browse(ctx context.Context, authURL string) (page string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(body), err
}

// OAuthProvider is a provider entry of a POSTIE_OAUTH_PROVIDERS file that
// points at an OAuthServer; zero fields get test defaults.
type OAuthProvider struct {
	ID      string   // "" means "testmail"
	Name    string   // "" means "Test Mail"
	Domains []string // nil means ["oauth.test"]
	// SMTPHost, SMTPPort and Security are the submission server; "" host
	// means 127.0.0.1, "" security means none.
	SMTPHost string
	SMTPPort int
	Security Security
	// NoRevocation leaves revocation_url out, like Microsoft.
	NoRevocation bool
	// IMAPHost, IMAPPort and IMAPSecurity are the provider's IMAP server,
	// for the copy in the Sent folder; none when IMAPPort is 0.
	IMAPHost     string
	IMAPPort     int
	IMAPSecurity Security
}

// ProvidersFile writes a POSTIE_OAUTH_PROVIDERS file with the providers,
// all signing in at s, in a temporary folder and returns its path.
func (s *OAuthServer) ProvidersFile(t testing.TB, providers ...OAuthProvider) string {
	t.Helper()
	if len(providers) == 0 {
		t.Fatal("ProvidersFile: no provider")
	}
	type server struct {
		Host     string   `json:"host"`
		Port     int      `json:"port"`
		Security Security `json:"security"`
	}
	type def struct {
		ID               string   `json:"id"`
		Name             string   `json:"name"`
		AuthorizationURL string   `json:"authorization_url"`
		TokenURL         string   `json:"token_url"`
		RevocationURL    string   `json:"revocation_url,omitempty"`
		ClientID         string   `json:"client_id"`
		ClientSecret     string   `json:"client_secret,omitempty"`
		Scopes           []string `json:"scopes"`
		Domains          []string `json:"domains"`
		SMTP             server   `json:"smtp"`
		IMAP             *server  `json:"imap,omitempty"`
	}
	var defs []def
	for _, p := range providers {
		d := def{ID: p.ID, Name: p.Name, AuthorizationURL: s.AuthorizationURL(), TokenURL: s.TokenURL(),
			RevocationURL: s.RevocationURL(), ClientID: s.opts.ClientID, ClientSecret: s.opts.ClientSecret,
			Scopes: []string{"mail.send"}, Domains: p.Domains,
			SMTP: server{Host: p.SMTPHost, Port: p.SMTPPort, Security: p.Security}}
		if d.ID == "" {
			d.ID = "testmail"
		}
		if d.Name == "" {
			d.Name = "Test Mail"
		}
		if d.Domains == nil {
			d.Domains = []string{"oauth.test"}
		}
		if d.SMTP.Host == "" {
			d.SMTP.Host = "127.0.0.1"
		}
		if d.SMTP.Security == "" {
			d.SMTP.Security = None
		}
		if p.NoRevocation {
			d.RevocationURL = ""
		}
		if p.IMAPPort != 0 {
			d.IMAP = &server{Host: p.IMAPHost, Port: p.IMAPPort, Security: p.IMAPSecurity}
			if d.IMAP.Host == "" {
				d.IMAP.Host = "127.0.0.1"
			}
		}
		defs = append(defs, d)
	}
	data, err := json.MarshalIndent(map[string]any{"providers": defs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "oauth-providers.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ErrNoRedirect is returned by AuthorizeCode when the server did not
// redirect.
var ErrNoRedirect = errors.New("testpeer: the authorize endpoint did not redirect")

// AuthorizeCode runs an authorization request by hand, without following
// the redirect, and returns the redirect's parameters (code, state or
// error): for tests of the server itself, such as a wrong PKCE verifier.
func (s *OAuthServer) AuthorizeCode(ctx context.Context, params url.Values) (url.Values, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.AuthorizationURL()+"?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, ErrNoRedirect
	}
	return loc.Query(), nil
}

// PostToken posts a form to the token endpoint and returns the status and
// the decoded JSON answer: for tests of the server itself.
func (s *OAuthServer) PostToken(ctx context.Context, form url.Values) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var answer map[string]any
	err = json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer, err
}
