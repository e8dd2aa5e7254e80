package smtpclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// Stage is the step of the submission at which something failed.
type Stage string

const (
	StageConfig    Stage = "config" // the settings or the envelope, before any network
	StageDNS       Stage = "dns"
	StageConnect   Stage = "connect"
	StageTLS       Stage = "tls"
	StageGreeting  Stage = "greeting"
	StageEHLO      Stage = "ehlo"
	StageAuth      Stage = "auth"
	StageMail      Stage = "mail"
	StageRcpt      Stage = "rcpt"
	StageData      Stage = "data"
	StageAfterData Stage = "after-data" // waiting for the reply after the final dot
)

// Class says what the caller may do after a failure.
type Class string

const (
	// Temporary: nothing was delivered; retry later.
	Temporary Class = "temporary"
	// Permanent: nothing was delivered; retrying will fail the same way.
	Permanent Class = "permanent"
	// UnknownOutcome: the connection was lost once any byte of the final
	// dot (the end-of-data sequence) may have been sent, so the server may
	// already have the message (RFC 1047; RFC 5321 §6.1). Do not resend
	// without asking the user.
	UnknownOutcome Class = "unknown-outcome"
)

// CertInfo describes a server certificate, for display and for pinning.
type CertInfo struct {
	Subject, Issuer     string
	DNSNames            []string // including IP addresses
	NotBefore, NotAfter time.Time
	SHA256              string // hex fingerprint of the whole certificate
}

func certInfo(cert *x509.Certificate) *CertInfo {
	sum := sha256.Sum256(cert.Raw)
	return &CertInfo{
		Subject:   cert.Subject.String(),
		Issuer:    cert.Issuer.String(),
		DNSNames:  certNames(cert),
		NotBefore: cert.NotBefore,
		NotAfter:  cert.NotAfter,
		SHA256:    hex.EncodeToString(sum[:]),
	}
}

// Error is every failure of this package.
type Error struct {
	Stage        Stage
	Code         int    // the server's reply code, 0 if no reply
	EnhancedCode string // RFC 3463, e.g. "5.7.8"
	ServerText   string // the reply text, without codes
	Class        Class
	// Message says in plain language what happened and what to do.
	Message     string
	Certificate *CertInfo // for TLS failures: the certificate presented
	// Recipients lists the refused recipients when Stage is StageRcpt.
	Recipients []RecipientError
	Transcript []TranscriptLine
	Err        error

	detail string // technical detail, already free of secrets
}

func (e *Error) Error() string {
	if e.detail == "" {
		return e.Message
	}
	return e.Message + " (" + e.detail + ")"
}

func (e *Error) Unwrap() error { return e.Err }

// RecipientError is the refusal of one recipient.
type RecipientError struct {
	Address      string
	Code         int
	EnhancedCode string
	ServerText   string
	Class        Class
	Message      string
}

func (r RecipientError) Error() string {
	return fmt.Sprintf("%s (%d %s %s)", r.Message, r.Code, r.EnhancedCode, r.ServerText)
}

func configError(message string) *Error {
	return &Error{Stage: StageConfig, Class: Permanent, Message: message}
}

// errorContext is what the sentences need to know about the session.
type errorContext struct {
	host     string
	port     int
	hint     string
	oauth    bool
	from     string // sender, for StageMail
	rcpt     string // recipient, for StageRcpt
	size     int64  // message size, for size refusals
	maxSize  int64  // the server's SIZE, 0 if none announced
	timeouts Timeouts
}

// replyError turns a server reply into an Error with a sentence that fits
// the stage. Only an authentication reply may speak of passwords.
func replyError(stage Stage, r *smtp.SMTPError, ec errorContext, scrub *strings.Replacer) *Error {
	e := &Error{Stage: stage, Code: r.Code, ServerText: scrub.Replace(r.Message), Class: classOf(r.Code), Err: r}
	if r.EnhancedCode != smtp.NoEnhancedCode && r.EnhancedCode != (smtp.EnhancedCode{}) {
		e.EnhancedCode = fmt.Sprintf("%d.%d.%d", r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2])
	}
	e.Message = replySentence(stage, e.Code, e.EnhancedCode, ec)
	e.detail = strings.TrimSpace(fmt.Sprintf("server reply: %d %s %s", e.Code, e.EnhancedCode, strings.ReplaceAll(e.ServerText, "\n", " ")))
	return e
}

func classOf(code int) Class {
	if code >= 400 && code < 500 {
		return Temporary
	}
	return Permanent
}

