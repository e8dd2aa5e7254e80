package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// fakeProvider is the provider of a POSTIE_OAUTH_PROVIDERS file pointing at
// srv, loaded as Postie loads it.
func fakeProvider(t *testing.T, srv *testpeer.OAuthServer, p testpeer.OAuthProvider) Provider {
	t.Helper()
	if p.SMTPPort == 0 {
		p.SMTPPort = 2525
	}
	path := srv.ProvidersFile(t, p)
	ps, err := Load(func(k string) string {
		if k == EnvProviders {
			return path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	id := p.ID
	if id == "" {
		id = "testmail"
	}
	found, ok := ps.Find(id)
	if !ok {
		t.Fatalf("provider %q not loaded", id)
	}
	return found
}

// browseTo returns an Open function that browses to the authorization URL
// in the background, sending the final page on pages.
func browseTo(t *testing.T, pages chan<- string) func(string) {
	return func(authURL string) {
		go func() {
			page, err := testpeer.Browse(context.Background(), authURL)
			if err != nil {
				page = "browse error: " + err.Error()
			}
			pages <- page
		}()
	}
}

// problemOf returns err's Problem, failing the test if err is not an *Error.
func problemOf(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *oauth.Error", err, err)
	}
	return e
}

var german = PageText{Title: "Postie", Done: "Sie können diesen Tab schließen und zu Postie zurückkehren.",
	Failed: "Postie konnte diese Anmeldung nicht verwenden.", AlreadyDone: "Diese Anmeldung ist schon abgeschlossen."}

func TestSignInGetsTokensThroughTheLoopbackWithPKCE(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{ClientSecret: "installed-app-secret"})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	pages := make(chan string, 1)
	var redirectURI string
	tok, err := SignIn(context.Background(), p, SignInOptions{
		LoginHint: "ann@oauth.test",
		Page:      german,
		Open: func(u string) {
			parsed, _ := url.Parse(u)
			redirectURI = parsed.Query().Get("redirect_uri")
			browseTo(t, pages)(u)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Valid(tok.Access) || !srv.ValidRefresh(tok.Refresh) {
		t.Fatalf("the tokens SignIn returned are not the server's: valid access %v, refresh %v", srv.Valid(tok.Access), srv.ValidRefresh(tok.Refresh))
	}
	if !tok.Expiry.After(time.Now()) {
		t.Errorf("expiry %v is not in the future", tok.Expiry)
	}
	if page := <-pages; !strings.Contains(page, german.Done) {
		t.Errorf("the browser shows %q, want the Done text in the front end's language", page)
	}
	req := srv.LastAuthorization()
	for k, want := range map[string]string{"login_hint": "ann@oauth.test", "code_challenge_method": "S256", "response_type": "code", "scope": "mail.send"} {
		if req.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, req.Get(k), want)
		}
	}
	if len(req.Get("state")) < 43 || len(req.Get("code_challenge")) != 43 {
		t.Errorf("state %q or code_challenge %q too short", req.Get("state"), req.Get("code_challenge"))
	}
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != RedirectPath {
		t.Errorf("redirect_uri %q is not http://127.0.0.1:PORT%s", redirectURI, RedirectPath)
	}
	// The listener is closed once SignIn returned.
	if resp, err := http.Get(redirectURI); err == nil {
		resp.Body.Close()
		t.Errorf("the loopback listener still answers after SignIn returned: %s", resp.Status)
	}
	if c := srv.Counts(); c.Exchanges != 1 || c.Authorizations != 1 {
		t.Errorf("counts %+v, want one authorization and one exchange", c)
	}
}

func TestServerRefusesAWrongPKCEVerifierAndASecondUseOfACode(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	ctx := context.Background()
	verifier := randomString()
	authorize := func(challenge string) url.Values {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()}, "redirect_uri": {"http://127.0.0.1:9/"},
			"state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		if challenge == "" {
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}
		answer, err := srv.AuthorizeCode(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return answer
	}
	exchange := func(code, verifier string) (int, map[string]any) {
		t.Helper()
		status, answer, err := srv.PostToken(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"http://127.0.0.1:9/"}, "client_id": {srv.ClientID()}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		return status, answer
	}

	if answer := authorize(""); answer.Get("error") != "invalid_request" {
		t.Errorf("authorization without PKCE answered %v, want invalid_request", answer)
	}
	code := authorize(challengeS256(verifier)).Get("code")
	if status, answer := exchange(code, randomString()); status != http.StatusBadRequest || answer["error"] != "invalid_grant" {
		t.Errorf("a wrong verifier got %d %v, want 400 invalid_grant", status, answer)
	}
	if status, answer := exchange(code, verifier); status != http.StatusBadRequest || answer["error"] != "invalid_grant" {
		t.Errorf("a code used once got %d %v, want 400 invalid_grant", status, answer)
	}
	code = authorize(challengeS256(verifier)).Get("code")
	if status, answer := exchange(code, verifier); status != http.StatusOK || answer["access_token"] == nil {
		t.Errorf("the right verifier got %d %v, want tokens", status, answer)
	}
}

func TestSignInRefusesAWrongStateAndKeepsWaiting(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	srv.SetMode(testpeer.OAuthWrongState)
	pages := make(chan string, 2)
	tok, err := SignIn(context.Background(), p, SignInOptions{Page: german, Open: func(u string) {
		go func() {
			page, _ := testpeer.Browse(context.Background(), u)
			pages <- page // the answer to someone else's request: refused
			srv.SetMode(testpeer.OAuthAllow)
			page, _ = testpeer.Browse(context.Background(), u)
			pages <- page
		}()
	}})
	if err != nil {
		t.Fatalf("a refused wrong state ended the sign-in: %v", err)
	}
	if !srv.Valid(tok.Access) {
		t.Error("the token is not the server's")
	}
	if first := <-pages; !strings.Contains(first, german.Failed) {
		t.Errorf("the wrong state's page is %q, want the Failed text", first)
	}
	if second := <-pages; !strings.Contains(second, german.Done) {
		t.Errorf("the right answer's page is %q, want the Done text", second)
	}
}

func TestSignInCountsRefusedStatesWhenItTimesOut(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	srv.SetMode(testpeer.OAuthWrongState)
	browsed := make(chan struct{})
	_, err := SignIn(context.Background(), p, SignInOptions{
		// The wait ends only when the browser has come back with the wrong
		// state: the test browses, then the timeout (a short one) expires.
		Timeout: time.Millisecond,
		Open: func(u string) {
			testpeer.Browse(context.Background(), u)
			close(browsed)
		},
	})
	<-browsed
	e := problemOf(t, err)
	if e.Problem != ProblemTimedOut || e.Refused != 1 {
		t.Errorf("got %v with %d refused, want timed-out with 1 refused", e.Problem, e.Refused)
	}
	if srv.Counts().Exchanges != 0 {
		t.Error("a code with the wrong state was exchanged")
	}
}

func TestLoopbackAnswersLaterRequestsAlreadyDone(t *testing.T) {
	l := &loopback{provider: "Test", host: "example.com", state: "good", page: german, answers: make(chan redirect, 1), gaveUp: make(chan struct{})}
	first := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest("GET", "/?code=c1&state=good", nil))
		first <- rec
	}()
	answer := <-l.answers
	if answer.code != "c1" {
		t.Fatalf("the answer's code is %q", answer.code)
	}
	for _, target := range []string{"/?code=c2&state=good", "/?code=c3&state=bad"} {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if !strings.Contains(rec.Body.String(), german.AlreadyDone) {
			t.Errorf("%s after the answer got %q, want AlreadyDone", target, rec.Body.String())
		}
	}
	select {
	case extra := <-l.answers:
		t.Fatalf("a second answer was taken: %q", extra.code)
	default:
	}
	answer.reply <- true
	if rec := <-first; rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), german.Done) {
		t.Errorf("the answer's page is %d %q", rec.Code, rec.Body.String())
	}
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest("GET", "/favicon.ico", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/favicon.ico got %d, want 404", rec.Code)
	}
}

