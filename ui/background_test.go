package ui

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
)

// trayApp is Fyne's test app with what the headless one lacks: a system
// tray (desktop.App) that keeps the menu it was given, and a record of
// Quit and of the notifications.
type trayApp struct {
	fyne.App

	mu            sync.Mutex
	menu          *fyne.Menu
	quit          bool
	notifications []*fyne.Notification
}

var _ desktop.App = (*trayApp)(nil)

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)  { a.mu.Lock(); a.menu = m; a.mu.Unlock() }
func (a *trayApp) SetSystemTrayIcon(fyne.Resource) {}
func (a *trayApp) SetSystemTrayWindow(fyne.Window) {}
func (a *trayApp) Quit()                           { a.mu.Lock(); a.quit = true; a.mu.Unlock() }
func (a *trayApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notifications = append(a.notifications, n)
}

func (a *trayApp) quitCalled() bool { a.mu.Lock(); defer a.mu.Unlock(); return a.quit }

// trayLabels are the tray menu's items as the tray shows them.
func (a *trayApp) trayLabels() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.menu == nil {
		return nil
	}
	var labels []string
	for _, item := range a.menu.Items {
		labels = append(labels, item.Label)
	}
	return labels
}

func (a *trayApp) trayItem(label string) *fyne.MenuItem {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, item := range a.menu.Items {
		if item.Label == label {
			return item
		}
	}
	return nil
}

// openTrayWindow opens a demo window in an app with a tray, whose tray
// host is there or not.
func openTrayWindow(t *testing.T, hostPresent bool) (*mainWindow, *trayApp) {
	t.Helper()
	loadTranslations() // the counted sentences' singular lives in the English file
	a := &trayApp{App: test.NewTempApp(t)}
	w := openWindow(t, a, shortTempDir(t), options{demo: true})
	if w.tabs == nil {
		t.Fatalf("demo mode did not reach the main views:\n%s", test.RenderObjectToMarkup(w.body))
	}
	w.bg.trayHost = func() bool { return hostPresent }
	return w, a
}

// holdMessages puts n messages in their undo window (five minutes, so that
// none leaves during the test unless released) and schedules later ones
// for tomorrow.
func holdMessages(t *testing.T, w *mainWindow, held, later int) {
	t.Helper()
	setLongUndoWindow(t, w)
	for i := range held + later {
		until := time.Time{}
		if i >= held {
			until = time.Now().Add(24 * time.Hour)
		}
		holdMessage(t, w, "anna@example.org", "Waiting", until)
	}
}

// setLongUndoWindow makes the undo window five minutes, so that a held
// message leaves during a test only when released.
func setLongUndoWindow(t *testing.T, w *mainWindow) {
	t.Helper()
	c := realCore(w)
	st := c.Settings()
	st.UndoWindow = 5 * time.Minute
	if err := c.SaveSettings(t.Context(), st); err != nil {
		t.Fatal(err)
	}
}

// holdMessage puts one message in its undo window, or schedules it for
// until when that is set, and returns its id.
func holdMessage(t *testing.T, w *mainWindow, to, subject string, until time.Time) int64 {
	t.Helper()
	c := realCore(w)
	account, err := c.DefaultAccount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	msg := &mail.Message{To: []mail.Address{{Email: to}}, Subject: subject, Body: "Hi"}
	id, err := c.Hold(t.Context(), account.ID, msg, until, 0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// closeWindow does what the window manager's close button does.
func closeWindow(w *mainWindow) (closed *bool) {
	closed = new(bool)
	w.win.SetOnClosed(func() { *closed = true })
	w.requestClose()
	w.settle()
	return closed
}

// tapDialogButton taps the button labelled label in the dialog on top.
func tapDialogButton(t *testing.T, w *mainWindow, label string) {
	t.Helper()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open to tap %q in", label)
	}
	if b := findButton(top, label); b != nil {
		test.Tap(b)
		return
	}
	t.Fatalf("the dialog has no button %q:\n%s", label, test.RenderObjectToMarkup(top))
}

func findButton(o fyne.CanvasObject, label string) (found *widget.Button) {
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && found == nil {
			found = b
		}
	})
	return found
}

// labelTexts are the texts of the labels in o, whole, however wrapped.
func labelTexts(o fyne.CanvasObject) (texts []string) {
	walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	})
	return texts
}

