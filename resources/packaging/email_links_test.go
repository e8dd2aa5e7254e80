//go:build linux

package packaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/store"
)

// Email links are checked from the installed package to the window: the
// desktop entry `make user-install` writes, registered as the default for
// mailto: links with xdg-mime, is opened with xdg-open under GNOME, where
// gio launches it, and under the generic opener xdg-utils falls back to on
// desktops without their own (i3, sway, Openbox, LXQt). The installed
// program is then swapped for a build of Postie that reports what its window
// shows: the ui package's test binary, whose mailto driver (see
// ui/mailto_window_test.go) runs the real window under Xvfb, reads the
// composer's fields, takes screenshots and writes a report. Its settings
// are the environment variables below, which xdg-open passes on.
const (
	uiWindowChildEnv     = "POSTIE_UI_WINDOW_CHILD"
	uiMailtoScenarioEnv  = "POSTIE_UI_MAILTO_SCENARIO"
	uiMailtoWantEnv      = "POSTIE_UI_MAILTO_WANT"
	uiMailtoReportEnv    = "POSTIE_UI_MAILTO_REPORT"
	uiMailtoReadyFileEnv = "POSTIE_UI_MAILTO_READY_FILE"
	uiScreenshotsEnv     = "POSTIE_UI_SMOKE_SHOTS"
	// screenshotsEnv keeps the screenshots somewhere to look at them, as in
	// the ui tests.
	screenshotsEnv = "POSTIE_SCREENSHOTS"
)

// composerFields are the composer's fields as the window's report gives
// them (the ui package's linkFields).
type composerFields struct {
	To, Cc, Bcc, Subject, Body string
}

// windowReport is what the window's mailto driver reports.
type windowReport struct {
	Shown       composerFields
	Drafts      []string
	Screenshots []string
	Error       string
}

// Two links: the first starts Postie, the second goes to the running one,
// which keeps the first message as a draft.
var emailLinks = []struct {
	link  string
	shown composerFields
}{
	{"mailto:zoe@example.org?cc=bob@example.org&subject=Quarterly%20report&body=Hello%20Zoe,%0D%0Ahere%20it%20is.",
		composerFields{To: "zoe@example.org", Cc: "bob@example.org", Subject: "Quarterly report", Body: "Hello Zoe,\r\nhere it is."}},
	{"mailto:ann@example.org?subject=Second%20link&body=Hi%20Ann",
		composerFields{To: "ann@example.org", Subject: "Second link", Body: "Hi Ann"}},
}

// linkOpeners are the desktops xdg-open is tried under, by
// XDG_CURRENT_DESKTOP, each with the name of the home folder Postie is
// installed in. GNOME's gio reads Exec as the specification says, so it
// gets a home whose path must be quoted; the generic opener runs Exec's
// first word as it stands, which only an unquoted path survives, so it gets
// an ordinary home.
var linkOpeners = []struct{ name, desktop, home string }{
	{"GNOME", "GNOME", "Zoë's mail & more"},
	{"generic opener", "", "sam"},
}

// testEmailLinks installs the unpacked package pkg for a user and opens
// links with xdg-open on each desktop of linkOpeners.
func testEmailLinks(t *testing.T, pkg string) {
	testpeer.RequireSession(t)
	xdgOpen := testpeer.RequireProgram(t, "xdg-open")
	testpeer.RequireProgram(t, "gio")
	reporting := buildReportingPostie(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	for _, opener := range linkOpeners {
		t.Run(opener.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), opener.home)
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			env := desktopEnvironment(home, opener.desktop)
			run(t, env, "make", "-C", pkg, "user-install")
			validateDesktopEntry(t, filepath.Join(home, ".local/share/applications", desktopName))
			program := filepath.Join(home, ".local/bin/postie")

			// The packaged program sets up the account the message is
			// written from; then the reporting build takes its place.
			data := shortTempDir(t)
			dataEnv := slices.Concat(env, []string{store.DataDirEnv + "=" + data})
			run(t, dataEnv, program, "accounts", "add", "--email", "sam@example.org", "--display-name", "Sam Sender",
				"--host", "smtp.example.org", "--port", "587", "--security", "starttls", "--no-test")
			copyProgram(t, reporting, program)

			run(t, env, "xdg-mime", "default", desktopName, "x-scheme-handler/mailto")
			// Asked through GLib: xdg-mime's own query, like the generic
			// opener, skips an entry whose Exec is quoted.
			if out := run(t, env, "gio", "mime", "x-scheme-handler/mailto"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], ": "+desktopName) {
				t.Fatalf("after xdg-mime default, gio mime x-scheme-handler/mailto says\n%s", out)
			}
			window := newReportingWindow(t, strings.ReplaceAll(opener.name, " ", "-"), shots)
			report := openLinks(t, xdgOpen, dataEnv, window)
			checkWindowReport(t, report)
		})
	}
}

// desktopEnvironment is the environment of a person whose home is home, on
// the desktop named (none: the generic opener). Whatever would let xdg-open
// guess another desktop is emptied, which xdg-open and GLib take as unset.
func desktopEnvironment(home, desktop string) []string {
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local/share"), "XDG_CURRENT_DESKTOP=" + desktop}
	for _, name := range []string{"XDG_SESSION_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION",
		"GNOME_DESKTOP_SESSION_ID", "MATE_DESKTOP_SESSION_ID", "LXQT_SESSION_CONFIG", "BROWSER"} {
		env = append(env, name+"=")
	}
	return env
}

