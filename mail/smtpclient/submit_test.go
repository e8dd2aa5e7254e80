package smtpclient

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

func TestSubmitDeliversExactBytes(t *testing.T) {
	for _, security := range []Security{SecurityTLS, SecurityStartTLS} {
		t.Run(string(security), func(t *testing.T) {
			b := newBackend()
			cfg := withAuth(startServer(t, security, b, testpeer.NewCA(t, "Test CA")))
			env := simpleEnvelope()
			msg := testMessage(env.From, env.To, "exact")
			var written, total int64
			res, err := send(t, cfg, env, msg, Options{Progress: func(w, t int64) { written, total = w, t }})
			if err != nil {
				t.Fatalf("Submit: %v\n%s", err, transcriptText(res.Transcript))
			}
			got := b.Received()
			if len(got) != 1 || string(got[0].Data) != msg {
				t.Fatalf("server received %+v, want %q", got, msg)
			}
			if got[0].Mechanism != "PLAIN" || got[0].Opts.Size != int64(len(msg)) {
				t.Errorf("mechanism %q, SIZE=%d; want PLAIN, %d", got[0].Mechanism, got[0].Opts.Size, len(msg))
			}
			if !strings.HasPrefix(res.Reply, "250 ") || len(res.Accepted) != 1 || len(res.Refused) != 0 {
				t.Errorf("result %+v", res)
			}
			if written != int64(len(msg)) || total != int64(len(msg)) {
				t.Errorf("progress ended at %d/%d, want %d", written, total, len(msg))
			}
			log := transcriptText(res.Transcript)
			for _, want := range []string{"TLS 1.3 established", "C: AUTH PLAIN [redacted]", "[message body: " + itoa(len(msg)) + " bytes]", "C: QUIT"} {
				if !strings.Contains(log, want) {
					t.Errorf("transcript lacks %q:\n%s", want, log)
				}
			}
			if security == SecurityStartTLS && strings.Index(log, "C: STARTTLS") > strings.Index(log, "AUTH") {
				t.Errorf("AUTH before STARTTLS:\n%s", log)
			}
		})
	}
}

func TestMechanismChoice(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	cases := []struct {
		name    string
		offered []string
		allowed []string
		oauth   bool
		want    string
	}{
		{"plain preferred", []string{"CRAM-MD5", "LOGIN", "PLAIN"}, nil, false, "PLAIN"},
		{"login next", []string{"CRAM-MD5", "LOGIN"}, nil, false, "LOGIN"},
		{"cram-md5 last", []string{"CRAM-MD5"}, nil, false, "CRAM-MD5"},
		{"account allows cram-md5 only", []string{"PLAIN", "LOGIN", "CRAM-MD5"}, []string{"CRAM-MD5"}, false, "CRAM-MD5"},
		{"oauthbearer for tokens", []string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}, nil, true, "OAUTHBEARER"},
		{"xoauth2 for tokens", []string{"PLAIN", "XOAUTH2"}, nil, true, "XOAUTH2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend()
			b.Mechanisms = tc.offered
			cfg := withAuth(startServer(t, SecurityTLS, b, ca))
			cfg.Mechanisms, cfg.OAuth = tc.allowed, tc.oauth
			if tc.oauth {
				cfg.Secret = testToken
			}
			env := simpleEnvelope()
			if res, err := send(t, cfg, env, testMessage(env.From, env.To, "mech"), Options{}); err != nil {
				t.Fatalf("Submit: %v\n%s", err, transcriptText(res.Transcript))
			}
			if got := b.Received(); len(got) != 1 || got[0].Mechanism != tc.want {
				t.Fatalf("used %+v, want %s", got, tc.want)
			}
		})
	}

	t.Run("no usable mechanism sends no AUTH", func(t *testing.T) {
		b := newBackend()
		b.Mechanisms = []string{"PLAIN", "LOGIN"}
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		cfg.OAuth, cfg.Secret = true, testToken
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageAuth, Permanent, ReasonNoUsableMechanism)
		if _, auth := b.Counts(); auth != 0 {
			t.Errorf("%d AUTH commands reached the server", auth)
		}
	})
}

