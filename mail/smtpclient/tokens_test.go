package smtpclient

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// fakeTokens is a TokenSource: it hands out tokens in turn (the last one
// again once they run out) and records each request's renew flag. Failing
// makes the request with that index fail with err.
type fakeTokens struct {
	mu      sync.Mutex
	tokens  []string
	fail    map[int]error
	renewed []bool
}

func (f *fakeTokens) AccessToken(_ context.Context, renew bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := len(f.renewed)
	f.renewed = append(f.renewed, renew)
	if err := f.fail[i]; err != nil {
		return "", err
	}
	return f.tokens[min(i, len(f.tokens)-1)], nil
}

func (f *fakeTokens) requests() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.renewed...)
}

// signInError stands for oauth.Error, whose NeedsSignIn says whether only
// the user can help.
type signInError struct{ needs bool }

func (e *signInError) Error() string     { return "oauth test: sign-in-expired (invalid_grant)" }
func (e *signInError) NeedsSignIn() bool { return e.needs }

const staleToken = "ya29.stale-token-fedcba9876543210"

func tokenConfig(t *testing.T, b *testpeer.Backend, mech string, tokens *fakeTokens) Config {
	cfg := startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA"))
	cfg.Username, cfg.OAuth, cfg.Tokens, cfg.Mechanisms = testUser, true, tokens, []string{mech}
	return cfg
}

// textsOf is everything a token must never appear in: the transcripts and
// the error's text.
func textsOf(res *Result, err error) []string {
	texts := []string{}
	if res != nil {
		texts = append(texts, transcriptText(res.Transcript))
	}
	if err != nil {
		texts = append(texts, err.Error())
		var e *Error
		if errors.As(err, &e) {
			texts = append(texts, e.ServerText, transcriptText(e.Transcript))
		}
	}
	return texts
}

func noTokenIn(t *testing.T, texts []string, tokens ...string) {
	t.Helper()
	for _, text := range texts {
		for _, tok := range tokens {
			if strings.Contains(text, tok) || strings.Contains(text, tok[5:20]) {
				t.Errorf("token %q appears in:\n%s", tok, text)
			}
		}
	}
}

func TestTokenAskedJustBeforeAuth(t *testing.T) {
	for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			b := newBackend()
			tokens := &fakeTokens{tokens: []string{testToken}}
			cfg := tokenConfig(t, b, mech, tokens)
			cfg.Secret = "" // the token comes from Tokens only
			env := simpleEnvelope()
			res, err := send(t, cfg, env, testMessage(env.From, env.To, "token-"+mech), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tokens.requests(); len(got) != 1 || got[0] {
				t.Errorf("token requests (renew flags) %v, want [false]", got)
			}
			if r := b.Received(); len(r) != 1 || r[0].Mechanism != mech {
				t.Errorf("received %+v", r)
			}
			noTokenIn(t, textsOf(res, err), testToken)
		})
	}
}

func TestRefusedTokenRenewedOnceOnTheSameConnection(t *testing.T) {
	for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			b := newBackend()
			tokens := &fakeTokens{tokens: []string{staleToken, testToken}}
			cfg := tokenConfig(t, b, mech, tokens)
			env := simpleEnvelope()
			res, err := send(t, cfg, env, testMessage(env.From, env.To, "renew-"+mech), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tokens.requests(); len(got) != 2 || got[0] || !got[1] {
				t.Errorf("token requests (renew flags) %v, want [false true]", got)
			}
			if _, auth := b.Counts(); auth != 2 {
				t.Errorf("%d AUTH commands, want 2", auth)
			}
			if _, sessions := b.Stats(); sessions != 1 {
				t.Errorf("%d connections, want 1", sessions)
			}
			log := transcriptText(res.Transcript)
			// The failure challenge was answered, so the server's final
			// refusal arrived before the second AUTH.
			if !strings.Contains(log, "S: 535 5.7.8") || strings.Count(log, "C: AUTH "+mech) != 2 {
				t.Errorf("transcript:\n%s", log)
			}
			noTokenIn(t, textsOf(res, err), testToken, staleToken)
		})
	}
}

func TestTokenRefusedTwiceIsReported(t *testing.T) {
	for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			b := newBackend()
			tokens := &fakeTokens{tokens: []string{staleToken, staleToken + "-2"}}
			cfg := tokenConfig(t, b, mech, tokens)
			env := simpleEnvelope()
			res, err := send(t, cfg, env, testMessage(env.From, env.To, "twice-"+mech), Options{})
			e := expectError(t, err, StageAuth, Permanent, ReasonPasswordRefused)
			if e.Code != 535 || e.EnhancedCode != "5.7.8" || !e.OAuth {
				t.Errorf("want the final 535 5.7.8 of an OAuth account, got %+v", e)
			}
			if got := tokens.requests(); len(got) != 2 {
				t.Errorf("token requests %v, want two (no third try)", got)
			}
			if _, auth := b.Counts(); auth != 2 {
				t.Errorf("%d AUTH commands, want 2", auth)
			}
			noTokenIn(t, textsOf(res, err), staleToken, staleToken+"-2")
		})
	}
}

