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
	IssuerName          string   // the issuer's common name, else Issuer
	DNSNames            []string // including IP addresses
	NotBefore, NotAfter time.Time
	SHA256              string // hex fingerprint of the whole certificate
}

func certInfo(cert *x509.Certificate) *CertInfo {
	sum := sha256.Sum256(cert.Raw)
	return &CertInfo{
		Subject:    cert.Subject.String(),
		Issuer:     cert.Issuer.String(),
		IssuerName: issuerName(cert),
		DNSNames:   certNames(cert),
		NotBefore:  cert.NotBefore,
		NotAfter:   cert.NotAfter,
		SHA256:     hex.EncodeToString(sum[:]),
	}
}

// Reason says what went wrong, as precisely as a sentence for the user
// needs to know. The front ends turn it, with the other facts of the
// Error, into sentences in the user's language; this package writes none.
type Reason string

// Reasons found in a server's reply. Class says whether it may work later.
const (
	ReasonServerUnavailable  Reason = "server-unavailable"     // 421: the server closed the connection
	ReasonTooLarge           Reason = "too-large"              // Size, and MaxSize when announced
	ReasonAuthRequired       Reason = "auth-required"          // the server wants a sign-in first
	ReasonNotReady           Reason = "not-ready"              // the greeting or EHLO was refused
	ReasonStartTLSRefused    Reason = "starttls-refused"       // the reply to STARTTLS was an error
	ReasonOAuthRequired      Reason = "oauth-required"         // passwords are no longer accepted (password accounts; Microsoft 5.7.30, 5.7.139)
	ReasonSMTPAuthDisabled   Reason = "smtp-auth-disabled"     // OAuth accounts: the provider turned SMTP sign-in off for the mailbox (Microsoft 5.7.139)
	ReasonAppPassword        Reason = "app-password-required"  // the server wants an app password
	ReasonPasswordRefused    Reason = "password-refused"       // wrong user name, password or token (OAuth)
	ReasonEncryptionRequired Reason = "encryption-required"    // signing in needs an encrypted connection
	ReasonMechanismRefused   Reason = "auth-mechanism-refused" // the server refused the SASL mechanism used
	ReasonSignInRefused      Reason = "sign-in-refused"        // any other refusal of AUTH
	ReasonSenderRefused      Reason = "sender-refused"         // MAIL FROM refused; Address is the sender
	ReasonNoSuchAddress      Reason = "no-such-address"        // x.1.1; Address is the recipient
	ReasonMailboxFull        Reason = "mailbox-full"           // x.2.2; Address is the recipient
	ReasonRecipientRefused   Reason = "recipient-refused"      // any other RCPT refusal
	ReasonRecipientsRefused  Reason = "recipients-refused"     // nothing sent; Recipients says who and why
	ReasonMessageRefused     Reason = "message-refused"        // DATA or the final dot refused
)

