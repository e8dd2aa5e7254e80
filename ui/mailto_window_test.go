package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// The mailto: tests run the real program in the real window under Xvfb, as
// the smoke test does, in the three ways a link reaches Postie: it starts
// Postie (cold start), it is handed to the Postie already running (second
// launch), or it starts Postie before any account exists and waits for the
// setup. A child process runs the app through run(); its driver reads the
// composer's fields from the running window, saves a screenshot and writes
// a report for the test to check.
//
// The same child is the program the packaging tests install in place of the
// packaged one, to check that the desktop's link opener starts it and hands
// a second link to it (resources/packaging): that is why its settings are
// environment variables, which xdg-open passes on, and why its signals are
// files as well as lines on standard output.
const (
	// windowChildEnv makes the test binary the program: "window" runs the
	// window with the mailto driver, "launch" is a plain second launch.
	windowChildEnv    = "POSTIE_UI_WINDOW_CHILD"
	mailtoScenarioEnv = "POSTIE_UI_MAILTO_SCENARIO"
	// mailtoWantEnv holds the fields the composer must show, one set per
	// link in the order the links arrive: a JSON list of linkFields.
	mailtoWantEnv   = "POSTIE_UI_MAILTO_WANT"
	mailtoReportEnv = "POSTIE_UI_MAILTO_REPORT"
	// mailtoReadyFileEnv, when set, names a file the window creates each
	// time it prints readyLine, holding the number of links shown so far.
	mailtoReadyFileEnv = "POSTIE_UI_MAILTO_READY_FILE"
	// readyLine is what the running window prints once a second launch may
	// hand it a link.
	readyLine = "postie-window-ready"
)

// mailtoReport is what the child saw in its window.
type mailtoReport struct {
	Shown       linkFields // the last link's
	Drafts      []string   // subjects of the saved drafts
	WelcomeNote string     // the welcome screen's note about the waiting link
	Screenshots []string
	Error       string
}

// runWindowChild is the child process's main.
func runWindowChild(args []string) int {
	switch os.Getenv(windowChildEnv) {
	case "launch":
		return Run(args)
	case "tray": // send, then close at once
		return run(args, func(w *mainWindow) { driveTrayClose(w, true) })
	case "tray-close": // close at once
		return run(args, func(w *mainWindow) { driveTrayClose(w, false) })
	case "tray-quit": // send, then quit at once, sending first
		return run(args, driveQuitSendingFirst)
	case "signin": // sign in with a provider from the welcome screen
		return run(args, driveSignIn)
	}
	return run(args, func(w *mainWindow) {
		report := driveMailto(w)
		data, _ := json.Marshal(report)
		if err := os.WriteFile(os.Getenv(mailtoReportEnv), data, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "mailto driver:", err)
		}
	})
}

func driveMailto(w *mainWindow) (report mailtoReport) {
	shots := os.Getenv(smokeShotsEnv)
	scenario := os.Getenv(mailtoScenarioEnv)
	var wants []linkFields
	err := json.Unmarshal([]byte(os.Getenv(mailtoWantEnv)), &wants)
	if err == nil && scenario == "first-run" {
		err = setUpFirstAccount(w, shots, &report)
	}
	for i, want := range wants {
		if err != nil {
			break
		}
		// A link after the first, and the only one of a second launch,
		// comes from a second run of the program, once the window is ready.
		if i > 0 || scenario == "second-launch" {
			err = signalReady(w, i)
		}
		if err == nil {
			// The start-up load used to wipe the link after it was shown, so
			// the fields count only once no background work is left.
			err = waitOnUI(fmt.Sprintf("link %d's message in the composer", i+1), func() bool {
				if w.compose != nil {
					report.Shown = w.compose.shownFields()
				}
				return w.compose != nil && idle(w) && report.Shown == want
			})
		}
		// What the window shows is worth a picture and a look at the drafts
		// even when the fields are wrong.
		name := "mailto-" + scenario
		if i > 0 {
			name += "-" + strconv.Itoa(i+1)
		}
		err = errors.Join(err, saveScreenshot(w, shots, name, &report))
	}
	var svc *services
	fyne.DoAndWait(func() { svc = w.svc })
	if svc != nil {
		drafts, draftErr := svc.drafts(context.Background())
		for _, d := range drafts {
			report.Drafts = append(report.Drafts, d.Subject)
		}
		err = errors.Join(err, draftErr)
	}
	if err != nil {
		report.Error = err.Error()
	}
	return report
}

