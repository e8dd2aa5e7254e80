package smtpclient

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a hand-written SMTP server on a raw TCP socket, for the
// misbehaviour a real server library will not produce: no STARTTLS, bytes
// injected after "220 Ready to start TLS", plain-text LOGIN prompts,
// refusals at the greeting or at DATA, silence.
type fakeServer struct {
	script   fakeScript
	accepted chan struct{}
	heard    chan struct{} // a silent server received its first bytes
	done     chan struct{}

	mu        sync.Mutex
	lines     []string // every line received outside the message body
	login     []string // decoded LOGIN user name and password
	completed int      // messages received up to their final dot
}

type fakeScript struct {
	greeting      string            // default "220 fake.test ESMTP"
	silent        bool              // never send anything
	extensions    []string          // EHLO keywords
	replies       map[string]string // command verb → reply replacing the default
	afterStartTLS string            // sent in the same write as "220 Ready to start TLS"
}

// startFake serves one connection and returns a Config for it.
func startFake(t testing.TB, script fakeScript) (*fakeServer, Config) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f := &fakeServer{script: script, accepted: make(chan struct{}, 1), heard: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		f.accepted <- struct{}{}
		f.serve(c)
	}()
	return f, Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: SecurityNone}
}

func (f *fakeServer) serve(c net.Conn) {
	r := bufio.NewReader(c)
	say := func(s string) { io.WriteString(c, s) }
	if f.script.silent {
		if _, err := r.ReadByte(); err == nil {
			close(f.heard)
		}
		io.Copy(io.Discard, r) // until the client gives up
		return
	}
	say(or(f.script.greeting, "220 fake.test ESMTP") + "\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.record(line)
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if reply, ok := f.script.replies[verb]; ok {
			say(reply + "\r\n")
			continue
		}
		switch verb {
		case "EHLO":
			ehlo := "250-fake.test"
			for _, ext := range f.script.extensions {
				ehlo += "\r\n250-" + ext
			}
			say(ehlo + "\r\n250 ENHANCEDSTATUSCODES\r\n")
		case "STARTTLS":
			say("220 2.0.0 Ready to start TLS\r\n" + f.script.afterStartTLS)
			io.Copy(io.Discard, r) // no TLS here; wait for the client to leave
			return
		case "AUTH":
			if !f.plainLogin(r, c, arg) {
				return
			}
		case "DATA":
			say("354 go ahead\r\n")
			if !f.readBody(r) {
				return
			}
			say("250 2.0.0 queued as FAKE\r\n")
		case "QUIT":
			say("221 2.0.0 bye\r\n")
			return
		default:
			say("250 2.0.0 ok\r\n")
		}
	}
}

// plainLogin runs AUTH LOGIN with the plain-text prompts some servers use.
func (f *fakeServer) plainLogin(r *bufio.Reader, c net.Conn, arg string) bool {
	if !strings.EqualFold(arg, "LOGIN") {
		io.WriteString(c, "504 5.5.4 unsupported\r\n")
		return true
	}
	for _, prompt := range []string{"Username:", "Password:"} {
		io.WriteString(c, "334 "+prompt+"\r\n")
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		decoded, _ := base64.StdEncoding.DecodeString(strings.TrimRight(line, "\r\n"))
		f.mu.Lock()
		f.login = append(f.login, string(decoded))
		f.mu.Unlock()
	}
	io.WriteString(c, "235 2.7.0 ok\r\n")
	return true
}

// readBody reads the message up to its final dot; false if it never came.
func (f *fakeServer) readBody(r *bufio.Reader) bool {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == ".\r\n" {
			f.mu.Lock()
			f.completed++
			f.mu.Unlock()
			return true
		}
	}
}

func (f *fakeServer) record(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
}

// finished waits until the connection ended and returns what was received.
func (f *fakeServer) finished(t testing.TB) (lines []string, completed int) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the fake server's connection did not end")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lines, f.completed
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func assertNoAuthNoMail(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		if u := strings.ToUpper(l); strings.HasPrefix(u, "AUTH") || strings.HasPrefix(u, "MAIL") {
			t.Errorf("the server received %q", l)
		}
	}
}

func TestStartTLSNotOfferedStopsBeforeAuth(t *testing.T) {
	f, cfg := startFake(t, fakeScript{extensions: []string{"AUTH PLAIN LOGIN", "SIZE 1000000"}})
	cfg = withAuth(cfg)
	cfg.Security = SecurityStartTLS
	env := simpleEnvelope()
	_, err := send(t, cfg, env, testMessage(env.From, env.To, "strip"), Options{})
	expectError(t, err, StageTLS, Permanent, ReasonNoStartTLS)
	lines, _ := f.finished(t)
	if len(lines) != 1 || lines[0] != "EHLO localhost" {
		t.Errorf("the server received %q", lines)
	}
	assertNoAuthNoMail(t, lines)
}

func TestStartTLSRefusedStopsBeforeAuth(t *testing.T) {
	f, cfg := startFake(t, fakeScript{extensions: []string{"STARTTLS", "AUTH PLAIN"}, replies: map[string]string{"STARTTLS": "454 4.7.0 TLS not available"}})
	cfg = withAuth(cfg)
	cfg.Security = SecurityStartTLS
	_, err := Probe(t.Context(), cfg)
	expectError(t, err, StageTLS, Temporary, ReasonStartTLSRefused)
	lines, _ := f.finished(t)
	assertNoAuthNoMail(t, lines)
}