// reportingWindow is how the reporting build is told what to expect and
// where to report: env, naming the files it writes.
type reportingWindow struct {
	env []string
	// report is written when the window closes; ready when it may be handed
	// a second link.
	report, ready string
}

func newReportingWindow(t *testing.T, scenario, shots string) reportingWindow {
	var want []composerFields
	for _, l := range emailLinks {
		want = append(want, l.shown)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := reportingWindow{report: filepath.Join(dir, "report.json"), ready: filepath.Join(dir, "ready")}
	w.env = []string{uiWindowChildEnv + "=window", uiMailtoScenarioEnv + "=xdg-open-" + scenario,
		uiMailtoWantEnv + "=" + string(wantJSON), uiScreenshotsEnv + "=" + shots,
		uiMailtoReportEnv + "=" + w.report, uiMailtoReadyFileEnv + "=" + w.ready}
	return w
}

// openLinks opens the first link with xdg-open, waits until the window it
// started is ready for another, opens the second the same way and returns
// the window's report once every program xdg-open started has ended. They
// run with env and window's settings added to the environment.
func openLinks(t *testing.T, xdgOpen string, env []string, window reportingWindow) windowReport {
	t.Helper()
	// The programs write their logs to a file: gio returns at once, and the
	// window it started would hold a pipe open.
	logPath := filepath.Join(t.TempDir(), "xdg-open.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := func() string { data, _ := os.ReadFile(logPath); return string(data) }

	// Both xdg-opens and all they start, gio's children included, which
	// outlive it, share one process group: the test waits for it to empty
	// and, should it fail first, ends it.
	first := exec.Command(xdgOpen, emailLinks[0].link)
	first.Env = slices.Concat(environment(), env, window.env)
	first.Stdout, first.Stderr = logFile, logFile
	first.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	group, ended := first.Process.Pid, false
	t.Cleanup(func() {
		if !ended {
			syscall.Kill(-group, syscall.SIGKILL)
		}
	})
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()
	// The generic opener waits for the program, gio does not, so the first
	// xdg-open's exit tells only when it is a failure.
	var firstErr error
	firstFailed := func() error {
		select {
		case err := <-firstDone:
			if err != nil {
				firstErr = fmt.Errorf("xdg-open %s: %v", emailLinks[0].link, err)
			}
		default:
		}
		return firstErr
	}

	if err := waitFor("the window, ready for a second link", func() (bool, error) {
		if err := firstFailed(); err != nil {
			return false, err
		}
		if exists(window.report) {
			return false, errors.New("the window closed before the second link")
		}
		return exists(window.ready), nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, log())
	}

	second := exec.Command(xdgOpen, emailLinks[1].link)
	second.Env = first.Env
	second.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: group}
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("xdg-open %s: %v\n%s\n%s", emailLinks[1].link, err, out, log())
	}

	if err := waitFor("the window's report and the end of the programs xdg-open started", func() (bool, error) {
		if err := firstFailed(); err != nil {
			return false, err
		}
		ended = syscall.Kill(-group, 0) == syscall.ESRCH
		return exists(window.report) && ended, nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, log())
	}
	data, err := os.ReadFile(window.report)
	if err != nil {
		t.Fatal(err)
	}
	var report windowReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("the window's report: %v\n%s", err, data)
	}
	if report.Error != "" {
		t.Logf("the programs' log:\n%s", log())
	}
	return report
}

// waitFor checks cond until it holds or fails, for at most three minutes:
// the window renders in software under Xvfb, on a machine the other tests
// keep busy.
func waitFor(what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, err := cond()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// buildReportingPostie builds the ui package's test binary, which is Postie
// with a window that reports what it shows.
func buildReportingPostie(t *testing.T) string {
	t.Helper()
	program := filepath.Join(t.TempDir(), "postie")
	cmd := exec.Command("go", "test", "-c", "-o", program, "./ui")
	cmd.Dir = repoRoot
	cmd.Env = environment()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the ui test binary: %v\n%s", err, out)
	}
	return program
}

// copyProgram puts the program from in place of the one at to.
func copyProgram(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// shortTempDir is a data folder whose path is short enough for the Unix
// socket a second launch talks to.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ppk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// checkWindowReport checks that the window showed the second link's message
// after the first's, which it kept as a draft, and took screenshots of both.
func checkWindowReport(t *testing.T, report windowReport) {
	t.Helper()
	want := emailLinks[len(emailLinks)-1].shown
	if report.Error != "" || report.Shown != want {
		t.Errorf("the composer shows\n %+v\nwant %+v\n(%s)", report.Shown, want, report.Error)
	}
	if first := emailLinks[0].shown.Subject; !slices.Contains(report.Drafts, first) {
		t.Errorf("the first link's message %q is not kept in Drafts: %q", first, report.Drafts)
	}
	if len(report.Screenshots) != len(emailLinks) {
		t.Errorf("screenshots %q, want one per link", report.Screenshots)
	}
	for _, path := range report.Screenshots {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if testpeer.Blank(img) {
			t.Errorf("%s is not a screenshot of the window: it is one colour", path)
		}
	}
	t.Logf("screenshots: %s", strings.Join(report.Screenshots, ", "))
}
