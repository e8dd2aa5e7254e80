package outbox

import (
	"testing"

	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// TestMigrationRecoversFacts opens a data folder written before facts were
// stored, whose attempts hold English sentences, and checks that the facts
// are recovered where they can be, with the sentence kept as the fallback
// where they cannot.
func TestMigrationRecoversFacts(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	oldSteps := len(migrations) - 3 // the schema before the failure columns
	if err := db.Migrate(component, migrations[:oldSteps]); err != nil {
		t.Fatal(err)
	}
	const (
		noSuchAddress = "The server says the address nobody@example.net does not exist. Nothing was sent."
		lost          = "Postie stopped while this message was being sent, so it may or may not have reached the server. Check with a recipient, then send it again or mark it as sent."
		oddity        = "Sending failed at the mail step because of an unexpected problem. Try again later."
	)
	for _, row := range []struct {
		id                                      int64
		state, to, outcome, class, stage, reply string
	}{
		{1, "failed", `["nobody@example.net"]`, noSuchAddress, "permanent", "rcpt", "550 5.1.1 User unknown"},
		{2, "unknown", `["a@example.net"]`, lost, "unknown-outcome", "", ""},
		{3, "retrying", `["a@example.net"]`, oddity, "temporary", "mail", ""},
	} {
		if _, err := db.Exec(`INSERT INTO outbox_messages(id, state, env_to, created, updated, error, server_reply) VALUES(?, ?, ?, 1, 1, ?, ?)`,
			row.id, row.state, row.to, row.outcome, row.reply); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO outbox_attempts(message, started, finished, outcome, class, stage, server_reply) VALUES(?, 1, 2, ?, ?, ?, ?)`,
			row.id, row.outcome, row.class, row.stage, row.reply); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO outbox_history(message, at, state, note) VALUES(?, 2, ?, ?)`, row.id, row.state, row.outcome); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	o := openDir(t, dir, &accountsMap{})
	refused := mustGet(t, o, 1)
	for _, f := range []*Failure{refused.Failure, refused.Attempts[0].Failure, refused.History[0].Failure} {
		if f == nil || f.Cause == nil || f.Cause.Reason != smtpclient.ReasonNoSuchAddress || f.Cause.Address != "nobody@example.net" ||
			f.Cause.Code != 550 || f.Cause.EnhancedCode != "5.1.1" || f.Cause.ServerText != "User unknown" ||
			f.Cause.Stage != smtpclient.StageRcpt || f.Cause.Class != smtpclient.Permanent || !f.Known() {
			t.Errorf("550 5.1.1 not recovered: %+v", f)
		}
	}
	if refused.History[0].Note != "" {
		t.Errorf("the history keeps the sentence as a note: %q", refused.History[0].Note)
	}
	if f := mustGet(t, o, 2).Failure; f == nil || f.Note != NoteProcessLost || !f.Known() {
		t.Errorf("lost message not recovered: %+v", f)
	}
	odd := mustGet(t, o, 3)
	if f := odd.Attempts[0].Failure; f == nil || f.Known() || f.Legacy != oddity {
		t.Errorf("unrecoverable attempt: %+v", f)
	}
	if f := odd.Failure; f == nil || f.Known() || f.Legacy != oddity {
		t.Errorf("unrecoverable message: %+v", f)
	}
}

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		reply, enhanced, text string
		code                  int
	}{
		{"550 5.1.1 User unknown", "5.1.1", "User unknown", 550},
		{"421 Service not available", "", "Service not available", 421},
		{"", "", "", 0},
		{"garbage", "", "", 0},
	} {
		code, enhanced, text := parseReply(tc.reply)
		if code != tc.code || enhanced != tc.enhanced || text != tc.text {
			t.Errorf("%q: %d %q %q", tc.reply, code, enhanced, text)
		}
	}
}
