package testpeer

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
	"sync"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Domain is the name the server greets with.
const Domain = "mx.test"

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

// Stage is a point of a submission at which the server can refuse or
// spring a Trap.
type Stage int

const (
	AtMail Stage = iota // MAIL FROM
	AtRcpt              // every RCPT TO
	AtBody              // DATA accepted, before the body is read
	AtDot               // the final dot, after the whole message was read
)

// Backend is what a Server does and what it saw; a go-smtp smtp.Backend.
// Set its fields before the server runs; change it while it runs only
// through its methods. The zero value accepts every message without
// signing in.
type Backend struct {
	// Mechanisms are the SASL mechanisms offered; nil means PLAIN. PLAIN,
	// LOGIN and CRAM-MD5 accept User and Password, XOAUTH2 and
	// OAUTHBEARER User and Token; others are only offered.
	Mechanisms            []string
	User, Password, Token string
	// ValidToken, when set, decides for XOAUTH2 and OAUTHBEARER instead of
	// Token (the user must still be User): e.g. an OAuthServer's Valid, so
	// that only the currently valid access token signs in.
	ValidToken func(user, token string) bool
	// RequireAuth refuses MAIL (530) until the client signed in.
	RequireAuth bool
	// Discard counts each body's bytes instead of keeping them.
	Discard bool

	// Replies to inject; nil accepts.
	SessionErr error            // at the greeting, for every connection
	AuthErr    error            // to every AUTH, whatever the credentials
	RcptErr    map[string]error // to RCPT TO of these addresses
	// DataFunc, when set, replaces reading the body and is the reply.
	DataFunc func(r io.Reader, conn *smtp.Conn) error

	mu        sync.Mutex
	held      chan struct{} // closed when the test ends, releasing HoldAfterDot and Block traps' hosts
	logouts   chan struct{}
	behaviour Behaviour
	refusals  map[Stage]error
	trap      *Trap
	dotHook   func(msgID string) error
	sessions  int
	mailCalls int
	authCalls int
	received  []Received     // messages read up to their final dot, acknowledged or not
	accepted  map[string]int // Message-ID → copies acknowledged
}

// Received is a message the server read up to its final dot.
type Received struct {
	From      string
	To        []string
	Opts      smtp.MailOptions
	Data      []byte // nil with Discard
	Size      int64
	Mechanism string // the SASL mechanism the client signed in with
}

// init makes the channels and maps; callers hold b.mu.
func (b *Backend) init() {
	if b.held == nil {
		b.held = make(chan struct{})
		b.logouts = make(chan struct{}, 100)
		b.refusals = map[Stage]error{}
		b.accepted = map[string]int{}
	}
}

// release lets go of every session held by HoldAfterDot.
func (b *Backend) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	close(b.held)
}

// Behave changes what the server does with the next messages.
func (b *Backend) Behave(behaviour Behaviour) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.behaviour = behaviour
}

// Refuse makes the server answer stage with err, typically an
// *smtp.SMTPError, from now on; a nil err accepts again.
func (b *Backend) Refuse(stage Stage, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.refusals[stage] = err
}

// AcceptAgain undoes Behave and Refuse: the server accepts every message.
func (b *Backend) AcceptAgain() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.behaviour = Accept
	clear(b.refusals)
}

// OnDot runs hook with each message's Message-ID after the whole message
// was read and before the server replies; an error is the reply. nil
// removes the hook.
func (b *Backend) OnDot(hook func(msgID string) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dotHook = hook
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
func (b *Backend) SetTrap(tr *Trap) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trap = tr
}

// Logouts receives a value, while there is room for it, each time a
// client ends its session.
func (b *Backend) Logouts() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	return b.logouts
}

// Received returns every message the server read up to its final dot,
// whether it acknowledged it or not: each is a copy a recipient may get.
func (b *Backend) Received() []Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Received(nil), b.received...)
}

// ReceivedByID is Received's data by Message-ID (without angle brackets),
// the last copy of each.
func (b *Backend) ReceivedByID() map[string][]byte {
	byID := map[string][]byte{}
	for _, r := range b.Received() {
		byID[MessageID(r.Data)] = r.Data
	}
	return byID
}