// Reasons found by this package, without a server's refusal.
const (
	ReasonNoStartTLS          Reason = "no-starttls"                // STARTTLS not offered
	ReasonStartTLSInjection   Reason = "starttls-injection"         // bytes after the STARTTLS reply
	ReasonUnencryptedPassword Reason = "unencrypted-password"       // sign-in would travel in plain text
	ReasonNoSignIn            Reason = "no-sign-in-offered"         // no AUTH, but a user name is set
	ReasonNoUsableMechanism   Reason = "auth-mechanism-unsupported" // no offered mechanism fits the account
	ReasonSignInNeeded        Reason = "sign-in-needed"             // OAuth: only a new sign-in by the user can give a token; Err is the TokenSource's error
	ReasonTokenUnavailable    Reason = "token-unavailable"          // OAuth: no access token now (provider unreachable, …): Temporary; Err says why
	ReasonNoSMTPUTF8          Reason = "no-smtputf8"
	ReasonNo8BITMIME          Reason = "no-8bitmime"
	ReasonSessionBroken       Reason = "session-broken" // Send after an earlier failure closed the connection
	ReasonEnvelopeIncomplete  Reason = "envelope-incomplete"
	ReasonInvalidAddress      Reason = "invalid-address"        // Address
	ReasonAddressNeedsUTF8    Reason = "address-needs-smtputf8" // Address
	ReasonInvalidHost         Reason = "invalid-host"           // Host
	ReasonInvalidPort         Reason = "invalid-port"           // Port
	ReasonUnknownSecurity     Reason = "unknown-security"       // Setting is the security value
	ReasonLineBreak           Reason = "line-break"             // in the user name or the computer name
	ReasonUnknownMechanism    Reason = "unknown-mechanism"      // Setting is the mechanism
	ReasonInvalidPin          Reason = "invalid-pin"
	ReasonCAFileUnreadable    Reason = "ca-file-unreadable" // Setting is the file
	ReasonCAFileEmpty         Reason = "ca-file-empty"      // Setting is the file
	ReasonMessageMalformed    Reason = "message-malformed"  // the body broke the rules of SMTP: a bug
	ReasonBodyUnreadable      Reason = "body-unreadable"    // reading the body (an attachment) failed
	ReasonSizeChanged         Reason = "size-changed"       // the body's size was not the one announced
	ReasonCancelled           Reason = "cancelled"
	ReasonDeadline            Reason = "deadline"           // the caller's deadline passed
	ReasonStoppedAfterData    Reason = "stopped-after-data" // cancelled once the final dot may have gone: UnknownOutcome
	ReasonLostAfterData       Reason = "lost-after-data"    // lost once the final dot may have gone: UnknownOutcome
	ReasonCertificate         Reason = "certificate"        // CertProblem and Certificate say more
	ReasonDNSFailed           Reason = "dns-failed"
	ReasonDNSNotFound         Reason = "dns-not-found"
	ReasonConnectionRefused   Reason = "connection-refused"
	ReasonConnectTimeout      Reason = "connect-timeout" // Timeout
	ReasonNetworkUnreachable  Reason = "network-unreachable"
	ReasonConnectFailed       Reason = "connect-failed"
	ReasonTimedOut            Reason = "timed-out" // the server stopped answering for Timeout
	ReasonConnectionLost      Reason = "connection-lost"
	ReasonNotTLS              Reason = "not-tls"    // no TLS on this port: perhaps STARTTLS
	ReasonTLSFailed           Reason = "tls-failed" // the handshake failed: perhaps TLS older than 1.2
	ReasonProtocolError       Reason = "protocol-error"
	ReasonUnexpected          Reason = "unexpected"
)

// CertProblem says why a certificate was refused.
type CertProblem string

const (
	CertWrongHost        CertProblem = "wrong-host"        // Certificate.DNSNames do not include Host
	CertExpired          CertProblem = "expired"           // Certificate.NotAfter has passed
	CertNotYetValid      CertProblem = "not-yet-valid"     // Certificate.NotBefore is still to come
	CertSelfSigned       CertProblem = "self-signed"       // signed by its own key
	CertUnknownAuthority CertProblem = "unknown-authority" // Certificate.IssuerName is not trusted
	CertUnverified       CertProblem = "unverified"        // any other reason
)

// Error is every failure of this package. It holds facts only; Error() is
// for logs.
type Error struct {
	Stage        Stage  `json:"stage,omitempty"`
	Class        Class  `json:"class,omitempty"`
	Reason       Reason `json:"reason,omitempty"`
	Code         int    `json:"code,omitempty"`          // the server's reply code, 0 if no reply
	EnhancedCode string `json:"enhanced_code,omitempty"` // RFC 3463, e.g. "5.7.8"
	ServerText   string `json:"server_text,omitempty"`   // the reply text, without codes
	Host         string `json:"host,omitempty"`
	Port         int    `json:"port,omitempty"`
	// Address is the address concerned: the sender for StageMail, the
	// recipient for StageRcpt, the invalid one for StageConfig.
	Address string `json:"address,omitempty"`
	// Size is the message's size and MaxSize the server's SIZE limit, 0 if
	// none was announced.
	Size    int64 `json:"size,omitempty"`
	MaxSize int64 `json:"max_size,omitempty"`
	// Timeout is the wait that ran out, for ReasonTimedOut and
	// ReasonConnectTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Setting is the invalid setting's value, for configuration errors.
	Setting string `json:"setting,omitempty"`
	// OAuth says the account signs in with a token rather than a password.
	OAuth bool `json:"oauth,omitempty"`
	// OAuthMayHelp says that the refusal of a password is one a provider
	// sends when it no longer accepts passwords (Microsoft: 535 5.7.3,
	// 535 5.7.139, 550 5.7.30), so signing in with the provider instead
	// may work. With 5.7.3 it may also be a plain wrong password.
	OAuthMayHelp bool        `json:"oauth_may_help,omitempty"`
	Certificate  *CertInfo   `json:"certificate,omitempty"` // for TLS failures: the certificate presented
	CertProblem  CertProblem `json:"cert_problem,omitempty"`
	// Recipients lists the refused recipients when Stage is StageRcpt, of
	// Attempted recipients tried.
	Recipients []RecipientError `json:"recipients,omitempty"`
	Attempted  int              `json:"attempted,omitempty"`
	Transcript []TranscriptLine `json:"-"`
	Err        error            `json:"-"`

	detail string // technical detail, already free of secrets
}