// walk calls visit for o and everything drawn inside it.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		children = x.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	}
	for _, c := range children {
		walk(c, visit)
	}
}

func TestClosingWithNothingPendingQuits(t *testing.T) {
	w, a := openTrayWindow(t, true)
	if closed := closeWindow(w); !*closed {
		t.Error("closing with nothing to send left the window open")
	}
	if w.bg.hidden || a.trayLabels() != nil {
		t.Errorf("closing with nothing to send went to the tray: %v", a.trayLabels())
	}
}

// Send, close at once: the window goes to the tray, which says what is
// waiting; the first time a notification explains it; Postie quits by
// itself once the message is sent.
func TestClosingWithAHeldMessageKeepsSendingFromTheTray(t *testing.T) {
	w, a := openTrayWindow(t, true)
	holdMessages(t, w, 1, 0)
	if closed := closeWindow(w); *closed {
		t.Fatal("closing with a message in its undo window closed the window: the message would wait for the next start")
	}
	if !w.bg.hidden || a.quitCalled() {
		t.Fatalf("closing with a held message: hidden %v, quit %v; want hidden in the tray", w.bg.hidden, a.quitCalled())
	}
	want := []string{"Open Postie", "1 message waiting", "", "Quit"}
	if got := a.trayLabels(); !slices.Equal(got, want) {
		t.Errorf("tray menu = %q, want %q", got, want)
	}
	if !a.trayItem("Quit").IsQuit {
		t.Error("the tray's Quit is not marked IsQuit: Fyne would add its own, which quits without asking")
	}
	if len(a.notifications) != 1 || a.notifications[0].Title != "Postie is still sending" {
		t.Errorf("notifications = %v, want one saying Postie is still sending", a.notifications)
	}

	// Opening and closing again does not explain it again.
	a.trayItem("Open Postie").Action()
	if w.bg.hidden {
		t.Error("Open Postie left the window hidden")
	}
	closeWindow(w)
	if !w.bg.hidden || len(a.notifications) != 1 {
		t.Errorf("second close: hidden %v, %d notifications; want hidden, still one", w.bg.hidden, len(a.notifications))
	}

	// The undo window ends (released here rather than waited for); the
	// demo server takes the message and Postie quits by itself.
	if err := realCore(w).Outbox().Retry(t.Context(), heldID(t, w)); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(t, "Postie to quit once the message is sent", a.quitCalled)
	if n := sentCount(t, w); n != 1 {
		t.Errorf("%d messages sent before quitting, want 1", n)
	}
}

// A message scheduled for tomorrow keeps Postie in the tray.
func TestAScheduledMessageKeepsPostieInTheTray(t *testing.T) {
	w, a := openTrayWindow(t, true)
	holdMessages(t, w, 1, 2)
	closeWindow(w)
	if got := a.trayLabels(); len(got) < 2 || got[1] != "3 messages waiting" {
		t.Fatalf("tray menu = %q, want 3 messages waiting", got)
	}
	if err := realCore(w).Outbox().Retry(t.Context(), heldID(t, w)); err != nil {
		t.Fatal(err)
	}
	w.waitUntil(t, "the tray to count the two scheduled messages", func() bool {
		got := a.trayLabels()
		return len(got) > 1 && got[1] == "2 messages waiting"
	})
	if a.quitCalled() || !w.bg.hidden {
		t.Error("Postie quit with two messages scheduled")
	}
}

// Quit with work pending asks, naming what would wait; Cancel keeps
// Postie; "Send now and quit" ends the undo window, sends, then quits.
func TestQuitWithWorkPendingAsksAndCanSendFirst(t *testing.T) {
	w, a := openTrayWindow(t, true)
	holdMessages(t, w, 1, 3)
	closeWindow(w)
	a.trayItem("Quit").Action()
	w.settle()
	if a.quitCalled() {
		t.Fatal("Quit with messages waiting quit without asking")
	}
	if w.bg.hidden {
		t.Error("the question was asked with the window hidden")
	}
	text := strings.Join(labelTexts(w.win.Canvas().Overlays().Top()), "\n")
	for _, want := range []string{"1 message is still being sent; 3 messages are scheduled", "What is left goes out the next time Postie runs."} {
		if !strings.Contains(text, want) {
			t.Errorf("the question does not say %q:\n%s", want, text)
		}
	}
	tapDialogButton(t, w, "Cancel")
	w.settle()
	if a.quitCalled() {
		t.Fatal("Cancel quit")
	}

	w.requestQuit() // Ctrl+Q
	w.settle()
	tapDialogButton(t, w, "Send now and quit")
	w.waitUntil(t, "Postie to quit once the held message is sent", a.quitCalled)
	if n := sentCount(t, w); n != 1 {
		t.Errorf("%d messages sent before quitting, want the held one", n)
	}
	if p, err := realCore(w).PendingWork(t.Context()); err != nil || p.Scheduled != 3 {
		t.Errorf("after quitting: %+v, %v; want the three scheduled ones left", p, err)
	}
}

