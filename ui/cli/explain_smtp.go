package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The English sentences for what mail/smtpclient and mail/outbox report;
// explain (explain.go) dispatches to them.

// explainFailure writes what the outbox recorded about an attempt.
func explainFailure(f *outbox.Failure) string {
	switch {
	case f == nil:
		return ""
	case !f.Known():
		return f.Legacy
	case f.Note == outbox.NoteSent:
		return "Sent. The server replied: " + f.Reply
	case f.Note == outbox.NotePartlySent:
		return fmt.Sprintf("Sent to %d of %d recipients; the server refused the others: %s",
			f.Accepted, f.Accepted+len(f.Refused), explainRecipients(f.Refused))
	case f.Note == outbox.NoteGaveUp:
		return fmt.Sprintf("Postie tried to send this message for %s without success and has stopped trying. The last problem was: %s",
			plainDuration(f.RetryLimit), explainSMTP(f.Cause))
	case f.Note != outbox.NoteNone:
		return explainNote(f.Note)
	}
	return explainSMTP(f.Cause)
}

// explainNote writes the outbox's own findings.
func explainNote(n outbox.Note) string {
	switch n {
	case outbox.NoteStopped:
		return "You stopped sending this message before it was complete; nothing was sent. It is back among your drafts."
	case outbox.NoteClosing:
		return "Postie was closing, so sending stopped before the message was complete; nothing was sent. It will be sent next time."
	case outbox.NoteProcessLost:
		return "Postie stopped while this message was being sent, so it may or may not have reached the server. Check with a recipient, then send it again or mark it as sent."
	case outbox.NoteRecipientsDamaged:
		return "Postie's outbox holds this message's recipients in a damaged form, so it cannot be sent. Nothing was sent; please write it again."
	case outbox.NoteSpoolDamaged:
		return "Postie's saved copy of this message is missing or damaged, so it cannot be sent. Nothing was sent; please write it again."
	case outbox.NoteNoPassword:
		return explain(accounts.ErrNoSecret)
	case outbox.NoteKeyringUnavailable:
		return explain(&accounts.KeyringError{Problem: accounts.KeyringUnavailable})
	case outbox.NoteKeyringLocked:
		return explain(&accounts.KeyringError{Problem: accounts.KeyringLocked})
	case outbox.NoteKeyringTimedOut:
		return explain(&accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: accounts.DefaultKeyringTimeout})
	case outbox.NoteAccountGone:
		return "The account this message was to be sent from no longer exists. Nothing was sent; send it again from another account."
	case outbox.NoteSignInNeeded:
		return "This account must sign in again with its provider, so nothing was sent. The message waits in the outbox (waiting-for-sign-in) and is sent once the account has signed in again: postie accounts signin NAME."
	case outbox.NoteAccountInvalid:
		return "The settings of the account this message is sent from are not valid, so nothing was sent. Check them with `postie accounts list` and add the account again."
	}
	return string(n)
}

// describeState names a state in a sentence.
func describeState(s outbox.State) string {
	switch s {
	case outbox.StateDraft:
		return "a draft"
	case outbox.StateQueued:
		return "waiting in the outbox"
	case outbox.StateSending:
		return "being sent right now"
	case outbox.StateSent:
		return "already sent"
	case outbox.StateFailed:
		return "failed"
	case outbox.StateRetrying:
		return "waiting to be tried again"
	case outbox.StateUnknown:
		return "in an unknown state (it may have been sent)"
	case outbox.StateWaitingForSignIn:
		return "waiting for its account to sign in again"
	}
	return string(s)
}

