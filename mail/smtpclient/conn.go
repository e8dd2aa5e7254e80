package smtpclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// conn is one connection to the server, from dialing to QUIT.
type conn struct {
	cfg      Config
	timeouts Timeouts
	log      *transcript

	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	raw    net.Conn // the TCP connection; closing it interrupts everything
	wire   *wireConn
	client *smtp.Client
	cert   *CertInfo // the verified certificate, nil without TLS
	stage  Stage

	// inspect (Inspect only) goes on with a certificate that does not
	// verify, recording why in untrusted. Inspect never signs in.
	inspect   bool
	untrusted *certError

	mechanism  string // the SASL mechanism used, "" without sign-in
	used       bool   // a transaction was attempted: RSET before the next
	broken     bool   // the connection can no longer be used
	errContext errorContext
}

func newConn(cfg Config) *conn {
	c := &conn{cfg: cfg, timeouts: cfg.Timeouts.withDefaults(), log: newTranscript(cfg.Secret)}
	c.errContext = errorContext{host: cfg.Host, port: cfg.Port, oauth: cfg.OAuth, timeouts: c.timeouts}
	c.dial = cfg.Dialer
	if c.dial == nil {
		c.dial = (&net.Dialer{}).DialContext
	}
	return c
}

// open connects, secures the connection, greets and signs in. While it
// runs, ctx ending closes the connection.
func (c *conn) open(ctx context.Context) error {
	tlsConf, err := tlsConfig(c.cfg)
	if err != nil {
		return err
	}
	if c.inspect {
		c.keepUntrusted(tlsConf)
	}
	c.stage = StageConnect
	addr := net.JoinHostPort(c.cfg.dialHost(), strconv.Itoa(c.cfg.Port))
	dialCtx, cancel := context.WithTimeout(ctx, c.timeouts.Connect)
	c.raw, err = c.dial(dialCtx, "tcp", addr)
	cancel()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.abort)
	if remote := c.raw.RemoteAddr().String(); remote != addr {
		addr += " (" + remote + ")"
	}
	c.log.notef("connected to %s", addr)
	err = c.secureAndGreet(ctx, tlsConf)
	if err == nil {
		err = c.authenticate(ctx)
	}
	if !stop() && err == nil {
		return ctx.Err() // cancelled just as we finished: the connection is closed
	}
	return err
}

// secureAndGreet sets up TLS as the account says and hands the connection
// to go-smtp, which reads the greeting and sends EHLO.
func (c *conn) secureAndGreet(ctx context.Context, tlsConf *tls.Config) error {
	var replay []byte
	var secured net.Conn = c.raw
	switch c.cfg.Security {
	case SecurityTLS:
		tc, err := c.handshake(ctx, tlsConf)
		if err != nil {
			return err
		}
		secured = tc
	case SecurityStartTLS:
		greeting, err := c.startTLS()
		if err != nil {
			return err
		}
		tc, err := c.handshake(ctx, tlsConf)
		if err != nil {
			return err
		}
		secured = tc
		// go-smtp's Client begins by reading a greeting, and the server
		// sends none after STARTTLS (RFC 3207 §4.2): give it the one the
		// server sent before. go-smtp then sends a fresh EHLO, as §4.2
		// requires.
		replay = []byte("220 " + greeting + "\r\n")
	}
	c.wire = newWireConn(secured, c.log, c.timeouts.BodyWrite)
	c.wire.replay = replay
	c.client = smtp.NewClient(c.wire)
	c.client.CommandTimeout = c.timeouts.Command
	c.client.SubmissionTimeout = c.timeouts.FinalReply

	c.stage = StageGreeting
	if replay != nil {
		c.stage = StageEHLO
	}
	err := c.client.Hello(c.cfg.localName())
	if err == nil || c.wire.linesSent > 0 {
		c.stage = StageEHLO
	}
	return err
}