// Error describes the failure for a log: technical, without secrets.
func (e *Error) Error() string {
	s := fmt.Sprintf("smtp %s: %s %s", e.Stage, e.Class, e.Reason)
	if e.Host != "" {
		s += fmt.Sprintf(" (%s:%d)", e.Host, e.Port)
	}
	if e.Address != "" {
		s += " address " + e.Address
	}
	if e.Code != 0 {
		s += strings.TrimRight(fmt.Sprintf(": server reply %d %s %s", e.Code, e.EnhancedCode, strings.ReplaceAll(e.ServerText, "\n", " ")), " ")
	}
	if e.CertProblem != "" {
		s += ": certificate " + string(e.CertProblem)
	}
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// RecipientError is the refusal of one recipient.
type RecipientError struct {
	Address      string `json:"address"`
	Code         int    `json:"code,omitempty"`
	EnhancedCode string `json:"enhanced_code,omitempty"`
	ServerText   string `json:"server_text,omitempty"`
	Class        Class  `json:"class,omitempty"`
	Reason       Reason `json:"reason,omitempty"` // ReasonNoSuchAddress, ReasonMailboxFull, ReasonRecipientRefused, …
}

func (r RecipientError) Error() string {
	return fmt.Sprintf("recipient %s refused: %s %s: %d %s %s", r.Address, r.Class, r.Reason, r.Code, r.EnhancedCode, r.ServerText)
}

func configError(reason Reason) *Error {
	return &Error{Stage: StageConfig, Class: Permanent, Reason: reason}
}

// errorContext is what errors need to know about the session.
type errorContext struct {
	host     string
	port     int
	oauth    bool
	from     string // sender, for StageMail
	rcpt     string // recipient, for StageRcpt
	size     int64  // message size, for size refusals
	maxSize  int64  // the server's SIZE, 0 if none announced
	timeouts Timeouts
}

// newError is an Error at stage with the session's facts filled in.
func (ec errorContext) newError(stage Stage, class Class, reason Reason) *Error {
	e := &Error{Stage: stage, Class: class, Reason: reason, Host: ec.host, Port: ec.port}
	switch stage {
	case StageMail:
		e.Address = ec.from
	case StageRcpt:
		e.Address = ec.rcpt
	}
	return e
}

// replyError turns a server reply into an Error with the reason that fits
// the stage. Only an authentication reply may speak of passwords.
func replyError(stage Stage, r *smtp.SMTPError, ec errorContext, scrub *strings.Replacer) *Error {
	e := ec.newError(stage, classOf(r.Code), "")
	e.Code, e.ServerText, e.Err = r.Code, scrub.Replace(r.Message), r
	if r.EnhancedCode != smtp.NoEnhancedCode && r.EnhancedCode != (smtp.EnhancedCode{}) {
		e.EnhancedCode = fmt.Sprintf("%d.%d.%d", r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2])
	}
	e.Reason = ReplyReason(stage, e.Code, e.EnhancedCode)
	switch e.Reason {
	case ReasonTooLarge:
		e.Size, e.MaxSize = ec.size, ec.maxSize
	case ReasonAppPassword, ReasonPasswordRefused:
		e.OAuth = ec.oauth
	}
	if stage == StageAuth {
		refineForAccountKind(e, ec.oauth)
	}
	return e
}

// refineForAccountKind reads Microsoft's refusals of AUTH in the light of
// the kind of account. To a password account, 5.7.30 and 5.7.139 mean
// that passwords are off (basic authentication disabled) and 5.7.3 may
// mean the same; to an account that signed in with Microsoft, 5.7.139
// (or 5.7.30) means SMTP sign-in is turned off for the mailbox, which
// only its administrator can turn on ("Authenticated SMTP").
func refineForAccountKind(e *Error, oauth bool) {
	detail := e.EnhancedCode[min(2, len(e.EnhancedCode)):]
	switch {
	case oauth && e.Reason == ReasonOAuthRequired:
		e.Reason, e.OAuth = ReasonSMTPAuthDisabled, true
	case !oauth && e.Reason == ReasonOAuthRequired:
		e.OAuthMayHelp = true
	case !oauth && e.Code == 535 && detail == "7.3":
		e.OAuthMayHelp = true
	}
}

func classOf(code int) Class {
	if code >= 400 && code < 500 {
		return Temporary
	}
	return Permanent
}

