package outbox

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/imapclient"
)

// copyFailureOf gives the facts of a failed try to file a copy, and
// decides whether the outbox tries again by itself (Temporary). It follows
// imapclient's Class, with one exception: a full mailbox fails at once.
// Deleting mail is the user's to do, every try would be refused the same
// way until then, and "Not saved: your mailbox is full" with a Retry says
// so plainly, where a copy pending for a day and a half would not.
func copyFailureOf(err error) *CopyFailure {
	f := &CopyFailure{Detail: err.Error(), Temporary: true}
	var (
		damaged *copyDamagedError
		ie      *imapclient.Error
	)
	switch {
	case errors.As(err, &damaged):
		f.Note, f.Temporary = damaged.note, false
	case errors.As(err, &ie):
		f.Reason, f.Stage, f.ServerText, f.Folder = string(ie.Reason), string(ie.Stage), ie.ServerText, ie.Folder
		if ie.Host != "" {
			f.Server = net.JoinHostPort(ie.Host, strconv.Itoa(ie.Port))
		}
		f.Temporary = ie.Class != imapclient.Permanent && ie.Reason != imapclient.ReasonOverQuota
	case accountNote(err) != NoteNone:
		f.Account = accountNote(err)
		// A locked or silent keyring may answer later; a missing password
		// or account will not come back by waiting.
		f.Temporary = f.Account == NoteKeyringLocked || f.Account == NoteKeyringTimedOut
	case errors.Is(err, accounts.ErrNoIMAPServer):
		f.Note, f.Temporary = CopyNoteNoIMAPServer, false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		f.Temporary = true
	}
	return f
}

// copySessionUsable reports whether the IMAP connection is still in step
// after a failed try: the server answered the command (a NO with its
// reasons), or nothing was sent at all.
func copySessionUsable(err error) bool {
	var (
		damaged *copyDamagedError
		ie      *imapclient.Error
	)
	switch {
	case errors.Is(err, errAlreadyThere), errors.As(err, &damaged):
		return true
	case errors.As(err, &ie):
		return (ie.Code != "" || ie.ServerText != "") && ie.Reason != imapclient.ReasonClosed &&
			ie.Reason != imapclient.ReasonServerUnavailable
	}
	return false
}

// sessionBroken reports whether a session knows that it cannot be used any
// more although the failure that ended it was the server's answer
// (imapclient.Client's Broken): go-imap v2.0.0-beta.8 closes the connection
// after the server refuses a synchronizing literal before its "+".
func sessionBroken(s CopySession) bool {
	b, ok := s.(interface{ Broken() bool })
	return ok && b.Broken()
}

// copyFolderMissing reports whether APPEND was refused because the folder
// does not exist (TRYCREATE, RFC 9051 §7.1).
func copyFolderMissing(err error) bool {
	var ie *imapclient.Error
	return errors.As(err, &ie) && ie.Reason == imapclient.ReasonTryCreate
}
