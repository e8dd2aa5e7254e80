package ui

import (
	"fmt"
	"strings"
	"unicode"

	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
)

// The window's sentences for the copy of a sent message in the mailbox's
// Sent folder (IMAP): what became of it, and why it is not filed. The
// command line's are in ui/cli/explain_imap.go.

// copyMessage says what became of a sent message's copy in the Sent
// folder, with the reason of a failure and the next try; "" for a message
// not sent.
func copyMessage(e outbox.Entry) string {
	switch e.SentCopy {
	case outbox.CopyFiled:
		if e.SentFolder == "" {
			return lang.L("Copy saved in your Sent folder.")
		}
		return fmt.Sprintf(lang.L("Copy saved in your Sent folder (%s)."), withoutControls(e.SentFolder))
	case outbox.CopyPending:
		if e.CopyFailure == nil {
			return lang.L("The copy for your Sent folder is being saved.")
		}
		return fmt.Sprintf(lang.L("Saving the copy – will try again at %s: %s."),
			formatWhen(e.CopyNextTry), copyFailureMessage(e.CopyFailure))
	case outbox.CopyFailed:
		return fmt.Sprintf(lang.L("Not saved: %s."), copyFailureMessage(e.CopyFailure))
	case outbox.CopySkipped:
		return lang.L("Not saved by Postie: your provider puts a copy in your Sent folder itself.")
	}
	if e.State != outbox.StateSent {
		return ""
	}
	return lang.L("No copy saved in a Sent folder: the account has no incoming (IMAP) server, or saving a copy is turned off.")
}

// copyFailureMessage says why a copy is not filed, as a clause that
// follows "Not saved: ".
func copyFailureMessage(f *outbox.CopyFailure) string {
	if f == nil {
		return lang.L("no reason was recorded")
	}
	switch f.Note {
	case outbox.CopyNoteGaveUp:
		return fmt.Sprintf(lang.L("Postie tried %d times and has stopped trying; the last problem was that %s"),
			f.Tries, imapReasonMessage(f.Reason, f.ServerText, f.Folder))
	case outbox.CopyNoteProcessLost:
		return lang.L("Postie stopped while saving it; before saving it again, it looks whether the copy arrived")
	case outbox.CopyNoteSpoolDamaged:
		return lang.L("Postie's saved copy of the message is missing or damaged")
	case outbox.CopyNoteBccDamaged:
		return lang.L("the blind copy (Bcc) recipients are stored in a damaged form")
	case outbox.CopyNoteNoIMAPServer:
		return lang.L("the account has no incoming (IMAP) server any more")
	}
	if f.Account != outbox.NoteNone {
		return fmt.Sprintf(lang.L("the account's settings could not be read: %s"), noteMessage(f.Account))
	}
	return imapReasonMessage(f.Reason, f.ServerText, f.Folder)
}

// imapReasonMessage writes imapclient's Reason as a clause ("your mailbox
// is full"); serverText is the server's words and folder the folder
// concerned, "" when unknown. The connection test shows it as
// fmt.Sprintf(lang.L("Incoming server (IMAP): %s."), …); see
// imapTestMessage.
func imapReasonMessage(reason, serverText, folder string) string {
	switch imapclient.Reason(reason) {
	case imapclient.ReasonOverQuota:
		return lang.L("your mailbox is full. Delete some messages (or empty the trash), then try again")
	case imapclient.ReasonTooBig:
		return lang.L("the message is larger than your mailbox accepts")
	case imapclient.ReasonTryCreate:
		if folder != "" {
			return fmt.Sprintf(lang.L("the folder %q does not exist on the incoming (IMAP) server, and Postie could not create a Sent folder"), folder)
		}
		return lang.L("the Sent folder does not exist on the incoming (IMAP) server, and Postie could not create one")
	case imapclient.ReasonLoginRefused:
		return lang.L("the incoming (IMAP) server refused the user name or password")
	case imapclient.ReasonServerUnavailable:
		return lang.L("the incoming (IMAP) server is not available right now")
	case imapclient.ReasonNoPermission:
		return lang.L("the incoming (IMAP) server does not let you save messages in the Sent folder")
	case imapclient.ReasonRefused:
		if serverText != "" {
			return fmt.Sprintf(lang.L("the incoming (IMAP) server refused it, saying: %s"), withoutControls(serverText))
		}
		return lang.L("the incoming (IMAP) server refused it")
	case imapclient.ReasonStartTLSRefused, imapclient.ReasonStartTLSMissing:
		return lang.L("the incoming (IMAP) server does not offer a secure connection (STARTTLS), so Postie did not sign in")
	case imapclient.ReasonStartTLSInjection:
		return lang.L("the connection to the incoming (IMAP) server was tampered with while it was being secured, so Postie did not sign in")
	case imapclient.ReasonUnencryptedSignIn:
		return lang.L("the connection to the incoming (IMAP) server is not encrypted, so Postie will not send your password over it")
	case imapclient.ReasonCertificateNotTrusted:
		return lang.L("the incoming (IMAP) server's certificate is not trusted, so Postie did not sign in")
	case imapclient.ReasonNotTLS:
		return lang.L("the incoming (IMAP) server does not answer with TLS on this port (it may want STARTTLS)")
	case imapclient.ReasonTLSFailed:
		return lang.L("a secure connection to the incoming (IMAP) server could not be set up")
	case imapclient.ReasonNoUsableMechanism:
		return lang.L("the incoming (IMAP) server offers no way of signing in that Postie can use")
	case imapclient.ReasonSignInNeeded:
		return lang.L("you need to sign in with your provider again")
	case imapclient.ReasonTokenUnavailable:
		return lang.L("your provider could not give Postie a sign-in token right now")
	case imapclient.ReasonConnectionRefused:
		return lang.L("the incoming (IMAP) server refused the connection")
	case imapclient.ReasonDNSFailed:
		return lang.L("the incoming (IMAP) server's name could not be found (no network, or a wrong server name)")
	case imapclient.ReasonConnectFailed:
		return lang.L("the incoming (IMAP) server could not be reached")
	case imapclient.ReasonTimeout:
		return lang.L("the incoming (IMAP) server stopped answering")
	case imapclient.ReasonConnectionLost, imapclient.ReasonClosed:
		return lang.L("the connection to the incoming (IMAP) server broke")
	case imapclient.ReasonCancelled:
		return lang.L("Postie was closing")
	case imapclient.ReasonMessageUnreadable:
		return lang.L("Postie could not read its saved copy of the message")
	case imapclient.ReasonInvalidSettings:
		return lang.L("the incoming (IMAP) server settings cannot be used")
	}
	return lang.L("an unexpected problem occurred with the incoming (IMAP) server")
}

// imapTestMessage is the sentence for a failed sign-in to the IMAP server
// in the connection test, apart from SMTP's result.
func imapTestMessage(reason, serverText string) string {
	return fmt.Sprintf(lang.L("Incoming server (IMAP): %s."), imapReasonMessage(reason, serverText, ""))
}

// withoutControls is the server's text (its words, a folder's name) with
// control and bidirectional-override characters left out: a label shows
// them harmlessly, but a line break or a reversed run in the server's
// words would make the sentence around them lie.
func withoutControls(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, text)
}
