package outbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/mail"
)

func testMessage(t *testing.T, attachmentSize int) *mail.Message {
	t.Helper()
	msg := &mail.Message{
		From:    mail.Address{Name: "Åsa Sender", Email: "sender@example.org"},
		To:      []mail.Address{{Name: "Anna Lind", Email: "anna@example.net"}},
		Cc:      []mail.Address{{Email: "carl@example.net"}},
		Bcc:     []mail.Address{{Email: "secret-bcc@example.net"}},
		Subject: "Grüße from the outbox",
		Body:    "Hello Anna,\nthe file is attached.\n.\nBye",
	}
	if attachmentSize > 0 {
		path := filepath.Join(t.TempDir(), "report.bin")
		if err := os.WriteFile(path, bytes.Repeat([]byte("0123456789abcdef"), attachmentSize/16), 0o600); err != nil {
			t.Fatal(err)
		}
		msg.Attachments = []mail.Attachment{{Path: path}}
	}
	return msg
}

// TestEnqueueAndSendNow sends a real built message: the server receives
// exactly the spooled bytes, Bcc only in the envelope, and the log keeps
// the Message-ID, the recipients and the attachment's name.
func TestEnqueueAndSendNow(t *testing.T) {
	ctx := context.Background()
	srv := startSink(t)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	msg := testMessage(t, 4096)
	id, err := o.Enqueue(ctx, "acct", msg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := o.SendNow(ctx, id)
	if err != nil || out.State != StateSent || out.Err != nil || !strings.HasPrefix(out.Reply, "250 ") {
		t.Fatalf("SendNow: %+v %v", out, err)
	}
	d := mustGet(t, o, id)
	if d.MessageID == "" || d.MessageID != msg.MessageID {
		t.Fatalf("Message-ID %q, message has %q", d.MessageID, msg.MessageID)
	}
	data, rcpts := srv.Message(d.MessageID)
	var eml bytes.Buffer
	if err := o.ExportEML(ctx, id, &eml); err != nil || !bytes.Equal(eml.Bytes(), data) {
		t.Fatalf("the server got other bytes than were saved (%v)", err)
	}
	if strings.Join(rcpts, ",") != "anna@example.net,carl@example.net,secret-bcc@example.net" {
		t.Errorf("envelope recipients %v", rcpts)
	}
	if bytes.Contains(data, []byte("secret-bcc")) {
		t.Error("the Bcc recipient is in the message")
	}
	if d.From != "Åsa Sender <sender@example.org>" || strings.Join(d.To, ",") != "Anna Lind <anna@example.net>" ||
		strings.Join(d.Bcc, ",") != "secret-bcc@example.net" || d.Attachments[0] != "report.bin" || d.Body != msg.Body {
		t.Errorf("log entry %+v", d)
	}
	if len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Transcript, "MAIL FROM") {
		t.Errorf("attempt without transcript: %+v", d.Attempts)
	}
	if _, err := o.SendNow(ctx, id); err == nil {
		t.Fatal("a sent message was sent again")
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	ctx := context.Background()
	o := openDir(t, t.TempDir(), &accountsMap{})
	bad := testMessage(t, 0)
	bad.To = []mail.Address{{Email: "not an address"}}
	missing := testMessage(t, 0)
	missing.Attachments = []mail.Attachment{{Path: filepath.Join(t.TempDir(), "gone.pdf")}}
	for _, msg := range []*mail.Message{bad, missing} {
		_, err := o.Enqueue(ctx, "acct", msg, time.Time{})
		var input *mail.InputError
		if !errors.As(err, &input) {
			t.Fatalf("error %v (%T), want a *mail.InputError", err, err)
		}
	}
	if n, _ := o.Count(ctx, Query{}); n != 0 {
		t.Fatalf("%d messages recorded", n)
	}
	if files, _ := os.ReadDir(o.spool); len(files) != 0 {
		t.Fatalf("files left in the spool: %v", files)
	}
}

// TestCancelDuringUpload stops a large upload the server is slow to read:
// the message is not delivered and is back among the drafts.
func TestCancelDuringUpload(t *testing.T) {
	ctx := context.Background()
	srv := startSink(t)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	events, stop := o.Subscribe()
	defer stop()
	tr := newTrap("body", 1, true)
	srv.SetTrap(tr)
	msg := testMessage(t, 24<<20)
	id, err := o.Enqueue(ctx, "acct", msg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Outcome, 1)
	go func() {
		out, _ := o.SendNow(ctx, id)
		done <- out
	}()
	<-tr.Hit // the server is not reading: the upload stalls in the buffers
	for ev := range events {
		if ev.ID == id && ev.Progress && ev.Written > 0 && ev.Written < ev.Total {
			break
		}
	}
	if err := o.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Cancel returns once the message is a draft again, for the window to
	// reopen it at once.
	if d := mustGet(t, o, id); d.State != StateDraft {
		t.Fatalf("when Cancel returned, the message was %s", d.State)
	}
	out := <-done
	close(tr.Release)
	if out.State != StateDraft {
		t.Fatalf("after cancel: %+v", out)
	}
	d := mustGet(t, o, id)
	if d.State != StateDraft || len(d.Attempts) != 1 || srv.count(msg.MessageID) != 0 {
		t.Fatalf("%s, %d attempts, %d copies", d.State, len(d.Attempts), srv.count(msg.MessageID))
	}
	draft, err := o.Draft(ctx, id)
	if err != nil || draft.To != "Anna Lind <anna@example.net>" || draft.Attachments[0] != msg.Attachments[0].Path {
		t.Fatalf("draft %+v %v", draft, err)
	}
	if files, _ := os.ReadDir(o.spool); len(files) != 0 {
		t.Fatalf("the cancelled message's file is left: %v", files)
	}
}

// TestRunDeliversAndStops runs the background worker: an enqueued message
// goes out without any call but Enqueue, the subscriber sees each state,
// and cancelling the worker in the middle of a send puts the message back
// in the queue, where it is sent once by the next flush.
func TestRunDeliversAndStops(t *testing.T) {
	ctx := context.Background()
	srv := startSink(t)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	events, stop := o.Subscribe()
	defer stop()
	runCtx, cancelRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		o.Run(runCtx)
		close(ran)
	}()
	first := enqueueRaw(t, o, "acct", "run-1@example.org", "Run", time.Time{})
	var states []string
	for ev := range events {
		if ev.ID == first && !ev.Progress {
			states = append(states, string(ev.State))
			if ev.State == StateSent {
				break
			}
		}
	}
	if strings.Join(states, " ") != "queued sending sent" {
		t.Fatalf("events %v", states)
	}

	// A message large enough that its upload is still under way, stalled in
	// the socket buffers, when the worker is stopped: a small one could be
	// written whole, final dot included, before the stop arrives.
	tr := newTrap("body", 1, true)
	srv.SetTrap(tr)
	msg := testMessage(t, 24<<20)
	second, err := o.Enqueue(ctx, "acct", msg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	<-tr.Hit
	for ev := range events {
		if ev.ID == second && ev.Progress && ev.Written > 0 && ev.Written < ev.Total {
			break
		}
	}
	cancelRun()
	<-ran
	close(tr.Release)
	if d := mustGet(t, o, second); d.State != StateQueued || srv.count(msg.MessageID) != 0 {
		t.Fatalf("after stopping the worker mid-send: %s, %d copies", d.State, srv.count(msg.MessageID))
	}
	srv.SetTrap(nil)
	if sum, err := o.Flush(ctx); err != nil || sum.Sent != 1 || srv.count(msg.MessageID) != 1 {
		t.Fatalf("flush after restart: %+v %v", sum, err)
	}
}