// signalReady waits until the main views are loaded and idle, then tells the
// test that a second launch may hand the window a link.
func signalReady(w *mainWindow, linksShown int) error {
	if err := waitOnUI("the main views, loaded", func() bool { return w.tabs != nil && w.compose.loaded && idle(w) }); err != nil {
		return err
	}
	fmt.Println(readyLine)
	path := os.Getenv(mailtoReadyFileEnv)
	if path == "" {
		return nil
	}
	// Renamed into place, so that the test never reads it half written.
	if err := os.WriteFile(path+".part", []byte(strconv.Itoa(linksShown)), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".part", path)
}

// setUpFirstAccount reads the welcome screen, then adds an account as a
// person would: address, password and the server settings of a real mail
// server on this computer, accepting its certificate when asked.
func setUpFirstAccount(w *mainWindow, shots string, report *mailtoReport) error {
	if err := waitOnUI("the welcome screen", func() bool { return w.welcome != nil && idle(w) }); err != nil {
		return err
	}
	fyne.DoAndWait(func() {
		if w.welcome.waitingLink.Visible() {
			report.WelcomeNote = w.welcome.waitingLink.Text
		}
	})
	if err := saveScreenshot(w, shots, "mailto-first-run-welcome", report); err != nil {
		return err
	}
	inbox, err := os.MkdirTemp("", "postie-mailto-server")
	if err != nil {
		return err
	}
	defer os.RemoveAll(inbox)
	server, err := demo.Start(inbox)
	if err != nil {
		return err
	}
	defer server.Close()
	fyne.DoAndWait(func() {
		z := w.welcome.wizard
		z.name.SetText("Sam Sender")
		z.email.SetText("sam@example.test")
		z.password.SetText(server.Password)
		z.advanced.Open(0)
		z.host.SetText(server.Host)
		z.port.SetText(strconv.Itoa(server.Port))
		z.user.SetText(demo.Username)
		z.setSecurity(smtpclient.SecurityStartTLS)
		z.continueButton.OnTapped()
	})
	// The server's certificate is self-signed: the wizard offers it.
	var offer *dialog.ConfirmDialog
	if err := waitOnUI("the certificate offer", func() bool {
		offer, _ = w.topDialog().(*dialog.ConfirmDialog)
		return offer != nil
	}); err != nil {
		return wizardProblem(w, err)
	}
	fyne.DoAndWait(offer.Confirm)
	if err := waitOnUI("the main views after setup", func() bool { return w.tabs != nil }); err != nil {
		return wizardProblem(w, err)
	}
	return nil
}

// wizardProblem adds what the wizard shows next to its fields to err.
func wizardProblem(w *mainWindow, err error) error {
	fyne.DoAndWait(func() {
		if w.welcome != nil {
			z := w.welcome.wizard
			err = fmt.Errorf("%w (email %q, password %q, server %q; %d dialogs)", err, z.emailErr.Text, z.pwErr.Text, z.hostErr.Text, len(w.dialogs))
		}
	})
	return err
}

// idle reports whether no background work is in flight.
func idle(w *mainWindow) bool {
	select {
	case <-w.tasks.idleChan():
		return true
	default:
		return false
	}
}

// waitOnUI checks cond on the UI goroutine until it holds, for at most two
// minutes: software rendering under Xvfb on a busy machine is slow.
func waitOnUI(what string, cond func() bool) error {
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		var ok bool
		fyne.DoAndWait(func() { ok = cond() })
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
	}
	return fmt.Errorf("timed out waiting for %s", what)
}

func saveScreenshot(w *mainWindow, shots, name string, report *mailtoReport) error {
	if err := screenshot(w, shots, name); err != nil {
		return err
	}
	report.Screenshots = append(report.Screenshots, filepath.Join(shots, name+".png"))
	return nil
}

// mailtoLink is the link every scenario clicks: every field a link may
// fill, with a body of two lines.
const mailtoLink = "mailto:zoe@example.org?cc=bob@example.org&bcc=carol@example.org" +
	"&subject=Quarterly%20report&body=Hello%20Zoe,%0D%0Ahere%20it%20is."

