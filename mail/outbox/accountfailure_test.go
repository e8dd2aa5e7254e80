package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/smtpclient"
)

// failingAccounts cannot give any account's settings, as the account store
// cannot when the password is gone or the keyring does not answer.
type failingAccounts struct{ err error }

func (f failingAccounts) SMTPConfig(context.Context, string) (smtpclient.Config, error) {
	return smtpclient.Config{}, f.err
}

// A message that could not be sent because its account could not give its
// settings keeps why as a fact, so that the sentence shown later (in any
// language) says what to do, not "an unexpected problem".
func TestAccountProblemsAreStoredAsFacts(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Note
	}{
		{accounts.ErrNoSecret, NoteNoPassword},
		{&accounts.KeyringError{Problem: accounts.KeyringUnavailable}, NoteKeyringUnavailable},
		{&accounts.KeyringError{Problem: accounts.KeyringLocked}, NoteKeyringLocked},
		{&accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: time.Second}, NoteKeyringTimedOut},
		{&accounts.NotFoundError{Name: "acct"}, NoteAccountGone},
		{&accounts.InvalidError{Field: "host", Problem: accounts.InvalidHost}, NoteAccountInvalid},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			dir := t.TempDir()
			o := openDir(t, dir, failingAccounts{tc.err})
			id := enqueueRaw(t, o, "acct", "<facts@example.org>", "Facts", time.Time{})
			out, err := o.SendNow(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if out.Failure == nil || out.Failure.Note != tc.want {
				t.Fatalf("outcome failure = %+v, want note %q", out.Failure, tc.want)
			}
			o.Close()
			again := openDir(t, dir, failingAccounts{tc.err})
			d := mustGet(t, again, id)
			if d.Failure == nil || d.Failure.Note != tc.want || d.Attempts[0].Failure == nil || d.Attempts[0].Failure.Note != tc.want {
				t.Fatalf("stored failure = %+v, attempt %+v; want note %q", d.Failure, d.Attempts[0].Failure, tc.want)
			}
		})
	}
}

// Sending a message again, or marking it as sent, leaves no failure of an
// earlier attempt on it: the lists and `postie outbox list` would show it.
func TestResendAndMarkSentClearTheFailure(t *testing.T) {
	o := openDir(t, t.TempDir(), failingAccounts{accounts.ErrNoSecret})
	for _, act := range []struct {
		name string
		do   func(context.Context, int64) error
	}{{"resend", o.Resend}, {"mark as sent", o.MarkSent}} {
		t.Run(act.name, func(t *testing.T) {
			id := enqueueRaw(t, o, "acct", "<clear-"+act.name+"@example.org>", "Clear", time.Time{})
			lost := (&Failure{Note: NoteProcessLost}).encode()
			if _, err := o.db.Exec(`UPDATE outbox_messages SET state = ?, failure = ? WHERE id = ?`, StateUnknown, lost, id); err != nil {
				t.Fatal(err)
			}
			if err := act.do(t.Context(), id); err != nil {
				t.Fatal(err)
			}
			if d := mustGet(t, o, id); d.Failure != nil {
				t.Fatalf("after %s the message is %s with failure %+v", act.name, d.State, d.Failure)
			}
		})
	}
}