func TestAuthFailureSentences(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	cases := []struct {
		name    string
		authErr error
		oauth   bool
		mech    string
		class   Class
		reason  Reason
	}{
		{"wrong password", nil, false, "PLAIN", Permanent, ReasonPasswordRefused},
		{"wrong password with LOGIN", nil, false, "LOGIN", Permanent, ReasonPasswordRefused},
		{"wrong token with XOAUTH2", nil, true, "XOAUTH2", Permanent, ReasonPasswordRefused},
		{"basic auth disabled", &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 139}, Message: "Authentication unsuccessful, basic authentication is disabled"}, false, "PLAIN", Permanent,
			ReasonOAuthRequired},
		{"5.7.30", &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 30}, Message: "Basic authentication is not supported"}, false, "PLAIN", Permanent,
			ReasonOAuthRequired},
		{"temporary", &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure"}, false, "PLAIN", Temporary,
			ReasonSignInRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend()
			b.AuthErr = tc.authErr
			cfg := startServer(t, SecurityTLS, b, ca)
			cfg.Username, cfg.Secret, cfg.OAuth = testUser, "wrong-"+testSecret, tc.oauth
			cfg.Mechanisms = []string{tc.mech}
			_, err := Probe(t.Context(), cfg)
			e := expectError(t, err, StageAuth, tc.class, tc.reason)
			if e.Code == 0 || e.ServerText == "" {
				t.Errorf("server reply missing: %+v", e)
			}
		})
	}
}

func TestNeverSaysPasswordOutsideAuth(t *testing.T) {
	b := newBackend()
	// 535 5.7.8 outside AUTH is not an authentication failure.
	b.Refuse(testpeer.AtMail, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "odd"})
	cfg := withAuth(startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA")))
	env := simpleEnvelope()
	_, err := send(t, cfg, env, testMessage(env.From, env.To, "x"), Options{})
	e := expectError(t, err, StageMail, Permanent, "")
	if strings.Contains(strings.ToLower(e.Error()), "password") {
		t.Fatalf("non-auth failure mentions the password: %v", e)
	}
}

