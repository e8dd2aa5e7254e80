package smtpclient

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-smtp"
)

// Submit connects, signs in, sends one message and quits. body must write
// exactly size bytes of the message with CRLF line endings (RFC 5322 §2.1).
// The Result, with its transcript, is returned even when err is not nil;
// err is then an *Error.
func Submit(ctx context.Context, cfg Config, env Envelope, size int64, body io.WriterTo, opts Options) (*Result, error) {
	s, err := Dial(ctx, cfg)
	if err != nil {
		return &Result{Transcript: transcriptOf(err)}, err
	}
	res, err := s.Send(ctx, env, size, body, opts)
	s.close(ctx)
	res.Transcript = append(res.Transcript, s.c.log.take()...)
	return res, err
}

// Session is a signed-in connection for sending several messages.
// It is not safe for concurrent use.
type Session struct {
	c *conn
}

// Dial connects to the server, secures the connection and signs in. ctx
// bounds only this; each Send has its own.
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return dialConn(ctx, newConn(cfg))
}

func dialConn(ctx context.Context, c *conn) (*Session, error) {
	if err := c.open(ctx); err != nil {
		e := c.fail(ctx, err)
		if c.raw != nil {
			c.raw.Close()
		}
		e.Transcript = c.log.take()
		return nil, e
	}
	return &Session{c: c}, nil
}

// Send sends one message. Between messages it resets the session with RSET
// (RFC 5321 §4.1.1.5). The Result is returned even when err is not nil.
func (s *Session) Send(ctx context.Context, env Envelope, size int64, body io.WriterTo, opts Options) (*Result, error) {
	c := s.c
	res := &Result{}
	if c.broken {
		return res, c.errContext.newError(StageConnect, Temporary, ReasonSessionBroken)
	}
	if err := env.validate(); err != nil {
		return res, err
	}
	stop := context.AfterFunc(ctx, c.abort)
	err := c.send(env, size, body, opts, res)
	if !stop() || !keepsConnection(err) {
		c.broken = true
		c.raw.Close()
	}
	res.Transcript = c.log.take()
	if err == nil {
		return res, nil
	}
	e := c.fail(ctx, err)
	e.Transcript = res.Transcript
	return res, e
}

// keepsConnection reports whether the session is still in step with the
// server after err: the server answered with a refusal (other than 421,
// which closes), or Postie refused before sending anything.
func keepsConnection(err error) bool {
	var reply *smtp.SMTPError
	if errors.As(err, &reply) {
		return reply.Code != 421
	}
	var e *Error
	return err == nil || errors.As(err, &e) && (e.Stage == StageMail || e.Stage == StageRcpt)
}

// Close ends the session politely with QUIT and closes the connection.
func (s *Session) Close() error {
	return s.close(context.Background())
}

// close is Close bounded by ctx as well as by the command timeout.
func (s *Session) close(ctx context.Context) error {
	c := s.c
	if c.broken {
		c.client.Close()
		return nil
	}
	c.broken = true
	stop := context.AfterFunc(ctx, c.abort)
	defer stop()
	if c.client.Quit() == nil {
		return nil // QUIT closed the connection
	}
	// The messages are already accepted; a failed QUIT changes nothing.
	return c.client.Close()
}

// Probe tests an account's settings: connect, TLS, sign in, quit. A
// certificate that is refused is in the returned Error's Certificate, so
// the user can be shown it and asked whether to accept it.
func Probe(ctx context.Context, cfg Config) (*ProbeResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return probe(ctx, newConn(cfg))
}

// Inspect looks at a server without signing in, for account discovery:
// connect, TLS or STARTTLS (still never optional), EHLO, QUIT. It never
// sends AUTH: Username, Secret and OAuth are ignored. A certificate that
// does not verify does not end it; the result's Certificate describes it
// and CertificateProblem says why, for the user to judge. Every other
// failure is an *Error, as for Probe.
func Inspect(ctx context.Context, cfg Config) (*ProbeResult, error) {
	cfg.Username, cfg.Secret, cfg.OAuth = "", "", false
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := newConn(cfg)
	c.inspect = true
	return probe(ctx, c)
}

func probe(ctx context.Context, c *conn) (*ProbeResult, error) {
	s, err := dialConn(ctx, c)
	if err != nil {
		return nil, err
	}
	res := &ProbeResult{Certificate: c.cert, Mechanisms: c.offeredMechanisms(), Mechanism: c.mechanism}
	if c.untrusted != nil {
		res.CertificateProblem = c.untrusted.Error()
	}
	if n, ok := c.client.MaxMessageSize(); ok {
		res.MaxSize = int64(n)
	}
	s.close(ctx)
	res.Transcript = c.log.take()
	return res, nil
}

func (c *conn) send(env Envelope, size int64, body io.WriterTo, opts Options, res *Result) error {
	c.stage = StageMail
	c.wire.startMessage()
	c.errContext.from, c.errContext.size, c.errContext.maxSize = env.From, size, 0
	if c.used {
		if err := c.client.Reset(); err != nil {
			return err
		}
	}
	c.used = true
	if err := c.checkExtensions(env, size); err != nil {
		return err
	}
	// go-smtp adds BODY=8BITMIME whenever the server offers 8BITMIME
	// (RFC 6152 §2); that is harmless for a 7-bit body.
	if err := c.client.Mail(env.From, &smtp.MailOptions{Size: size, UTF8: env.SMTPUTF8}); err != nil {
		return err
	}
	if err := c.recipients(env.To, opts.PartialRecipients, res); err != nil {
		return err
	}
	return c.data(size, body, opts.Progress, res)
}

