package outbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// clock is a settable clock for schedules: tests move it instead of
// sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// accountsMap serves SMTP settings by account id.
type accountsMap struct {
	mu   sync.Mutex
	cfgs map[string]smtpclient.Config
}

func (a *accountsMap) SMTPConfig(_ context.Context, id string) (smtpclient.Config, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cfg, ok := a.cfgs[id]
	if !ok {
		return cfg, fmt.Errorf("There is no account %q.", id)
	}
	return cfg, nil
}

func (a *accountsMap) set(id string, cfg smtpclient.Config) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfgs == nil {
		a.cfgs = map[string]smtpclient.Config{}
	}
	a.cfgs[id] = cfg
}

// openDir opens the outbox of data directory dir.
func openDir(t testing.TB, dir string, accts Accounts, opts ...Option) *Outbox {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(db, accts, opts...)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.Close()
		db.Close()
	})
	return o
}

// rawMessage builds a small message's bytes with the given Message-ID.
func rawMessage(msgID, subject, body string, to ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Sender <sender@example.org>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n", strings.Join(to, ", "), subject, msgID)
	fmt.Fprintf(&b, "Date: Mon, 02 Jan 2006 15:04:05 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
	return b.Bytes()
}

// enqueueRaw queues a prepared message to the given recipients.
func enqueueRaw(t testing.TB, o *Outbox, account, msgID, subject string, hold time.Time, to ...string) int64 {
	t.Helper()
	if len(to) == 0 {
		to = []string{"rcpt@example.net"}
	}
	data := rawMessage(msgID, subject, "Hello from the outbox tests.", to...)
	p := &prepared{
		from:      addr{Name: "Sender", Email: "sender@example.org"},
		messageID: msgID,
		subject:   subject,
		body:      "Hello from the outbox tests.",
		env:       smtpclient.Envelope{From: "sender@example.org", To: to},
		write:     func(w io.Writer) (int64, error) { n, err := w.Write(data); return int64(n), err },
	}
	for _, r := range to {
		p.to = append(p.to, addr{Email: r})
	}
	id, err := o.enqueue(context.Background(), account, p, hold)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// ---- an in-process go-smtp server ----

// sink is testpeer's go-smtp server as these tests use it: plain, without
// signing in, counting copies by Message-ID.
type sink struct{ *testpeer.Server }

func startSink(t testing.TB) *sink {
	t.Helper()
	return startSinkAt(t, "")
}

func startSinkAt(t testing.TB, address string) *sink {
	t.Helper()
	s := testpeer.Run(t, testpeer.Options{Address: address,
		Configure: []func(*smtp.Server){func(s *smtp.Server) { s.MaxRecipients = 1000 }}})
	return &sink{s}
}

func (s *sink) config() smtpclient.Config {
	return smtpclient.Config{Host: s.Host, Port: s.Port, Security: smtpclient.SecurityNone}
}

// count is how many copies of msgID the server acknowledged.
func (s *sink) count(msgID string) int { return s.Accepted(msgID) }

// newTrap makes a trap for the phase "mail", "rcpt", "body" (before the
// body is read) or "data" (after the whole body, before the reply).
func newTrap(phase string, at int, block bool) *testpeer.Trap {
	stage := map[string]testpeer.Stage{"mail": testpeer.AtMail, "rcpt": testpeer.AtRcpt,
		"body": testpeer.AtBody, "data": testpeer.AtDot}[phase]
	return testpeer.NewTrap(stage, at, block)
}

// ---- a scripted server that fails at a chosen stage ----

// Stages of the scripted server, in the order of a submission.
var scriptStages = []string{"greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "dot"}

// scripted answers like a submission server (STARTTLS required, AUTH
// PLAIN), except that at failStage it replies with failReply or, when
// failReply is "drop", closes the connection.
type scripted struct {
	addr string
	cert tls.Certificate
	pin  string

	mu        sync.Mutex
	failStage string
	failReply string
	accepted  map[string]int // Message-ID → copies acknowledged with 250
	dropped   map[string]int // complete bodies read, then the connection dropped
}

func startScripted(t testing.TB) *scripted {
	t.Helper()
	// Self-signed: the account trusts it by its pin alone.
	cert := (*testpeer.CA)(nil).Issue(t, testpeer.Leaf{Names: []string{"scripted.test", "127.0.0.1"}})
	s := &scripted{cert: cert, pin: testpeer.Fingerprint(cert), accepted: map[string]int{}, dropped: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *scripted) script(stage, reply string) {
	s.mu.Lock()
	s.failStage, s.failReply = stage, reply
	s.mu.Unlock()
}

func (s *scripted) copies(msgID string) (accepted, dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted[msgID], s.dropped[msgID]
}

func (s *scripted) config() smtpclient.Config {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	return smtpclient.Config{Host: host, Port: p, Security: smtpclient.SecurityStartTLS, PinSHA256: s.pin,
		Username: "user", Secret: "secret-password"}
}

// fail says how the stage goes: ok, a reply to send, or drop.
func (s *scripted) fail(stage string) (reply string, failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failStage != stage {
		return "", false
	}
	return s.failReply, true
}

func (s *scripted) serve(c net.Conn) {
	defer func() { c.Close() }()
	r := bufio.NewReader(c)
	// answer replies ok, or fails the stage; false means stop. A refusal
	// of the greeting or of STARTTLS ends the session, others do not.
	answer := func(stage, ok string) bool {
		if reply, failing := s.fail(stage); failing {
			if reply == "drop" {
				return false
			}
			fmt.Fprintf(c, "%s\r\n", reply)
			return stage != "greeting" && stage != "starttls" && stage != "data"
		}
		fmt.Fprintf(c, "%s\r\n", ok)
		return true
	}
	if !answer("greeting", "220 scripted.test ESMTP") {
		return
	}
	tlsDone := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			ext := "250-scripted.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 STARTTLS"
			if tlsDone {
				ext = "250-scripted.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN"
			}
			if !answer("ehlo", ext) {
				return
			}
		case "STARTTLS":
			if !answer("starttls", "220 2.0.0 Ready to start TLS") {
				return
			}
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if tc.Handshake() != nil {
				return
			}
			c, r, tlsDone = tc, bufio.NewReader(tc), true
		case "AUTH":
			if !answer("auth", "235 2.7.0 Authentication successful") {
				return
			}
		case "MAIL":
			if !answer("mail", "250 2.1.0 Ok") {
				return
			}
		case "RCPT":
			if !answer("rcpt", "250 2.1.5 Ok") {
				return
			}
		case "DATA":
			if _, failing := s.fail("data"); failing {
				if !answer("data", "") {
					return
				}
				continue
			}
			answer("data", "354 End data with <CR><LF>.<CR><LF>")
			id, ok := readBody(r)
			if !ok {
				return
			}
			if reply, failing := s.fail("dot"); failing {
				if reply == "drop" {
					s.mu.Lock()
					s.dropped[id]++
					s.mu.Unlock()
					return
				}
				fmt.Fprintf(c, "%s\r\n", reply)
				continue
			}
			s.mu.Lock()
			s.accepted[id]++
			s.mu.Unlock()
			fmt.Fprintf(c, "250 2.0.0 Ok: queued as Q%d\r\n", len(id))
		case "RSET", "NOOP":
			fmt.Fprintf(c, "250 2.0.0 Ok\r\n")
		case "QUIT":
			fmt.Fprintf(c, "221 2.0.0 Bye\r\n")
			return
		default:
			fmt.Fprintf(c, "502 5.5.2 Command not recognized\r\n")
		}
	}
}

// readBody reads a DATA body up to its final dot and returns its
// Message-ID.
func readBody(r *bufio.Reader) (string, bool) {
	id := ""
	inHeader := true
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", false
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "." {
			return id, true
		}
		if line == "" {
			inHeader = false
		}
		if inHeader && strings.HasPrefix(strings.ToLower(line), "message-id:") {
			id = strings.Trim(strings.TrimSpace(line[len("message-id:"):]), "<>")
		}
	}
}

// mustGet returns a message's details.
func mustGet(t testing.TB, o *Outbox, id int64) *Detail {
	t.Helper()
	d, err := o.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func statFile(path string) (os.FileInfo, error) { return os.Stat(path) }

// tempDirForBench makes a directory that outlives one benchmark run's
// b.TempDir (benchmarks run their function several times).
func tempDirForBench() (string, error) { return os.MkdirTemp("", "postie-outbox-bench-") }