func TestSignInErrorRedirects(t *testing.T) {
	for _, tc := range []struct {
		name        string
		set         func(*testpeer.OAuthServer)
		problem     Problem
		code        string
		needsSignIn bool
	}{
		{"denied", func(s *testpeer.OAuthServer) { s.SetMode(testpeer.OAuthDeny) }, ProblemDenied, "access_denied", true},
		{"microsoft admin consent", func(s *testpeer.OAuthServer) { s.SetMode(testpeer.OAuthAdminConsent) }, ProblemAdminConsent, "AADSTS65001", true},
		{"microsoft admin consent workflow", func(s *testpeer.OAuthServer) {
			s.SetError("access_denied", "AADSTS90094: The grant requires admin permission.")
		}, ProblemAdminConsent, "AADSTS90094", true},
		{"google admin policy", func(s *testpeer.OAuthServer) { s.SetError("admin_policy_enforced", "") }, ProblemAdminConsent, "admin_policy_enforced", true},
		{"google internal app", func(s *testpeer.OAuthServer) { s.SetError("org_internal", "") }, ProblemAdminConsent, "org_internal", true},
		{"other", func(s *testpeer.OAuthServer) { s.SetError("server_error", "try later") }, ProblemProviderError, "server_error", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
			p := fakeProvider(t, srv, testpeer.OAuthProvider{})
			tc.set(srv)
			pages := make(chan string, 1)
			_, err := SignIn(context.Background(), p, SignInOptions{Page: german, Open: browseTo(t, pages)})
			e := problemOf(t, err)
			if e.Problem != tc.problem || e.Code != tc.code || e.NeedsSignIn() != tc.needsSignIn || e.Provider != "Test Mail" {
				t.Errorf("got %+v, want problem %s code %s", e, tc.problem, tc.code)
			}
			if page := <-pages; !strings.Contains(page, german.Failed) {
				t.Errorf("the browser shows %q, want the Failed text", page)
			}
		})
	}
}

