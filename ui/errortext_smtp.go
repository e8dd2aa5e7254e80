package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The window's sentences for what mail/smtpclient and mail/outbox report;
// errorMessage (errortext.go) dispatches to them.

// failureMessage writes what the outbox recorded about an attempt.
func failureMessage(f *outbox.Failure) string {
	switch {
	case f == nil:
		return ""
	case !f.Known():
		return f.Legacy // recorded in English before facts were kept
	case f.Note == outbox.NoteSent:
		return fmt.Sprintf(lang.L("Sent. The server replied: %s"), f.Reply)
	case f.Note == outbox.NotePartlySent:
		return fmt.Sprintf(lang.L("Sent to %d of %d recipients; the server refused the others: %s"),
			f.Accepted, f.Accepted+len(f.Refused), recipientsMessage(f.Refused))
	case f.Note == outbox.NoteGaveUp:
		return fmt.Sprintf(lang.L("Postie tried to send this message for %s without success and has stopped trying. The last problem was: %s"),
			durationText(f.RetryLimit), smtpMessage(f.Cause))
	case f.Note != outbox.NoteNone:
		return noteMessage(f.Note)
	}
	return smtpMessage(f.Cause)
}

// noteMessage writes the outbox's own findings.
func noteMessage(n outbox.Note) string {
	switch n {
	case outbox.NoteStopped:
		return lang.L("You stopped sending this message before it was complete; nothing was sent. It is back among your drafts.")
	case outbox.NoteClosing:
		return lang.L("Postie was closing, so sending stopped before the message was complete; nothing was sent. It will be sent next time.")
	case outbox.NoteProcessLost:
		return lang.L("Postie stopped while this message was being sent, so it may or may not have reached the server. Check with a recipient, then send it again or mark it as sent.")
	case outbox.NoteRecipientsDamaged:
		return lang.L("Postie's outbox holds this message's recipients in a damaged form, so it cannot be sent. Nothing was sent; please write it again.")
	case outbox.NoteSpoolDamaged:
		return lang.L("Postie's saved copy of this message is missing or damaged, so it cannot be sent. Nothing was sent; please write it again.")
	case outbox.NoteNoPassword:
		return errorMessage(accounts.ErrNoSecret)
	case outbox.NoteKeyringUnavailable:
		return errorMessage(&accounts.KeyringError{Problem: accounts.KeyringUnavailable})
	case outbox.NoteKeyringLocked:
		return errorMessage(&accounts.KeyringError{Problem: accounts.KeyringLocked})
	case outbox.NoteKeyringTimedOut:
		return errorMessage(&accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: accounts.DefaultKeyringTimeout})
	case outbox.NoteAccountGone:
		return lang.L("The account this message was to be sent from no longer exists. Nothing was sent; send it again from another account.")
	case outbox.NoteSignInNeeded:
		return lang.L("This account must sign in again with its provider, so nothing was sent. The message waits in the outbox and is sent once you sign in again under Accounts.")
	case outbox.NoteAccountInvalid:
		return lang.L("The settings of the account this message is sent from are not valid, so nothing was sent. Check them under Accounts.")
	}
	return string(n)
}

// actionName names what outbox.StateError says could not be done.
func actionName(action string) string {
	switch action {
	case "sent now":
		return lang.L("sent now")
	case "retried":
		return lang.L("retried")
	case "discarded":
		return lang.L("discarded")
	case "sent again":
		return lang.L("sent again")
	case "undone":
		return lang.L("taken back")
	case "cancelled":
		return lang.L("cancelled")
	case "marked as sent":
		return lang.L("marked as sent")
	}
	return action
}

