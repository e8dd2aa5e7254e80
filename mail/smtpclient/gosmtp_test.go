package smtpclient

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// The go-smtp server of internal/testpeer: the real server side of the
// library whose client side this package drives.

const (
	testUser   = "alice@example.test"
	testSecret = "Tr0ub4dor&3-horse-battery"
	testToken  = "ya29.test-token-0123456789abcdef"
)

// newBackend is a server that offers every mechanism Postie speaks and
// accepts the test user with testSecret or testToken.
func newBackend() *testpeer.Backend {
	return &testpeer.Backend{
		Mechanisms: []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"},
		User:       testUser, Password: testSecret, Token: testToken,
	}
}

// startServer runs b on 127.0.0.1 with the given security and a
// certificate from ca, and returns a Config for it (without credentials).
func startServer(t testing.TB, security Security, b *testpeer.Backend, ca *testpeer.CA, configure ...func(*smtp.Server)) Config {
	t.Helper()
	// SMTPUTF8 on, and AUTH offered only over TLS, as submission servers do.
	submission := func(s *smtp.Server) {
		s.EnableSMTPUTF8 = true
		s.AllowInsecureAuth = false
	}
	srv := testpeer.Run(t, testpeer.Options{Security: testpeer.Security(security), Backend: b, CA: ca,
		Configure: append([]func(*smtp.Server){submission}, configure...)})
	return Config{Host: srv.Host, Port: srv.Port, Security: security, CAFile: srv.CAFile}
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

// expectError checks an error's stage, class and, unless it is "", reason.
func expectError(t testing.TB, err error, stage Stage, class Class, reason Reason) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want stage %s class %s", stage, class)
	}
	e := asError(t, err)
	if e.Stage != stage || e.Class != class {
		t.Fatalf("got stage %s class %s (%v), want stage %s class %s", e.Stage, e.Class, e, stage, class)
	}
	if reason != "" && e.Reason != reason {
		t.Fatalf("reason %q, want %q (%v)", e.Reason, reason, e)
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