// explainSMTP writes a failure of the SMTP session.
func explainSMTP(e *smtpclient.Error) string {
	if e == nil {
		return ""
	}
	temporary := e.Class == smtpclient.Temporary
	// A provider that refuses passwords says how to sign in instead; the
	// hint comes from the provider table, for the server's host.
	withHint := func(s string) string {
		if hint := explainHint(autoconfig.HintFor(e.Host)); hint != "" {
			return s + " " + hint
		}
		return s
	}
	switch e.Reason {
	case smtpclient.ReasonServerUnavailable:
		return fmt.Sprintf("The server %s is not available right now and closed the connection. Try again later.", e.Host)
	case smtpclient.ReasonTooLarge:
		if e.MaxSize > 0 {
			return fmt.Sprintf("The message is %s; this server accepts at most %s.", megabytes(e.Size), megabytes(e.MaxSize))
		}
		return fmt.Sprintf("The message is %s, which is more than this server accepts.", megabytes(e.Size))
	case smtpclient.ReasonAuthRequired:
		return "The server requires you to sign in before sending. Enter your user name and password in the account settings."
	case smtpclient.ReasonNotReady:
		if temporary {
			return fmt.Sprintf("The server %s is busy or not ready. Try again later.", e.Host)
		}
		return fmt.Sprintf("The server %s refused the connection.", e.Host)
	case smtpclient.ReasonStartTLSRefused:
		return fmt.Sprintf("The server %s refused to start an encrypted connection (STARTTLS), so Postie stopped before sending your password or message.", e.Host)
	case smtpclient.ReasonOAuthRequired:
		return "Microsoft no longer accepts a password from mail programs for this account. Switch it to \"Sign in with Microsoft\": remove it and add it again with postie accounts add --email ADDRESS --oauth microsoft."
	case smtpclient.ReasonSMTPAuthDisabled:
		return "The sign-in worked, but sending from mail programs (SMTP AUTH) is turned off for this mailbox. Ask your administrator to enable \"Authenticated SMTP\" for the mailbox (Microsoft 365 admin center, or Set-CASMailbox -SmtpClientAuthenticationDisabled $false), then try again."
	case smtpclient.ReasonSignInNeeded:
		return "This account's sign-in has expired or was withdrawn. Sign in to the account again; the messages waiting for it are then sent."
	case smtpclient.ReasonTokenUnavailable:
		return "Postie could not renew this account's sign-in with its provider right now, so nothing was sent. It is tried again later."
	case smtpclient.ReasonAppPassword:
		return withHint("The server does not accept this kind of sign-in from mail programs; it may require an app password.")
	case smtpclient.ReasonPasswordRefused:
		if e.OAuth {
			return "The server rejected your sign-in. Sign in to your account again."
		}
		if e.OAuthMayHelp {
			return "The server rejected your user name or password. If they are right, Microsoft may no longer accept passwords for this account: switch it to \"Sign in with Microsoft\": remove it and add it again with postie accounts add --email ADDRESS --oauth microsoft."
		}
		return withHint("The server rejected your user name or password.")
	case smtpclient.ReasonEncryptionRequired:
		return "The server requires an encrypted connection for signing in."
	case smtpclient.ReasonMechanismRefused:
		return "The server does not accept the sign-in method Postie used. Choose another one in the account settings."
	case smtpclient.ReasonSignInRefused:
		if temporary {
			return "The server could not check your sign-in right now. Try again later."
		}
		return "The server refused the sign-in."
	case smtpclient.ReasonSenderRefused:
		if temporary {
			return fmt.Sprintf("The server cannot accept a message from %s right now. Try again later.", e.Address)
		}
		return fmt.Sprintf("The server refused to send mail from %s. The sender address usually has to be your own account's address.", e.Address)
	case smtpclient.ReasonNoSuchAddress, smtpclient.ReasonMailboxFull, smtpclient.ReasonRecipientRefused:
		// The only recipient was refused.
		return explainRecipient(e.Reason, e.Class, e.Address) + " Nothing was sent."
	case smtpclient.ReasonRecipientsRefused:
		return fmt.Sprintf("The server refused %d of %d recipients, so nothing was sent. %s", len(e.Recipients), e.Attempted, explainRecipients(e.Recipients))
	case smtpclient.ReasonMessageRefused:
		switch {
		case e.Stage == smtpclient.StageData && temporary:
			return "The server could not accept the message right now; nothing was sent. Try again later."
		case e.Stage == smtpclient.StageData:
			return "The server refused the message; nothing was sent."
		case temporary:
			return "The server could not accept the message right now. Try again later."
		}
		return "The server refused the message."
	case smtpclient.ReasonNoStartTLS:
		return fmt.Sprintf("The server %s does not offer an encrypted connection (STARTTLS), so Postie stopped before sending your password or message. "+
			"Check the port and security settings: port 587 usually needs STARTTLS, port 465 TLS.", e.Host)
	case smtpclient.ReasonStartTLSInjection:
		return fmt.Sprintf("The server %s sent unexpected data while starting encryption, which can mean that someone is tampering with the connection. Postie stopped before sending your password or message.", e.Host)
	case smtpclient.ReasonUnencryptedPassword:
		return fmt.Sprintf("Postie will not send your password to %s over an unencrypted connection. Choose TLS or STARTTLS in the account settings.", e.Host)
	case smtpclient.ReasonNoSignIn:
		return fmt.Sprintf("The server %s does not offer signing in, but this account has a user name. Check the server name and port, or remove the user name.", e.Host)
	case smtpclient.ReasonNoUsableMechanism:
		return "The server does not offer a sign-in method this account can use. Check the sign-in method in the account settings."
	case smtpclient.ReasonNoSMTPUTF8:
		return fmt.Sprintf("This message uses international characters in an address, and the server %s does not accept them (it lacks SMTPUTF8). Use addresses with only Latin letters, or another server.", e.Host)
	case smtpclient.ReasonNo8BITMIME:
		return fmt.Sprintf("This message contains 8-bit data, and the server %s accepts only 7-bit messages (it lacks 8BITMIME).", e.Host)
	case smtpclient.ReasonSessionBroken:
		return "The connection to the server was closed after an earlier failure. Connect again."
	case smtpclient.ReasonEnvelopeIncomplete:
		return "The message needs a sender and at least one recipient."
	case smtpclient.ReasonInvalidAddress:
		return fmt.Sprintf("The address %q is not a valid email address.", e.Address)
	case smtpclient.ReasonAddressNeedsUTF8:
		return fmt.Sprintf("The address %q contains international characters but the message was not prepared for them (SMTPUTF8).", e.Address)
	case smtpclient.ReasonInvalidHost:
		return fmt.Sprintf("The server name %q is not valid. Enter a name like smtp.example.com.", e.Host)
	case smtpclient.ReasonInvalidPort:
		return fmt.Sprintf("The port %d is not valid. Submission servers usually use port 465 (TLS) or 587 (STARTTLS).", e.Port)
	case smtpclient.ReasonUnknownSecurity:
		return fmt.Sprintf("The security setting %q is not known. Choose TLS, STARTTLS or none.", e.Setting)
	case smtpclient.ReasonLineBreak:
		return "The user name or computer name contains a line break, which is not allowed."
	case smtpclient.ReasonUnknownMechanism:
		return fmt.Sprintf("The sign-in method %q is not supported. Supported: %s.", e.Setting, strings.Join(smtpclient.SupportedMechanisms(), ", "))
	case smtpclient.ReasonInvalidPin:
		return "The accepted certificate fingerprint is not a valid SHA-256 fingerprint."
	case smtpclient.ReasonCAFileUnreadable:
		if e.Err != nil {
			return fmt.Sprintf("The certificate authority file %s could not be read: %v.", e.Setting, e.Err)
		}
		return fmt.Sprintf("The certificate authority file %s could not be read.", e.Setting)
	case smtpclient.ReasonCAFileEmpty:
		return fmt.Sprintf("The file %s contains no certificate authority (PEM certificate).", e.Setting)
	case smtpclient.ReasonMessageMalformed:
		return "Postie prepared this message incorrectly, so it was not sent. Please report this problem."
	case smtpclient.ReasonBodyUnreadable:
		return "Part of the message (for example an attachment) could not be read while sending, so it was not sent. Check that all attached files are still there."
	case smtpclient.ReasonSizeChanged:
		return "Postie prepared this message incorrectly (its size changed while sending), so it was not sent. Please report this problem."
	case smtpclient.ReasonCancelled:
		return fmt.Sprintf("The connection to %s was cancelled; nothing was sent.", e.Host)
	case smtpclient.ReasonDeadline:
		return fmt.Sprintf("Postie stopped waiting for %s; nothing was sent.", e.Host)
	case smtpclient.ReasonStoppedAfterData:
		return "The connection was stopped after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again."
	case smtpclient.ReasonLostAfterData:
		return fmt.Sprintf("The connection to %s was lost after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again.", e.Host)
	case smtpclient.ReasonCertificate:
		return explainCertificate(e)
	case smtpclient.ReasonDNSFailed:
		return fmt.Sprintf("The server name %s could not be looked up. Check your internet connection.", e.Host)
	case smtpclient.ReasonDNSNotFound:
		return fmt.Sprintf("The server name %s could not be found. Check the server name, or your internet connection.", e.Host)
	case smtpclient.ReasonConnectionRefused, smtpclient.ReasonConnectTimeout, smtpclient.ReasonNetworkUnreachable, smtpclient.ReasonConnectFailed:
		return explainConnect(e)
	case smtpclient.ReasonTimedOut:
		return fmt.Sprintf("The server %s stopped answering (nothing for %s). Try again later.", e.Host, plainDuration(e.Timeout))
	case smtpclient.ReasonConnectionLost:
		return fmt.Sprintf("The connection to %s was lost; nothing was sent. Try again later.", e.Host)
	case smtpclient.ReasonNotTLS:
		return fmt.Sprintf("The server %s did not answer with encryption on port %d. It may expect STARTTLS (usually port 587) rather than TLS (usually port 465).", e.Host, e.Port)
	case smtpclient.ReasonTLSFailed:
		return fmt.Sprintf("Postie could not set up a secure connection with %s. The server may not support TLS 1.2 or newer.", e.Host)
	case smtpclient.ReasonProtocolError:
		return fmt.Sprintf("The server %s sent a reply Postie does not understand.", e.Host)
	}
	return fmt.Sprintf("Sending failed at the %s step because of an unexpected problem. Try again later.", e.Stage)
}