// stateName names a state in a sentence.
func stateName(s outbox.State) string {
	switch s {
	case outbox.StateDraft:
		return lang.L("a draft")
	case outbox.StateQueued:
		return lang.L("waiting in the outbox")
	case outbox.StateSending:
		return lang.L("being sent right now")
	case outbox.StateSent:
		return lang.L("already sent")
	case outbox.StateFailed:
		return lang.L("failed")
	case outbox.StateRetrying:
		return lang.L("waiting to be tried again")
	case outbox.StateUnknown:
		return lang.L("in an unknown state (it may have been sent)")
	case outbox.StateWaitingForSignIn:
		return lang.L("waiting for you to sign in again")
	}
	return string(s)
}

// smtpMessage writes a failure of the SMTP session.
func smtpMessage(e *smtpclient.Error) string {
	if e == nil {
		return ""
	}
	temporary := e.Class == smtpclient.Temporary
	// A provider that refuses passwords says how to sign in instead; the
	// hint comes from the provider table, for the server's host.
	withHint := func(s string) string {
		if hint := hintMessage(autoconfig.HintFor(e.Host)); hint != "" {
			return s + " " + hint
		}
		return s
	}
	switch e.Reason {
	case smtpclient.ReasonServerUnavailable:
		return fmt.Sprintf(lang.L("The server %s is not available right now and closed the connection. Try again later."), e.Host)
	case smtpclient.ReasonTooLarge:
		if e.MaxSize > 0 {
			return fmt.Sprintf(lang.L("The message is %s; this server accepts at most %s."), megabytes(e.Size), megabytes(e.MaxSize))
		}
		return fmt.Sprintf(lang.L("The message is %s, which is more than this server accepts."), megabytes(e.Size))
	case smtpclient.ReasonAuthRequired:
		return lang.L("The server requires you to sign in before sending. Enter your user name and password in the account settings.")
	case smtpclient.ReasonNotReady:
		if temporary {
			return fmt.Sprintf(lang.L("The server %s is busy or not ready. Try again later."), e.Host)
		}
		return fmt.Sprintf(lang.L("The server %s refused the connection."), e.Host)
	case smtpclient.ReasonStartTLSRefused:
		return fmt.Sprintf(lang.L("The server %s refused to start an encrypted connection (STARTTLS), so Postie stopped before sending your password or message."), e.Host)
	case smtpclient.ReasonOAuthRequired:
		return lang.L("Microsoft no longer accepts a password from mail programs for this account. Switch the account to \"Sign in with Microsoft\" in its settings.")
	case smtpclient.ReasonSMTPAuthDisabled:
		return lang.L("Your sign-in worked, but sending from mail programs (SMTP AUTH) is turned off for this mailbox. Ask your administrator to enable \"Authenticated SMTP\" for your mailbox in the Microsoft 365 admin center, then try again.")
	case smtpclient.ReasonSignInNeeded:
		return lang.L("This account's sign-in has expired or was withdrawn. Sign in again under Accounts; messages waiting for it are then sent.")
	case smtpclient.ReasonTokenUnavailable:
		return lang.L("Postie could not renew this account's sign-in with its provider right now, so nothing was sent. Postie tries again later.")
	case smtpclient.ReasonAppPassword:
		return withHint(lang.L("The server does not accept this kind of sign-in from mail programs; it may require an app password."))
	case smtpclient.ReasonPasswordRefused:
		if e.OAuth {
			return lang.L("The server rejected your sign-in. Sign in to your account again.")
		}
		if e.OAuthMayHelp {
			return lang.L("The server rejected your user name or password. If they are right, Microsoft may no longer accept passwords for this account: switch it to \"Sign in with Microsoft\" in its settings.")
		}
		return withHint(lang.L("The server rejected your user name or password."))
	case smtpclient.ReasonEncryptionRequired:
		return lang.L("The server requires an encrypted connection for signing in.")
	case smtpclient.ReasonMechanismRefused:
		return lang.L("The server does not accept the sign-in method Postie used. Choose another one in the account settings.")
	case smtpclient.ReasonSignInRefused:
		if temporary {
			return lang.L("The server could not check your sign-in right now. Try again later.")
		}
		return lang.L("The server refused the sign-in.")
	case smtpclient.ReasonSenderRefused:
		if temporary {
			return fmt.Sprintf(lang.L("The server cannot accept a message from %s right now. Try again later."), e.Address)
		}
		return fmt.Sprintf(lang.L("The server refused to send mail from %s. The sender address usually has to be your own account's address."), e.Address)
	case smtpclient.ReasonNoSuchAddress, smtpclient.ReasonMailboxFull, smtpclient.ReasonRecipientRefused:
		// The only recipient was refused.
		return recipientMessage(e.Reason, e.Class, e.Address) + " " + lang.L("Nothing was sent.")
	case smtpclient.ReasonRecipientsRefused:
		return fmt.Sprintf(lang.L("The server refused %d of %d recipients, so nothing was sent."), len(e.Recipients), e.Attempted) +
			" " + recipientsMessage(e.Recipients)
	case smtpclient.ReasonMessageRefused:
		switch {
		case e.Stage == smtpclient.StageData && temporary:
			return lang.L("The server could not accept the message right now; nothing was sent. Try again later.")
		case e.Stage == smtpclient.StageData:
			return lang.L("The server refused the message; nothing was sent.")
		case temporary:
			return lang.L("The server could not accept the message right now. Try again later.")
		}
		return lang.L("The server refused the message.")
	case smtpclient.ReasonNoStartTLS:
		return fmt.Sprintf(lang.L("The server %s does not offer an encrypted connection (STARTTLS), so Postie stopped before sending your password or message. Check the port and security settings: port 587 usually needs STARTTLS, port 465 TLS."), e.Host)
	case smtpclient.ReasonStartTLSInjection:
		return fmt.Sprintf(lang.L("The server %s sent unexpected data while starting encryption, which can mean that someone is tampering with the connection. Postie stopped before sending your password or message."), e.Host)
	case smtpclient.ReasonUnencryptedPassword:
		return fmt.Sprintf(lang.L("Postie will not send your password to %s over an unencrypted connection. Choose TLS or STARTTLS in the account settings."), e.Host)
	case smtpclient.ReasonNoSignIn:
		return fmt.Sprintf(lang.L("The server %s does not offer signing in, but this account has a user name. Check the server name and port, or remove the user name."), e.Host)
	case smtpclient.ReasonNoUsableMechanism:
		return lang.L("The server does not offer a sign-in method this account can use. Check the sign-in method in the account settings.")
	case smtpclient.ReasonNoSMTPUTF8:
		return fmt.Sprintf(lang.L("This message uses international characters in an address, and the server %s does not accept them (it lacks SMTPUTF8). Use addresses with only Latin letters, or another server."), e.Host)
	case smtpclient.ReasonNo8BITMIME:
		return fmt.Sprintf(lang.L("This message contains 8-bit data, and the server %s accepts only 7-bit messages (it lacks 8BITMIME)."), e.Host)
	case smtpclient.ReasonSessionBroken:
		return lang.L("The connection to the server was closed after an earlier failure. Connect again.")
	case smtpclient.ReasonEnvelopeIncomplete:
		return lang.L("The message needs a sender and at least one recipient.")
	case smtpclient.ReasonInvalidAddress:
		return fmt.Sprintf(lang.L("The address %q is not a valid email address."), e.Address)
	case smtpclient.ReasonAddressNeedsUTF8:
		return fmt.Sprintf(lang.L("The address %q contains international characters but the message was not prepared for them (SMTPUTF8)."), e.Address)
	case smtpclient.ReasonInvalidHost:
		return fmt.Sprintf(lang.L("The server name %q is not valid. Enter a name like smtp.example.com."), e.Host)
	case smtpclient.ReasonInvalidPort:
		return fmt.Sprintf(lang.L("The port %d is not valid. Submission servers usually use port 465 (TLS) or 587 (STARTTLS)."), e.Port)
	case smtpclient.ReasonUnknownSecurity:
		return fmt.Sprintf(lang.L("The security setting %q is not known. Choose TLS, STARTTLS or none."), e.Setting)
	case smtpclient.ReasonLineBreak:
		return lang.L("The user name or computer name contains a line break, which is not allowed.")
	case smtpclient.ReasonUnknownMechanism:
		return fmt.Sprintf(lang.L("The sign-in method %q is not supported. Supported: %s."), e.Setting, strings.Join(smtpclient.SupportedMechanisms(), ", "))
	case smtpclient.ReasonInvalidPin:
		return lang.L("The accepted certificate fingerprint is not a valid SHA-256 fingerprint.")
	case smtpclient.ReasonCAFileUnreadable:
		return fmt.Sprintf(lang.L("The certificate authority file %s could not be read."), e.Setting)
	case smtpclient.ReasonCAFileEmpty:
		return fmt.Sprintf(lang.L("The file %s contains no certificate authority (PEM certificate)."), e.Setting)
	case smtpclient.ReasonMessageMalformed:
		return lang.L("Postie prepared this message incorrectly, so it was not sent. Please report this problem.")
	case smtpclient.ReasonBodyUnreadable:
		return lang.L("Part of the message (for example an attachment) could not be read while sending, so it was not sent. Check that all attached files are still there.")
	case smtpclient.ReasonSizeChanged:
		return lang.L("Postie prepared this message incorrectly (its size changed while sending), so it was not sent. Please report this problem.")
	case smtpclient.ReasonCancelled:
		return fmt.Sprintf(lang.L("The connection to %s was cancelled; nothing was sent."), e.Host)
	case smtpclient.ReasonDeadline:
		return fmt.Sprintf(lang.L("Postie stopped waiting for %s; nothing was sent."), e.Host)
	case smtpclient.ReasonStoppedAfterData:
		return lang.L("The connection was stopped after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again.")
	case smtpclient.ReasonLostAfterData:
		return fmt.Sprintf(lang.L("The connection to %s was lost after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again."), e.Host)
	case smtpclient.ReasonCertificate:
		return certificateMessage(e)
	case smtpclient.ReasonDNSFailed:
		return fmt.Sprintf(lang.L("The server name %s could not be looked up. Check your internet connection."), e.Host)
	case smtpclient.ReasonDNSNotFound:
		return fmt.Sprintf(lang.L("The server name %s could not be found. Check the server name, or your internet connection."), e.Host)
	case smtpclient.ReasonConnectionRefused:
		return fmt.Sprintf(lang.L("Postie could not connect to %s on port %d: the connection was refused. Check the server name and port, or your internet connection / firewall."), e.Host, e.Port)
	case smtpclient.ReasonConnectTimeout:
		return fmt.Sprintf(lang.L("Postie could not connect to %s on port %d: there was no answer within %s. Check the server name and port, or your internet connection / firewall."), e.Host, e.Port, durationText(e.Timeout))
	case smtpclient.ReasonNetworkUnreachable:
		return fmt.Sprintf(lang.L("Postie could not connect to %s on port %d: the network cannot be reached. Check the server name and port, or your internet connection / firewall."), e.Host, e.Port)
	case smtpclient.ReasonConnectFailed:
		return fmt.Sprintf(lang.L("Postie could not connect to %s on port %d. Check the server name and port, or your internet connection / firewall."), e.Host, e.Port)
	case smtpclient.ReasonTimedOut:
		return fmt.Sprintf(lang.L("The server %s stopped answering (nothing for %s). Try again later."), e.Host, durationText(e.Timeout))
	case smtpclient.ReasonConnectionLost:
		return fmt.Sprintf(lang.L("The connection to %s was lost; nothing was sent. Try again later."), e.Host)
	case smtpclient.ReasonNotTLS:
		return fmt.Sprintf(lang.L("The server %s did not answer with encryption on port %d. It may expect STARTTLS (usually port 587) rather than TLS (usually port 465)."), e.Host, e.Port)
	case smtpclient.ReasonTLSFailed:
		return fmt.Sprintf(lang.L("Postie could not set up a secure connection with %s. The server may not support TLS 1.2 or newer."), e.Host)
	case smtpclient.ReasonProtocolError:
		return fmt.Sprintf(lang.L("The server %s sent a reply Postie does not understand."), e.Host)
	}
	return fmt.Sprintf(lang.L("Sending failed at the %s step because of an unexpected problem. Try again later."), e.Stage)
}

