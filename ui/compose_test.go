package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

var ctrlEnter = &desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault}

func countMessages(t *testing.T, w *mainWindow, kind listKind) int {
	t.Helper()
	n, err := w.svc.countMessages(w.ctx, kind, "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCtrlEnterSendsFromInsideTheBody(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 30*time.Second)
	compose(t, w, "anna@example.org", "Shortcut", "Typed, then Ctrl+Enter")
	w.win.Canvas().Focus(w.compose.body)
	w.compose.body.TypedShortcut(ctrlEnter)
	w.settle()
	if n := countMessages(t, w, outboxList); n != 1 {
		t.Fatalf("Ctrl+Enter in the body queued %d messages, want 1", n)
	}
}

func TestSendingTwiceQuicklyQueuesOneMessage(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 30*time.Second)
	compose(t, w, "anna@example.org", "Once", "Only once, please")
	test.Tap(w.compose.sendButton)
	w.compose.body.TypedShortcut(ctrlEnter)
	w.compose.send()
	w.settle()
	if n := countMessages(t, w, outboxList); n != 1 {
		t.Fatalf("three quick sends queued %d messages, want 1", n)
	}
}

func TestNewMessageKeepsThePreviousOneAsADraft(t *testing.T) {
	w := openDemoWindow(t)
	compose(t, w, "anna@example.org", "First draft", "one")
	w.compose.subject.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault})
	if w.compose.subject.Text != "" {
		t.Fatal("Ctrl+N did not start a new message")
	}
	compose(t, w, "bob@example.org", "Second", "two")
	w.compose.saveDraft(true)
	w.settle()
	drafts, err := w.svc.core.Drafts(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, d := range drafts {
		subjects = append(subjects, d.Subject)
	}
	if got := strings.Join(subjects, ","); got != "Second,First draft" {
		t.Fatalf("drafts = %q, want both messages", got)
	}
}

func TestAFreshComposerHasNothingToSave(t *testing.T) {
	w := openDemoWindow(t)
	if w.compose.dirty {
		t.Fatal("the composer counts as edited before anything was typed")
	}
	w.accounts.reload() // refreshes the From picker too
	w.settle()
	if w.compose.dirty {
		t.Fatal("refreshing the accounts marked the composer as edited")
	}
	typeInto(w.compose.subject, "x")
	if !w.compose.dirty {
		t.Fatal("typing did not mark the composer as edited")
	}
}

func TestStatusBarStillWorksWithUndoOff(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "anna@example.org", "No undo", "Goes at once")
	test.Tap(w.compose.sendButton)
	waitForState(t, w, events, outbox.StateSent)
	if w.status.undoID != 0 {
		t.Fatal("the status bar waits for an undo that was never offered")
	}
	if !w.status.content.Visible() || !strings.Contains(w.status.message.Text, "No undo") {
		t.Fatalf("no confirmation after sending: %q", w.status.message.Text)
	}
}

func TestFailureNotifiesAndDiscardRemovesTheMessage(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "bounce@example.org", "Doomed", "Nobody home")
	test.AssertNotificationSent(t, fyne.NewNotification("A message could not be sent",
		"Doomed: The server says the address bounce@example.org does not exist. Nothing was sent."), func() {
		test.Tap(w.compose.sendButton)
		waitForState(t, w, events, outbox.StateFailed)
	})
	w.selectView(w.outbox.content)
	w.settle()
	w.outbox.list.Select(0)
	w.settle()
	w.outbox.details.confirmDiscard(w.outbox.details.current)
	confirm := w.topDialog()
	if confirm == nil {
		t.Fatal("no confirmation before discarding")
	}
	confirmDialog(confirm)
	w.settle()
	if n := countMessages(t, w, outboxList); n != 0 {
		t.Fatalf("outbox holds %d messages after discard", n)
	}
	if d := w.topDialog(); d != nil {
		t.Fatalf("an error dialog appeared after discarding: %#v", d)
	}
}

func TestSendLaterHoldsTheMessage(t *testing.T) {
	w := openDemoWindow(t)
	compose(t, w, "anna@example.org", "Tomorrow", "Later")
	when := time.Now().Add(24 * time.Hour).Truncate(time.Minute)
	w.compose.checkAndSend(when)
	w.settle()
	rows, err := w.svc.listMessages(w.ctx, outboxList, "", 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox = %v, %v", rows, err)
	}
	detail, err := w.svc.messageDetail(w.ctx, rows[0].ID)
	if err != nil || detail.State != outbox.StateQueued || !detail.NextAttempt.Equal(when) {
		t.Fatalf("scheduled message = %+v, %v; want queued until %v", detail, err, when)
	}
	if received, _ := w.svc.demo.Inbox(); len(received) != 0 {
		t.Fatal("a message scheduled for tomorrow was sent now")
	}
}

