package core

import (
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// PendingWork tells each kind of waiting message apart, in a real outbox:
// held in its undo window, due now, waiting for a retry, scheduled with
// "send later" (with the earliest time), and leaves out what waits for
// the user (drafts, failed).
func TestPendingWorkCountsEachKindOfWaitingMessage(t *testing.T) {
	ctx := t.Context()
	c := openCore(t)
	a := accounts.Account{Name: "relay", Email: "me@example.org", Host: "127.0.0.1", Port: testpeer.FreePort(t), Security: smtpclient.SecurityNone}
	if err := c.SaveAccount(ctx, &a, "", true); err != nil {
		t.Fatal(err)
	}
	st := c.Settings()
	st.UndoWindow = 5 * time.Minute
	if err := c.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	if p, err := c.PendingWork(ctx); err != nil || !p.None() {
		t.Fatalf("PendingWork of an empty outbox = %+v, %v; want nothing", p, err)
	}
	msg := func(subject string) *mail.Message {
		return &mail.Message{To: []mail.Address{{Email: "anna@example.net"}}, Subject: subject, Body: "Hi"}
	}
	if _, err := c.Hold(ctx, a.ID, msg("held"), time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(ctx, a.ID, msg("due"), time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	retry, err := c.Enqueue(ctx, a.ID, msg("retry"), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.SendNow(ctx, retry); err != nil || out.State != outbox.StateRetrying {
		t.Fatalf("sending to a closed port = %+v, %v; want retrying", out, err)
	}
	earliest := time.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
	for _, at := range []time.Time{earliest.Add(time.Hour), earliest} {
		if _, err := c.Hold(ctx, a.ID, msg("later"), at, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SaveDraft(ctx, outbox.Draft{AccountID: a.ID, To: "anna@example.net", Subject: "draft"}); err != nil {
		t.Fatal(err)
	}

	p, err := c.PendingWork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := outbox.Pending{Held: 1, Due: 1, Retrying: 1, Scheduled: 2, NextScheduled: earliest}
	if p.Held != want.Held || p.Due != want.Due || p.Retrying != want.Retrying || p.Scheduled != want.Scheduled || !p.NextScheduled.Equal(earliest) {
		t.Errorf("PendingWork = %+v, want %+v", p, want)
	}
	if p.Total() != 5 {
		t.Errorf("Total = %d, want 5", p.Total())
	}

	// Send now before quitting: the held message becomes due; the
	// scheduled ones keep their time.
	if n, err := c.SendHeldNow(ctx); err != nil || n != 1 {
		t.Fatalf("SendHeldNow = %d, %v; want 1 released", n, err)
	}
	if p, err := c.PendingWork(ctx); err != nil || p.Held != 0 || p.Due != 2 || p.Scheduled != 2 {
		t.Errorf("after SendHeldNow: %+v, %v; want 0 held, 2 due, 2 scheduled", p, err)
	}
}
