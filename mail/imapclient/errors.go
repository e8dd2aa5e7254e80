package imapclient

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Stage is the step at which filing failed.
type Stage string

const (
	StageConfig   Stage = "config" // the settings, before any network
	StageConnect  Stage = "connect"
	StageTLS      Stage = "tls" // the TLS handshake, implicit or after STARTTLS
	StageGreeting Stage = "greeting"
	StageStartTLS Stage = "starttls" // CAPABILITY and STARTTLS before TLS
	StageAuth     Stage = "auth"     // LOGIN or AUTHENTICATE
	StageList     Stage = "list"     // LIST and NAMESPACE, finding the Sent folder
	StageCreate   Stage = "create"   // creating the Sent folder
	StageSelect   Stage = "select"   // EXAMINE of the folder to search
	StageSearch   Stage = "search"   // UID SEARCH HEADER Message-ID
	StageAppend   Stage = "append"
)

// Class says what the caller may do after a failure: smtpclient's
// Temporary (try again later) or Permanent (the same will fail the same
// way until the settings or the mailbox change). UnknownOutcome is not
// used: a copy whose APPEND may have been filed has MayBeFiled set.
type Class = smtpclient.Class

const (
	Temporary = smtpclient.Temporary
	Permanent = smtpclient.Permanent
)

// Reason says what went wrong, as precisely as a sentence for the user
// needs. The front ends turn it, with the other facts of the Error, into
// sentences; this package writes none.
type Reason string

// Reasons from the server's answers. Code and ServerText say more.
const (
	// ReasonOverQuota: the mailbox is full (NO [OVERQUOTA], RFC 9208 §4.4;
	// or [LIMIT]). Temporary: filing works again once mail is deleted.
	ReasonOverQuota Reason = "over-quota"
	// ReasonTooBig: the message is larger than the server accepts in an
	// APPEND (NO [TOOBIG], RFC 7889). Permanent.
	ReasonTooBig Reason = "too-big"
	// ReasonTryCreate: the folder does not exist (NO [TRYCREATE], RFC 9051
	// §6.3.12; or [NONEXISTENT] on EXAMINE). Folder says which; the caller
	// should look for the Sent folder again (SentFolder), which creates
	// one when there is none. Temporary.
	ReasonTryCreate Reason = "try-create"
	// ReasonLoginRefused: the server refused the user name and password or
	// token (NO [AUTHENTICATIONFAILED] or [AUTHORIZATIONFAILED], RFC 5530,
	// or a NO without code to LOGIN or AUTHENTICATE). OAuth says whether
	// it was a token. Permanent.
	ReasonLoginRefused Reason = "login-refused"
	// ReasonServerUnavailable: the server said it cannot serve now (BYE,
	// or NO [UNAVAILABLE]). Temporary.
	ReasonServerUnavailable Reason = "server-unavailable"
	// ReasonNoPermission: the server does not let this user write to the
	// folder or create it (NO [NOPERM]). Permanent.
	ReasonNoPermission Reason = "no-permission"
	// ReasonRefused: any other NO or BAD; ServerText is the server's
	// words. Permanent for BAD, Temporary for NO.
	ReasonRefused Reason = "refused"
	// ReasonStartTLSRefused: the server offered STARTTLS but answered it
	// with an error. Permanent.
	ReasonStartTLSRefused Reason = "starttls-refused"
)

// Reasons found by this package, without a refusal from the server.
const (
	// ReasonStartTLSMissing: Security is starttls but the server does not
	// offer STARTTLS; nothing was signed in. Permanent.
	ReasonStartTLSMissing Reason = "starttls-missing"
	// ReasonStartTLSInjection: bytes arrived after the STARTTLS reply and
	// before TLS, which an attacker in the middle would send. Permanent.
	ReasonStartTLSInjection Reason = "starttls-injection"
	// ReasonUnencryptedSignIn: Security is none and the server is not on
	// this computer (loopback), so signing in would send the secret in
	// plain text; nothing was sent. Permanent.
	ReasonUnencryptedSignIn Reason = "unencrypted-sign-in"
	// ReasonCertificateNotTrusted: the server's certificate was refused;
	// Certificate and CertProblem say which and why, as in smtpclient.
	// Permanent until the user accepts it (a pin).
	ReasonCertificateNotTrusted Reason = "certificate-not-trusted"
	// ReasonNotTLS: the server did not answer TLS on a port set for
	// implicit TLS (perhaps it wants STARTTLS). Permanent.
	ReasonNotTLS Reason = "not-tls"
	// ReasonTLSFailed: the TLS handshake failed otherwise. Permanent.
	ReasonTLSFailed Reason = "tls-failed"
	// ReasonNoUsableMechanism: the server offers no sign-in this account
	// can use (LOGINDISABLED without AUTH=PLAIN or AUTH=LOGIN, or no
	// OAUTHBEARER or XOAUTH2 for a token). Permanent.
	ReasonNoUsableMechanism Reason = "auth-mechanism-unsupported"
	// ReasonSignInNeeded: the token source says only a new sign-in with
	// the provider can help (its error's NeedsSignIn). Permanent.
	ReasonSignInNeeded Reason = "sign-in-needed"
	// ReasonTokenUnavailable: the token source failed otherwise (for
	// example the provider could not be reached). Temporary.
	ReasonTokenUnavailable Reason = "token-unavailable"
	// ReasonConnectionRefused, ReasonDNSFailed, ReasonConnectFailed: the
	// connection could not be made. Temporary.
	ReasonConnectionRefused Reason = "connection-refused"
	ReasonDNSFailed         Reason = "dns-failed"
	ReasonConnectFailed     Reason = "connect-failed"
	// ReasonTimeout: the server stopped answering for Timeout. Temporary;
	// MayBeFiled says whether an APPEND was under way.
	ReasonTimeout Reason = "timeout"
	// ReasonConnectionLost: the connection broke. Temporary; MayBeFiled
	// says whether an APPEND was under way, after which the copy may have
	// been filed: search for its Message-ID before appending again.
	ReasonConnectionLost Reason = "connection-lost"
	// ReasonCancelled: the caller's context ended. MayBeFiled as above.
	ReasonCancelled Reason = "cancelled"
	// ReasonMessageUnreadable: reading the message to append failed, or
	// it did not have the announced size; the connection had to be
	// closed, and the copy was not filed. Temporary.
	ReasonMessageUnreadable Reason = "message-unreadable"
	// ReasonClosed: the Client was used after a failure closed it; dial
	// again. Temporary.
	ReasonClosed Reason = "closed"
	// ReasonInvalidSettings: Host, Port or Security is unusable, or the
	// CA file or pin is (Err is then smtpclient's *Error with its
	// Reason and Setting). Permanent.
	ReasonInvalidSettings Reason = "invalid-settings"
	// ReasonUnexpected: anything else; Err says what, for the log.
	ReasonUnexpected Reason = "unexpected"
)

