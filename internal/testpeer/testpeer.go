// Package testpeer holds the peers Postie's tests talk to, and the helpers
// that set them up: submission servers on 127.0.0.1 (go-smtp) that can be
// told to misbehave, certificate authorities and their certificates,
// mailpit, an in-memory keyring, and the guards that tell the fast tier
// (go test -short) from the full suite. Only tests import it.
package testpeer

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/textproto"
	"strings"
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

// Stage is a point of a submission at which the server can refuse.
type Stage int

const (
	AtMail Stage = iota // MAIL FROM
	AtRcpt              // every RCPT TO
	AtDot               // the final dot, after the whole message was read
)

// Options describe a server for Run. The zero value is a plain server on
// 127.0.0.1 that accepts every message without signing in.
type Options struct {
	Security Security
	// User and Password are the only credentials AUTH accepts. With a
	// Password, MAIL is refused (530) until the client signed in.
	User, Password string
	// Mechanisms are the SASL mechanisms offered; nil means PLAIN. Only
	// PLAIN can succeed; the others are offered for probes to see.
	Mechanisms []string
	// The certificate with TLS: Cert if given, else one for Leaf (zero:
	// Loopback) from CA (nil: a CA of the server's own).
	Cert *tls.Certificate
	CA   *CA
	Leaf Leaf
}

// Server is a running submission server.
type Server struct {
	Host     string
	Port     int
	Security Security
	Cert     tls.Certificate // its certificate; none without TLS
	CAFile   string          // PEM of the CA that issued Cert; "" without TLS or with Options.Cert
	User     string
	Password string

	mechanisms []string
	held       chan struct{} // closed when the test ends, releasing HoldAfterDot
	arrival    chan struct{} // a message arrived whole

	mu        sync.Mutex
	behaviour Behaviour
	refusals  map[Stage]error
	arrived   [][]byte // messages read up to their final dot, acknowledged or not
}

// Start runs a server until the test ends, with a certificate for
// Loopback from a CA of its own, that accepts user and password.
func Start(t testing.TB, security Security, user, password string) *Server {
	t.Helper()
	return Run(t, Options{Security: security, User: user, Password: password})
}

// Run runs the server opts describe until the test ends.
func Run(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", Security: opts.Security, User: opts.User, Password: opts.Password,
		mechanisms: opts.Mechanisms, held: make(chan struct{}), arrival: make(chan struct{}, 1000),
		refusals: map[Stage]error{}}
	if s.Security == "" {
		s.Security = None
	}
	if s.mechanisms == nil {
		s.mechanisms = []string{sasl.Plain}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "testpeer.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are expected
	// Postie sends a password without TLS only to a loopback server.
	srv.AllowInsecureAuth = s.Security == None
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Security != None {
		if opts.Cert != nil {
			s.Cert = *opts.Cert
		} else {
			ca, leaf := opts.CA, opts.Leaf
			if ca == nil {
				ca = NewCA(t, "testpeer CA")
			}
			if leaf.Names == nil {
				leaf = Loopback
			}
			s.Cert = ca.Issue(t, leaf)
			s.CAFile = ca.WriteFile(t)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.Cert}}
	}
	if s.Security == TLS {
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

// Refuse makes the server answer stage with err, typically an
// *smtp.SMTPError, from now on; a nil err accepts again.
func (s *Server) Refuse(stage Stage, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[stage] = err
}

func (s *Server) refusal(stage Stage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals[stage]
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

// ArrivedByID is Arrived by Message-ID (without angle brackets), the last
// copy of each.
func (s *Server) ArrivedByID() map[string][]byte {
	byID := map[string][]byte{}
	for _, data := range s.Arrived() {
		byID[MessageID(data)] = data
	}
	return byID
}

// MessageID returns the Message-ID of a message without its angle
// brackets, or "" if its header cannot be read.
func MessageID(data []byte) string {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(data))).ReadMIMEHeader()
	if err != nil {
		return ""
	}
	return strings.Trim(h.Get("Message-Id"), "<>")
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
}

func (ss *session) AuthMechanisms() []string { return ss.s.mechanisms }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.User || password != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(string, *smtp.MailOptions) error {
	if ss.s.Password != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	return ss.s.refusal(AtMail)
}

func (ss *session) Rcpt(string, *smtp.RcptOptions) error { return ss.s.refusal(AtRcpt) }
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
	return ss.s.refusal(AtDot)
}

// AcceptAgain undoes Behave and Refuse: the server accepts every message.
func (s *Server) AcceptAgain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = Accept
	clear(s.refusals)
}