// A message that fails with the window closed says so in a notification
// and in the tray, keeps Postie there (the tray is the only way back to
// it), and Open Postie shows that message's details.
func TestAFailureWhileClosedIsShownOnOpening(t *testing.T) {
	w, a := openTrayWindow(t, true)
	setLongUndoWindow(t, w)
	id := holdMessage(t, w, "bounce@example.org", "Doomed", time.Time{})
	closeWindow(w)
	if !w.bg.hidden {
		t.Fatal("closing with a held message did not go to the tray")
	}
	if err := realCore(w).Outbox().Retry(t.Context(), id); err != nil { // the undo window ends
		t.Fatal(err)
	}
	want := &fyne.Notification{Title: "A message could not be sent",
		Content: "Doomed: The server says the address bounce@example.org does not exist. Nothing was sent."}
	w.waitUntil(t, "a notification that the message failed", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return slices.ContainsFunc(a.notifications, func(n *fyne.Notification) bool { return *n == *want })
	})
	w.waitUntil(t, "the tray to say a message could not be sent", func() bool {
		got := a.trayLabels()
		return len(got) > 1 && got[1] == "A message could not be sent"
	})
	w.settle()
	if a.quitCalled() || !w.bg.hidden {
		t.Fatalf("after the failure: quit %v, hidden %v; want Postie in the tray until the user looked", a.quitCalled(), w.bg.hidden)
	}

	a.trayItem("Open Postie").Action()
	w.waitUntil(t, "the failed message's details", func() bool {
		d := w.outbox.details.current
		return d != nil && d.ID == id
	})
	if w.tabs.Selected().Content != w.outbox.content || w.outbox.selectedID != id {
		t.Errorf("Open Postie showed tab %q with message %d selected; want the Outbox on message %d",
			w.tabs.Selected().Text, w.outbox.selectedID, id)
	}
	if d := w.outbox.details.current; d.State != outbox.StateFailed || !strings.Contains(d.Error, "does not exist") {
		t.Errorf("details = %s, %q; want the failure", d.State, d.Error)
	}

	// Seen now: closing again, with nothing to send, quits.
	if closed := closeWindow(w); !*closed {
		t.Error("closing once the failure was seen, with nothing to send, did not quit")
	}
}

// Without a tray host, closing with work pending cannot hide the window:
// it asks as Quit does, and never exits silently.
func TestClosingWithoutATrayHostAsks(t *testing.T) {
	w, a := openTrayWindow(t, false)
	holdMessages(t, w, 1, 0)
	if closed := closeWindow(w); *closed || a.quitCalled() || w.bg.hidden {
		t.Fatalf("closing without a tray: closed %v, quit %v, hidden %v; want the window open, asking", *closed, a.quitCalled(), w.bg.hidden)
	}
	if a.trayLabels() != nil {
		t.Errorf("a tray menu was set with no tray host to show it: %q", a.trayLabels())
	}
	tapDialogButton(t, w, "Quit anyway")
	if !a.quitCalled() {
		t.Error("Quit anyway did not quit")
	}
}

func heldID(t *testing.T, w *mainWindow) int64 {
	t.Helper()
	list, err := realCore(w).List(t.Context(), outbox.Query{States: []outbox.State{outbox.StateQueued}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.NextAttempt.Before(time.Now().Add(time.Hour)) {
			return e.ID
		}
	}
	t.Fatal("no held message")
	return 0
}

func sentCount(t *testing.T, w *mainWindow) int {
	t.Helper()
	n, err := realCore(w).Count(t.Context(), outbox.Query{States: []outbox.State{outbox.StateSent}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
