package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/resources"
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
	xwininfo, err := exec.LookPath("xwininfo")
	if err != nil {
		t.Fatal("xwininfo is missing: make test installs x11-utils")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	app := postie(ctx, t)
	var appOutput bytes.Buffer
	app.Stdout, app.Stderr = &appOutput, &appOutput
	// A helper the app starts (a D-Bus activation, say) may keep the output
	// pipe open after the app is gone; Wait must not hang on it.
	app.WaitDelay = 5 * time.Second
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	running := true
	defer func() {
		if running {
			app.Process.Kill()
			<-exited
		}
	}()

	titled := regexp.MustCompile(`(?m)^\s+0x[0-9a-f]+ "Postie":`)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case err := <-exited:
			running = false
			t.Fatalf("postie exited before opening its window: %v\n%s", err, appOutput.String())
		case <-ctx.Done():
			t.Fatalf("no window titled Postie appeared within the time limit\n%s", appOutput.String())
		case <-poll.C:
			tree, err := exec.Command(xwininfo, "-root", "-tree").Output()
			if err != nil {
				t.Fatalf("xwininfo: %v", err)
			}
			if titled.Match(tree) {
				return
			}
		}
	}
}
