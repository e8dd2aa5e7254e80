package core

import (
	"errors"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

func openCore(t *testing.T) *Core {
	t.Helper()
	c, err := Open(t.Context(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNoDefaultAccountBeforeTheFirstIsAdded(t *testing.T) {
	c := openCore(t)
	if _, err := c.DefaultAccount(t.Context()); !errors.Is(err, accounts.ErrNoAccount) {
		t.Fatalf("DefaultAccount with no account = %v, want ErrNoAccount", err)
	}
}

// Hold keeps a message for the undo window of the settings unless given a
// time, and the draft it was written in is gone once it is queued.
func TestHoldWaitsForTheUndoWindowAndRemovesTheDraft(t *testing.T) {
	ctx := t.Context()
	c := openCore(t)
	a := accounts.Account{Name: "relay", Email: "me@example.org", Host: "127.0.0.1", Port: 2525, Security: smtpclient.SecurityNone}
	if err := c.SaveAccount(ctx, &a, "", true); err != nil {
		t.Fatal(err)
	}
	st := c.Settings()
	st.UndoWindow = 5 * time.Minute
	if err := c.SaveSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	draftID, err := c.SaveDraft(ctx, outbox.Draft{AccountID: a.ID, To: "anna@example.net", Subject: "Draft"})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	msg := &mail.Message{To: []mail.Address{{Email: "anna@example.net"}}, Subject: "Draft", Body: "Hi"}
	id, err := c.Hold(ctx, a.ID, msg, time.Time{}, draftID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.NextAttempt.Before(before.Add(5*time.Minute-time.Second)) || d.NextAttempt.After(time.Now().Add(5*time.Minute)) {
		t.Errorf("held until %v, want five minutes after %v", d.NextAttempt, before)
	}
	if d.From != "me@example.org" {
		t.Errorf("From = %q, want the account's address", d.From)
	}
	if drafts, err := c.Drafts(ctx); err != nil || len(drafts) != 0 {
		t.Errorf("drafts after sending = %v, %v; want none", drafts, err)
	}
}
