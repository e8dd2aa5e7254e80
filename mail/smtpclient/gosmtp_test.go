package smtpclient

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// An in-process go-smtp server: the real server side of the library whose
// client side this package drives.

const (
	testUser   = "alice@example.test"
	testSecret = "Tr0ub4dor&3-horse-battery"
	testToken  = "ya29.test-token-0123456789abcdef"
)

var (
	errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
)

// received is one message the server accepted.
type received struct {
	from      string
	to        []string
	opts      smtp.MailOptions
	data      []byte
	size      int64
	mechanism string
}

// backend is the server's behaviour and what it saw.
type backend struct {
	mechanisms []string // offered
	discard    bool     // count the body instead of keeping it

	// Replies to inject; nil means accept.
	sessionErr error // at EHLO
	authErr    error
	mailErr    error // guarded by mu
	rcptErr    map[string]error
	dataFunc   func(r io.Reader, conn *smtp.Conn) error // replaces reading the body

	mu        sync.Mutex
	messages  []received
	mailCalls int
	authCalls int
	logouts   chan struct{}
}

func newBackend() *backend {
	return &backend{
		mechanisms: []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"},
		logouts:    make(chan struct{}, 100),
	}
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if b.sessionErr != nil {
		return nil, b.sessionErr
	}
	return &session{b: b, conn: c}, nil
}

func (b *backend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.messages...)
}

func (b *backend) counts() (mail, auth int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mailCalls, b.authCalls
}

type session struct {
	b         *backend
	conn      *smtp.Conn
	mechanism string
	msg       received
}

func (s *session) AuthMechanisms() []string { return s.b.mechanisms }

func (s *session) Auth(mech string) (sasl.Server, error) {
	s.b.mu.Lock()
	s.b.authCalls++
	s.b.mu.Unlock()
	s.mechanism = mech
	check := func(user, secret, want string) error {
		if s.b.authErr != nil {
			return s.b.authErr
		}
		if user != testUser || secret != want {
			return errAuthFailed
		}
		return nil
	}
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass, testSecret) }), nil
	case "LOGIN":
		return &loginServer{check: func(user, pass string) error { return check(user, pass, testSecret) }}, nil
	case "CRAM-MD5":
		return &cramServer{check: check}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: func(user, token string) error { return check(user, token, testToken) }}, nil
	case "OAUTHBEARER":
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if check(o.Username, o.Token, testToken) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.b.mu.Lock()
	s.b.mailCalls++
	mailErr := s.b.mailErr
	s.b.mu.Unlock()
	if mailErr != nil {
		return mailErr
	}
	s.msg = received{from: from, opts: *opts, mechanism: s.mechanism}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.b.rcptErr[to]; err != nil {
		return err
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.b.dataFunc != nil {
		return s.b.dataFunc(r, s.conn)
	}
	var err error
	if s.b.discard {
		s.msg.size, err = io.Copy(io.Discard, r)
	} else {
		s.msg.data, err = io.ReadAll(r)
		s.msg.size = int64(len(s.msg.data))
	}
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.messages = append(s.b.messages, s.msg)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset() { s.msg = received{mechanism: s.mechanism} }

func (s *session) Logout() error {
	select {
	case s.b.logouts <- struct{}{}:
	default:
	}
	return nil
}

// setMailErr changes the reply to MAIL while a session is open.
func (b *backend) setMailErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mailErr = err
}

// loginServer is the server side of LOGIN, prompting for each part.
type loginServer struct {
	check func(user, pass string) error
	user  *string
}

func (s *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case resp == nil:
		return []byte("Username:"), false, nil
	case s.user == nil:
		user := string(resp)
		s.user = &user
		return []byte("Password:"), false, nil
	}
	return nil, true, s.check(*s.user, string(resp))
}

// cramServer is the server side of CRAM-MD5 (RFC 2195).
type cramServer struct {
	check     func(user, secret, want string) error
	challenge string
}

