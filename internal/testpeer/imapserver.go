package testpeer

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// IMAPServer is an IMAP server on 127.0.0.1 built from go-imap's own
// server (imapserver with its in-memory store, imapmemserver) that can be
// told to fail the way real servers do: refuse a sign-in, refuse an APPEND
// with a response code, or hang up in the middle of one. Dovecot is the
// well-behaved peer; this one is for the faults.
type IMAPServer struct {
	Host string
	Port int
	Cert tls.Certificate // the server's certificate

	user     *imapmemserver.User
	mu       sync.Mutex
	fault    IMAPFault
	folders  map[string][]imap.MailboxAttr // name → special use
	stored   map[string][][]byte           // folder → messages appended
	logins   int
	tokens   []string // the tokens tried, in order
	opts     IMAPOptions
	received bytes.Buffer // every byte received, before TLS where there is any
}

// IMAPOptions describe an IMAPServer.
type IMAPOptions struct {
	// Security is TLS (implicit), StartTLS (offered) or None: then STARTTLS
	// is not offered and LOGIN is accepted in plain text, so that a test can
	// show that the client never sends it.
	Security Security
	CA       *CA              // issues the certificate for Loopback; nil: self-signed
	Cert     *tls.Certificate // instead of one issued by CA
	User     string
	Password string
	// Folders are created at start; INBOX always exists.
	Folders []string
	// SentFolder, when set, is marked \Sent (RFC 6154) and SPECIAL-USE is
	// announced; when empty, the server knows nothing of special use.
	SentFolder string
	// CreateSpecialUse announces CREATE-SPECIAL-USE (RFC 6154 §3).
	CreateSpecialUse bool
	// Mechanisms are the SASL mechanisms offered (PLAIN, XOAUTH2,
	// OAUTHBEARER); empty means PLAIN. Token is the OAuth access token
	// accepted.
	Mechanisms []string
	Token      string
	// LiteralPlus announces LITERAL+ (RFC 7888) after sign-in, as Dovecot
	// does: the client may then send any literal non-synchronizing, {N+}.
	// Without it the server offers LITERAL- only (go-imap's imapserver
	// always does, for IMAP4rev1).
	LiteralPlus bool
	// AppendLimit, when positive, is announced as APPENDLIMIT=n (RFC 7889),
	// and go-imap's server refuses a larger literal with NO [TOOBIG].
	AppendLimit uint32
}

// IMAPFault is what the server does wrong, until changed with Fault.
type IMAPFault struct {
	RefuseLogin bool // NO [AUTHENTICATIONFAILED] to LOGIN and AUTHENTICATE
	// AppendCode, when set, answers every APPEND with NO [AppendCode]
	// after reading the message, such as imap.ResponseCodeOverQuota or
	// imap.ResponseCodeTryCreate.
	AppendCode imap.ResponseCode
	// DropAppendAfter, when positive, hangs up once that many bytes of the
	// next APPEND's message have arrived, without an answer: the message
	// is lost, unless StoreBeforeDrop, when the server reads it whole and
	// files it before hanging up (the answer lost on the way). It fires
	// once.
	DropAppendAfter int64
	StoreBeforeDrop bool
	// UntaggedAroundAppend, a whole untagged response ending in CRLF, is
	// sent unasked and cut in two: its first half in the same write as
	// the server's next tagged answer to a SEARCH (as a client looks for
	// the Message-ID right before appending), its second half once the
	// next APPEND command has arrived (or before anything else the server
	// writes). The client then sees a response begun before its APPEND
	// and ended after it. Plain connections only (Security None). It
	// fires once.
	UntaggedAroundAppend string
}