func replySentence(stage Stage, code int, enhanced string, ec errorContext) string {
	detail := enhanced[min(2, len(enhanced)):] // "7.8" of "5.7.8"
	temporary := code >= 400 && code < 500
	switch {
	case code == 421:
		return fmt.Sprintf("The server %s is not available right now and closed the connection. Try again later.", ec.host)
	case detail == "3.4" || (code == 552 && (stage == StageData || stage == StageAfterData)):
		return sizeSentence(ec.size, ec.maxSize)
	case code == 530 || (stage != StageAuth && detail == "7.0" && code == 550):
		return "The server requires you to sign in before sending. Enter your user name and password in the account settings."
	}
	switch stage {
	case StageGreeting, StageEHLO:
		if temporary {
			return fmt.Sprintf("The server %s is busy or not ready. Try again later.", ec.host)
		}
		return fmt.Sprintf("The server %s refused the connection.", ec.host)
	case StageTLS:
		return fmt.Sprintf("The server %s refused to start an encrypted connection (STARTTLS), so Postie stopped before sending your password or message.", ec.host)
	case StageAuth:
		return authSentence(code, detail, ec)
	case StageMail:
		if temporary {
			return fmt.Sprintf("The server cannot accept a message from %s right now. Try again later.", ec.from)
		}
		return fmt.Sprintf("The server refused to send mail from %s. The sender address usually has to be your own account's address.", ec.from)
	case StageRcpt:
		switch {
		case detail == "1.1":
			return fmt.Sprintf("The server says the address %s does not exist.", ec.rcpt)
		case detail == "2.2":
			return fmt.Sprintf("The mailbox of %s is full.", ec.rcpt)
		case temporary:
			return fmt.Sprintf("The server cannot accept mail for %s right now. Try again later.", ec.rcpt)
		}
		return fmt.Sprintf("The server refused the address %s.", ec.rcpt)
	case StageData:
		// The reply to DATA itself: no byte of the message went out.
		if temporary {
			return "The server could not accept the message right now; nothing was sent. Try again later."
		}
		return "The server refused the message; nothing was sent."
	}
	if temporary {
		return "The server could not accept the message right now. Try again later."
	}
	return "The server refused the message."
}

func authSentence(code int, detail string, ec errorContext) string {
	withHint := func(s string) string {
		if ec.hint != "" {
			return s + " " + ec.hint
		}
		return s
	}
	switch {
	case detail == "7.30" || detail == "7.139":
		return "This provider no longer accepts passwords from mail programs; sign in with OAuth instead."
	case detail == "7.9" || code == 534:
		return withHint("The server does not accept this kind of sign-in from mail programs; it may require an app password.")
	case code == 535 || detail == "7.8":
		if ec.oauth {
			return "The server rejected your sign-in. Sign in to your account again."
		}
		return withHint("The server rejected your user name or password.")
	case code == 538 || detail == "7.11":
		return "The server requires an encrypted connection for signing in."
	case code == 504 || detail == "7.4" || detail == "5.4":
		return "The server does not accept the sign-in method Postie used. Choose another one in the account settings."
	case code >= 400 && code < 500:
		return "The server could not check your sign-in right now. Try again later."
	}
	return "The server refused the sign-in."
}

// sizeSentence uses binary megabytes (1 MB = 1,048,576 bytes), the unit in
// which providers state their limits ("25 MB" is 26,214,400 bytes).
func sizeSentence(size, maxSize int64) string {
	if maxSize > 0 {
		return fmt.Sprintf("The message is %s; this server accepts at most %s.", megabytes(size), megabytes(maxSize))
	}
	return fmt.Sprintf("The message is %s, which is more than this server accepts.", megabytes(size))
}

func megabytes(n int64) string {
	s := strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " MB"
}

// certError is a certificate Postie does not accept.
type certError struct {
	host string
	cert *x509.Certificate
	err  error
}

func (e *certError) Error() string { return e.err.Error() }
func (e *certError) Unwrap() error { return e.err }

// sentence explains why the certificate was refused, naming what the user
// or the server's administrator can check.
func (e *certError) sentence() string {
	c := e.cert
	switch err := e.err.(type) {
	case x509.HostnameError:
		return fmt.Sprintf("The server's security certificate is for %s, which does not match %s. Check the server name in the account settings.",
			strings.Join(certNames(c), ", "), e.host)
	case x509.CertificateInvalidError:
		switch {
		case err.Reason == x509.Expired && time.Now().After(c.NotAfter):
			return fmt.Sprintf("The security certificate of %s expired on %s. The server's administrator must renew it.", e.host, c.NotAfter.Format("2 January 2006"))
		case err.Reason == x509.Expired:
			return fmt.Sprintf("The security certificate of %s is valid only from %s. Check your computer's date and time.", e.host, c.NotBefore.Format("2 January 2006"))
		}
	case x509.UnknownAuthorityError:
		if isSelfSigned(c) {
			return fmt.Sprintf("The security certificate of %s is self-signed, so Postie cannot tell whether it really belongs to the server. If you trust this server, accept its certificate in the account settings.", e.host)
		}
		return fmt.Sprintf("The security certificate of %s was issued by %q, which this computer does not trust. For a company server, add the company's certificate authority file in the account settings.", e.host, issuerName(c))
	}
	return fmt.Sprintf("The security certificate of %s could not be verified.", e.host)
}

