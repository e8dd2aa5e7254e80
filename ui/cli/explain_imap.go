package cli

import (
	"fmt"
	"time"

	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
)

// The command line's sentences for the copy of a sent message in the
// mailbox's Sent folder (IMAP): the copy's state, and why it is not filed.

// explainCopy says in words what became of a sent message's copy in the
// Sent folder, with the reason of a failure and the next try.
func explainCopy(e outbox.Entry) string {
	switch e.SentCopy {
	case outbox.CopyFiled:
		if e.SentFolder == "" {
			return "Copy saved in your Sent folder."
		}
		return fmt.Sprintf("Copy saved in your Sent folder (%s).", escapeControls(e.SentFolder))
	case outbox.CopyPending:
		if e.CopyFailure == nil {
			return "The copy for your Sent folder is being saved."
		}
		return fmt.Sprintf("Saving the copy – will try again at %s: %s.",
			clockTime(e.CopyNextTry), explainCopyFailure(e.CopyFailure))
	case outbox.CopyFailed:
		return fmt.Sprintf("Not saved: %s. `postie log retry-copy %d` tries again.", explainCopyFailure(e.CopyFailure), e.ID)
	case outbox.CopySkipped:
		return "Not saved by Postie: your provider puts a copy in your Sent folder itself."
	}
	if e.State != outbox.StateSent {
		return ""
	}
	return "No copy saved in a Sent folder: the account has no incoming (IMAP) server, or saving a copy is turned off."
}

// clockTime is a time of today as "14:05", another day's with its date.
func clockTime(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// explainCopyFailure says why a copy is not filed, as a clause that
// follows "Not saved: ".
func explainCopyFailure(f *outbox.CopyFailure) string {
	if f == nil {
		return "no reason was recorded"
	}
	switch f.Note {
	case outbox.CopyNoteGaveUp:
		return fmt.Sprintf("Postie tried %d times and has stopped trying; the last problem was that %s",
			f.Tries, explainIMAPReason(f.Reason, f.ServerText, f.Folder))
	case outbox.CopyNoteProcessLost:
		return "Postie stopped while saving it; before saving it again, it looks whether the copy arrived"
	case outbox.CopyNoteSpoolDamaged:
		return "Postie's saved copy of the message is missing or damaged"
	case outbox.CopyNoteBccDamaged:
		return "the blind copy (Bcc) recipients are stored in a damaged form"
	case outbox.CopyNoteNoIMAPServer:
		return "the account has no incoming (IMAP) server any more"
	}
	if f.Account != outbox.NoteNone {
		return "the account's settings could not be read. " + explainNote(f.Account)
	}
	return explainIMAPReason(f.Reason, f.ServerText, f.Folder)
}

// explainIMAPReason writes imapclient's Reason as a clause: "your mailbox
// is full". serverText is the server's own words, folder the folder
// concerned, each "" when unknown.
func explainIMAPReason(reason, serverText, folder string) string {
	switch imapclient.Reason(reason) {
	case imapclient.ReasonOverQuota:
		return "your mailbox is full. Delete some messages (or empty the trash), then try again"
	case imapclient.ReasonTooBig:
		return "the message is larger than your mailbox accepts"
	case imapclient.ReasonTryCreate:
		if folder != "" {
			return fmt.Sprintf("the folder %q does not exist on the incoming (IMAP) server, and Postie could not create a Sent folder", folder)
		}
		return "the Sent folder does not exist on the incoming (IMAP) server, and Postie could not create one"
	case imapclient.ReasonLoginRefused:
		return "the incoming (IMAP) server refused the user name or password. Check them with `postie accounts test`"
	case imapclient.ReasonServerUnavailable:
		return "the incoming (IMAP) server is not available right now"
	case imapclient.ReasonNoPermission:
		return "the incoming (IMAP) server does not let you save messages in the Sent folder"
	case imapclient.ReasonRefused:
		if serverText != "" {
			// The server's words could hold terminal escapes: shown inert.
			return fmt.Sprintf("the incoming (IMAP) server refused it, saying: %s", escapeControls(serverText))
		}
		return "the incoming (IMAP) server refused it"
	case imapclient.ReasonStartTLSRefused, imapclient.ReasonStartTLSMissing:
		return "the incoming (IMAP) server does not offer a secure connection (STARTTLS), so Postie did not sign in"
	case imapclient.ReasonStartTLSInjection:
		return "the connection to the incoming (IMAP) server was tampered with while it was being secured, so Postie did not sign in"
	case imapclient.ReasonUnencryptedSignIn:
		return "the connection to the incoming (IMAP) server is not encrypted, so Postie will not send your password over it"
	case imapclient.ReasonCertificateNotTrusted:
		return "the incoming (IMAP) server's certificate is not trusted, so Postie did not sign in"
	case imapclient.ReasonNotTLS:
		return "the incoming (IMAP) server does not answer with TLS on this port (it may want STARTTLS)"
	case imapclient.ReasonTLSFailed:
		return "a secure connection to the incoming (IMAP) server could not be set up"
	case imapclient.ReasonNoUsableMechanism:
		return "the incoming (IMAP) server offers no way of signing in that Postie can use"
	case imapclient.ReasonSignInNeeded:
		return "you need to sign in with your provider again"
	case imapclient.ReasonTokenUnavailable:
		return "your provider could not give Postie a sign-in token right now"
	case imapclient.ReasonConnectionRefused:
		return "the incoming (IMAP) server refused the connection"
	case imapclient.ReasonDNSFailed:
		return "the incoming (IMAP) server's name could not be found (no network, or a wrong server name)"
	case imapclient.ReasonConnectFailed:
		return "the incoming (IMAP) server could not be reached"
	case imapclient.ReasonTimeout:
		return "the incoming (IMAP) server stopped answering"
	case imapclient.ReasonConnectionLost, imapclient.ReasonClosed:
		return "the connection to the incoming (IMAP) server broke"
	case imapclient.ReasonCancelled:
		return "Postie was closing"
	case imapclient.ReasonMessageUnreadable:
		return "Postie could not read its saved copy of the message"
	case imapclient.ReasonInvalidSettings:
		return "the incoming (IMAP) server settings cannot be used. Check them with `postie accounts show`"
	}
	return "an unexpected problem occurred with the incoming (IMAP) server"
}

// explainCopyState says why a message's copy cannot be saved again.
func explainCopyState(e *outbox.CopyStateError) string {
	switch e.Copy {
	case outbox.CopyFiled:
		return fmt.Sprintf("The copy of message %d is already in your Sent folder.", e.ID)
	case outbox.CopySkipped:
		return fmt.Sprintf("Postie does not save a copy of message %d: the provider puts one in your Sent folder itself.", e.ID)
	}
	return fmt.Sprintf("Postie does not save a copy of message %d: it was not sent, or its account has no incoming (IMAP) server or does not save copies.", e.ID)
}