func TestSizeRefusedBeforeData(t *testing.T) {
	b := newBackend()
	cfg := withAuth(startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA"), func(s *smtp.Server) { s.MaxMessageBytes = 25 << 20 }))
	size := int64(32715571) // 31.2 MiB
	_, err := Submit(t.Context(), cfg, simpleEnvelope(), size, generatedBody{size: size}, Options{})
	e := expectError(t, err, StageMail, Permanent, ReasonTooLarge)
	if e.Size != size || e.MaxSize != 25<<20 {
		t.Errorf("sizes %d of at most %d", e.Size, e.MaxSize)
	}
	if mail, _ := b.Counts(); mail != 0 {
		t.Errorf("MAIL was sent %d times", mail)
	}

	// Without an announced limit, a 552 5.3.4 after the data is the same reason.
	b = newBackend()
	b.DataFunc = func(r io.Reader, _ *smtp.Conn) error {
		io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big for system"}
	}
	cfg = withAuth(startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA")))
	_, err = Submit(t.Context(), cfg, simpleEnvelope(), 3<<20, generatedBody{size: 3 << 20}, Options{})
	if e := expectError(t, err, StageAfterData, Permanent, ReasonTooLarge); e.Size != 3<<20 || e.MaxSize != 0 {
		t.Errorf("sizes %d of at most %d", e.Size, e.MaxSize)
	}
}

func TestRecipients(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	env := Envelope{From: "alice@example.test", To: []string{"bob@example.test", "nobody@example.test", "carol@example.test"}}
	refuse := map[string]error{"nobody@example.test": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}}

	t.Run("default sends nothing", func(t *testing.T) {
		b := newBackend()
		b.RcptErr = refuse
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		res, err := send(t, cfg, env, testMessage(env.From, env.To, "all-or-nothing"), Options{})
		e := expectError(t, err, StageRcpt, Permanent, ReasonRecipientsRefused)
		if e.Attempted != 3 || len(e.Recipients) != 1 || e.Recipients[0].Address != "nobody@example.test" ||
			e.Recipients[0].EnhancedCode != "5.1.1" || e.Recipients[0].Reason != ReasonNoSuchAddress {
			t.Errorf("recipients %+v", e.Recipients)
		}
		if len(res.Accepted) != 2 || len(res.Refused) != 1 {
			t.Errorf("result %+v", res)
		}
		if got := b.Received(); len(got) != 0 {
			t.Errorf("server received %d messages", len(got))
		}
		if !strings.Contains(transcriptText(res.Transcript), "C: RSET") {
			t.Errorf("no RSET:\n%s", transcriptText(res.Transcript))
		}
	})

	t.Run("partial sends to the others", func(t *testing.T) {
		b := newBackend()
		b.RcptErr = refuse
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		res, err := send(t, cfg, env, testMessage(env.From, env.To, "partial"), Options{PartialRecipients: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Refused) != 1 || res.Refused[0].Reason != ReasonNoSuchAddress {
			t.Errorf("refused %+v", res.Refused)
		}
		got := b.Received()
		if len(got) != 1 || strings.Join(got[0].To, ",") != "bob@example.test,carol@example.test" {
			t.Errorf("server received %+v", got)
		}
	})

	t.Run("temporary refusals are temporary", func(t *testing.T) {
		b := newBackend()
		b.RcptErr = map[string]error{"bob@example.test": &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "Try later"}}
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		_, err := send(t, cfg, simpleEnvelope(), testMessage("a@x", []string{"b@y"}, "t"), Options{PartialRecipients: true})
		expectError(t, err, StageRcpt, Temporary, ReasonRecipientRefused)
	})
}

// TestStageClasses checks that a 4xx reply at each stage is temporary and a
// 5xx reply permanent. Greeting and DATA are in TestFakeStageClasses, since
// go-smtp's server cannot refuse them.
func TestStageClasses(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	reply := func(code int) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "injected"}
	}
	stages := []struct {
		stage Stage
		set   func(b *testpeer.Backend, err error)
	}{
		{StageEHLO, func(b *testpeer.Backend, err error) { b.SessionErr = err }},
		{StageAuth, func(b *testpeer.Backend, err error) { b.AuthErr = err }},
		{StageMail, func(b *testpeer.Backend, err error) { b.Refuse(testpeer.AtMail, err) }},
		{StageRcpt, func(b *testpeer.Backend, err error) { b.RcptErr = map[string]error{"bob@example.test": err} }},
		{StageAfterData, func(b *testpeer.Backend, err error) {
			b.DataFunc = func(r io.Reader, _ *smtp.Conn) error { io.Copy(io.Discard, r); return err }
		}},
	}
	for _, st := range stages {
		for code, class := range map[int]Class{451: Temporary, 554: Permanent} {
			t.Run(string(st.stage)+"-"+itoa(code), func(t *testing.T) {
				b := newBackend()
				st.set(b, reply(code))
				cfg := withAuth(startServer(t, SecurityTLS, b, ca))
				env := simpleEnvelope()
				_, err := send(t, cfg, env, testMessage(env.From, env.To, "classes"), Options{})
				e := expectError(t, err, st.stage, class, "")
				if e.Code != code || e.ServerText != "injected" {
					t.Errorf("reply %d %q", e.Code, e.ServerText)
				}
			})
		}
	}
}

