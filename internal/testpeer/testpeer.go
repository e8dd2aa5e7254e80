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
	"strconv"
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
	AtBody              // DATA accepted, before the body is read
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
	// Address is where to listen; "" means a free port on 127.0.0.1.
	Address string
	// MaxRecipients per message; 0 means go-smtp's default.
	MaxRecipients int
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

	mu        sync.Mutex
	behaviour Behaviour
	refusals  map[Stage]error
	trap      *Trap
	dotHook   func(msgID string) error
	sessions  int
	arrived   []arrival      // messages read up to their final dot, acknowledged or not
	accepted  map[string]int // Message-ID → copies acknowledged
}

type arrival struct {
	data []byte
	to   []string
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
		mechanisms: opts.Mechanisms, held: make(chan struct{}), refusals: map[Stage]error{}, accepted: map[string]int{}}
	if s.Security == "" {
		s.Security = None
	}
	if s.mechanisms == nil {
		s.mechanisms = []string{sasl.Plain}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "testpeer.test"
	if opts.MaxRecipients > 0 {
		srv.MaxRecipients = opts.MaxRecipients
	}
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are expected
	// Postie sends a password without TLS only to a loopback server.
	srv.AllowInsecureAuth = s.Security == None
	address := opts.Address
	if address == "" {
		address = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", address)
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
	s.Host = l.Addr().(*net.TCPAddr).IP.String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

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

// OnDot runs hook with each message's Message-ID after the whole message
// was read and before the server replies; an error is the reply. nil
// removes the hook.
func (s *Server) OnDot(hook func(msgID string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dotHook = hook
}

// Trap stops a client at a chosen point: the At-th time the server reaches
// Stage, it closes Hit and, when Block is set, waits until the test closes
// Release.
type Trap struct {
	Stage   Stage
	At      int
	Block   bool
	Hit     chan struct{}
	Release chan struct{}
	seen    int
}

// NewTrap makes a trap for SetTrap.
func NewTrap(stage Stage, at int, block bool) *Trap {
	return &Trap{Stage: stage, At: at, Block: block, Hit: make(chan struct{}), Release: make(chan struct{})}
}

// SetTrap sets the trap the server springs; nil removes it.
func (s *Server) SetTrap(tr *Trap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trap = tr
}

// spring runs the trap, if any, at stage.
func (s *Server) spring(stage Stage) {
	s.mu.Lock()
	tr := s.trap
	if tr == nil || tr.Stage != stage || tr.seen >= tr.At {
		s.mu.Unlock()
		return
	}
	tr.seen++
	fire := tr.seen == tr.At
	s.mu.Unlock()
	if !fire {
		return
	}
	close(tr.Hit)
	if tr.Block {
		<-tr.Release
	}
}

// Accepted is how many copies of the message with msgID the server
// acknowledged, or would have if the client had still been there.
func (s *Server) Accepted(msgID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted[msgID]
}

// Stats is how many messages the server acknowledged in all, over how many
// connections.
func (s *Server) Stats() (accepted, sessions int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.accepted {
		accepted += n
	}
	return accepted, s.sessions
}

// Message is the last copy of the message with msgID that arrived, and its
// envelope recipients.
func (s *Server) Message(msgID string) (data []byte, to []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.arrived) - 1; i >= 0; i-- {
		if MessageID(s.arrived[i].data) == msgID {
			return s.arrived[i].data, s.arrived[i].to
		}
	}
	return nil, nil
}

// Arrived returns every message the server read up to its final dot,
// whether it acknowledged it or hung up: each is a copy a recipient may get.
func (s *Server) Arrived() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all [][]byte
	for _, a := range s.arrived {
		all = append(all, a.data)
	}
	return all
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
	to     []string
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
	ss.s.spring(AtMail)
	return ss.s.refusal(AtMail)
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.spring(AtRcpt)
	if err := ss.s.refusal(AtRcpt); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Reset()        { ss.to = nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Data(r io.Reader) error {
	ss.s.spring(AtBody)
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
	ss.s.arrived = append(ss.s.arrived, arrival{data: data, to: ss.to})
	ss.s.mu.Unlock()
	ss.s.spring(AtDot)
	switch behaviour {
	case HangUpAfterDot:
		return ss.conn.Conn().Close()
	case HoldAfterDot:
		<-ss.s.held
	}
	msgID := MessageID(data)
	if err := ss.s.refusal(AtDot); err != nil {
		return err
	}
	ss.s.mu.Lock()
	hook := ss.s.dotHook
	ss.s.mu.Unlock()
	if hook != nil {
		if err := hook(msgID); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	ss.s.accepted[msgID]++
	ss.s.mu.Unlock()
	return nil
}

// AcceptAgain undoes Behave and Refuse: the server accepts every message.
func (s *Server) AcceptAgain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = Accept
	clear(s.refusals)
}
