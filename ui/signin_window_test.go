package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/store"
)

// The sign-in test runs the real program in the real window under Xvfb, on
// a data folder without accounts, as the mailto tests do: its driver types
// an Outlook.com address into the welcome screen, reads and photographs
// "Sign in with Microsoft" and the wait for the browser, then plays the
// browser (following the sign-in address to Postie's loopback redirect)
// and reads the account saved. The provider is a local authorization
// server named by POSTIE_OAUTH_PROVIDERS, so nothing leaves this computer.
const signInReportEnv = "POSTIE_UI_SIGNIN_REPORT"

// signInAddressForTest is the Outlook.com address the driver types.
const signInAddressForTest = "anna@outlook.com"

// signInReport is what the child saw in its window.
type signInReport struct {
	Button        string // the wizard's main action for the address
	PasswordShown bool
	Waiting       string // what the wizard said while waiting for the browser
	AddressShown  string // the sign-in address on screen
	Opened        string // where the browser was sent
	SavedProvider string // the provider of the account saved, once signed in
	Screenshots   []string
	Error         string
}

// driveSignIn is the child's driver: see the comment at the top.
func driveSignIn(w *mainWindow) {
	var report signInReport
	err := signInThroughTheWindow(w, os.Getenv(smokeShotsEnv), &report)
	if err != nil {
		report.Error = err.Error()
	}
	data, _ := json.Marshal(report)
	if err := os.WriteFile(os.Getenv(signInReportEnv), data, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "sign-in driver:", err)
	}
}

func signInThroughTheWindow(w *mainWindow, shots string, report *signInReport) error {
	if err := waitOnUI("the welcome screen", func() bool { return w.welcome != nil && idle(w) }); err != nil {
		return err
	}
	opened := make(chan string, 1)
	var z *accountWizard
	fyne.DoAndWait(func() {
		// The test's browser: it records where Postie sent it, and follows
		// only once the wait has been photographed.
		w.browser = func(u *url.URL) error {
			opened <- u.String()
			return nil
		}
		z = w.welcome.wizard
		z.name.SetText("Anna Lind")
		z.email.SetText(signInAddressForTest)
		if scroll, ok := w.welcome.content.(*container.Scroll); ok {
			scroll.ScrollToBottom() // the wizard's buttons in view
		}
	})
	if err := waitOnUI("Sign in with Microsoft", func() bool {
		return z.continueButton.Visible() && strings.HasPrefix(z.continueButton.Text, "Sign in with") && idle(w)
	}); err != nil {
		return errors.Join(err, wizardProblem(w, err))
	}
	fyne.DoAndWait(func() {
		report.Button = z.continueButton.Text
		report.PasswordShown = z.passwordRow[1].Visible()
	})
	if err := saveSignInShot(w, shots, "signin-offer", report); err != nil {
		return err
	}

	fyne.DoAndWait(z.continueButton.OnTapped)
	var address string
	select {
	case address = <-opened:
		report.Opened = address
	case <-time.After(2 * time.Minute):
		return errors.New("the browser was never opened")
	}
	if err := waitOnUI("the sign-in address on screen", func() bool { return z.signIn.panel.content.Visible() }); err != nil {
		return err
	}
	fyne.DoAndWait(func() {
		report.Waiting = z.progress.Text
		report.AddressShown = z.signIn.panel.link.Text
		// A turning spinner never gives two equal captures: stop it for the
		// picture; the words say what Postie waits for.
		z.activity.Stop()
	})
	if err := saveSignInShot(w, shots, "signin-waiting", report); err != nil {
		return err
	}

	if err := followSignIn(address); err != nil {
		return fmt.Errorf("the test browser: %w", err)
	}
	if err := waitOnUI("the main views after signing in", func() bool { return w.tabs != nil }); err != nil {
		return errors.Join(err, wizardProblem(w, err), fmt.Errorf("sign-in problem %q", z.signIn.problem.Text))
	}
	var svc *services
	fyne.DoAndWait(func() { svc = w.svc })
	list, err := svc.listAccounts(context.Background())
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.Email == signInAddressForTest {
			report.SavedProvider = a.OAuthProvider
		}
	}
	return nil
}

func saveSignInShot(w *mainWindow, shots, name string, report *signInReport) error {
	if err := screenshot(w, shots, name); err != nil {
		return err
	}
	report.Screenshots = append(report.Screenshots, filepath.Join(shots, name+".png"))
	return nil
}

// followSignIn is the test browser: it follows the sign-in address through
// the provider's redirect to Postie's loopback listener.
func followSignIn(address string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := testpeer.Browse(ctx, address)
	return err
}

func TestRealWindowSignsInWithMicrosoft(t *testing.T) {
	testpeer.RequireSession(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	providers, _ := localMicrosoft(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	reportPath := filepath.Join(t.TempDir(), "report.json")
	dir := shortTempDir(t)
	t.Setenv(oauth.EnvProviders, providers)      // for the child, and for the clean-up below
	t.Cleanup(func() { removeAccounts(t, dir) }) // the refresh token out of the keyring
	window := exec.CommandContext(ctx, os.Args[0])
	window.Env = append(os.Environ(), windowChildEnv+"=signin", store.DataDirEnv+"="+dir,
		signInReportEnv+"="+reportPath, smokeShotsEnv+"="+shots)
	out, err := window.CombinedOutput()
	if err != nil {
		t.Fatalf("the window ended with %v\n%s", err, out)
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("the window wrote no report: %v\n%s", err, out)
	}
	var report signInReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if report.Error != "" {
		t.Errorf("the driver: %s\n%s", report.Error, out)
	}
	if report.Button != "Sign in with Microsoft" || report.PasswordShown {
		t.Errorf("for %s the wizard offers %q, password shown %v", signInAddressForTest, report.Button, report.PasswordShown)
	}
	if report.Waiting != "Finish signing in with Microsoft in your browser…" {
		t.Errorf("while waiting the wizard says %q", report.Waiting)
	}
	if report.Opened == "" || report.AddressShown != report.Opened {
		t.Errorf("the browser was sent to %q, the window shows %q", report.Opened, report.AddressShown)
	}
	if report.SavedProvider != "microsoft" {
		t.Errorf("the account saved signs in with %q", report.SavedProvider)
	}
	for _, path := range report.Screenshots {
		checkScreenshot(t, path)
	}
	if len(report.Screenshots) != 2 {
		t.Errorf("screenshots: %q", report.Screenshots)
	}
	t.Logf("screenshots: %s", strings.Join(report.Screenshots, ", "))
}

// removeAccounts removes the accounts saved in the data folder dir, and
// with them their secrets in the keyring.
func removeAccounts(t *testing.T, dir string) {
	svc, err := openServices(context.Background(), dir, false)
	if err != nil {
		t.Error(err)
		return
	}
	defer svc.close()
	list, err := svc.listAccounts(context.Background())
	if err != nil {
		t.Error(err)
	}
	for _, a := range list {
		if err := svc.removeAccount(context.Background(), a); err != nil {
			t.Error(err)
		}
	}
}