func TestSendLaterRefusesATimeInThePast(t *testing.T) {
	p := newSendLaterPicker()
	p.set(time.Now().Add(-2 * time.Hour))
	if _, err := p.time(); err == nil || !strings.Contains(err.Error(), "already passed") {
		t.Fatalf("past time = %v", err)
	}
	p.clock.SetText("25:99")
	if _, err := p.time(); err == nil || !strings.Contains(err.Error(), "25:99") {
		t.Fatalf("bad clock = %v", err)
	}
}

func TestSettingsSurviveReopening(t *testing.T) {
	a := test.NewTempApp(t)
	dir := shortTempDir(t)
	w := openWindow(t, a, dir, options{demo: true})
	w.settings.markdown.SetChecked(true)
	w.settings.retry.SetSelectedIndex(0)
	w.settle()
	w.shutdown()
	again := openWindow(t, a, dir, options{demo: true})
	if !again.settings.markdown.Checked || again.settings.retry.SelectedIndex() != 0 {
		t.Fatalf("settings after reopening: markdown %v, retry %q", again.settings.markdown.Checked, again.settings.retry.Selected)
	}
	if !again.compose.markdown.Checked {
		t.Fatal("a new message does not start in Markdown mode")
	}
}

// confirmDialog presses the confirm button of a confirmation dialog.
func confirmDialog(d interface{}) {
	d.(interface{ Confirm() }).Confirm()
}

func TestDraftsCanBeReopenedAndDeleted(t *testing.T) {
	w := openDemoWindow(t)
	compose(t, w, "anna@example.org", "Older", "one")
	w.compose.newMessage()
	w.settle()
	compose(t, w, "bob@example.org", "Newer", "two")
	w.compose.showDrafts()
	w.settle()
	markup := test.RenderObjectToMarkup(w.win.Canvas().Overlays().Top())
	for _, want := range []string{"Older – anna@example.org", "Newer – bob@example.org"} {
		if !strings.Contains(markup, want) {
			t.Fatalf("drafts dialog lacks %q:\n%s", want, markup)
		}
	}
	drafts, _ := w.svc.drafts(w.ctx)
	var older composition
	for _, d := range drafts {
		if d.Subject == "Older" {
			older = d
		}
	}
	w.dismissTopDialog()
	w.compose.load(older)
	if w.compose.subject.Text != "Older" || w.compose.to.entry.Text != "anna@example.org" {
		t.Fatal("opening a draft did not fill the composer")
	}
	w.compose.deleteDraft(older.ID, func() {})
	w.settle()
	drafts, _ = w.svc.drafts(w.ctx)
	if len(drafts) != 1 || drafts[0].Subject != "Newer" {
		t.Fatalf("drafts after deleting one: %+v", drafts)
	}
}

func TestAddressSuggestionsComeFromEarlierRecipients(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "Anna Lind <anna@example.org>", "First", "Hi")
	test.Tap(w.compose.sendButton)
	waitForState(t, w, events, outbox.StateSent)

	typeInto(w.compose.cc.entry, "bob@example.org, an")
	w.settle()
	if !w.compose.cc.suggestions.Visible() || len(w.compose.cc.suggestions.Objects) == 0 {
		t.Fatal("no suggestion shown for \"an\"")
	}
	first := w.compose.cc.suggestions.Objects[0].(*widget.Button)
	if !strings.Contains(first.Text, "anna@example.org") {
		t.Fatalf("first suggestion = %q", first.Text)
	}
	test.Tap(first)
	if got := w.compose.cc.entry.Text; !strings.HasPrefix(got, "bob@example.org, ") || !strings.Contains(got, "anna@example.org") {
		t.Fatalf("Cc after choosing the suggestion = %q", got)
	}
	if _, ok := w.compose.cc.check(true); !ok {
		t.Fatalf("the completed field is not valid: %q", w.compose.cc.problem.Text)
	}
}

func TestAttachmentsLargerThanTheServerAcceptsAreFlagged(t *testing.T) {
	w := openDemoWindow(t)
	big := filepath.Join(t.TempDir(), "video.mp4")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 20 MB on paper, which base64 makes larger than the demo
	// server's 25 MB.
	if err := f.Truncate(20_000_000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	w.compose.attachPath(big)
	w.settle()
	total := w.compose.attachTotal
	if total.Importance != widget.DangerImportance || !strings.Contains(total.Text, "too large") {
		t.Fatalf("attachment total = %q (importance %v)", total.Text, total.Importance)
	}
	if !strings.Contains(total.Text, "video.mp4") && len(w.compose.attachList.Objects) != 1 {
		t.Fatal("the attachment is not listed")
	}
}