// accountWithDraft prepares a data folder as a user who has set up an
// account and left a message unfinished.
func accountWithDraft(t *testing.T, dir string) {
	t.Helper()
	svc, err := openServices(t.Context(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	a := accounts.Account{Name: "Sam", DisplayName: "Sam Sender", Email: "sam@example.org",
		Host: "smtp.example.org", Port: 587, Security: smtpclient.SecurityStartTLS, Username: "sam",
		Signature: "Sam"}
	if err := svc.core.SaveAccount(t.Context(), &a, "", false); err != nil {
		t.Fatal(err)
	}
	draft := composition{AccountID: a.ID, To: "anna@example.org", Subject: "Unfinished draft", Body: "Half a thought"}
	if _, err := svc.saveDraft(t.Context(), draft); err != nil {
		t.Fatal(err)
	}
}

func TestRealWindowOpensMailtoLinks(t *testing.T) {
	testpeer.RequireSession(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	fields := linkFields{To: "zoe@example.org", Cc: "bob@example.org", Bcc: "carol@example.org",
		Subject: "Quarterly report", Body: "Hello Zoe,\r\nhere it is."}
	signed := fields
	signed.Body += "\n\n-- \nSam"

	t.Run("cold-start", func(t *testing.T) {
		dir := shortTempDir(t)
		accountWithDraft(t, dir)
		report := runMailtoWindow(t, dir, "cold-start", shots, signed, mailtoLink)
		checkMailtoReport(t, report, signed, true)
	})
	t.Run("second-launch", func(t *testing.T) {
		dir := shortTempDir(t)
		accountWithDraft(t, dir)
		report := runMailtoWindow(t, dir, "second-launch", shots, signed)
		checkMailtoReport(t, report, signed, true)
	})
	t.Run("first-run", func(t *testing.T) {
		report := runMailtoWindow(t, shortTempDir(t), "first-run", shots, fields, mailtoLink)
		checkMailtoReport(t, report, fields, false)
		if want := "Once your account is set up, a new message to zoe@example.org opens."; report.WelcomeNote != want {
			t.Errorf("the welcome screen says %q, want %q", report.WelcomeNote, want)
		}
	})
}

// runMailtoWindow runs the window with args on dir and returns what its
// driver saw. In the second-launch scenario it hands mailtoLink over once
// the window is ready, with a second run of the program.
func runMailtoWindow(t *testing.T, dir, scenario, shots string, want linkFields, args ...string) mailtoReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	wantJSON, _ := json.Marshal([]linkFields{want})
	reportPath := filepath.Join(t.TempDir(), "report.json")
	window := exec.CommandContext(ctx, os.Args[0], args...)
	window.Env = append(os.Environ(), windowChildEnv+"=window", store.DataDirEnv+"="+dir,
		mailtoScenarioEnv+"="+scenario, mailtoWantEnv+"="+string(wantJSON),
		mailtoReportEnv+"="+reportPath, smokeShotsEnv+"="+shots)
	var logs bytes.Buffer
	window.Stderr = &logs
	stdout, err := window.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := window.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if scenario == "second-launch" {
		ready := false
		for !ready && lines.Scan() {
			ready = lines.Text() == readyLine
		}
		if !ready {
			window.Wait()
			t.Fatalf("the window never got ready for a second launch\n%s", logs.String())
		}
		launch := exec.CommandContext(ctx, os.Args[0], mailtoLink)
		launch.Env = append(os.Environ(), windowChildEnv+"=launch", store.DataDirEnv+"="+dir)
		if out, err := launch.CombinedOutput(); err != nil {
			t.Errorf("the second launch failed: %v\n%s", err, out)
		}
	}
	io.Copy(io.Discard, stdout)
	if err := window.Wait(); err != nil {
		t.Fatalf("the window ended with %v\n%s", err, logs.String())
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("the window wrote no report: %v\n%s", err, logs.String())
	}
	var report mailtoReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	return report
}

func checkMailtoReport(t *testing.T, report mailtoReport, want linkFields, hadDraft bool) {
	t.Helper()
	if report.Error != "" || report.Shown != want {
		t.Errorf("the composer shows\n %+v\nwant %+v\n(%s)", report.Shown, want, report.Error)
	}
	if hadDraft && !slices.Contains(report.Drafts, "Unfinished draft") {
		t.Errorf("the draft restored at start-up is gone from Drafts: %q", report.Drafts)
	}
	for _, path := range report.Screenshots {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil || testpeer.Blank(img) {
			t.Errorf("%s is not a screenshot of the window: %v", path, err)
		}
	}
	if len(report.Screenshots) == 0 {
		t.Error("no screenshot was taken")
	}
	t.Logf("screenshots: %s", strings.Join(report.Screenshots, ", "))
}