// ReplyReason reads a reply's code and enhanced code (RFC 3463, "5.1.1" or
// "") in the light of the stage it answered. The outbox uses it to recover
// the reason of attempts recorded before reasons were stored.
func ReplyReason(stage Stage, code int, enhanced string) Reason {
	detail := enhanced[min(2, len(enhanced)):] // "7.8" of "5.7.8"
	switch {
	case code == 421:
		return ReasonServerUnavailable
	case detail == "3.4" || (code == 552 && (stage == StageData || stage == StageAfterData)):
		return ReasonTooLarge
	case code == 530 || (stage != StageAuth && detail == "7.0" && code == 550):
		return ReasonAuthRequired
	}
	switch stage {
	case StageGreeting, StageEHLO:
		return ReasonNotReady
	case StageTLS:
		return ReasonStartTLSRefused
	case StageAuth:
		return authReason(code, detail)
	case StageMail:
		return ReasonSenderRefused
	case StageRcpt:
		switch detail {
		case "1.1":
			return ReasonNoSuchAddress
		case "2.2":
			return ReasonMailboxFull
		}
		return ReasonRecipientRefused
	}
	return ReasonMessageRefused
}

func authReason(code int, detail string) Reason {
	switch {
	case detail == "7.30" || detail == "7.139":
		return ReasonOAuthRequired
	case detail == "7.3" && code == 535:
		// Microsoft's "Authentication unsuccessful": a wrong password, or
		// passwords turned off (OAuthMayHelp says so).
		return ReasonPasswordRefused
	case detail == "7.9" || code == 534:
		return ReasonAppPassword
	case code == 535 || detail == "7.8":
		return ReasonPasswordRefused
	case code == 538 || detail == "7.11":
		return ReasonEncryptionRequired
	case code == 504 || detail == "7.4" || detail == "5.4":
		return ReasonMechanismRefused
	}
	return ReasonSignInRefused
}

// certError is a certificate Postie does not accept.
type certError struct {
	host string
	cert *x509.Certificate
	err  error
}

func (e *certError) Error() string { return e.err.Error() }
func (e *certError) Unwrap() error { return e.err }

// problem says why the certificate was refused.
func (e *certError) problem() CertProblem {
	c := e.cert
	switch err := e.err.(type) {
	case x509.HostnameError:
		return CertWrongHost
	case x509.CertificateInvalidError:
		switch {
		case err.Reason == x509.Expired && time.Now().After(c.NotAfter):
			return CertExpired
		case err.Reason == x509.Expired:
			return CertNotYetValid
		}
	case x509.UnknownAuthorityError:
		if isSelfSigned(c) {
			return CertSelfSigned
		}
		return CertUnknownAuthority
	}
	return CertUnverified
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
	e = c.errContext.newError(c.stage, Temporary, ReasonUnexpected)
	e.Err, e.detail = err, c.log.scrub.Replace(err.Error())
	afterDot := c.wire != nil && c.wire.dotMayBeSent
	var cert *certError
	var dns *net.DNSError
	var record tls.RecordHeaderError
	switch {
	case ctx.Err() != nil:
		e.Err, e.Reason = ctx.Err(), ReasonCancelled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.Reason = ReasonDeadline
		}
		if afterDot {
			e.Class, e.Reason = UnknownOutcome, ReasonStoppedAfterData
		}
	case errors.As(err, &cert):
		e.Stage, e.Class, e.Reason = StageTLS, Permanent, ReasonCertificate
		e.Certificate, e.CertProblem = certInfo(cert.cert), cert.problem()
	case errors.As(err, &dns):
		e.Stage, e.Reason = StageDNS, ReasonDNSFailed
		if dns.IsNotFound {
			e.Reason = ReasonDNSNotFound
		}
	case c.stage == StageConnect:
		e.Reason = connectReason(err)
		if e.Reason == ReasonConnectTimeout {
			e.Timeout = c.timeouts.Connect
		}
	case afterDot:
		e.Class, e.Reason = UnknownOutcome, ReasonLostAfterData
	case isTimeout(err):
		e.Reason, e.Timeout = ReasonTimedOut, c.currentTimeout()
	case isConnectionLoss(err):
		e.Reason = ReasonConnectionLost
	case errors.As(err, &record):
		e.Class, e.Reason = Permanent, ReasonNotTLS
	case c.stage == StageTLS:
		e.Class, e.Reason = Permanent, ReasonTLSFailed
	case errors.As(err, new(textproto.ProtocolError)):
		e.Class, e.Reason = Permanent, ReasonProtocolError
	}
	return e
}

// currentTimeout says which timeout applies now.
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

func connectReason(err error) Reason {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnectionRefused
	case isTimeout(err):
		return ReasonConnectTimeout
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return ReasonNetworkUnreachable
	}
	return ReasonConnectFailed
}