// certificateMessage says why the certificate was refused, naming what
// the user or the server's administrator can check. Dates are in ISO 8601
// order, which reads the same in every language.
func certificateMessage(e *smtpclient.Error) string {
	c := e.Certificate
	if c == nil {
		c = &smtpclient.CertInfo{}
	}
	switch e.CertProblem {
	case smtpclient.CertWrongHost:
		return fmt.Sprintf(lang.L("The server's security certificate is for %s, which does not match %s. Check the server name in the account settings."),
			strings.Join(c.DNSNames, ", "), e.Host)
	case smtpclient.CertExpired:
		return fmt.Sprintf(lang.L("The security certificate of %s expired on %s. The server's administrator must renew it."), e.Host, c.NotAfter.Format("2006-01-02"))
	case smtpclient.CertNotYetValid:
		return fmt.Sprintf(lang.L("The security certificate of %s is valid only from %s. Check your computer's date and time."), e.Host, c.NotBefore.Format("2006-01-02"))
	case smtpclient.CertSelfSigned:
		return fmt.Sprintf(lang.L("The security certificate of %s is self-signed, so Postie cannot tell whether it really belongs to the server. If you trust this server, accept its certificate in the account settings."), e.Host)
	case smtpclient.CertUnknownAuthority:
		return fmt.Sprintf(lang.L("The security certificate of %s was issued by %q, which this computer does not trust. For a company server, add the company's certificate authority file in the account settings."), e.Host, c.IssuerName)
	}
	return fmt.Sprintf(lang.L("The security certificate of %s could not be verified."), e.Host)
}

