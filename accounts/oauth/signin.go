package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SignInOptions adjust SignIn.
type SignInOptions struct {
	LoginHint string // the email address, to preselect the account
	ClientID  string // the organisation's own registration; "" = the provider's
	Tenant    string // Microsoft tenant; "" = "common"
	// Open is called with the authorization URL once the loopback
	// listener is ready: show it and open the browser (or not).
	Open func(url string)
	// Timeout is how long to wait for the browser, counted from when Open
	// returns; zero means 5 minutes.
	Timeout time.Duration
	// Page is the text of the page the browser shows at the end, in the
	// user's language; empty fields are English.
	Page PageText
}

// PageText is what the loopback page says. The front end sets it in the
// user's language; the engine only picks which one to show.
type PageText struct {
	Title       string // the page's title and heading: "Postie"
	Done        string // signed in: "You can close this tab and go back to Postie."
	Failed      string // refused, or not the answer Postie waits for
	AlreadyDone string // a request after the sign-in was answered
}

// DefaultTimeout is how long SignIn waits for the browser by default.
const DefaultTimeout = 5 * time.Minute

// RedirectPath is the path of the loopback redirect URI: Postie's is
// http://127.0.0.1:PORT/ with PORT chosen by the system for each sign-in
// (RFC 8252 §7.3). A distributor registers "http://127.0.0.1/" (Microsoft:
// the port is not compared for loopback), or a Google "Desktop app"
// client, which accepts any loopback port and path.
const RedirectPath = "/"

// defaultPage is PageText in English.
var defaultPage = PageText{
	Title:       "Postie",
	Done:        "You can close this tab and go back to Postie.",
	Failed:      "Postie could not use this sign-in. Go back to Postie to see why.",
	AlreadyDone: "This sign-in is already finished. You can close this tab.",
}

// SignIn runs the whole sign-in: loopback listener on 127.0.0.1, PKCE S256,
// state check, one code, token exchange. Cancel ctx to give up.
//
// A redirect whose state is not the one sent is answered with the Failed
// page and does not end the wait (it is not the answer to this sign-in);
// Error.Refused counts those if the wait then ends without an answer. The
// first redirect with the right state ends it, whatever it says; later
// requests get the AlreadyDone page. The listener is closed when SignIn
// returns.
func SignIn(ctx context.Context, p Provider, opt SignInOptions) (Token, error) {
	clientID, secret := credentials(p, opt.ClientID)
	if clientID == "" {
		return Token{}, &Error{Problem: ProblemNotConfigured, Provider: p.Name}
	}
	authEndpoint, err := withTenant(p.Name, p.AuthorizationURL, opt.Tenant)
	if err != nil {
		return Token{}, err
	}
	tokenEndpoint, err := withTenant(p.Name, p.TokenURL, opt.Tenant)
	if err != nil {
		return Token{}, err
	}
	page := opt.Page.withDefaults()
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	// RFC 8252 §8.3: the IPv4 loopback literal, not "localhost", which
	// could resolve elsewhere or be taken by another program on ::1.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Token{}, &Error{Problem: ProblemUnreachable, Provider: p.Name, Err: err}
	}
	redirectURI := "http://" + listener.Addr().String() + RedirectPath
	verifier, state := randomString(), randomString()
	l := &loopback{provider: p.Name, host: listener.Addr().String(), state: state, page: page, answers: make(chan redirect, 1), gaveUp: make(chan struct{})}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(listener)
	defer func() {
		// Let the page of the answer reach the browser, then close.
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shutdown) != nil {
			srv.Close()
		}
	}()

	authURL := authorizationURL(authEndpoint, p, clientID, redirectURI, state, challengeS256(verifier), opt.LoginHint)
	if opt.Open != nil {
		opt.Open(authURL)
	}

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var answer redirect
	select {
	case answer = <-l.answers:
	case <-ctx.Done():
		l.finish(page.Failed)
		return Token{}, &Error{Problem: ProblemCancelled, Provider: p.Name, Refused: l.refusedCount(), Err: context.Cause(ctx)}
	case <-timer.C:
		l.finish(page.Failed)
		return Token{}, &Error{Problem: ProblemTimedOut, Provider: p.Name, Refused: l.refusedCount(), Timeout: timeout}
	}
	if answer.err != nil {
		answer.reply <- false
		return Token{}, answer.err
	}
	token, err := exchange(ctx, p, clientID, secret, tokenEndpoint, answer.code, verifier, redirectURI)
	answer.reply <- err == nil
	return token, err
}