func TestStartTLSResponseInjectionRefused(t *testing.T) {
	f, cfg := startFake(t, fakeScript{
		extensions:    []string{"STARTTLS", "AUTH PLAIN"},
		afterStartTLS: "250-injected\r\n250 AUTH PLAIN\r\n",
	})
	cfg = withAuth(cfg)
	cfg.Security = SecurityStartTLS
	env := simpleEnvelope()
	res, err := send(t, cfg, env, testMessage(env.From, env.To, "inject"), Options{})
	expectError(t, err, StageTLS, Permanent, ReasonStartTLSInjection)
	lines, _ := f.finished(t)
	assertNoAuthNoMail(t, lines)
	if !strings.Contains(transcriptText(res.Transcript), "unexpected bytes after the STARTTLS reply") {
		t.Errorf("transcript:\n%s", transcriptText(res.Transcript))
	}
}

func TestLoginWithPlainTextPrompts(t *testing.T) {
	// A loopback server may receive a password without TLS (local bridges).
	f, cfg := startFake(t, fakeScript{extensions: []string{"AUTH LOGIN", "8BITMIME"}})
	cfg = withAuth(cfg)
	env := simpleEnvelope()
	res, err := send(t, cfg, env, testMessage(env.From, env.To, "login"), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, transcriptText(res.Transcript))
	}
	_, completed := f.finished(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Join(f.login, "|") != testUser+"|"+testSecret || completed != 1 {
		t.Errorf("login %q, %d messages", f.login, completed)
	}
	if res.Reply != "250 2.0.0 queued as FAKE" {
		t.Errorf("reply %q", res.Reply)
	}
}

// TestFakeStageClasses covers the stages go-smtp's server cannot refuse.
func TestFakeStageClasses(t *testing.T) {
	cases := []struct {
		stage  Stage
		script fakeScript
		class  Class
		reason Reason
	}{
		{StageGreeting, fakeScript{greeting: "421 4.3.2 too busy"}, Temporary, ReasonServerUnavailable},
		{StageGreeting, fakeScript{greeting: "554 5.7.1 go away"}, Permanent, ReasonNotReady},
		{StageData, fakeScript{replies: map[string]string{"DATA": "451 4.3.0 queue full"}}, Temporary, ReasonMessageRefused},
		{StageData, fakeScript{replies: map[string]string{"DATA": "554 5.6.0 no"}}, Permanent, ReasonMessageRefused},
	}
	for _, tc := range cases {
		t.Run(string(tc.stage)+"-"+string(tc.class), func(t *testing.T) {
			f, cfg := startFake(t, tc.script)
			env := simpleEnvelope()
			_, err := send(t, cfg, env, testMessage(env.From, env.To, "fake"), Options{})
			expectError(t, err, tc.stage, tc.class, tc.reason)
			f.finished(t)
		})
	}
}

func TestEightBitNeedsEightBitMIME(t *testing.T) {
	msg := "Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n"

	f, cfg := startFake(t, fakeScript{})
	env := simpleEnvelope()
	env.EightBit = true
	_, err := send(t, cfg, env, msg, Options{})
	expectError(t, err, StageMail, Permanent, ReasonNo8BITMIME)
	lines, _ := f.finished(t)
	assertNoAuthNoMail(t, lines)

	// Unflagged 8-bit data is caught while writing and never completed.
	f, cfg = startFake(t, fakeScript{})
	_, err = send(t, cfg, simpleEnvelope(), msg, Options{})
	expectError(t, err, StageData, Permanent, ReasonMessageMalformed)
	if _, completed := f.finished(t); completed != 0 {
		t.Errorf("the server received a complete message")
	}
}

func TestSilentServer(t *testing.T) {
	t.Run("greeting times out", func(t *testing.T) {
		f, cfg := startFake(t, fakeScript{silent: true})
		cfg.Timeouts = Timeouts{Command: 200 * time.Millisecond}
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageGreeting, Temporary, ReasonTimedOut)
		f.finished(t)
	})

	t.Run("cancelled while connecting or waiting for the greeting", func(t *testing.T) {
		// The server cannot see the client start waiting, so the cancel
		// may land just before or just after the connect completes.
		f, cfg := startFake(t, fakeScript{silent: true})
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-f.accepted; cancel() }()
		_, err := Probe(ctx, cfg)
		e := asError(t, err)
		if (e.Stage != StageConnect && e.Stage != StageGreeting) || e.Class != Temporary || e.Reason != ReasonCancelled {
			t.Errorf("got %s %s %s", e.Stage, e.Class, e.Reason)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v does not wrap context.Canceled", err)
		}
		f.finished(t)
	})

	t.Run("cancelled during the TLS handshake", func(t *testing.T) {
		f, cfg := startFake(t, fakeScript{silent: true})
		cfg.Security = SecurityTLS
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-f.heard; cancel() }() // the ClientHello arrived
		_, err := Probe(ctx, cfg)
		expectError(t, err, StageTLS, Temporary, ReasonCancelled)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v does not wrap context.Canceled", err)
		}
		f.finished(t)
	})

	t.Run("TLS handshake times out", func(t *testing.T) {
		f, cfg := startFake(t, fakeScript{silent: true})
		cfg.Security = SecurityTLS
		cfg.Timeouts = Timeouts{Connect: 200 * time.Millisecond}
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageTLS, Temporary, "")
		f.finished(t)
	})
}

func TestTLSToPlainServer(t *testing.T) {
	f, cfg := startFake(t, fakeScript{})
	cfg.Security = SecurityTLS
	_, err := Probe(t.Context(), cfg)
	expectError(t, err, StageTLS, Permanent, ReasonNotTLS)
	f.finished(t)
}

func TestConnectRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, err = Probe(t.Context(), Config{Host: "127.0.0.1", Port: port, Security: SecurityTLS})
	e := expectError(t, err, StageConnect, Temporary, ReasonConnectionRefused)
	if e.Host != "127.0.0.1" || e.Port != port {
		t.Errorf("host %s port %d", e.Host, e.Port)
	}
}