// startTLS speaks the plain part of RFC 3207 itself: greeting, EHLO,
// STARTTLS. It returns the greeting text for replay.
func (c *conn) startTLS() (greeting string, err error) {
	w := newWireConn(c.raw, c.log, c.timeouts.BodyWrite)
	text := textproto.NewReader(bufio.NewReader(w))
	command := func(line string, expect int) (string, error) {
		c.raw.SetDeadline(time.Now().Add(c.timeouts.Command))
		if line != "" {
			if _, err := w.Write([]byte(line + "\r\n")); err != nil {
				return "", err
			}
		}
		_, msg, err := text.ReadResponse(expect)
		var protoErr *textproto.Error
		if errors.As(err, &protoErr) {
			return "", parseReply(protoErr.Code, protoErr.Msg)
		}
		return msg, err
	}

	c.stage = StageGreeting
	msg, err := command("", 220)
	if err != nil {
		return "", err
	}
	greeting, _, _ = strings.Cut(msg, "\n")

	c.stage = StageEHLO
	msg, err = command("EHLO "+c.cfg.localName(), 250)
	var replyErr *smtp.SMTPError
	if errors.As(err, &replyErr) && (replyErr.Code == 500 || replyErr.Code == 502) {
		msg, err = "", nil // no ESMTP, so certainly no STARTTLS
	}
	if err != nil {
		return "", err
	}

	c.stage = StageTLS
	if !hasExtension(msg, "STARTTLS") {
		return "", c.errContext.newError(StageTLS, Permanent, ReasonNoStartTLS)
	}
	if _, err := command("STARTTLS", 220); err != nil {
		return "", err
	}
	// Anything already received was sent before the handshake, in plain
	// text, where an attacker could have injected it (CVE-2011-0411).
	if n := text.R.Buffered() + w.buffered(); n > 0 {
		c.log.notef("%d unexpected bytes after the STARTTLS reply", n)
		return "", c.errContext.newError(StageTLS, Permanent, ReasonStartTLSInjection)
	}
	c.raw.SetDeadline(time.Time{})
	return greeting, nil
}

// hasExtension looks for an EHLO keyword (RFC 5321 §4.1.1.1) in the reply
// text, whose first line is the greeting.
func hasExtension(ehloReply, keyword string) bool {
	lines := strings.Split(ehloReply, "\n")
	for _, line := range lines[1:] {
		if name, _, _ := strings.Cut(line, " "); strings.EqualFold(name, keyword) {
			return true
		}
	}
	return false
}

// handshake runs the TLS handshake over the raw connection, bounded by the
// connect timeout and by ctx.
func (c *conn) handshake(ctx context.Context, conf *tls.Config) (*tls.Conn, error) {
	c.stage = StageTLS
	ctx, cancel := context.WithTimeout(ctx, c.timeouts.Connect)
	defer cancel()
	tc := tls.Client(c.raw, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	state := tc.ConnectionState()
	c.cert = certInfo(state.PeerCertificates[0])
	c.log.notef("%s established (%s); certificate for %s issued by %s, SHA-256 %s",
		tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite),
		strings.Join(c.cert.DNSNames, ", "), c.cert.Issuer, c.cert.SHA256)
	if c.untrusted != nil {
		c.log.notef("the certificate does not verify (%v); looking at the server without signing in", c.untrusted)
	}
	return tc, nil
}

// keepUntrusted lets the handshake accept a certificate that verifyPeer
// refuses, keeping the refusal in c.untrusted. Any other failure, such as
// no certificate at all, still ends the handshake.
func (c *conn) keepUntrusted(conf *tls.Config) {
	verify := conf.VerifyConnection
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		err := verify(cs)
		if errors.As(err, &c.untrusted) {
			return nil
		}
		return err
	}
}

// encrypted reports whether the connection go-smtp uses is TLS with a
// completed handshake.
func (c *conn) encrypted() bool {
	tc, ok := c.wire.Conn.(*tls.Conn)
	return ok && tc.ConnectionState().HandshakeComplete
}

func (c *conn) loopback() bool {
	addr, ok := c.raw.RemoteAddr().(*net.TCPAddr)
	return ok && addr.IP.IsLoopback()
}

