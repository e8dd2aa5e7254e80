// Package imapclient files the copy of a sent message in the mailbox's Sent
// folder over IMAP (RFC 9051, RFC 3501), with the same security rules as
// smtpclient: implicit TLS or STARTTLS that is never optional, verified
// certificates or the pinned one for that server (smtpclient's own rules,
// through smtpclient.TLSClientConfig), no LOGIN or AUTHENTICATE before TLS
// (loopback excepted), and transcripts without secrets.
//
// The protocol is spoken by github.com/emersion/go-imap/v2; this package
// adds what filing a copy needs: finding the Sent folder whatever its name
// (RFC 6154 SPECIAL-USE, then the usual names), looking for a Message-ID
// before appending again after a hang-up (SEARCH HEADER), streaming the
// message from its spool file, and errors that are facts (*Error with a
// Stage, a Class and a Reason), never sentences.
//
// A Client is one signed-in connection; several copies share it. Every
// network step has one timeout, Config.Timeout, restarted whenever bytes
// move, so a large APPEND on a slow link is never cut short while it
// progresses; the fixed deadlines go-imap sets (5 minutes for a whole
// APPEND literal) never reach the socket. Cancelling a step's context
// closes the connection. A Client is not safe for concurrent use.
package imapclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Config describes one account's IMAP server.
type Config struct {
	Host     string
	Port     int
	Security smtpclient.Security
	Username string
	Secret   string // password, or OAuth access token when OAuth is set
	OAuth    bool
	// Tokens, when set with OAuth, supplies the access token instead of
	// Secret: it is asked for just before AUTHENTICATE, and once more with
	// renew set when the server refuses it, after which the sign-in is
	// tried once again.
	Tokens smtpclient.TokenSource
	CAFile string
	// RootCAs, when set, replaces the system roots (as in smtpclient).
	RootCAs *x509.CertPool
	// PinSHA256 and PinFor as in smtpclient.Config.
	PinSHA256 string
	PinFor    string
	Timeout   time.Duration // per network step; zero means a default
	// Transcript, when set, receives every line, with secrets redacted.
	Transcript func(line string)
}

// Client is one signed-in IMAP connection. Several copies share one.
type Client struct {
	cfg     Config
	timeout time.Duration
	log     *transcript
	raw     net.Conn // the TCP connection, closed to interrupt anything
	wire    *wireConn
	plus    *plusConn // between go-imap and wire: LITERAL+ for APPEND
	imap    *imapclient.Client
	broken  error // set when a failure closed the connection

	appending bool // an APPEND's literal has started: MayBeFiled
}

// Dial connects, secures the connection and signs in.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.signIn(ctx); err != nil {
		c.imap.Close()
		return nil, err
	}
	return c, nil
}

// Probe connects, signs in and logs out: the connection test.
func Probe(ctx context.Context, cfg Config) error {
	c, err := Dial(ctx, cfg)
	if err != nil {
		return err
	}
	return c.Close()
}

// logoutTimeout bounds the LOGOUT of Close, whatever Config.Timeout is:
// its answer is a courtesy, and a server that stops answering must not
// hold the shutdown of the app, or the short budget of `postie send`.
var logoutTimeout = 5 * time.Second

// Close logs out, waiting for the answer no longer than logoutTimeout,
// and closes the connection.
func (c *Client) Close() error {
	if c == nil || c.imap == nil {
		return nil
	}
	if c.broken == nil {
		cut := time.AfterFunc(min(logoutTimeout, c.timeout), func() { c.raw.Close() })
		c.imap.Logout().Wait()
		cut.Stop()
	}
	c.broken = errors.New("closed")
	c.imap.Close()
	return nil
}

