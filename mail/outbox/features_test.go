package outbox

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRetrySchedule(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	var waits []time.Duration
	for n := 1; ; n++ {
		next, ok := nextAttempt(now, start, n, 48*time.Hour)
		if !ok {
			break
		}
		waits = append(waits, next.Sub(now))
		now = next
	}
	want := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		if waits[i] != w {
			t.Fatalf("wait %d is %v, want %v (all: %v)", i+1, waits[i], w, waits)
		}
	}
	for _, w := range waits[len(want):] {
		if w != time.Hour {
			t.Fatalf("later waits must be hourly: %v", waits)
		}
	}
	if last := now.Sub(start); last > 48*time.Hour || last < 47*time.Hour {
		t.Fatalf("last attempt %v after the first, want within the last hour of 2 days", last)
	}
}

// TestBackoffThenFailed drives a message through its whole schedule with a
// fake clock against a server that always answers 451, with a short retry
// limit: 1 and 5 minutes, then failed with the reason.
func TestBackoffThenFailed(t *testing.T) {
	ctx := context.Background()
	srv := startScripted(t)
	srv.script("mail", stageReplies["mail"][0])
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
	if err := o.SaveSettings(ctx, Settings{UndoWindow: 0, RetryLimit: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	id := enqueueRaw(t, o, "acct", "backoff@example.org", "Backoff", time.Time{})
	start := clk.Now()
	wantDue := []time.Duration{time.Minute, 6 * time.Minute}
	for i, w := range wantDue {
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		d := mustGet(t, o, id)
		if d.State != StateRetrying || !d.NextAttempt.Equal(start.Add(w)) {
			t.Fatalf("after attempt %d: %s, next %v, want retrying at +%v", i+1, d.State, d.NextAttempt.Sub(start), w)
		}
		// Not due yet: nothing happens.
		clk.Advance(d.NextAttempt.Sub(clk.Now()) - time.Second)
		if sum, _ := o.Flush(ctx); sum != (Summary{}) {
			t.Fatalf("a message was tried before it was due: %+v", sum)
		}
		clk.Advance(time.Second)
	}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, o, id)
	if d.State != StateFailed || d.AttemptCount != 3 || d.Failure.Note != NoteGaveUp || d.Failure.RetryLimit != 10*time.Minute ||
		!strings.Contains(d.ServerReply, "451") {
		t.Fatalf("after the limit: %s, %d attempts, %+v, %q", d.State, d.AttemptCount, d.Failure, d.ServerReply)
	}
	var states []State
	for _, c := range d.History {
		states = append(states, c.State)
	}
	if got := strings.Trim(strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(
		strings.Join(stateStrings(states), " "), "  ", " "), " ")), " "), " "); got !=
		"queued sending retrying sending retrying sending failed" {
		t.Fatalf("history %s", got)
	}

	// The user decides to send it again: same Message-ID, fresh schedule.
	srv.script("", "")
	if err := o.Resend(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, o, id); d.State != StateSent || d.MessageID != "backoff@example.org" {
		t.Fatalf("resend: %s %s", d.State, d.MessageID)
	}
	if accepted, _ := srv.copies("backoff@example.org"); accepted != 1 {
		t.Fatalf("%d copies", accepted)
	}
}

func stateStrings(states []State) []string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = string(st)
	}
	return s
}

