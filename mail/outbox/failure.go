package outbox

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/smtpclient"
)

// Note is what the outbox itself concluded about an attempt, beyond what
// the server or the connection said.
type Note string

const (
	NoteNone              Note = ""
	NoteSent              Note = "sent"               // Reply is the server's final reply
	NotePartlySent        Note = "partly-sent"        // sent to Accepted recipients; Refused did not get it
	NoteStopped           Note = "stopped"            // the user stopped it; it is a draft again
	NoteClosing           Note = "closing"            // Postie was closing; it is queued for next time
	NoteGaveUp            Note = "gave-up"            // temporary failures for longer than RetryLimit
	NoteProcessLost       Note = "process-lost"       // the process sending it stopped: outcome unknown
	NoteRecipientsDamaged Note = "recipients-damaged" // the stored recipients do not decode
	NoteSpoolDamaged      Note = "spool-damaged"      // the saved .eml is missing or has the wrong size
	NoteSignInNeeded      Note = "sign-in-needed"     // the account must sign in again with its provider; nothing was sent
	// The account could not give its settings, so nothing was sent:
	NoteNoPassword         Note = "no-password"         // no saved password (kept for a session that ended, say)
	NoteKeyringUnavailable Note = "keyring-unavailable" // no password store on this computer
	NoteKeyringLocked      Note = "keyring-locked"      // the password store is locked
	NoteKeyringTimedOut    Note = "keyring-timed-out"   // the password store did not answer
	NoteAccountGone        Note = "account-gone"        // the account was removed
	NoteAccountInvalid     Note = "account-invalid"     // the account's settings are not valid
)

// Failure is what the user should be told about an attempt's result, as
// facts: the front ends write the sentence when they show it, in the
// user's language. A Failure with NoteSent reports success.
type Failure struct {
	Note  Note   `json:"note,omitempty"`
	Reply string `json:"reply,omitempty"` // NoteSent: the server's final reply
	// RetryLimit is how long temporary failures were retried, for NoteGaveUp.
	RetryLimit time.Duration `json:"retry_limit,omitempty"`
	// Accepted counts the recipients that got the message, and Refused
	// lists the others, for NotePartlySent.
	Accepted int                         `json:"accepted,omitempty"`
	Refused  []smtpclient.RecipientError `json:"refused,omitempty"`
	// Cause is what went wrong, as smtpclient reports it; nil for a send
	// and for the outbox's own findings.
	Cause *smtpclient.Error `json:"cause,omitempty"`
	// Legacy is the English sentence recorded before facts were kept, for
	// a row whose facts could not be recovered from it.
	Legacy string `json:"legacy,omitempty"`
}

// Known says whether the facts suffice for a sentence; if not, show Legacy.
func (f *Failure) Known() bool {
	return f.Note != NoteNone || (f.Cause != nil && f.Cause.Reason != "")
}

// DamagedError is a message whose stored form cannot be sent. It is
// permanent: trying again would read the same damaged data.
type DamagedError struct {
	Note Note // NoteRecipientsDamaged or NoteSpoolDamaged
	Err  error
}

func (e *DamagedError) Error() string { return "outbox: " + string(e.Note) + ": " + e.Err.Error() }
func (e *DamagedError) Unwrap() error { return e.Err }

// damaged wraps a DamagedError in the shape of smtpclient's errors, so
// that one set of rules classifies every failure.
func damaged(note Note, err error) *smtpclient.Error {
	return &smtpclient.Error{Stage: smtpclient.StageConfig, Class: smtpclient.Permanent, Err: &DamagedError{Note: note, Err: err}}
}

// failureOf gives the facts of a failed attempt, with note saying what the
// outbox made of it.
func failureOf(e *smtpclient.Error, note Note) *Failure {
	var d *DamagedError
	if note == NoteNone && errors.As(e, &d) {
		note = d.Note
	}
	if note == NoteNone && e.Err != nil {
		note = accountNote(e.Err)
	}
	return &Failure{Note: note, Cause: e}
}

// accountNote names why the account could not give its settings. The
// error itself is not stored (only facts are), so without a note the
// sentence shown later could only say "an unexpected problem".
func accountNote(err error) Note {
	var (
		keyring  *accounts.KeyringError
		notFound *accounts.NotFoundError
		invalid  *accounts.InvalidError
	)
	switch {
	case errors.Is(err, accounts.ErrNoSecret):
		return NoteNoPassword
	case errors.As(err, &keyring):
		switch keyring.Problem {
		case accounts.KeyringUnavailable:
			return NoteKeyringUnavailable
		case accounts.KeyringLocked:
			return NoteKeyringLocked
		case accounts.KeyringTimedOut:
			return NoteKeyringTimedOut
		}
	case errors.As(err, &notFound):
		return NoteAccountGone
	case errors.As(err, &invalid):
		return NoteAccountInvalid
	}
	return NoteNone
}