func TestTokenSourceFailures(t *testing.T) {
	cases := []struct {
		name   string
		fail   map[int]error
		auths  int
		class  Class
		reason Reason
	}{
		{"sign-in needed before AUTH", map[int]error{0: &signInError{needs: true}}, 0, Permanent, ReasonSignInNeeded},
		{"sign-in needed on renewal", map[int]error{1: &signInError{needs: true}}, 1, Permanent, ReasonSignInNeeded},
		{"provider unreachable", map[int]error{0: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, 0, Temporary, ReasonTokenUnavailable},
		{"an oauth error that a sign-in would not fix", map[int]error{0: &signInError{needs: false}}, 0, Temporary, ReasonTokenUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend()
			tokens := &fakeTokens{tokens: []string{staleToken}, fail: tc.fail}
			cfg := tokenConfig(t, b, "XOAUTH2", tokens)
			env := simpleEnvelope()
			_, err := send(t, cfg, env, testMessage(env.From, env.To, "fail"), Options{})
			e := expectError(t, err, StageAuth, tc.class, tc.reason)
			var cause error
			for _, cause = range tc.fail {
			}
			if !errors.Is(err, cause) {
				t.Errorf("the TokenSource's error is not wrapped: %v", err)
			}
			if !e.OAuth {
				t.Error("OAuth fact missing")
			}
			if _, auth := b.Counts(); auth != tc.auths {
				t.Errorf("%d AUTH commands, want %d", auth, tc.auths)
			}
			if mail, _ := b.Counts(); mail != 0 {
				t.Errorf("MAIL was sent")
			}
		})
	}
}

func TestSignInNeededIsFoundWithErrorsAs(t *testing.T) {
	b := newBackend()
	tokens := &fakeTokens{fail: map[int]error{0: &signInError{needs: true}}}
	_, err := Probe(t.Context(), tokenConfig(t, b, "OAUTHBEARER", tokens))
	var src *signInError
	if !errors.As(err, &src) {
		t.Fatalf("errors.As cannot reach the TokenSource's error through %v", err)
	}
}

func TestNoTokenOverPlainConnection(t *testing.T) {
	b := newBackend()
	b.Mechanisms = []string{"XOAUTH2", "OAUTHBEARER"}
	s := smtp.NewServer(b)
	s.AllowInsecureAuth = true // this server would take the token
	s.ErrorLog = log.New(io.Discard, "", 0)
	l := &pipeListener{conns: make(chan net.Conn, 1), closed: make(chan struct{})}
	go s.Serve(l)
	defer s.Close()

	tokens := &fakeTokens{tokens: []string{testToken}}
	cfg := Config{Host: "smtp.example.test", Port: 25, Security: SecurityNone, Username: testUser, OAuth: true, Tokens: tokens}
	c := newConn(cfg)
	c.dial = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		l.conns <- server
		return client, nil
	}
	_, err := dialConn(t.Context(), c)
	expectError(t, err, StageAuth, Permanent, ReasonUnencryptedPassword)
	if _, auth := b.Counts(); auth != 0 {
		t.Errorf("AUTH reached the server")
	}
	if got := tokens.requests(); len(got) != 0 {
		t.Errorf("the token was asked for %d times for a connection that cannot carry it", len(got))
	}
}

func TestTokenToLoopbackWithoutTLS(t *testing.T) {
	b := newBackend()
	srv := testpeer.Run(t, testpeer.Options{Security: testpeer.Security(SecurityNone), Backend: b,
		Configure: []func(*smtp.Server){func(s *smtp.Server) { s.AllowInsecureAuth = true }}})
	tokens := &fakeTokens{tokens: []string{testToken}}
	cfg := Config{Host: srv.Host, Port: srv.Port, Security: SecurityNone, Username: testUser, OAuth: true, Tokens: tokens}
	res, err := Probe(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mechanism != "OAUTHBEARER" {
		t.Errorf("mechanism %q, want OAUTHBEARER (preferred)", res.Mechanism)
	}
	noTokenIn(t, []string{transcriptText(res.Transcript)}, testToken)
}

func TestMicrosoftRefusalsByAccountKind(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	reply := func(code, class, subject, detail int, text string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, subject, detail}, Message: text}
	}
	cases := []struct {
		name     string
		authErr  error
		oauth    bool
		reason   Reason
		mayHelp  bool
		retrying bool // the token is asked for again
	}{
		{"password, 535 5.7.139", reply(535, 5, 7, 139, "Authentication unsuccessful, basic authentication is disabled."), false, ReasonOAuthRequired, true, false},
		{"password, 550 5.7.30", reply(550, 5, 7, 30, "Basic authentication is not supported for Client Submission."), false, ReasonOAuthRequired, true, false},
		{"password, 535 5.7.3", reply(535, 5, 7, 3, "Authentication unsuccessful"), false, ReasonPasswordRefused, true, false},
		{"password, 535 5.7.8", reply(535, 5, 7, 8, "Error: authentication failed"), false, ReasonPasswordRefused, false, false},
		{"oauth, 535 5.7.139", reply(535, 5, 7, 139, "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox."), true, ReasonSMTPAuthDisabled, false, false},
		{"oauth, 535 5.7.3", reply(535, 5, 7, 3, "Authentication unsuccessful"), true, ReasonPasswordRefused, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend()
			b.Mechanisms = []string{"PLAIN", "XOAUTH2"}
			b.AuthErr = tc.authErr
			cfg := startServer(t, SecurityTLS, b, ca)
			cfg.Username, cfg.Secret, cfg.OAuth = testUser, testSecret, tc.oauth
			tokens := &fakeTokens{tokens: []string{testToken}}
			if tc.oauth {
				cfg.Secret, cfg.Tokens = "", tokens
			}
			_, err := Probe(t.Context(), cfg)
			e := expectError(t, err, StageAuth, Permanent, tc.reason)
			if e.OAuthMayHelp != tc.mayHelp || e.OAuth != tc.oauth {
				t.Errorf("OAuthMayHelp %v OAuth %v, want %v %v", e.OAuthMayHelp, e.OAuth, tc.mayHelp, tc.oauth)
			}
			if got := len(tokens.requests()); tc.oauth && (got == 2) != tc.retrying {
				t.Errorf("%d token requests; retry wanted: %v", got, tc.retrying)
			}
		})
	}
}