// TestHoldSurvivesRestartAndUndo: a message held for the undo window or
// until a later time is still held after the outbox is reopened, goes out
// only when due, and can be undone back into a draft before that.
func TestHoldSurvivesRestartAndUndo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := startSink(t)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, dir, accts, WithClock(clk.Now))
	undone := enqueueRaw(t, o, "acct", "undo@example.org", "Undo me", clk.Now().Add(10*time.Second))
	later := enqueueRaw(t, o, "acct", "later@example.org", "Later", clk.Now().Add(3*time.Hour))
	o.Close()

	o = openDir(t, dir, accts, WithClock(clk.Now))
	events, stop := o.Subscribe()
	defer stop()
	if sum, _ := o.Flush(ctx); sum != (Summary{}) {
		t.Fatalf("held messages were sent: %+v", sum)
	}
	draft, err := o.Undo(ctx, undone)
	if err != nil {
		t.Fatal(err)
	}
	if draft.Subject != "Undo me" || draft.To != "rcpt@example.net" || draft.ID != undone {
		t.Fatalf("undone draft %+v", draft)
	}
	if ev := <-events; ev.ID != undone || ev.State != StateDraft {
		t.Fatalf("event %+v", ev)
	}
	if _, err := o.Undo(ctx, undone); err == nil {
		t.Fatal("undo of a draft succeeded")
	}
	clk.Advance(3 * time.Hour)
	sum, err := o.Flush(ctx)
	if err != nil || sum.Sent != 1 {
		t.Fatalf("flush at the scheduled time: %+v, %v", sum, err)
	}
	if srv.count("undo@example.org") != 0 || srv.count("later@example.org") != 1 {
		t.Fatal("wrong messages delivered")
	}
	var sentEvent Event
	for ev := range events {
		if ev.ID == later && ev.State == StateSent {
			sentEvent = ev
			break
		}
	}
	if !sentEvent.WasScheduled {
		t.Errorf("the scheduled message's sent event is not marked as scheduled: %+v", sentEvent)
	}
	if _, err := o.Undo(ctx, later); err == nil {
		t.Fatal("undo of a sent message succeeded")
	}
}

