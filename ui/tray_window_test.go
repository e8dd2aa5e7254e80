package ui

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/godbus/dbus/v5"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/ui/cli"
)

const (
	// trayHiddenLine is what the tray scenarios' child prints once its
	// window has closed into the tray.
	trayHiddenLine = "postie-window-in-tray"
	// quitAskedLine starts what the quit scenario's child prints once Quit
	// asked, followed by the question's text on one line.
	quitAskedLine = "postie-quit-asked: "
)

// statusNotifierWatcherStandIn answers what Fyne's tray asks of a tray
// host on the session bus: it registers the icon and shows nothing.
type statusNotifierWatcherStandIn struct{}

func (statusNotifierWatcherStandIn) RegisterStatusNotifierItem(string) *dbus.Error { return nil }

// claimTrayHost makes the test's session bus look like a desktop with a
// tray: the StatusNotifierWatcher name has an owner until the test ends.
func claimTrayHost(t *testing.T) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Export(statusNotifierWatcherStandIn{}, "/StatusNotifierWatcher", statusNotifierWatcher); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(statusNotifierWatcher, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the session bus: %v, %v", statusNotifierWatcher, reply, err)
	}
}

func TestTrayHostIsFoundOnTheSessionBus(t *testing.T) {
	testpeer.RequireSession(t)
	if trayHostPresent() {
		t.Fatal("a tray host was found on a session bus that has none")
	}
	claimTrayHost(t)
	if !trayHostPresent() {
		t.Error("the StatusNotifierWatcher on the session bus was not found")
	}
}

// trayChild is the real program running in the real window under Xvfb,
// as a child process driven by one of the tray scenarios.
type trayChild struct {
	cmd    *exec.Cmd
	logs   *strings.Builder
	hidden chan time.Time // when the window closed into the tray
	asked  chan string    // what Quit asked
	exited chan error
}

// startTrayChild runs the window on the data folder dir, driven by
// scenario (see runWindowChild).
func startTrayChild(t *testing.T, ctx context.Context, dir, scenario string) *trayChild {
	t.Helper()
	c := &trayChild{cmd: exec.CommandContext(ctx, os.Args[0]), logs: new(strings.Builder),
		hidden: make(chan time.Time, 1), asked: make(chan string, 1), exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), windowChildEnv+"="+scenario, store.DataDirEnv+"="+dir)
	c.cmd.Stderr = c.logs
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			switch line := lines.Text(); {
			case line == trayHiddenLine:
				c.hidden <- time.Now()
			case strings.HasPrefix(line, quitAskedLine):
				c.asked <- strings.TrimPrefix(line, quitAskedLine)
			}
		}
		c.exited <- c.cmd.Wait()
	}()
	return c
}

// waitHidden waits for the window to close into the tray, and says when.
func (c *trayChild) waitHidden(t *testing.T, ctx context.Context) time.Time {
	t.Helper()
	select {
	case at := <-c.hidden:
		return at
	case err := <-c.exited:
		t.Fatalf("the window ended (%v) instead of closing into the tray with a message waiting\n%s", err, c.logs.String())
	case <-ctx.Done():
		t.Fatalf("the window never closed into the tray\n%s", c.logs.String())
	}
	return time.Time{}
}

// waitExit waits for Postie to exit by itself, without error.
func (c *trayChild) waitExit(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case err := <-c.exited:
		if err != nil {
			t.Errorf("Postie ended with %v after sending\n%s", err, c.logs.String())
		}
	case <-ctx.Done():
		t.Fatalf("Postie did not exit by itself once the message was sent\n%s", c.logs.String())
	}
}

// trayDataFolder is a data folder with one account sending through
// server, with the given undo window.
func trayDataFolder(t *testing.T, server *testpeer.Server, undoWindow time.Duration) string {
	t.Helper()
	dir := shortTempDir(t)
	svc, err := openServices(t.Context(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	a := accounts.Account{Name: "Sam", DisplayName: "Sam Sender", Email: "sam@example.org",
		Host: server.Host, Port: server.Port, Security: smtpclient.SecurityNone}
	if err := svc.core.SaveAccount(t.Context(), &a, "", false); err != nil {
		t.Fatal(err)
	}
	st := svc.core.Settings()
	st.UndoWindow = undoWindow
	if err := svc.core.SaveSettings(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sentLog is the data folder's log of sent messages.
func sentLog(t *testing.T, dir string) []outbox.Entry {
	t.Helper()
	svc, err := openServices(t.Context(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	sent, err := svc.core.List(t.Context(), outbox.Query{States: []outbox.State{outbox.StateSent}})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

// The real program in the real window under Xvfb, with a tray host on the
// session bus and a real SMTP peer: the user sends, closes the window at
// once, and Postie stays, sends the message when its undo window ends and
// then exits by itself. Meanwhile the CPU it uses with the window closed
// is measured.
func TestRealWindowKeepsSendingFromTheTray(t *testing.T) {
	testpeer.RequireSession(t)
	// Long enough for the window to close into the tray and for ten
	// seconds of idle with it closed, on a slow machine.
	const undoWindow = 30 * time.Second
	server := testpeer.Run(t, testpeer.Options{})
	arrived := make(chan time.Time, 10)
	server.OnDot(func(string) error { arrived <- time.Now(); return nil })
	claimTrayHost(t)
	dir := trayDataFolder(t, server, undoWindow)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	window := startTrayChild(t, ctx, dir, "tray")
	hiddenAt := window.waitHidden(t, ctx)

	// Idle CPU with the window closed, until the message leaves (at most
	// ten seconds).
	pid := window.cmd.Process.Pid
	before, err := cpuTicks(pid)
	if err != nil {
		t.Fatal(err)
	}
	var deliveredAt time.Time
	select {
	case deliveredAt = <-arrived:
	case <-time.After(10 * time.Second):
	}
	measured := time.Since(hiddenAt)
	after, err := cpuTicks(pid)
	if err != nil {
		t.Fatalf("Postie did not stay after its window closed: %v\n%s", err, window.logs.String())
	}
	share := float64(after-before) / clockTicksPerSecond / measured.Seconds()
	t.Logf("idle CPU with the window closed: %.2f%% of one core over %v (%d ticks)", 100*share, measured.Round(time.Millisecond), after-before)
	if deliveredAt.IsZero() {
		if share > 0.05 { // a busy loop would use a whole core
			t.Errorf("Postie in the tray uses %.1f%% of a core while idle; want near zero", 100*share)
		}
		select {
		case deliveredAt = <-arrived:
		case err := <-window.exited:
			t.Fatalf("Postie exited (%v) before sending the message\n%s", err, window.logs.String())
		case <-ctx.Done():
			t.Fatalf("the message was never delivered\n%s", window.logs.String())
		}
	}
	if n := len(server.Received()); n != 1 {
		t.Errorf("the server received %d messages, want 1", n)
	}
	if early := deliveredAt.Sub(hiddenAt); early < 0 {
		t.Errorf("delivered %v before the window closed", -early)
	}
	window.waitExit(t, ctx)

	// Sent when its undo window ended, not before: closing skipped nothing.
	sent := sentLog(t, dir)
	if len(sent) != 1 {
		t.Fatalf("sent log = %v; want the one message", sent)
	}
	if waited := sent[0].SentAt.Sub(sent[0].Created); waited < undoWindow {
		t.Errorf("sent %v after it was queued, before its undo window of %v ended", waited, undoWindow)
	}
}

// The real program: a message scheduled to go out in 30 seconds (with
// "postie send --later 30s", since the window's picker chooses minutes),
// then the window is opened and closed at once. Postie stays in the tray
// with no window open, delivers the message at its time, not before and
// not much after, and exits by itself.
func TestRealWindowSendsAScheduledMessageWithTheWindowClosed(t *testing.T) {
	testpeer.RequireSession(t)
	server := testpeer.Run(t, testpeer.Options{})
	arrived := make(chan time.Time, 10)
	server.OnDot(func(string) error { arrived <- time.Now(); return nil })
	claimTrayHost(t)
	dir := trayDataFolder(t, server, 0)

	var out, errs strings.Builder
	env := &cli.Env{Stdin: strings.NewReader("Goes out with the window closed.\n"), Stdout: &out, Stderr: &errs, DataDir: dir}
	if code := cli.Run(t.Context(), env, []string{"send", "--to", "anna@example.org", "--subject", "In thirty seconds",
		"--body-file", "-", "--later", "30s"}); code != 0 {
		t.Fatalf("postie send --later 30s: exit %d\n%s%s", code, out.String(), errs.String())
	}
	svc, err := openServices(t.Context(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	scheduled, err := svc.core.List(t.Context(), outbox.Query{States: []outbox.State{outbox.StateQueued}})
	svc.close()
	if err != nil || len(scheduled) != 1 {
		t.Fatalf("outbox = %v, %v; want the scheduled message", scheduled, err)
	}
	due := scheduled[0].NextAttempt

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	window := startTrayChild(t, ctx, dir, "tray-close")
	hiddenAt := window.waitHidden(t, ctx)
	if !hiddenAt.Before(due) {
		t.Fatalf("the window took until %v to close, past the message's time %v: the test proves nothing",
			hiddenAt.Format(time.TimeOnly), due.Format(time.TimeOnly))
	}
	var deliveredAt time.Time
	select {
	case deliveredAt = <-arrived:
	case err := <-window.exited:
		t.Fatalf("Postie exited (%v) before sending the scheduled message\n%s", err, window.logs.String())
	case <-ctx.Done():
		t.Fatalf("the scheduled message was never delivered\n%s", window.logs.String())
	}
	late := deliveredAt.Sub(due)
	t.Logf("scheduled for %s, window closed %v before, delivered %v after its time",
		due.Format(time.TimeOnly), due.Sub(hiddenAt).Round(time.Millisecond), late.Round(time.Millisecond))
	if late < 0 {
		t.Errorf("delivered %v before its time", -late)
	}
	if late > 10*time.Second {
		t.Errorf("delivered %v after its time", late)
	}
	window.waitExit(t, ctx)
	if sent := sentLog(t, dir); len(sent) != 1 || len(server.Received()) != 1 {
		t.Errorf("sent log = %v, server received %d; want the one message", sent, len(server.Received()))
	}
}

// The real program: the user sends a message (held for its five-minute
// undo window) and quits at once. Postie asks, naming the message; "Send
// now and quit" delivers it, and only then does the process end.
func TestRealWindowQuitCanSendFirst(t *testing.T) {
	testpeer.RequireSession(t)
	server := testpeer.Run(t, testpeer.Options{})
	arrived := make(chan time.Time, 10)
	server.OnDot(func(string) error { arrived <- time.Now(); return nil })
	dir := trayDataFolder(t, server, 5*time.Minute)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	started := time.Now()
	window := startTrayChild(t, ctx, dir, "tray-quit")
	var askedAt time.Time
	select {
	case question := <-window.asked:
		askedAt = time.Now()
		if want := "1 message is still being sent"; !strings.Contains(question, want) {
			t.Errorf("Quit asked %q; want it to say %q", question, want)
		}
	case err := <-window.exited:
		t.Fatalf("Postie ended (%v) without asking, with a message in its undo window\n%s", err, window.logs.String())
	case <-ctx.Done():
		t.Fatalf("Quit never asked\n%s", window.logs.String())
	}
	window.waitExit(t, ctx)
	select {
	case deliveredAt := <-arrived:
		t.Logf("asked after %v; delivered %v and ended %v after the answer",
			askedAt.Sub(started).Round(time.Millisecond), deliveredAt.Sub(askedAt).Round(time.Millisecond), time.Since(askedAt).Round(time.Millisecond))
	default:
		t.Fatalf("Postie ended before the message was delivered\n%s", window.logs.String())
	}
	if sent := sentLog(t, dir); len(sent) != 1 {
		t.Errorf("sent log = %v; want the one message", sent)
	}
}

// clockTicksPerSecond is the unit of /proc/PID/stat's CPU times (USER_HZ,
// 100 on every Linux that Go supports).
const clockTicksPerSecond = 100

// cpuTicks is the CPU time process pid has used, user and system, in
// clock ticks.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces; the fields after
	// it are fixed: utime and stime are the 12th and 13th.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, data)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, data)
	}
	return utime + stime, nil
}

// driveQuitSendingFirst is the quit scenario's child: it sends a message,
// quits at once (Ctrl+Q), reports the question and answers "Send now and
// quit"; the app then quits by itself once the message is sent.
func driveQuitSendingFirst(w *mainWindow) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "quit driver:", err)
		os.Exit(1)
	}
	if err := waitOnUI("the main views", func() bool { return w.tabs != nil }); err != nil {
		fail(err)
	}
	composeAndSend(w)
	fyne.DoAndWait(w.requestQuit)
	var sendNow *widget.Button
	if err := waitOnUI("Quit to ask", func() bool {
		if top := w.win.Canvas().Overlays().Top(); top != nil {
			sendNow = findButton(top, "Send now and quit")
		}
		return sendNow != nil
	}); err != nil {
		fail(err)
	}
	fyne.DoAndWait(func() {
		question := strings.Join(labelTexts(w.win.Canvas().Overlays().Top()), " ")
		fmt.Println(quitAskedLine + strings.ReplaceAll(question, "\n", " "))
		test.Tap(sendNow)
	})
	select {}
}

// composeAndSend writes a message in the composer and sends it, as a user
// would; it returns once the message is held in its undo window.
func composeAndSend(w *mainWindow) {
	fyne.DoAndWait(func() {
		w.selectView(w.compose.content)
		w.compose.to.entry.SetText("Anna Lind <anna@example.org>")
		w.compose.subject.SetText("Closed at once")
		w.compose.body.SetText("Sent while the window was closed.")
		w.compose.send()
	})
	w.tasks.wait()
}

// driveTrayClose is the tray scenarios' child: it sends a message when
// send is set, closes the window at once, as a user would, then leaves the
// app to quit by itself.
func driveTrayClose(w *mainWindow, send bool) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "tray driver:", err)
		os.Exit(1)
	}
	if err := waitOnUI("the main views", func() bool { return w.tabs != nil }); err != nil {
		fail(err)
	}
	if send {
		composeAndSend(w)
	}
	fyne.DoAndWait(w.requestClose)
	if err := waitOnUI("the window to close into the tray", func() bool { return w.bg.hidden }); err != nil {
		fail(err)
	}
	fmt.Println(trayHiddenLine)
	select {} // Postie quits by itself once the message is sent
}