// authorizationURL is the authorization request (RFC 6749 §4.1.1) with
// PKCE (RFC 7636 §4.3) and the provider's extra parameters.
func authorizationURL(endpoint string, p Provider, clientID, redirectURI, state, challenge, loginHint string) string {
	q := url.Values{}
	for k, v := range p.AuthParams {
		q.Set(k, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", clientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", strings.Join(p.Scopes, " "))
	q.Set("state", state)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q.Encode()
}

// randomString is 32 random bytes in unpadded base64url: 43 characters, a
// PKCE code verifier as RFC 7636 §4.1 asks, and an unguessable state.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// challengeS256 is the PKCE code challenge of a verifier (RFC 7636 §4.2).
func challengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// redirect is the answer the browser brought: a code, or an error; the
// handler waits on reply to know whether the sign-in succeeded.
type redirect struct {
	code  string
	err   error
	reply chan bool
}

// loopback is the HTTP handler of the redirect URI.
type loopback struct {
	provider string
	host     string // 127.0.0.1:PORT, the only Host a redirect may name
	state    string
	page     PageText
	answers  chan redirect // gets the one answer
	gaveUp   chan struct{} // closed when SignIn stops waiting for it

	mu       sync.Mutex
	answered bool   // the answer came: later requests are "already done"
	closing  string // set when SignIn gave up: the page for any request
	refused  int
}

func (l *loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != RedirectPath || r.Method != http.MethodGet {
		http.NotFound(w, r) // favicon.ico and the like
		return
	}
	if r.Host != l.host {
		// A page the browser fetched under another name that resolves to
		// 127.0.0.1 (DNS rebinding), not the provider's redirect, which
		// names the address Postie registered: not for this listener.
		http.Error(w, "misdirected request", http.StatusMisdirectedRequest)
		return
	}
	q := r.URL.Query()
	l.mu.Lock()
	switch {
	case l.closing != "":
		text := l.closing
		l.mu.Unlock()
		l.write(w, http.StatusGone, text)
		return
	case l.answered:
		l.mu.Unlock()
		l.write(w, http.StatusOK, l.page.AlreadyDone)
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1:
		// Not the answer to our request (RFC 6749 §10.12): refuse it and
		// keep waiting for the one that is.
		l.refused++
		l.mu.Unlock()
		l.write(w, http.StatusBadRequest, l.page.Failed)
		return
	}
	l.answered = true
	l.mu.Unlock()

	answer := redirect{reply: make(chan bool, 1)}
	if code := q.Get("error"); code != "" {
		answer.err = classifyRedirect(l.provider, code, q.Get("error_description"))
	} else if answer.code = q.Get("code"); answer.code == "" {
		answer.err = &Error{Problem: ProblemProviderError, Provider: l.provider, Code: "invalid_request", Description: "redirect without code or error"}
	}
	l.answers <- answer // never blocks: only one request gets here
	select {
	case ok := <-answer.reply:
		if ok {
			l.write(w, http.StatusOK, l.page.Done)
		} else {
			l.write(w, http.StatusBadRequest, l.page.Failed)
		}
	case <-l.gaveUp: // timed out or cancelled just as the answer came
		l.write(w, http.StatusGone, l.page.Failed)
	case <-r.Context().Done():
	}
}

// finish makes every further request get text: SignIn stopped waiting.
func (l *loopback) finish(text string) {
	l.mu.Lock()
	l.closing = text
	l.mu.Unlock()
	close(l.gaveUp)
}

func (l *loopback) refusedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

// write answers the browser with a small page of text. The page holds no
// code or token, is not cached and sends no referrer.
func (l *loopback) write(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	title := html.EscapeString(l.page.Title)
	w.Write([]byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
		"</title><style>body{font-family:sans-serif;margin:4em auto;max-width:32em;text-align:center}</style></head>" +
		"<body><h1>" + title + "</h1><p>" + html.EscapeString(text) + "</p></body></html>\n"))
}

// withDefaults fills the empty fields with English.
func (t PageText) withDefaults() PageText {
	if t.Title == "" {
		t.Title = defaultPage.Title
	}
	if t.Done == "" {
		t.Done = defaultPage.Done
	}
	if t.Failed == "" {
		t.Failed = defaultPage.Failed
	}
	if t.AlreadyDone == "" {
		t.AlreadyDone = defaultPage.AlreadyDone
	}
	return t
}