// isSelfSigned reports a certificate signed with its own key. (Go's
// CheckSignatureFrom would refuse a leaf that is not marked as a CA.)
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isConnectionLoss reports that the connection broke: closed, reset, or
// ended in the middle of a reply.
func isConnectionLoss(err error) bool {
	for _, loss := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, loss) {
			return true
		}
	}
	return false
}

// plainDuration writes a timeout the way a person would say it.
func plainDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0:
		return plural(int(d/time.Second), "second")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// fail turns any error of a session step into an *Error for the current
// stage.
func (c *conn) fail(ctx context.Context, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var reply *smtp.SMTPError
	if errors.As(err, &reply) && ctx.Err() == nil {
		return replyError(c.stage, reply, c.errContext, c.log.scrub)
	}
	e = &Error{Stage: c.stage, Class: Temporary, Err: err, detail: c.log.scrub.Replace(err.Error())}
	afterDot := c.wire != nil && c.wire.dotMayBeSent
	var cert *certError
	var dns *net.DNSError
	var record tls.RecordHeaderError
	switch {
	case ctx.Err() != nil:
		e.Err = ctx.Err()
		e.Message = fmt.Sprintf("The connection to %s was cancelled; nothing was sent.", c.cfg.Host)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.Message = fmt.Sprintf("Postie stopped waiting for %s; nothing was sent.", c.cfg.Host)
		}
		if afterDot {
			e.Class, e.Message = UnknownOutcome, "The connection was stopped after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again."
		}
	case errors.As(err, &cert):
		e.Stage, e.Class, e.Message, e.Certificate = StageTLS, Permanent, cert.sentence(), certInfo(cert.cert)
	case errors.As(err, &dns):
		e.Stage = StageDNS
		e.Message = fmt.Sprintf("The server name %s could not be looked up. Check your internet connection.", c.cfg.Host)
		if dns.IsNotFound {
			e.Message = fmt.Sprintf("The server name %s could not be found. Check the server name, or your internet connection.", c.cfg.Host)
		}
	case c.stage == StageConnect:
		e.Message = connectSentence(err, c.errContext)
	case afterDot:
		e.Class, e.Message = UnknownOutcome, fmt.Sprintf("The connection to %s was lost after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again.", c.cfg.Host)
	case isTimeout(err):
		e.Message = fmt.Sprintf("The server %s stopped answering (nothing for %s). Try again later.", c.cfg.Host, plainDuration(c.currentTimeout()))
	case isConnectionLoss(err):
		e.Message = fmt.Sprintf("The connection to %s was lost; nothing was sent. Try again later.", c.cfg.Host)
	case errors.As(err, &record):
		e.Class, e.Message = Permanent, fmt.Sprintf("The server %s did not answer with encryption on port %d. It may expect STARTTLS (usually port 587) rather than TLS (usually port 465).", c.cfg.Host, c.cfg.Port)
	case c.stage == StageTLS:
		e.Class, e.Message = Permanent, fmt.Sprintf("Postie could not set up a secure connection with %s. The server may not support TLS 1.2 or newer.", c.cfg.Host)
	case errors.As(err, new(textproto.ProtocolError)):
		e.Class, e.Message = Permanent, fmt.Sprintf("The server %s sent a reply Postie does not understand.", c.cfg.Host)
	default:
		e.Message = fmt.Sprintf("Sending failed at the %s step because of an unexpected problem. Try again later.", c.stage)
	}
	return e
}

// currentTimeout says which timeout applies now, for the sentence.
func (c *conn) currentTimeout() time.Duration {
	switch {
	case c.stage == StageConnect || c.stage == StageTLS:
		return c.timeouts.Connect
	case c.wire != nil && c.wire.mode == modeBody:
		return c.timeouts.BodyWrite
	case c.stage == StageAfterData:
		return c.timeouts.FinalReply
	}
	return c.timeouts.Command
}

func connectSentence(err error, ec errorContext) string {
	where := fmt.Sprintf("Postie could not connect to %s on port %d", ec.host, ec.port)
	const advice = " Check the server name and port, or your internet connection / firewall."
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return where + ": the connection was refused." + advice
	case isTimeout(err):
		return where + ": there was no answer within " + plainDuration(ec.timeouts.Connect) + "." + advice
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return where + ": the network cannot be reached." + advice
	}
	return where + "." + advice
}