func (s *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if s.challenge == "" {
		s.challenge = "<12345.67890@mx.test>"
		return []byte(s.challenge), false, nil
	}
	user, digest, _ := strings.Cut(string(resp), " ")
	mac := hmac.New(md5.New, []byte(testSecret))
	mac.Write([]byte(s.challenge))
	if hex.EncodeToString(mac.Sum(nil)) != digest {
		return nil, true, errAuthFailed
	}
	return nil, true, s.check(user, testSecret, testSecret)
}

// xoauth2Server is the server side of XOAUTH2 as Google documents it: a
// failure is a JSON challenge, answered by an empty line, then 535.
type xoauth2Server struct {
	check  func(user, token string) error
	failed error
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.failed != nil {
		return nil, true, s.failed
	}
	fields := strings.Split(string(resp), "\x01")
	user := strings.TrimPrefix(fields[0], "user=")
	token := ""
	if len(fields) > 1 {
		token = strings.TrimPrefix(fields[1], "auth=Bearer ")
	}
	if err := s.check(user, token); err != nil {
		s.failed = err
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example.test/"}`), false, nil
	}
	return nil, true, nil
}

// startServer runs a go-smtp server on 127.0.0.1 with the given security
// and returns a Config for it (without credentials).
func startServer(t testing.TB, security Security, b *backend, ca *testpeer.CA, configure ...func(*smtp.Server)) Config {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(b)
	s.Domain = "mx.test"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.EnableSMTPUTF8 = true
	cfg := Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: security}
	if security != SecurityNone {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, testpeer.Loopback)}}
		cfg.CAFile = ca.WriteFile(t)
	}
	for _, f := range configure {
		f(s)
	}
	if security == SecurityTLS {
		l = tls.NewListener(l, s.TLSConfig)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return cfg
}

func withAuth(cfg Config) Config {
	cfg.Username, cfg.Secret = testUser, testSecret
	return cfg
}

// testMessage is a small message with exact CRLF line endings.
func testMessage(from string, to []string, subject string) string {
	return "From: " + from + "\r\n" +
		"To: " + strings.Join(to, ", ") + "\r\n" +
		"Subject: " + subject + "\r\n" +
		"Message-ID: <" + subject + "@postie.test>\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\n" +
		"\r\n" +
		"Hello,\r\n" +
		".a line starting with a dot\r\n" +
		"\r\n" +
		"Bye.\r\n"
}

func send(t testing.TB, cfg Config, env Envelope, msg string, opts Options) (*Result, error) {
	t.Helper()
	return Submit(t.Context(), cfg, env, int64(len(msg)), strings.NewReader(msg), opts)
}

func simpleEnvelope() Envelope {
	return Envelope{From: "alice@example.test", To: []string{"bob@example.test"}}
}

// asError fails the test unless err is an *Error.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func expectError(t testing.TB, err error, stage Stage, class Class, sentence string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want stage %s class %s", stage, class)
	}
	e := asError(t, err)
	if e.Stage != stage || e.Class != class {
		t.Fatalf("got stage %s class %s (%v), want stage %s class %s", e.Stage, e.Class, e, stage, class)
	}
	if !strings.Contains(e.Message, sentence) {
		t.Fatalf("message %q does not contain %q", e.Message, sentence)
	}
	return e
}

// generatedBody writes size bytes of CRLF-terminated lines without holding
// them in memory: the first line absorbs the remainder, the rest are 78
// bytes each.
type generatedBody struct{ size int64 }

func (g generatedBody) WriteTo(w io.Writer) (int64, error) {
	const lineLen = 78
	line := strings.Repeat("x", lineLen-2) + "\r\n"
	chunk := []byte(strings.Repeat(line, 32<<10/lineLen))
	lines := g.size / lineLen
	first := []byte(strings.Repeat("y", int(lineLen+g.size%lineLen-2)) + "\r\n")
	n, err := w.Write(first)
	total := int64(n)
	for rest := (lines - 1) * lineLen; rest > 0 && err == nil; rest -= int64(n) {
		n, err = w.Write(chunk[:min(int64(len(chunk)), rest)])
		total += int64(n)
	}
	return total, err
}

func itoa(n int) string { return strconv.Itoa(n) }

func transcriptText(lines []TranscriptLine) string {
	var sb strings.Builder
	for _, l := range lines {
		fmt.Fprintln(&sb, l)
	}
	return sb.String()
}