// encode is the JSON stored in the failure columns; "" for none.
func (f *Failure) encode() string {
	if f == nil {
		return ""
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// decodeFailure reads a failure column, falling back on the legacy
// sentence of a row that has no facts.
func decodeFailure(stored, legacy string) *Failure {
	if stored == "" {
		if legacy == "" {
			return nil
		}
		return &Failure{Legacy: legacy}
	}
	var f Failure
	if err := json.Unmarshal([]byte(stored), &f); err != nil {
		return &Failure{Legacy: legacy}
	}
	return &f
}

// legacyNotes are the fixed English sentences older versions stored, with
// the note each one stands for.
var legacyNotes = map[string]Note{
	"Postie stopped while this message was being sent, so it may or may not have reached the server. Check with a recipient, then send it again or mark it as sent.": NoteProcessLost,
	"You stopped sending this message before it was complete; nothing was sent. It is back among your drafts.":                                                       NoteStopped,
	"Postie was closing, so sending stopped before the message was complete; nothing was sent. It will be sent next time.":                                           NoteClosing,
	"Postie's outbox holds this message's recipients in a damaged form, so it cannot be sent. Nothing was sent; please write it again.":                              NoteRecipientsDamaged,
	"Postie's saved copy of this message is missing or damaged, so it cannot be sent. Nothing was sent; please write it again.":                                      NoteSpoolDamaged,
}

// recoverFailure derives the facts of an attempt recorded as a sentence:
// the outbox's own fixed sentences, a send, or a server's reply with the
// stage and class it was stored with. The sentence stays as the fallback.
func recoverFailure(sentence, class, stage, reply string, recipients []string) *Failure {
	if sentence == "" {
		return nil
	}
	f := &Failure{Legacy: sentence}
	if note, ok := legacyNotes[sentence]; ok {
		f.Note = note
		return f
	}
	if rest, ok := strings.CutPrefix(sentence, "Sent. The server replied: "); ok && class == "" {
		f.Note, f.Reply = NoteSent, rest
		return f
	}
	if class == "" || stage == "" {
		return f
	}
	e := &smtpclient.Error{Stage: smtpclient.Stage(stage), Class: smtpclient.Class(class)}
	e.Code, e.EnhancedCode, e.ServerText = parseReply(reply)
	if e.Code == 0 || strings.HasPrefix(sentence, "Postie tried to send this message for") {
		return f
	}
	e.Reason = smtpclient.ReplyReason(e.Stage, e.Code, e.EnhancedCode)
	switch e.Reason {
	case smtpclient.ReasonNoSuchAddress, smtpclient.ReasonMailboxFull, smtpclient.ReasonRecipientRefused:
		// The sentence named the refused address; it is known only when
		// the message had one recipient.
		if len(recipients) != 1 {
			return f
		}
		e.Address = recipients[0]
	case smtpclient.ReasonSenderRefused, smtpclient.ReasonTooLarge, smtpclient.ReasonServerUnavailable, smtpclient.ReasonNotReady:
		return f // the sentence named a sender, sizes or a host not stored apart
	}
	f.Cause = e
	return f
}

// parseReply splits "550 5.1.1 text" into its code, enhanced code and text.
func parseReply(reply string) (code int, enhanced, text string) {
	first, rest, _ := strings.Cut(reply, " ")
	code, err := strconv.Atoi(first)
	if err != nil || code < 200 || code > 599 {
		return 0, "", ""
	}
	maybe, after, _ := strings.Cut(rest, " ")
	if parts := strings.Split(maybe, "."); len(parts) == 3 && strings.Trim(maybe, "0123456789.") == "" {
		return code, maybe, after
	}
	return code, "", rest
}

// recoverFailures gives facts to the rows recorded before facts were
// kept: attempts, then each message's last failure, then the history.
// It touches only rows without facts, so it runs at every Open in
// constant time once done.
func recoverFailures(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT a.id, a.outcome, a.class, a.stage, a.server_reply, m.env_to
		FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message WHERE a.failure = '' AND a.outcome <> ''`)
	if err != nil {
		return err
	}
	type update struct {
		id      int64
		failure string
	}
	var updates []update
	for rows.Next() {
		var id int64
		var outcome, class, stage, reply, envTo string
		if err := rows.Scan(&id, &outcome, &class, &stage, &reply, &envTo); err != nil {
			rows.Close()
			return err
		}
		var to []string
		json.Unmarshal([]byte(envTo), &to)
		updates = append(updates, update{id, recoverFailure(outcome, class, stage, reply, to).encode()})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range updates {
		if _, err := tx.Exec(`UPDATE outbox_attempts SET failure = ? WHERE id = ?`, u.failure, u.id); err != nil {
			return err
		}
	}
	// A message's last failure is its last attempt's, when they say the same.
	if _, err := tx.Exec(`UPDATE outbox_messages SET failure = COALESCE((SELECT a.failure FROM outbox_attempts a
			WHERE a.message = outbox_messages.id AND a.outcome = outbox_messages.error ORDER BY a.id DESC LIMIT 1),
			json_object('legacy', error))
		WHERE failure = '' AND error <> ''`); err != nil {
		return err
	}
	// A history note that repeats an attempt's outcome gets its facts;
	// other notes ("Held until …") stay notes.
	_, err = tx.Exec(`UPDATE outbox_history SET failure = (SELECT a.failure FROM outbox_attempts a
			WHERE a.message = outbox_history.message AND a.outcome = outbox_history.note ORDER BY a.id DESC LIMIT 1), note = ''
		WHERE failure = '' AND note <> '' AND EXISTS (SELECT 1 FROM outbox_attempts a
			WHERE a.message = outbox_history.message AND a.outcome = outbox_history.note)`)
	return err
}