// Message is the last copy of the message with msgID that arrived, and its
// envelope recipients.
func (b *Backend) Message(msgID string) (data []byte, to []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.received) - 1; i >= 0; i-- {
		if MessageID(b.received[i].Data) == msgID {
			return b.received[i].Data, b.received[i].To
		}
	}
	return nil, nil
}

// Accepted is how many copies of the message with msgID the server
// acknowledged, or would have if the client had still been there.
func (b *Backend) Accepted(msgID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted[msgID]
}

// Stats is how many messages the server acknowledged in all, over how many
// connections.
func (b *Backend) Stats() (accepted, sessions int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.accepted {
		accepted += n
	}
	return accepted, b.sessions
}

// Counts is how many MAIL and AUTH commands the server saw.
func (b *Backend) Counts() (mail, auth int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mailCalls, b.authCalls
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

// spring runs the trap, if any, at stage.
func (b *Backend) spring(stage Stage) {
	b.mu.Lock()
	tr := b.trap
	if tr == nil || tr.Stage != stage || tr.seen >= tr.At {
		b.mu.Unlock()
		return
	}
	tr.seen++
	fire := tr.seen == tr.At
	b.mu.Unlock()
	if !fire {
		return
	}
	close(tr.Hit)
	if tr.Block {
		<-tr.Release
	}
}

func (b *Backend) refusal(stage Stage) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refusals[stage]
}

// NewSession implements smtp.Backend.
func (b *Backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if b.SessionErr != nil {
		return nil, b.SessionErr
	}
	b.mu.Lock()
	b.init()
	b.sessions++
	b.mu.Unlock()
	return &session{b: b, conn: c}, nil
}

type session struct {
	b         *Backend
	conn      *smtp.Conn
	mechanism string // signed in with; "" before
	msg       Received
}

func (s *session) AuthMechanisms() []string {
	if s.b.Mechanisms == nil {
		return []string{sasl.Plain}
	}
	return s.b.Mechanisms
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.b.mu.Lock()
	s.b.mailCalls++
	s.b.mu.Unlock()
	if s.b.RequireAuth && s.mechanism == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.b.spring(AtMail)
	if err := s.b.refusal(AtMail); err != nil {
		return err
	}
	s.msg = Received{From: from, Mechanism: s.mechanism}
	if opts != nil {
		s.msg.Opts = *opts
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.spring(AtRcpt)
	if err := s.b.RcptErr[to]; err != nil {
		return err
	}
	if err := s.b.refusal(AtRcpt); err != nil {
		return err
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.b.spring(AtBody)
	if s.b.DataFunc != nil {
		return s.b.DataFunc(r, s.conn)
	}
	s.b.mu.Lock()
	behaviour := s.b.behaviour
	s.b.mu.Unlock()
	if behaviour == HangUpMidBody {
		io.CopyN(io.Discard, r, MidBody)
		return s.conn.Conn().Close()
	}
	var err error // the reads return without error only after the final dot
	if s.b.Discard {
		s.msg.Size, err = io.Copy(io.Discard, r)
	} else {
		s.msg.Data, err = io.ReadAll(r)
		s.msg.Size = int64(len(s.msg.Data))
	}
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.received = append(s.b.received, s.msg)
	held := s.b.held
	s.b.mu.Unlock()
	s.b.spring(AtDot)
	switch behaviour {
	case HangUpAfterDot:
		return s.conn.Conn().Close()
	case HoldAfterDot:
		<-held
	}
	if err := s.b.refusal(AtDot); err != nil {
		return err
	}
	msgID := MessageID(s.msg.Data)
	s.b.mu.Lock()
	hook := s.b.dotHook
	s.b.mu.Unlock()
	if hook != nil {
		if err := hook(msgID); err != nil {
			return err
		}
	}
	s.b.mu.Lock()
	s.b.accepted[msgID]++
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset() { s.msg = Received{Mechanism: s.mechanism} }

func (s *session) Logout() error {
	select {
	case s.b.logouts <- struct{}{}:
	default:
	}
	return nil
}