func explainConnect(e *smtpclient.Error) string {
	where := fmt.Sprintf("Postie could not connect to %s on port %d", e.Host, e.Port)
	const advice = " Check the server name and port, or your internet connection / firewall."
	switch e.Reason {
	case smtpclient.ReasonConnectionRefused:
		return where + ": the connection was refused." + advice
	case smtpclient.ReasonConnectTimeout:
		return where + ": there was no answer within " + plainDuration(e.Timeout) + "." + advice
	case smtpclient.ReasonNetworkUnreachable:
		return where + ": the network cannot be reached." + advice
	}
	return where + "." + advice
}

// explainCertificate says why the certificate was refused, naming what the
// user or the server's administrator can check.
func explainCertificate(e *smtpclient.Error) string {
	c := e.Certificate
	if c == nil {
		c = &smtpclient.CertInfo{}
	}
	switch e.CertProblem {
	case smtpclient.CertWrongHost:
		return fmt.Sprintf("The server's security certificate is for %s, which does not match %s. Check the server name in the account settings.",
			strings.Join(c.DNSNames, ", "), e.Host)
	case smtpclient.CertExpired:
		return fmt.Sprintf("The security certificate of %s expired on %s. The server's administrator must renew it.", e.Host, c.NotAfter.Format("2 January 2006"))
	case smtpclient.CertNotYetValid:
		return fmt.Sprintf("The security certificate of %s is valid only from %s. Check your computer's date and time.", e.Host, c.NotBefore.Format("2 January 2006"))
	case smtpclient.CertSelfSigned:
		return fmt.Sprintf("The security certificate of %s is self-signed, so Postie cannot tell whether it really belongs to the server. If you trust this server, accept its certificate in the account settings.", e.Host)
	case smtpclient.CertUnknownAuthority:
		return fmt.Sprintf("The security certificate of %s was issued by %q, which this computer does not trust. For a company server, add the company's certificate authority file in the account settings.", e.Host, c.IssuerName)
	}
	return fmt.Sprintf("The security certificate of %s could not be verified.", e.Host)
}