// recipients sends RCPT for each address and records each reply. When a
// recipient is refused and partial sending is not allowed, it ends the
// transaction with RSET so that nothing is sent.
func (c *conn) recipients(to []string, partial bool, res *Result) error {
	c.stage = StageRcpt
	for _, rcpt := range to {
		err := c.client.Rcpt(rcpt, nil)
		var reply *smtp.SMTPError
		switch {
		case errors.As(err, &reply):
			ec := c.errContext
			ec.rcpt = rcpt
			e := replyError(StageRcpt, reply, ec, c.log.scrub)
			res.Refused = append(res.Refused, RecipientError{Address: rcpt, Code: e.Code, EnhancedCode: e.EnhancedCode,
				ServerText: e.ServerText, Class: e.Class, Reason: e.Reason})
		case err != nil:
			return err
		default:
			res.Accepted = append(res.Accepted, rcpt)
		}
	}
	if len(res.Refused) == 0 || (partial && len(res.Accepted) > 0) {
		return nil
	}
	if err := c.client.Reset(); err != nil {
		return err
	}
	c.used = false
	return c.recipientsError(res, len(to))
}

// data sends DATA, streams the body and waits for the final reply.
func (c *conn) data(size int64, body io.WriterTo, progress func(written, total int64), res *Result) error {
	c.stage = StageData
	data, err := c.client.Data()
	if err != nil {
		return err
	}
	// go-smtp flushed its buffer with the DATA command and has written
	// nothing since, so the next byte written is the stream's first.
	c.wire.setMode(modeBody)
	c.wire.bodyBytes = 0
	w := &bodyWriter{w: data, wire: c.wire, total: size, progress: progress, sevenBit: !c.has("8BITMIME")}
	n, err := body.WriteTo(w)
	if err == nil && w.prevCR {
		err = errBareCR
	}
	if err != nil || n != size {
		// Never send the final dot of an incomplete message: closing the
		// connection makes the server discard it (RFC 5321 §4.1.1.4).
		c.abort()
		return bodyError(err, w, n, size)
	}

	// From here on, every write may carry the end-of-data sequence; see
	// wireConn.noteDataWrite.
	c.stage = StageAfterData
	c.wire.terminatorAt = w.stream.length
	reply, err := data.CloseWithResponse()
	if err != nil {
		return err
	}
	res.Reply = "250 " + reply.StatusText
	return nil
}

// checkExtensions refuses, before MAIL, what the server announced it will
// not take: too large (RFC 1870 §4), international addresses without
// SMTPUTF8 (RFC 6531 §3.4), 8-bit data without 8BITMIME (RFC 6152 §3).
func (c *conn) checkExtensions(env Envelope, size int64) error {
	if max, ok := c.client.MaxMessageSize(); ok && max > 0 {
		c.errContext.maxSize = int64(max)
		if size > int64(max) {
			e := c.errContext.newError(StageMail, Permanent, ReasonTooLarge)
			e.Address, e.Size, e.MaxSize = "", size, int64(max)
			return e
		}
	}
	if env.SMTPUTF8 && !c.has("SMTPUTF8") {
		return c.errContext.newError(StageMail, Permanent, ReasonNoSMTPUTF8)
	}
	if env.EightBit && !c.has("8BITMIME") {
		return c.errContext.newError(StageMail, Permanent, ReasonNo8BITMIME)
	}
	return nil
}

func (c *conn) has(extension string) bool {
	ok, _ := c.client.Extension(extension)
	return ok
}

// recipientsError says that nothing was sent because of the refused
// recipients. With one recipient in all, the error is that recipient's
// refusal; the code and text are always those of the first refusal.
func (c *conn) recipientsError(res *Result, total int) *Error {
	first := res.Refused[0]
	e := c.errContext.newError(StageRcpt, Temporary, ReasonRecipientsRefused)
	e.Recipients, e.Attempted = res.Refused, total
	for _, r := range res.Refused {
		if r.Class == Permanent {
			e.Class = Permanent
		}
	}
	if len(res.Refused) == 1 && total == 1 {
		e.Reason, e.Address = first.Reason, first.Address
	}
	e.Code, e.EnhancedCode, e.ServerText = first.Code, first.EnhancedCode, first.ServerText
	return e
}

// validate refuses an envelope that would break the command line or send
// raw UTF-8 to a server that was not asked for SMTPUTF8.
func (env Envelope) validate() error {
	if env.From == "" || len(env.To) == 0 {
		return configError(ReasonEnvelopeIncomplete)
	}
	for _, addr := range append([]string{env.From}, env.To...) {
		if strings.ContainsAny(addr, "\r\n<> \t") || !strings.Contains(addr, "@") {
			e := configError(ReasonInvalidAddress)
			e.Address = addr
			return e
		}
		if !env.SMTPUTF8 && !isASCII(addr) {
			e := configError(ReasonAddressNeedsUTF8)
			e.Address = addr
			return e
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func transcriptOf(err error) []TranscriptLine {
	var e *Error
	if errors.As(err, &e) {
		return e.Transcript
	}
	return nil
}