// StartIMAP runs an IMAPServer until the test ends.
func StartIMAP(t testing.TB, opts IMAPOptions) *IMAPServer {
	t.Helper()
	s := &IMAPServer{Host: "127.0.0.1", opts: opts, folders: map[string][]imap.MailboxAttr{"INBOX": nil}, stored: map[string][][]byte{}}
	switch {
	case opts.Cert != nil:
		s.Cert = *opts.Cert
	default:
		s.Cert = opts.CA.Issue(t, Loopback)
	}
	mem := imapmemserver.New()
	s.user = imapmemserver.NewUser(opts.User, opts.Password)
	mem.AddUser(s.user)
	for _, f := range append(append([]string{}, opts.Folders...), opts.SentFolder) {
		if f == "" || strings.EqualFold(f, "INBOX") {
			continue
		}
		if err := s.user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
		s.folders[f] = nil
	}
	if err := s.user.Create("INBOX", nil); err != nil && !strings.Contains(err.Error(), "exists") {
		t.Fatal(err)
	}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if opts.SentFolder != "" {
		s.folders[opts.SentFolder] = []imap.MailboxAttr{imap.MailboxAttrSent}
		caps[imap.CapSpecialUse] = struct{}{}
		caps[imap.CapListExtended] = struct{}{}
	}
	if opts.CreateSpecialUse {
		caps[imap.CapCreateSpecialUse] = struct{}{}
	}
	if opts.LiteralPlus {
		caps[imap.CapLiteralPlus] = struct{}{}
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{s.Cert}}
	serverOpts := &imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			session := &faultSession{Session: mem.NewSession(), server: s, conn: conn}
			if opts.AppendLimit > 0 {
				return limitedSession{session}, nil, nil
			}
			return session, nil, nil
		},
		Caps:   caps,
		Logger: log.New(io.Discard, "", 0),
	}
	switch opts.Security {
	case StartTLS:
		serverOpts.TLSConfig = tlsConf
	case None, "":
		serverOpts.InsecureAuth = true
	}
	server := imapserver.New(serverOpts)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	var ln net.Listener = &recordingListener{Listener: l, s: s}
	if opts.Security == TLS {
		ln = tls.NewListener(ln, tlsConf)
	}
	done := make(chan struct{})
	go func() { server.Serve(ln); close(done) }()
	t.Cleanup(func() { server.Close(); <-done })
	return s
}

// Fault sets what the server does wrong from now on.
func (s *IMAPServer) Fault(f IMAPFault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Stored returns the messages appended to folder.
func (s *IMAPServer) Stored(folder string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.stored[folder]...)
}

// Folders returns the folders that exist, with their special use.
func (s *IMAPServer) Folders() map[string][]imap.MailboxAttr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]imap.MailboxAttr{}
	for k, v := range s.folders {
		out[k] = v
	}
	return out
}

// Logins counts the sign-ins attempted, refused or not.
func (s *IMAPServer) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Tokens returns the OAuth tokens tried, in order.
func (s *IMAPServer) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Received returns every byte the server received on the wire: plain
// text where no TLS is used, ciphertext otherwise.
func (s *IMAPServer) Received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received.String()
}

// recordingListener keeps what clients send, for Received.
type recordingListener struct {
	net.Listener
	s *IMAPServer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, s: l.s}, nil
}