func explainRecipients(refused []smtpclient.RecipientError) string {
	s := make([]string, len(refused))
	for i, r := range refused {
		s[i] = explainRecipient(r.Reason, r.Class, r.Address)
	}
	return strings.Join(s, " ")
}

func explainRecipient(reason smtpclient.Reason, class smtpclient.Class, address string) string {
	switch {
	case reason == smtpclient.ReasonNoSuchAddress:
		return fmt.Sprintf("The server says the address %s does not exist.", address)
	case reason == smtpclient.ReasonMailboxFull:
		return fmt.Sprintf("The mailbox of %s is full.", address)
	case class == smtpclient.Temporary:
		return fmt.Sprintf("The server cannot accept mail for %s right now. Try again later.", address)
	}
	return fmt.Sprintf("The server refused the address %s.", address)
}

// megabytes uses binary megabytes (1 MB = 1,048,576 bytes), the unit in
// which providers state their limits ("25 MB" is 26,214,400 bytes).
func megabytes(n int64) string {
	s := strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " MB"
}

// plainDuration writes a duration as people say it: "2 days", "90 minutes".
func plainDuration(d time.Duration) string {
	plural := func(n time.Duration, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return plural(d/(24*time.Hour), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(d/time.Hour, "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(d/time.Minute, "minute")
	case d >= time.Second && d%time.Second == 0:
		return plural(d/time.Second, "second")
	}
	return d.String()
}