func TestSignInTimesOut(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	opened := false
	_, err := SignIn(context.Background(), p, SignInOptions{Timeout: time.Millisecond, Open: func(string) { opened = true }})
	if e := problemOf(t, err); e.Problem != ProblemTimedOut || e.Refused != 0 || e.Timeout != time.Millisecond {
		t.Errorf("got %+v, want timed-out after the 1ms asked for", e)
	}
	if !opened {
		t.Error("Open was not called")
	}
}

func TestSignInCancelled(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var redirectURI string
	_, err := SignIn(ctx, p, SignInOptions{Open: func(u string) {
		parsed, _ := url.Parse(u)
		redirectURI = parsed.Query().Get("redirect_uri")
		cancel()
	}})
	if e := problemOf(t, err); e.Problem != ProblemCancelled || e.NeedsSignIn() {
		t.Errorf("got %+v, want cancelled", e)
	}
	if resp, err := http.Get(redirectURI); err == nil {
		resp.Body.Close()
		t.Errorf("the loopback listener still answers after a cancelled sign-in: %s", resp.Status)
	}
}

func TestSignInWithoutClientIDIsNotConfigured(t *testing.T) {
	google, _ := BuiltIn().Find("google")
	google.ClientID = "" // a build without -X …googleClientID
	if google.Configured() {
		t.Fatal("Configured without a client id")
	}
	opened := false
	_, err := SignIn(context.Background(), google, SignInOptions{Open: func(string) { opened = true }})
	if e := problemOf(t, err); e.Problem != ProblemNotConfigured || e.Provider != "Google" {
		t.Errorf("got %+v, want not-configured for Google", e)
	}
	if opened {
		t.Error("a browser was opened for a provider without client id")
	}
	// An organisation's own client id makes it usable.
	google.ClientID = "org-client"
	if !google.Configured() {
		t.Error("not Configured with a client id")
	}
}

func TestAuthorizationRequestParameters(t *testing.T) {
	google, _ := BuiltIn().Find("google")
	u, err := url.Parse(authorizationURL(google.AuthorizationURL, google, "id", "http://127.0.0.1:1/", "st", "ch", "ann@gmail.com"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// Google issues a refresh token only with access_type=offline, and on
	// a second sign-in only with prompt=consent.
	for k, want := range map[string]string{"access_type": "offline", "prompt": "consent", "scope": "https://mail.google.com/",
		"login_hint": "ann@gmail.com", "code_challenge_method": "S256", "state": "st"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	microsoft, _ := BuiltIn().Find("microsoft")
	for tenant, want := range map[string]string{
		"":                        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		"contoso.onmicrosoft.com": "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
	} {
		if got, err := withTenant("Microsoft", microsoft.AuthorizationURL, tenant); err != nil || got != want {
			t.Errorf("tenant %q: %q, %v; want %q", tenant, got, err, want)
		}
	}
	microsoft.ClientID = "ms-client"
	_, err = SignIn(context.Background(), microsoft, SignInOptions{Tenant: "evil.example/x?", Open: func(string) { t.Error("opened") }})
	if e := problemOf(t, err); e.Problem != ProblemBadProviderDef || e.Field != "tenant" {
		t.Errorf("a tenant with a slash got %+v", e)
	}
}

// TestRedirectUnderAnotherHostIsRefused: a request that reaches the
// loopback listener under another name (a DNS-rebinding page in the
// browser), even with the right state and code, is refused and does not
// end the wait; the real redirect still signs in.
func TestRedirectUnderAnotherHostIsRefused(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rebound := make(chan int, 1)
	pages := make(chan string, 1)
	tok, err := SignIn(context.Background(), p, SignInOptions{Open: func(u string) {
		go func() {
			resp, err := noFollow.Get(u)
			if err != nil {
				t.Error(err)
				rebound <- 0
				return
			}
			resp.Body.Close()
			redirect := resp.Header.Get("Location")
			req, _ := http.NewRequest(http.MethodGet, redirect, nil)
			req.Host = "rebound.example:" + req.URL.Port()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				rebound <- resp.StatusCode
			} else {
				rebound <- 0
			}
			page, _ := testpeer.Browse(context.Background(), redirect)
			pages <- page
		}()
	}})
	if err != nil {
		t.Fatalf("the sign-in after a refused rebinding request: %v", err)
	}
	if status := <-rebound; status != http.StatusMisdirectedRequest {
		t.Errorf("a redirect under another host got %d, want %d", status, http.StatusMisdirectedRequest)
	}
	<-pages
	if !srv.Valid(tok.Access) {
		t.Error("the token is not the server's")
	}
}
