// Package testpeer holds the peers Postie's tests talk to, and the helpers
// that set them up: submission servers on 127.0.0.1 (go-smtp) that can be
// told to misbehave, certificate authorities and their certificates,
// mailpit, an in-memory keyring, and the guards that tell the fast tier
// (go test -short) from the full suite. Only tests import it.
package testpeer

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security is how a server protects its connections, spelled as
// smtpclient.Security and the CLI's --security spell it. testpeer does not
// import smtpclient, so that smtpclient's own tests can use it.
type Security string

const (
	None     Security = "none"
	StartTLS Security = "starttls"
	TLS      Security = "tls"
)

// Behaviour is what the server does with the next messages.
type Behaviour int

const (
	// Accept reads the message and replies 250.
	Accept Behaviour = iota
	// HangUpAfterDot reads the whole message, its final dot included, and
	// closes the connection without replying: the server has the message
	// but the client cannot know (RFC 5321 §6.1).
	HangUpAfterDot
	// HangUpMidBody reads the first MidBody bytes of the message and
	// closes the connection; the message is incomplete and discarded
	// (RFC 5321 §4.1.1.4). Only a message larger than the operating
	// system's socket buffers is sure to be cut before its final dot.
	HangUpMidBody
	// HoldAfterDot reads the whole message, its final dot included, and
	// never replies, until the test ends.
	HoldAfterDot
)

// MidBody is how much of a message HangUpMidBody reads.
const MidBody = 64 << 10

// Server is a running submission server.
type Server struct {
	Host     string
	Port     int
	Security Security
	Cert     tls.Certificate // its certificate; none without TLS
	CAFile   string          // PEM of the CA that issued Cert; "" without TLS
	User     string          // AUTH PLAIN accepts only User and Password
	Password string

	held    chan struct{} // closed when the test ends, releasing HoldAfterDot
	arrival chan struct{} // a message arrived whole

	mu        sync.Mutex
	behaviour Behaviour
	arrived   [][]byte // messages read up to their final dot, acknowledged or not
}

// Start runs a server until the test ends, with a certificate for
// Loopback from a CA of its own.
func Start(t testing.TB, security Security, user, password string) *Server {
	t.Helper()
	return StartWith(t, security, user, password, Certificate{})
}

// Certificate says who issues a server's certificate, and for what.
type Certificate struct {
	CA   *CA  // nil: a CA of the server's own
	Leaf Leaf // zero: Loopback
}

// StartWith is Start with the certificate cert describes.
func StartWith(t testing.TB, security Security, user, password string, cert Certificate) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", Security: security, User: user, Password: password,
		held: make(chan struct{}), arrival: make(chan struct{}, 1000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "testpeer.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	// Postie sends a password without TLS only to a loopback server.
	srv.AllowInsecureAuth = security == None
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if security != None {
		ca, leaf := cert.CA, cert.Leaf
		if ca == nil {
			ca = NewCA(t, "testpeer CA")
		}
		if leaf.Names == nil {
			leaf = Loopback
		}
		s.Cert = ca.Issue(t, leaf)
		s.CAFile = ca.WriteFile(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.Cert}}
	}
	if security == TLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		close(s.held)
		srv.Close()
	})
	s.Port = l.Addr().(*net.TCPAddr).Port
	return s
}

// Behave changes what the server does with the next messages.
func (s *Server) Behave(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = b
}

// Arrival receives a value each time a message arrives whole.
func (s *Server) Arrival() <-chan struct{} { return s.arrival }

// Arrived returns every message the server read up to its final dot,
// whether it acknowledged it or hung up: each is a copy a recipient may get.
func (s *Server) Arrived() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.arrived...)
}

type session struct {
	s    *Server
	conn *smtp.Conn
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.User || password != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		return nil
	}), nil
}

func (ss *session) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *session) Reset()                               {}
func (ss *session) Logout() error                        { return nil }

func (ss *session) Data(r io.Reader) error {
	ss.s.mu.Lock()
	behaviour := ss.s.behaviour
	ss.s.mu.Unlock()
	if behaviour == HangUpMidBody {
		io.CopyN(io.Discard, r, MidBody)
		return ss.conn.Conn().Close()
	}
	data, err := io.ReadAll(r) // returns without error only after the final dot
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.arrived = append(ss.s.arrived, data)
	ss.s.mu.Unlock()
	ss.s.arrival <- struct{}{}
	switch behaviour {
	case HangUpAfterDot:
		return ss.conn.Conn().Close()
	case HoldAfterDot:
		<-ss.s.held
	}
	return nil
}