func recipientsMessage(refused []smtpclient.RecipientError) string {
	s := make([]string, len(refused))
	for i, r := range refused {
		s[i] = recipientMessage(r.Reason, r.Class, r.Address)
	}
	return strings.Join(s, " ")
}

func recipientMessage(reason smtpclient.Reason, class smtpclient.Class, address string) string {
	switch {
	case reason == smtpclient.ReasonNoSuchAddress:
		return fmt.Sprintf(lang.L("The server says the address %s does not exist."), address)
	case reason == smtpclient.ReasonMailboxFull:
		return fmt.Sprintf(lang.L("The mailbox of %s is full."), address)
	case class == smtpclient.Temporary:
		return fmt.Sprintf(lang.L("The server cannot accept mail for %s right now. Try again later."), address)
	}
	return fmt.Sprintf(lang.L("The server refused the address %s."), address)
}

// megabytes uses binary megabytes (1 MB = 1,048,576 bytes), the unit in
// which providers state their limits ("25 MB" is 26,214,400 bytes), with
// the decimal separator of the user's language.
func megabytes(n int64) string {
	s := strings.TrimSuffix(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".0")
	return fmt.Sprintf(lang.L("%s MB"), strings.Replace(s, ".", lang.L("."), 1))
}

// durationText writes a wait or a retry limit as people say it.
func durationText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf(lang.L("%d days"), int(d/(24*time.Hour)))
	case d == time.Hour:
		return lang.L("1 hour")
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf(lang.L("%d hours"), int(d/time.Hour))
	case d == time.Minute:
		return lang.L("1 minute")
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf(lang.L("%d minutes"), int(d/time.Minute))
	case d == time.Second:
		return lang.L("1 second")
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf(lang.L("%d seconds"), int(d/time.Second))
	}
	return fmt.Sprintf(lang.L("%d milliseconds"), int(d/time.Millisecond))
}