type recordingConn struct {
	net.Conn
	s *IMAPServer

	wmu  sync.Mutex
	rest []byte // the second half of UntaggedAroundAppend, still to send
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.s.mu.Lock()
	c.s.received.Write(b[:n])
	c.s.mu.Unlock()
	if bytes.Contains(bytes.ToUpper(b[:n]), []byte(" APPEND ")) {
		c.wmu.Lock()
		c.sendRest()
		c.wmu.Unlock()
	}
	return n, err
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.sendRest()
	c.s.mu.Lock()
	untagged := c.s.fault.UntaggedAroundAppend
	split := untagged != "" && endsTagged(b, "SEARCH")
	if split {
		c.s.fault.UntaggedAroundAppend = "" // once
	}
	c.s.mu.Unlock()
	if !split {
		return c.Conn.Write(b)
	}
	half := len(untagged) / 2
	c.rest = []byte(untagged[half:])
	if _, err := c.Conn.Write(append(append([]byte{}, b...), untagged[:half]...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *recordingConn) sendRest() {
	if len(c.rest) > 0 {
		c.Conn.Write(c.rest)
		c.rest = nil
	}
}

// endsTagged reports whether b ends with a tagged response line that
// names the command.
func endsTagged(b []byte, command string) bool {
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		return false
	}
	line := b[bytes.LastIndexByte(b[:len(b)-2], '\n')+1:]
	return len(line) > 2 && line[0] != '*' && line[0] != '+' && bytes.Contains(bytes.ToUpper(line), []byte(" "+command+" "))
}

// faultSession is imapmemserver's session with the faults, and with the
// special use of folders that imapmemserver does not keep.
type faultSession struct {
	imapserver.Session
	server *IMAPServer
	conn   *imapserver.Conn
}

var errLoginRefused = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials"}

func (f *faultSession) Login(user, password string) error {
	s := f.server
	s.mu.Lock()
	s.logins++
	refuse := s.fault.RefuseLogin
	s.mu.Unlock()
	if refuse {
		return errLoginRefused
	}
	return f.Session.Login(user, password)
}

// AuthenticateMechanisms and Authenticate serve AUTHENTICATE (RFC 9051
// §6.2.2) with the mechanisms of IMAPOptions.
func (f *faultSession) AuthenticateMechanisms() []string {
	if len(f.server.opts.Mechanisms) == 0 {
		return []string{sasl.Plain}
	}
	return f.server.opts.Mechanisms
}

func (f *faultSession) Authenticate(mech string) (sasl.Server, error) {
	s := f.server
	checkToken := func(user, token string) error {
		s.mu.Lock()
		s.logins++
		s.tokens = append(s.tokens, token)
		refuse := s.fault.RefuseLogin || user != s.opts.User || token != s.opts.Token
		s.mu.Unlock()
		if refuse {
			return errLoginRefused
		}
		return f.Session.Login(s.opts.User, s.opts.Password)
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return f.Login(user, pass) }), nil
	case "XOAUTH2":
		return &xoauth2Server{check: checkToken}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if checkToken(o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Unsupported mechanism"}
}

func (f *faultSession) Create(name string, opts *imap.CreateOptions) error {
	if err := f.Session.Create(name, opts); err != nil {
		return err
	}
	f.server.mu.Lock()
	defer f.server.mu.Unlock()
	f.server.folders[name] = nil
	if opts != nil {
		f.server.folders[name] = opts.SpecialUse
	}
	return nil
}

// List answers from the server's own list of folders, with their special
// use when SPECIAL-USE is announced.
func (f *faultSession) List(w *imapserver.ListWriter, ref string, patterns []string, opts *imap.ListOptions) error {
	s := f.server
	s.mu.Lock()
	var list []*imap.ListData
	for name, use := range s.folders {
		for _, p := range patterns {
			if imapserver.MatchList(name, '/', ref, p) {
				list = append(list, &imap.ListData{Mailbox: name, Delim: '/', Attrs: use})
				break
			}
		}
	}
	s.mu.Unlock()
	for _, d := range list {
		if err := w.WriteList(d); err != nil {
			return err
		}
	}
	return nil
}

func (f *faultSession) Append(folder string, r imap.LiteralReader, opts *imap.AppendOptions) (*imap.AppendData, error) {
	s := f.server
	s.mu.Lock()
	fault := s.fault
	s.fault.DropAppendAfter = 0 // once
	s.mu.Unlock()
	if fault.DropAppendAfter > 0 && !fault.StoreBeforeDrop {
		io.CopyN(io.Discard, r, fault.DropAppendAfter)
		f.conn.NetConn().Close()
		return nil, io.ErrUnexpectedEOF
	}
	data, err := io.ReadAll(r)
	if err == nil && int64(len(data)) != r.Size() {
		err = io.ErrUnexpectedEOF // go-imap's literal reader ends quietly at a hang-up
	}
	if err != nil {
		return nil, err
	}
	if fault.AppendCode != "" {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: fault.AppendCode, Text: "Refused by the test: " + string(fault.AppendCode)}
	}
	res, err := f.Session.Append(folder, literal{bytes.NewReader(data)}, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.stored[folder] = append(s.stored[folder], data)
	s.mu.Unlock()
	if fault.DropAppendAfter > 0 {
		f.conn.NetConn().Close()
		return nil, io.ErrUnexpectedEOF
	}
	return res, nil
}

// limitedSession announces IMAPOptions.AppendLimit.
type limitedSession struct{ *faultSession }

func (l limitedSession) AppendLimit() uint32 { return l.server.opts.AppendLimit }

// literal is a message held in memory, as imapmemserver reads it.
type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }
