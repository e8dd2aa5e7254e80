package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/resources"
	"github.com/postie-app/postie/ui/instance"
)

// runAsPostieEnv makes the test binary behave as the postie binary, so these
// tests drive the real entry point, flags and exit codes included.
const runAsPostieEnv = "POSTIE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsPostieEnv) == "1" {
		os.Args = append([]string{"postie"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

func postie(ctx context.Context, t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return postieIn(ctx, t.TempDir(), args...)
}

// postieIn is postie with the data folder dataDir, for tests that run
// several commands on the same data.
func postieIn(ctx context.Context, dataDir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// Under -race, the race runtime sleeps a second before every exit;
	// tests that run the binary dozens of times need not wait for that.
	cmd.Env = append(os.Environ(), runAsPostieEnv+"=1", "POSTIE_DATA_DIR="+dataDir,
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

func TestVersionCommand(t *testing.T) {
	out, err := postie(t.Context(), t, "version").Output()
	if err != nil || string(out) != "postie "+resources.Version+"\n" {
		t.Fatalf("postie version = %q, %v", out, err)
	}
}

func TestUnknownCommandExitsWithUsage(t *testing.T) {
	var stderr bytes.Buffer
	cmd := postie(t.Context(), t, "no-such-command")
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 64 {
		t.Fatalf("exit = %v, want status 64", err)
	}
	if !strings.Contains(stderr.String(), "Usage: postie") {
		t.Fatalf("stderr lacks usage: %q", stderr.String())
	}
}

// TestWindowOpensTitledPostie starts the real program on the X display that
// make test provides and waits for the X server to report a window named
// "Postie".
func TestWindowOpensTitledPostie(t *testing.T) {
	testpeer.RequireSession(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	app := startPostie(ctx, t, postie(ctx, t))
	app.waitForWindow(ctx, t)
}

// TestBackgroundStartShowsNoWindowUntilLaunchedAgain starts Postie as the
// login session does: it keeps running, listening for later launches, with
// no window; a later launch (the menu entry) shows the window.
func TestBackgroundStartShowsNoWindowUntilLaunchedAgain(t *testing.T) {
	testpeer.RequireSession(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	// A message scheduled for later: Postie has work to wait for, so it
	// stays although no tray host runs in this session.
	scheduleMessage(ctx, t, dataDir)
	app := startPostie(ctx, t, postieIn(ctx, dataDir, "--background"))
	app.waitFor(ctx, t, "the hand-off socket", func() bool {
		_, err := os.Stat(filepath.Join(dataDir, instance.SocketName))
		return err == nil
	})
	// Another start at login is handed over and changes nothing. Once it
	// was handed over, the app is in its main loop, past where a window
	// that was going to open at start would have opened.
	if out, err := postieIn(ctx, dataDir, "--background").CombinedOutput(); err != nil {
		t.Fatalf("a second postie --background: %v\n%s", err, out)
	}
	if app.hasWindow(t) {
		t.Fatalf("postie --background shows a window\n%s", app.output.String())
	}
	if out, err := postieIn(ctx, dataDir).CombinedOutput(); err != nil {
		t.Fatalf("a second launch: %v\n%s", err, out)
	}
	app.waitForWindow(ctx, t)
}

// A start at login with nothing to send and no tray to live in would be a
// process nobody can see: it quits by itself.
func TestBackgroundStartWithNothingToSendQuits(t *testing.T) {
	testpeer.RequireSession(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	app := startPostie(ctx, t, postieIn(ctx, t.TempDir(), "--background"))
	select {
	case err := <-app.exited:
		if err != nil {
			t.Fatalf("postie --background ended with %v\n%s", err, app.output.String())
		}
	case <-ctx.Done():
		t.Fatalf("postie --background with nothing to send kept running\n%s", app.output.String())
	}
}

// scheduleMessage adds an account and schedules a message for it two hours
// from now, through the command line.
func scheduleMessage(ctx context.Context, t *testing.T, dataDir string) {
	t.Helper()
	for _, args := range [][]string{
		{"accounts", "add", "--email", "sam@example.org", "--host", "127.0.0.1", "--port", "9", "--security", "starttls",
			"--name", "sam", "--user", "sam", "--password-stdin", "--no-test"},
		{"send", "--to", "anna@example.org", "--subject", "Later", "--later", "2h", "--body-file", "-"},
	} {
		cmd := postieIn(ctx, dataDir, args...)
		cmd.Stdin = strings.NewReader("secret\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("postie %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { postieIn(context.Background(), dataDir, "accounts", "remove", "sam").Run() })
}

// runningPostie is the real program running in the test's X session.
type runningPostie struct {
	pid    int
	output syncBuffer
	exited chan error
}

// syncBuffer collects the app's output while the test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPostie starts cmd and kills it at the end of the test.
func startPostie(ctx context.Context, t *testing.T, cmd *exec.Cmd) *runningPostie {
	t.Helper()
	app := &runningPostie{exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &app.output, &app.output
	// A helper the app starts (a D-Bus activation, say) may keep the output
	// pipe open after the app is gone; Wait must not hang on it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	app.pid = cmd.Process.Pid
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		app.exited <- err
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return app
}

// waitFor polls cond until it holds, failing if the app exits first.
func (app *runningPostie) waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case err := <-app.exited:
			t.Fatalf("postie exited before %s: %v\n%s", what, err, app.output.String())
		case <-ctx.Done():
			t.Fatalf("no %s within the time limit\n%s", what, app.output.String())
		case <-poll.C:
			if cond() {
				return
			}
		}
	}
}

// waitForWindow waits for the X server to report a window of the app's
// named "Postie".
func (app *runningPostie) waitForWindow(ctx context.Context, t *testing.T) {
	t.Helper()
	app.waitFor(ctx, t, "window titled Postie", func() bool { return app.hasWindow(t) })
}

var titledPostie = regexp.MustCompile(`(?m)^\s+(0x[0-9a-f]+) "Postie":`)

// hasWindow reports whether the X server has a window named "Postie" that
// belongs to the app: other tests share the display and may have their own.
func (app *runningPostie) hasWindow(t *testing.T) bool {
	t.Helper()
	tree, err := exec.Command(x11Tool(t, "xwininfo"), "-root", "-tree").Output()
	if err != nil {
		t.Fatalf("xwininfo: %v", err)
	}
	for _, m := range titledPostie.FindAllSubmatch(tree, -1) {
		// GLFW, under Fyne, sets _NET_WM_PID on the windows it makes.
		out, err := exec.Command(x11Tool(t, "xprop"), "-id", string(m[1]), "_NET_WM_PID").Output()
		if err == nil && strings.TrimSpace(string(out)) == fmt.Sprintf("_NET_WM_PID(CARDINAL) = %d", app.pid) {
			return true
		}
	}
	return false
}

func x11Tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(name + " is missing: make test installs x11-utils")
	}
	return path
}