func TestCancelMidData(t *testing.T) {
	b := newBackend()
	cfg := withAuth(startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA")))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const size = 64 << 20
	var last int64
	progress := func(written, total int64) {
		if written < last || total != size {
			t.Errorf("progress %d/%d after %d", written, total, last)
		}
		last = written
		if written >= 1<<20 {
			cancel()
		}
	}
	res, err := Submit(ctx, cfg, simpleEnvelope(), size, generatedBody{size: size}, Options{Progress: progress})
	e := expectError(t, err, StageData, Temporary, ReasonCancelled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if last >= size {
		t.Errorf("the whole body was written")
	}
	if !strings.Contains(transcriptText(e.Transcript), "C: DATA") || len(res.Transcript) == 0 {
		t.Errorf("transcript missing from error or result")
	}
	waitLogout(t, b)
	if got := b.Received(); len(got) != 0 {
		t.Fatalf("the server kept %d messages", len(got))
	}
}

func TestStalledServerTimesOut(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	short := Timeouts{Connect: time.Second, Command: 2 * time.Second, FinalReply: 300 * time.Millisecond, BodyWrite: 300 * time.Millisecond}

	t.Run("body write", func(t *testing.T) {
		b := newBackend()
		release := make(chan struct{})
		defer close(release)
		b.DataFunc = func(io.Reader, *smtp.Conn) error { <-release; return nil } // never reads
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		cfg.Timeouts = short
		const size = 256 << 20
		_, err := Submit(t.Context(), cfg, simpleEnvelope(), size, generatedBody{size: size}, Options{})
		expectError(t, err, StageData, Temporary, ReasonTimedOut)
	})

	t.Run("reply after the final dot", func(t *testing.T) {
		b := newBackend()
		release := make(chan struct{})
		defer close(release)
		b.DataFunc = func(r io.Reader, _ *smtp.Conn) error { io.Copy(io.Discard, r); <-release; return nil }
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		cfg.Timeouts = short
		env := simpleEnvelope()
		_, err := send(t, cfg, env, testMessage(env.From, env.To, "stall"), Options{})
		expectError(t, err, StageAfterData, UnknownOutcome, ReasonLostAfterData)
	})
}

func TestClosedAfterFinalDotIsUnknownOutcome(t *testing.T) {
	b := newBackend()
	b.DataFunc = func(r io.Reader, c *smtp.Conn) error {
		io.Copy(io.Discard, r) // the final dot has arrived
		return c.Conn().Close()
	}
	cfg := withAuth(startServer(t, SecurityTLS, b, testpeer.NewCA(t, "Test CA")))
	env := simpleEnvelope()
	_, err := send(t, cfg, env, testMessage(env.From, env.To, "lost"), Options{})
	expectError(t, err, StageAfterData, UnknownOutcome, ReasonLostAfterData)
}

func TestSessionSendsManyWithRset(t *testing.T) {
	b := newBackend()
	cfg := withAuth(startServer(t, SecurityStartTLS, b, testpeer.NewCA(t, "Test CA")))
	s, err := Dial(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := simpleEnvelope()
	for i := range 3 {
		msg := testMessage(env.From, env.To, "many"+itoa(i))
		res, err := s.Send(t.Context(), env, int64(len(msg)), strings.NewReader(msg), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if hasRset := strings.Contains(transcriptText(res.Transcript), "C: RSET"); hasRset != (i > 0) {
			t.Errorf("message %d: RSET %v\n%s", i, hasRset, transcriptText(res.Transcript))
		}
	}
	// A refused sender leaves the session usable.
	b.Refuse(testpeer.AtMail, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "not yours"})
	_, err = s.Send(t.Context(), Envelope{From: "mallory@example.test", To: env.To}, 10, strings.NewReader("x\r\n"), Options{})
	expectError(t, err, StageMail, Permanent, ReasonSenderRefused)
	b.Refuse(testpeer.AtMail, nil)
	msg := testMessage(env.From, env.To, "after-refusal")
	if _, err := s.Send(t.Context(), env, int64(len(msg)), strings.NewReader(msg), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := b.Received(); len(got) != 4 {
		t.Fatalf("server received %d messages, want 4", len(got))
	}
}

func TestProbe(t *testing.T) {
	b := newBackend()
	b.Mechanisms = []string{"LOGIN", "PLAIN"}
	cfg := withAuth(startServer(t, SecurityStartTLS, b, testpeer.NewCA(t, "Probe CA"), func(s *smtp.Server) { s.MaxMessageBytes = 10 << 20 }))
	res, err := Probe(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxSize != 10<<20 || strings.Join(res.Mechanisms, " ") != "LOGIN PLAIN" || res.Mechanism != "PLAIN" {
		t.Errorf("probe %+v", res)
	}
	if res.Certificate == nil || res.Certificate.Issuer != "CN=Probe CA,O=Postie tests" || len(res.Certificate.SHA256) != 64 {
		t.Errorf("certificate %+v", res.Certificate)
	}
	if mail, _ := b.Counts(); mail != 0 {
		t.Errorf("probe sent MAIL")
	}
}

func TestInternationalAndEightBit(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	env := Envelope{From: "alice@example.test", To: []string{"jörg@example.test"}, SMTPUTF8: true, EightBit: true}
	msg := "From: alice@example.test\r\nTo: jörg@example.test\r\nSubject: Grüße\r\n\r\nGrüße\r\n"

	b := newBackend()
	cfg := withAuth(startServer(t, SecurityTLS, b, ca))
	if _, err := send(t, cfg, env, msg, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := b.Received(); len(got) != 1 || !got[0].Opts.UTF8 || got[0].Opts.Body != smtp.Body8BitMIME {
		t.Errorf("MAIL options %+v", got)
	}

	b = newBackend()
	cfg = withAuth(startServer(t, SecurityTLS, b, ca, func(s *smtp.Server) { s.EnableSMTPUTF8 = false }))
	_, err := send(t, cfg, env, msg, Options{})
	expectError(t, err, StageMail, Permanent, ReasonNoSMTPUTF8)
	if mail, _ := b.Counts(); mail != 0 {
		t.Errorf("MAIL was sent with a UTF-8 address")
	}

	// An international address the caller did not flag is refused before connecting.
	_, err = send(t, cfg, Envelope{From: "alice@example.test", To: []string{"jörg@example.test"}}, msg, Options{})
	expectError(t, err, StageConfig, Permanent, ReasonAddressNeedsUTF8)
}

func TestBodyMustBeExactCRLF(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	cases := map[string]string{
		"bare LF": "Subject: x\r\n\r\nline one\nline two\r\n",
		"bare CR": "Subject: x\r\n\r\nline one\rline two\r\n",
		"ends CR": "Subject: x\r\n\r\nline one\r",
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBackend()
			cfg := withAuth(startServer(t, SecurityTLS, b, ca))
			_, err := send(t, cfg, simpleEnvelope(), msg, Options{})
			expectError(t, err, StageData, Permanent, ReasonMessageMalformed)
			waitLogout(t, b)
			if got := b.Received(); len(got) != 0 {
				t.Fatalf("server kept a malformed message")
			}
		})
	}

	t.Run("size mismatch", func(t *testing.T) {
		b := newBackend()
		cfg := withAuth(startServer(t, SecurityTLS, b, ca))
		msg := testMessage("a@x.test", []string{"b@y.test"}, "size")
		_, err := Submit(t.Context(), cfg, simpleEnvelope(), int64(len(msg))+1, strings.NewReader(msg), Options{})
		expectError(t, err, StageData, Permanent, ReasonSizeChanged)
		waitLogout(t, b)
		if got := b.Received(); len(got) != 0 {
			t.Fatalf("server kept an incomplete message")
		}
	})
}

func TestInvalidConfig(t *testing.T) {
	cases := map[string]Config{
		"no host":        {Port: 587, Security: SecurityStartTLS},
		"bad port":       {Host: "smtp.example.test", Port: 0, Security: SecurityStartTLS},
		"bad security":   {Host: "smtp.example.test", Port: 587, Security: "ssl"},
		"bad mechanism":  {Host: "smtp.example.test", Port: 587, Security: SecurityStartTLS, Mechanisms: []string{"GSSAPI"}},
		"bad pin":        {Host: "smtp.example.test", Port: 587, Security: SecurityStartTLS, PinSHA256: "abcd"},
		"missing CAFile": {Host: "127.0.0.1", Port: 1, Security: SecurityTLS, CAFile: "/nonexistent/ca.pem"},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Probe(t.Context(), cfg)
			expectError(t, err, StageConfig, Permanent, "")
		})
	}
}

func waitLogout(t testing.TB, b *testpeer.Backend) {
	t.Helper()
	select {
	case <-b.Logouts():
	case <-time.After(10 * time.Second):
		t.Fatal("the server session did not end")
	}
}