// authenticate signs in when the account has a user name (RFC 4954).
func (c *conn) authenticate(ctx context.Context) error {
	if c.cfg.Username == "" {
		return nil
	}
	c.stage = StageAuth
	// go-smtp would send AUTH on any connection; a password or a token must
	// never travel unencrypted, except to a local bridge on this computer.
	if !c.encrypted() {
		if !c.loopback() {
			return c.errContext.newError(StageAuth, Permanent, ReasonUnencryptedPassword)
		}
		c.log.notef("signing in without TLS: the server is on this computer (loopback)")
	}
	offered := c.offeredMechanisms()
	if offered == nil {
		return c.errContext.newError(StageAuth, Permanent, ReasonNoSignIn)
	}
	name, err := chooseMechanism(c.cfg, offered)
	if err != nil {
		e := c.errContext.newError(StageAuth, Permanent, ReasonNoUsableMechanism)
		e.Err, e.detail = err, err.Error()
		return e
	}
	cfg := c.cfg
	tokens := cfg.OAuth && cfg.Tokens != nil
	if tokens {
		// Asked for only now, once the connection is known to be
		// encrypted and to offer a mechanism for it, so a token is never
		// fetched (or refreshed) for a server that cannot take it.
		if cfg.Secret, err = c.accessToken(ctx, false); err != nil {
			return err
		}
	}
	err = c.auth(name, cfg)
	if err == nil || !tokens || !tokenRefused(err) {
		return err
	}
	// The server refused a token Postie believed valid: it may have been
	// revoked, or the clock of one side is off. Ask the provider for a
	// fresh one and try AUTH once more on the same connection, which a
	// refused AUTH leaves usable (RFC 4954 §4: the client may try again).
	// A server that closed it instead makes the second AUTH fail as a
	// lost connection, which the outbox retries later with a fresh one.
	c.log.notef("the server refused the access token; asking the provider for a new one and trying once more")
	if cfg.Secret, err = c.accessToken(ctx, true); err != nil {
		return err
	}
	return c.auth(name, cfg)
}

// auth runs one SASL exchange with the mechanism and cfg's secret.
func (c *conn) auth(name string, cfg Config) error {
	c.wire.setMode(modeAuth)
	defer c.wire.setMode(modeCommand)
	if err := c.client.Auth(mechanisms[name].newClient(cfg)); err != nil {
		return err
	}
	c.mechanism = name
	return nil
}

// tokenRefused reports a refusal of AUTH that says the token itself was
// not accepted (535, 5.7.8), as opposed to a server that is unavailable
// or refuses the mailbox whatever the token.
func tokenRefused(err error) bool {
	var reply *smtp.SMTPError
	if !errors.As(err, &reply) {
		return false
	}
	enhanced := ""
	if reply.EnhancedCode != smtp.NoEnhancedCode && reply.EnhancedCode != (smtp.EnhancedCode{}) {
		enhanced = fmt.Sprintf("%d.%d.%d", reply.EnhancedCode[0], reply.EnhancedCode[1], reply.EnhancedCode[2])
	}
	return ReplyReason(StageAuth, reply.Code, enhanced) == ReasonPasswordRefused
}

// signInNeeded is the method of a TokenSource's error that says only a new
// sign-in by the user can help (oauth.Error has it; this package does not
// import oauth, which builds on it).
type signInNeeded interface{ NeedsSignIn() bool }

// accessToken asks cfg.Tokens for the access token, adds it to the secrets
// scrubbed from the transcript, and turns a failure into an *Error.
func (c *conn) accessToken(ctx context.Context, renew bool) (string, error) {
	token, err := c.cfg.Tokens.AccessToken(ctx, renew)
	if err == nil && token == "" {
		err = errors.New("the token source returned an empty access token")
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var need signInNeeded
		e := c.errContext.newError(StageAuth, Temporary, ReasonTokenUnavailable)
		if errors.As(err, &need) && need.NeedsSignIn() {
			// Permanent for the message as it stands: only the user can
			// help, by signing in again; the outbox keeps it waiting.
			e.Class, e.Reason = Permanent, ReasonSignInNeeded
		}
		e.OAuth, e.Err, e.detail = true, err, c.log.scrub.Replace(err.Error())
		c.log.notef("no access token: %s", e.detail)
		return "", e
	}
	c.log.addSecret(token)
	return token, nil
}

func (c *conn) offeredMechanisms() []string {
	ok, list := c.client.Extension("AUTH")
	if !ok {
		return nil
	}
	return strings.Fields(strings.ToUpper(list))
}

// abort closes the connection at once, interrupting any read or write.
// A message whose final dot was not sent is thereby discarded by the
// server (RFC 5321 §4.1.1.4: the message is complete only with the dot).
// It may run on another goroutine (context.AfterFunc), so it touches
// nothing but the connection.
func (c *conn) abort() {
	c.raw.Close()
}

// parseReply splits an SMTP reply into code, enhanced code (RFC 3463,
// RFC 2034 §4) and text, the same way go-smtp does for its own replies.
func parseReply(code int, msg string) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: code, Message: msg, EnhancedCode: smtp.NoEnhancedCode}
	first, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return e
	}
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return e
	}
	var enh smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return e
		}
		enh[i] = n
	}
	e.EnhancedCode = enh
	e.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return e
}