// Error is every failure of this package. It holds facts only; Error() is
// for logs and holds no secret.
type Error struct {
	Stage  Stage  `json:"stage,omitempty"`
	Class  Class  `json:"class,omitempty"`
	Reason Reason `json:"reason,omitempty"`
	// Code is the server's response code without brackets, e.g.
	// "OVERQUOTA"; ServerText the rest of its answer.
	Code       string `json:"code,omitempty"`
	ServerText string `json:"server_text,omitempty"`
	Host       string `json:"host,omitempty"`
	Port       int    `json:"port,omitempty"`
	Folder     string `json:"folder,omitempty"`
	// MayBeFiled: the connection ended after the message's bytes had
	// started to go, so the server may have filed the copy.
	MayBeFiled bool `json:"may_be_filed,omitempty"`
	// OAuth says the account signs in with a token.
	OAuth bool `json:"oauth,omitempty"`
	// Timeout is the wait that ran out, for ReasonTimeout.
	Timeout     time.Duration          `json:"timeout,omitempty"`
	Certificate *smtpclient.CertInfo   `json:"certificate,omitempty"`
	CertProblem smtpclient.CertProblem `json:"cert_problem,omitempty"`
	Err         error                  `json:"-"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("imap %s: %s %s (%s:%d)", e.Stage, e.Class, e.Reason, e.Host, e.Port)
	if e.Folder != "" {
		s += fmt.Sprintf(" folder %q", e.Folder)
	}
	if e.Code != "" || e.ServerText != "" {
		s += fmt.Sprintf(": server said [%s] %s", e.Code, e.ServerText)
	}
	if e.CertProblem != "" {
		s += ": certificate " + string(e.CertProblem)
	}
	if e.MayBeFiled {
		s += ": the copy may have been filed"
	}
	if e.Err != nil && e.Code == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// serverError turns a tagged NO or BAD into an Error at stage.
func serverError(stage Stage, r *imap.Error) *Error {
	e := &Error{Stage: stage, Class: Temporary, Reason: ReasonRefused, Code: string(r.Code), ServerText: r.Text, Err: r}
	if r.Type == imap.StatusResponseTypeBad {
		e.Class = Permanent
	}
	switch r.Code {
	case imap.ResponseCodeOverQuota, imap.ResponseCodeLimit:
		e.Class, e.Reason = Temporary, ReasonOverQuota
	case imap.ResponseCodeTooBig:
		e.Class, e.Reason = Permanent, ReasonTooBig
	case imap.ResponseCodeTryCreate, imap.ResponseCodeNonExistent:
		e.Class, e.Reason = Temporary, ReasonTryCreate
	case imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed:
		e.Class, e.Reason = Permanent, ReasonLoginRefused
	case imap.ResponseCodeUnavailable:
		e.Class, e.Reason = Temporary, ReasonServerUnavailable
	case imap.ResponseCodeNoPerm:
		e.Class, e.Reason = Permanent, ReasonNoPermission
	}
	if r.Type == imap.StatusResponseTypeBye {
		e.Class, e.Reason = Temporary, ReasonServerUnavailable
	}
	if stage == StageAuth && e.Reason == ReasonRefused && r.Type == imap.StatusResponseTypeNo {
		e.Class, e.Reason = Permanent, ReasonLoginRefused
	}
	return e
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isConnectionLoss reports that the connection broke: closed, reset, or
// ended in the middle of a response.
func isConnectionLoss(err error) bool {
	for _, loss := range []error{io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, io.ErrClosedPipe, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, loss) {
			return true
		}
	}
	return false
}

func connectReason(err error) Reason {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return ReasonDNSFailed
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnectionRefused
	case isTimeout(err):
		return ReasonTimeout
	}
	return ReasonConnectFailed
}
