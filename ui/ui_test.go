package ui

import (
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

// TestMain runs the real-window smoke test or the program itself when the
// parent test asks for it (see smoke_test.go, mailto_window_test.go), and
// the headless tests otherwise.
func TestMain(m *testing.M) {
	if scenario := os.Getenv(smokeChildEnv); scenario != "" {
		os.Exit(runSmokeChild(scenario))
	}
	if os.Getenv(windowChildEnv) != "" {
		os.Exit(runWindowChild(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// uiQueue stands in for Fyne's main loop in headless tests: background
// results wait in it until the test goroutine runs them, so widgets are
// only ever touched from the test goroutine.
type uiQueue chan func()

func (q uiQueue) dispatch(f func()) { q <- f }

var queues = map[*mainWindow]uiQueue{}

// openWindow opens the main window on dir and waits until it has opened
// its services.
func openWindow(t *testing.T, a fyne.App, dir string, opts options) *mainWindow {
	t.Helper()
	q := make(uiQueue, 10000)
	w := newMainWindow(a, dir, opts, q.dispatch)
	queues[w] = q
	w.autosaveDelay = time.Hour // tests save drafts explicitly
	t.Cleanup(w.shutdown)
	w.settle()
	return w
}

// openDemoWindow opens the main window in demo mode on a fresh data folder.
func openDemoWindow(t *testing.T) *mainWindow {
	t.Helper()
	w := openWindow(t, test.NewTempApp(t), shortTempDir(t), options{demo: true})
	if w.tabs == nil {
		t.Fatalf("demo mode did not reach the main views:\n%s", test.RenderObjectToMarkup(w.body))
	}
	return w
}

// settle runs queued UI work until no background work is left.
func (w *mainWindow) settle() {
	q := queues[w]
	for {
		select {
		case f := <-q:
			f()
			continue
		default:
		}
		select {
		case f := <-q:
			f()
		case <-w.tasks.idleChan():
			select {
			case f := <-q:
				f()
			default:
				return
			}
		}
	}
}

// waitUntil runs UI work as it arrives until cond holds.
func (w *mainWindow) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		w.settle()
		if cond() {
			return
		}
		select {
		case f := <-queues[w]:
			f()
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// shortTempDir keeps the data folder's socket path within the Unix limit.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pui")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// topDialog is the dialog shown last, or nil.
func (w *mainWindow) topDialog() dialog.Dialog {
	if n := len(w.dialogs); n > 0 {
		return w.dialogs[n-1]
	}
	return nil
}

func typeInto(e fyne.Focusable, text string) { test.Type(e, text) }

func setUndoWindow(t *testing.T, w *mainWindow, d time.Duration) {
	t.Helper()
	w.settings.undo.SetSelectedIndex(nearestIndex(undoChoices, d))
	w.settle()
	if got := w.svc.undoWindow(); got != d {
		t.Fatalf("undo window = %v after choosing %v", got, d)
	}
}

// waitForState waits for the outbox to report the message's state.
func waitForState(t *testing.T, w *mainWindow, events <-chan outboxEvent, want outbox.State) outboxEvent {
	t.Helper()
	var found outboxEvent
	w.waitUntil(t, "a "+string(want)+" message", func() bool {
		for {
			select {
			case ev := <-events:
				if ev.Progress {
					continue
				}
				if ev.State == want {
					found = ev
					return true
				}
				if ev.State == outbox.StateFailed || ev.State == outbox.StateSent || ev.State == outbox.StateUnknown {
					t.Fatalf("message ended %s (%s), want %s", ev.State, failureMessage(ev.Failure), want)
				}
			default:
				return false
			}
		}
	})
	return found
}

func captureEvents(w *mainWindow) <-chan outboxEvent {
	ch := make(chan outboxEvent, 100)
	w.eventApplied = ch
	return ch
}

func compose(t *testing.T, w *mainWindow, to, subject, body string) {
	t.Helper()
	c := w.compose
	typeInto(c.to.entry, to)
	typeInto(c.subject, subject)
	c.body.SetText(body)
	w.settle()
}

func TestInvalidAddressShowsItsReason(t *testing.T) {
	w := openDemoWindow(t)
	typeInto(w.compose.to.entry, "anna@example.org, bob@@example.org,")
	w.settle()
	if !w.compose.to.problem.Visible() {
		t.Fatal("no problem shown for bob@@example.org")
	}
	if got := w.compose.to.problem.Text; !strings.Contains(got, "bob@@example.org") {
		t.Fatalf("the reason does not name the address: %q", got)
	}
	// Correcting the address clears the reason.
	w.compose.to.entry.SetText("anna@example.org, bob@example.org")
	w.compose.to.entry.FocusLost()
	if w.compose.to.problem.Visible() {
		t.Fatalf("problem still shown after the fix: %q", w.compose.to.problem.Text)
	}
}

func TestUnfinishedAddressIsJudgedOnlyOnLeavingTheField(t *testing.T) {
	w := openDemoWindow(t)
	typeInto(w.compose.to.entry, "ann")
	if w.compose.to.problem.Visible() {
		t.Fatal("an address still being typed was marked invalid")
	}
	w.compose.to.entry.FocusLost()
	if !w.compose.to.problem.Visible() {
		t.Fatal("an incomplete address was accepted when leaving the field")
	}
}

func TestAttachmentReminderBeforeSending(t *testing.T) {
	w := openDemoWindow(t)
	compose(t, w, "anna@example.org", "Report", "Hi Anna,\nthe report is attached.\n")
	w.compose.send()
	d, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("no warning dialog; dialogs: %v", w.dialogs)
	}
	markup := test.RenderObjectToMarkup(w.win.Canvas().Overlays().Top())
	if !strings.Contains(markup, "mentions an") || !strings.Contains(markup, "nothing is attached") {
		t.Fatalf("the warning does not mention the attachment:\n%s", markup)
	}
	d.Hide() // "Go back"
	if w.compose.subject.Text != "Report" {
		t.Fatal("going back lost the message")
	}
}

func TestSendThroughDemoServerMovesMessageToSent(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "Anna <anna@example.org>", "Quarterly numbers", "Hello Anna,\nhere they are.\n")
	test.Tap(w.compose.sendButton)
	w.settle()
	waitForState(t, w, events, outbox.StateSent)

	if w.compose.subject.Text != "" || w.compose.to.entry.Text != "" {
		t.Fatal("the composer was not cleared after sending")
	}
	w.selectView(w.sent.content)
	w.settle()
	if w.sent.total != 1 {
		t.Fatalf("Sent lists %d messages, want 1", w.sent.total)
	}
	row, _ := w.sent.row(0)
	if row.Subject != "Quarterly numbers" || !strings.Contains(row.Recipients, "anna@example.org") {
		t.Fatalf("Sent row = %+v", row)
	}
	received, err := w.svc.demo.Inbox()
	if err != nil || len(received) != 1 {
		t.Fatalf("demo inbox = %v, %v", received, err)
	}
	w.sent.list.Select(0)
	w.settle()
	if w.sent.details.current == nil || !strings.HasPrefix(w.sent.details.current.ServerReply, "250") {
		t.Fatalf("details do not show the server's reply: %+v", w.sent.details.current)
	}
}

func TestFailedSendShowsPlainErrorAndServerReply(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "bounce@example.org", "Hello", "Hi")
	test.Tap(w.compose.sendButton)
	w.settle()
	ev := waitForState(t, w, events, outbox.StateFailed)
	if msg := failureMessage(ev.Failure); !strings.Contains(msg, "bounce@example.org") || !strings.Contains(msg, "does not exist") {
		t.Fatalf("failure reason = %q", failureMessage(ev.Failure))
	}
	w.selectView(w.outbox.content)
	w.settle()
	w.outbox.list.Select(0)
	w.settle()
	d := w.outbox.details.current
	if d == nil || d.State != outbox.StateFailed || len(d.Attempts) != 1 {
		t.Fatalf("details = %+v", d)
	}
	markup := test.RenderObjectToMarkup(w.outbox.details.content)
	for _, want := range []string{"does not exist", "550", "5.1.1"} {
		if !strings.Contains(markup, want) {
			t.Errorf("details lack %q:\n%s", want, markup)
		}
	}
}

func TestUndoReturnsTheMessageToTheComposer(t *testing.T) {
	w := openDemoWindow(t)
	setUndoWindow(t, w, 30*time.Second)
	compose(t, w, "anna@example.org", "Oops", "Not yet")
	test.Tap(w.compose.sendButton)
	w.settle()
	if !w.status.undo.Visible() {
		t.Fatal("no Undo offered after Send")
	}
	test.Tap(w.status.undo)
	w.settle()
	c := w.compose
	if c.to.entry.Text != "anna@example.org" || c.subject.Text != "Oops" || !strings.HasPrefix(c.body.Text, "Not yet") {
		t.Fatalf("composer after undo: to %q subject %q body %q", c.to.entry.Text, c.subject.Text, c.body.Text)
	}
	if n, err := w.svc.countMessages(w.ctx, outboxList, ""); err != nil || n != 0 {
		t.Fatalf("outbox holds %d messages after undo, %v", n, err)
	}
	if received, _ := w.svc.demo.Inbox(); len(received) != 0 {
		t.Fatal("an undone message reached the server")
	}
}

func TestMailtoLaunchOpensAPrefilledMessage(t *testing.T) {
	w := openDemoWindow(t)
	w.handleLaunch([]string{"mailto:anna@example.org?cc=bob@example.org&subject=Hi%20there&body=Line%201%0D%0ALine%202"})
	c := w.compose
	if c.to.entry.Text != "anna@example.org" || c.cc.entry.Text != "bob@example.org" || c.subject.Text != "Hi there" {
		t.Fatalf("composer: to %q cc %q subject %q", c.to.entry.Text, c.cc.entry.Text, c.subject.Text)
	}
	if !strings.HasPrefix(c.body.Text, "Line 1\r\nLine 2") {
		t.Fatalf("body = %q", c.body.Text)
	}
	if w.tabs.Selected().Content != c.content {
		t.Fatal("the composer is not in front")
	}
}

func TestDraftSurvivesReopening(t *testing.T) {
	a := test.NewTempApp(t)
	dir := shortTempDir(t)
	w := openWindow(t, a, dir, options{demo: true})
	compose(t, w, "anna@example.org", "Unfinished", "Half a thought")
	w.compose.saveDraft(false)
	w.settle()
	w.shutdown()

	again := openWindow(t, a, dir, options{demo: true})
	c := again.compose
	if c.subject.Text != "Unfinished" || c.to.entry.Text != "anna@example.org" {
		t.Fatalf("restored draft: to %q subject %q", c.to.entry.Text, c.subject.Text)
	}
}

func TestEscapeClosesTheTopDialog(t *testing.T) {
	w := openDemoWindow(t)
	w.showInfo("Title", "Message")
	if w.topDialog() == nil {
		t.Fatal("dialog not tracked")
	}
	w.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if w.topDialog() != nil {
		t.Fatal("Esc did not close the dialog")
	}
}

func TestWindowRemembersItsSize(t *testing.T) {
	w := openDemoWindow(t)
	w.win.Resize(fyne.NewSize(1010, 707))
	w.closeNow()
	prefs := w.app.Preferences()
	if prefs.Float(prefWidth) != 1010 || prefs.Float(prefHeight) != 707 {
		t.Fatalf("saved size = %v×%v", prefs.Float(prefWidth), prefs.Float(prefHeight))
	}
}

var _ = widget.NewLabel