func TestSentLogSearchExportAndAddresses(t *testing.T) {
	ctx := context.Background()
	srv := startSink(t)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
	flush := func() {
		t.Helper()
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a := enqueueRaw(t, o, "acct", "a@example.org", "Quarterly report", time.Time{}, "Anna.Lind@example.net")
	flush()
	clk.Advance(time.Hour)
	b := enqueueRaw(t, o, "acct", "b@example.org", "Lunch on Friday?", time.Time{}, "bob@example.com", "anna.lind@example.net")
	flush()
	clk.Advance(time.Hour)
	c := enqueueRaw(t, o, "acct", "c@example.org", "Crème brûlée recipe", time.Time{}, "carol@example.com")
	flush()
	search := func(q string) []int64 {
		t.Helper()
		list, err := o.List(ctx, Query{States: []State{StateSent}, Search: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range list {
			ids = append(ids, e.ID)
		}
		return ids
	}
	for q, want := range map[string][]int64{
		"":                {c, b, a},
		"report":          {a},
		"quart":           {a},       // prefix
		"anna":            {b, a},    // recipients
		"anna.lind@":      {b, a},    // typed address
		"creme brulee":    {c},       // diacritics folded
		"outbox tests":    {c, b, a}, // body
		`"unbalanced`:     nil,       // no FTS syntax error
		"lunch AND OR (":  nil,       // words, not operators
		"friday lunch":    {b},       // every word
		"nothing-matches": nil,
	} {
		if got := search(q); !equalIDs(got, want) {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	if n, err := o.Count(ctx, Query{States: []State{StateSent}, Search: "anna"}); err != nil || n != 2 {
		t.Errorf("count %d, %v", n, err)
	}
	page, err := o.List(ctx, Query{States: []State{StateSent}, Limit: 2})
	if err != nil || len(page) != 2 {
		t.Fatal(page, err)
	}
	rest, err := o.List(ctx, Query{States: []State{StateSent}, Before: page[1].ID})
	if err != nil || len(rest) != 1 || rest[0].ID != a {
		t.Fatalf("next page %v %v", rest, err)
	}

	var eml bytes.Buffer
	if err := o.ExportEML(ctx, b, &eml); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(eml.Bytes(), rawMessage("b@example.org", "Lunch on Friday?", "Hello from the outbox tests.", "bob@example.com", "anna.lind@example.net")) {
		t.Fatalf("exported bytes differ:\n%s", eml.String())
	}
	headers, err := o.Headers(ctx, b)
	if err != nil || !strings.Contains(headers, "Subject: Lunch on Friday?\n") || strings.Contains(headers, "Hello") {
		t.Fatalf("headers %q %v", headers, err)
	}

	// Anna was written to twice, most recently an hour ago; Carol once,
	// just now; Bob once, an hour ago. An address is shown as last typed.
	got, err := o.Suggest(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "anna.lind@example.net,carol@example.com,bob@example.com" {
		t.Fatalf("suggestions %v", got)
	}
	// A month later, a new address used once today beats Anna's two old uses.
	clk.Advance(30 * 24 * time.Hour)
	enqueueRaw(t, o, "acct", "d@example.org", "New friend", time.Time{}, "andrew@example.com")
	flush()
	if got, _ := o.Suggest(ctx, "an", 10); strings.Join(got, ",") != "andrew@example.com,anna.lind@example.net" {
		t.Fatalf("suggestions for an: %v", got)
	}
	if got, _ := o.Suggest(ctx, "%", 10); len(got) != 0 {
		t.Fatalf("%% is a wildcard: %v", got)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDrafts(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	o := openDir(t, dir, &accountsMap{}, WithClock(clk.Now))
	d := Draft{AccountID: "acct", To: "anna@example.org; bob@", Subject: "Plans", Body: "Half-written…",
		Markdown: true, Attachments: []string{"/home/anna/plan.pdf"}, InReplyTo: "x@y", References: []string{"x@y"}}
	id, err := o.SaveDraft(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	d.ID, d.Body = id, "Finished."
	if again, err := o.SaveDraft(ctx, d); err != nil || again != id {
		t.Fatalf("autosave made a new draft: %d %v", again, err)
	}
	second, _ := o.SaveDraft(ctx, Draft{Subject: "Other"})
	o.Close()

	o = openDir(t, dir, &accountsMap{}, WithClock(clk.Now)) // after a crash
	list, err := o.Drafts(ctx)
	if err != nil || len(list) != 2 || list[0].ID != second {
		t.Fatalf("drafts %+v %v", list, err)
	}
	got := list[1]
	got.Updated = time.Time{}
	if got.To != d.To || got.Body != "Finished." || !got.Markdown || got.Attachments[0] != "/home/anna/plan.pdf" ||
		got.InReplyTo != "x@y" || got.References[0] != "x@y" || got.AccountID != "acct" {
		t.Fatalf("restored %+v", got)
	}
	if n, _ := o.Count(ctx, Query{}); n != 0 {
		t.Errorf("drafts are listed with the messages: %d", n)
	}
	if err := o.DeleteDraft(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Draft(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted draft: %v", err)
	}
	// Saving a draft that was deleted meanwhile (sent from another window)
	// keeps the text as a new draft rather than losing it.
	if again, err := o.SaveDraft(ctx, d); err != nil || again == id {
		t.Fatalf("saving a deleted draft: %d %v", again, err)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := openDir(t, dir, &accountsMap{})
	s, err := o.Settings(ctx)
	if err != nil || s != DefaultSettings || s.UndoWindow != 10*time.Second || s.RetryLimit != 48*time.Hour {
		t.Fatalf("defaults %+v %v", s, err)
	}
	want := Settings{UndoWindow: 0, RetryLimit: 6 * time.Hour, PartialRecipients: true, MarkdownByDefault: true}
	if err := o.SaveSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Settings{{UndoWindow: -time.Second, RetryLimit: time.Hour}, {RetryLimit: time.Second}, {UndoWindow: time.Hour, RetryLimit: time.Hour}} {
		if err := o.SaveSettings(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	o.Close()
	o = openDir(t, dir, &accountsMap{})
	if s, _ := o.Settings(ctx); s != want {
		t.Fatalf("after reopening %+v", s)
	}
}

func TestDiscardAndStateErrors(t *testing.T) {
	ctx := context.Background()
	srv := startScripted(t)
	srv.script("rcpt", stageReplies["rcpt"][1])
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	id := enqueueRaw(t, o, "acct", "discard@example.org", "Discard", time.Time{}, "nobody@example.net")
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, o, id)
	if d.State != StateFailed || d.Failure.Cause == nil || d.Failure.Cause.Address != "nobody@example.net" {
		t.Fatalf("%s %+v", d.State, d.Failure)
	}
	var se *StateError
	if err := o.Retry(ctx, id); !errors.As(err, &se) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("retry of a failed message: %v", err)
	}
	if err := o.MarkSent(ctx, id); !errors.As(err, &se) {
		t.Fatalf("mark failed as sent: %v", err)
	}
	var spool string
	o.db.QueryRow(`SELECT spool FROM outbox_messages WHERE id = ?`, id).Scan(&spool)
	if err := o.Discard(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("discarded message still there: %v", err)
	}
	if _, err := statFile(o.spoolPath(spool)); err == nil {
		t.Fatal("the discarded message's file is still on disk")
	}
	var rows int
	o.db.QueryRow(`SELECT (SELECT count(*) FROM outbox_history) + (SELECT count(*) FROM outbox_attempts)`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d history or attempt rows left", rows)
	}
}