// step runs one network step at stage: the watchdog is armed, and ending
// ctx closes the connection. Any failure becomes an *Error; one that
// broke the connection makes the Client unusable.
func (c *Client) step(ctx context.Context, stage Stage, run func() error) error {
	if c.broken == nil && c.imap != nil && isClosed(c.imap) {
		// go-imap closed the connection after the last step (the server
		// hung up, say): nothing more can be sent on it.
		c.broken = errors.New("the connection was closed after the last step")
	}
	if c.broken != nil {
		e := c.newError(stage, Temporary, ReasonClosed)
		e.Err = c.broken
		return e
	}
	if err := ctx.Err(); err != nil {
		return c.fail(ctx, stage, err)
	}
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	c.wire.arm()
	err := run()
	c.wire.disarm()
	stop()
	if err == nil {
		return nil
	}
	e := c.fail(ctx, stage, err)
	if e.Code == "" && e.ServerText == "" && e.Reason != ReasonLoginRefused {
		// Not the server's answer: the connection is gone or unusable.
		c.broken = e
		c.raw.Close()
	}
	return e
}

// Broken reports whether the Client can no longer be used: a failure, or
// go-imap, closed its connection. Every further step fails at once with
// ReasonClosed; dial a new Client.
func (c *Client) Broken() bool {
	return c == nil || c.imap == nil || c.broken != nil || isClosed(c.imap)
}

// markBroken makes the Client unusable after a failure whose connection
// go-imap has closed, although the server's answer (a refusal) came.
func (c *Client) markBroken(err error) {
	if c.broken == nil {
		c.broken = err
	}
	c.raw.Close()
}

func (c *Client) newError(stage Stage, class Class, reason Reason) *Error {
	return &Error{Stage: stage, Class: class, Reason: reason, Host: c.cfg.Host, Port: c.cfg.Port, OAuth: c.cfg.OAuth}
}

// fail turns any error of a step into an *Error for stage.
func (c *Client) fail(ctx context.Context, stage Stage, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	e = c.newError(stage, Temporary, ReasonUnexpected)
	e.Err = err
	var reply *imap.Error
	var se *smtpclient.Error
	timedOut := c.wire != nil && c.wire.timedOut.Load()
	switch {
	case timedOut || (stage != StageConnect && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil):
		e.Reason, e.Timeout = ReasonTimeout, c.timeout
	case ctx.Err() != nil:
		e.Reason, e.Err = ReasonCancelled, ctx.Err()
	case errors.As(err, &reply):
		e = serverError(stage, reply)
		e.Host, e.Port, e.OAuth = c.cfg.Host, c.cfg.Port, c.cfg.OAuth
	case errors.As(err, &se):
		e.Class, e.Reason = Permanent, ReasonInvalidSettings
	case stage == StageConfig:
		e.Class, e.Reason = Permanent, ReasonInvalidSettings
	case stage == StageConnect:
		e.Reason = connectReason(err)
		if e.Reason == ReasonTimeout {
			e.Timeout = c.timeout
		}
	case stage == StageTLS:
		e.Class, e.Reason = Permanent, ReasonTLSFailed
		if info, problem, ok := smtpclient.CertificateRefusal(err); ok {
			e.Reason, e.Certificate, e.CertProblem = ReasonCertificateNotTrusted, info, problem
		} else if errors.As(err, new(tls.RecordHeaderError)) {
			e.Reason = ReasonNotTLS
		} else if isConnectionLoss(err) {
			e.Class, e.Reason = Temporary, ReasonConnectionLost
		}
	case isTimeout(err):
		e.Reason, e.Timeout = ReasonTimeout, c.timeout
	case isConnectionLoss(err) || (c.imap != nil && isClosed(c.imap)):
		e.Reason = ReasonConnectionLost
	}
	if c.appending && stage == StageAppend && e.Code == "" {
		switch e.Reason {
		case ReasonTimeout, ReasonConnectionLost, ReasonCancelled, ReasonUnexpected:
			e.MayBeFiled = true
		}
	}
	return e
}

// isClosed reports whether go-imap has seen the connection end.
func isClosed(ic *imapclient.Client) bool {
	select {
	case <-ic.Closed():
		return true
	default:
		return false
	}
}
