package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

func init() { smokeScenarios["sent-copy"] = driveSentCopy }

// The real window under Xvfb: a message sent from an account whose IMAP
// server refuses connections shows in Sent details that its copy is being
// saved, when it is tried next, why not yet, and Retry; the account view
// shows both servers; moved to a working IMAP server (go-imap, its Sent
// folder "Gesendet"), Retry files the copy, once, and the details say
// "Copy saved in your Sent folder (Gesendet)." The child process checks
// the words and the buttons and saves sent-copy.png, accounts-imap.png and
// sent-copy-filed.png, which must not be blank.
func TestRealWindowSentDetailsShowTheCopyState(t *testing.T) {
	testpeer.RequireSession(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	// The IMAP server the account is moved to after the refusal: on this
	// computer, where signing in without TLS is allowed, with its Sent
	// folder under a German name.
	imap := testpeer.StartIMAP(t, testpeer.IMAPOptions{Security: testpeer.None, User: "demo-imap", Password: sentCopyIMAPPassword,
		SentFolder: "Gesendet"})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), smokeChildEnv+"=sent-copy", smokeDirEnv+"="+shortTempDir(t), smokeShotsEnv+"="+shots,
		sentCopyIMAPPortEnv+"="+strconv.Itoa(imap.Port))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the window run failed: %v\n%s", err, out)
	}
	for _, shot := range []string{"sent-copy", "accounts-imap", "sent-copy-filed"} {
		checkScreenshot(t, filepath.Join(shots, shot+".png"))
	}
	if stored := imap.Stored("Gesendet"); len(stored) != 1 || !strings.Contains(string(stored[0]), "Subject: Copy in Sent") {
		t.Errorf("the Sent folder holds %d messages, want the one sent", len(stored))
	}
}

const (
	// sentCopyIMAPPortEnv tells the child the port of the working IMAP
	// server.
	sentCopyIMAPPortEnv  = "POSTIE_UI_SENT_COPY_IMAP_PORT"
	sentCopyIMAPPassword = "imap password of the window test"
)

// refusedLoopbackPort is a port on 127.0.0.1 where nothing listens.
func refusedLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func driveSentCopy(w *mainWindow, shots string) error {
	w.tasks.wait()
	events := make(chan outboxEvent, 100)
	var ready bool
	fyne.DoAndWait(func() {
		ready = w.tabs != nil
		w.eventApplied = events
		w.settings.undo.SetSelectedIndex(0) // no undo window: send at once
	})
	if !ready {
		return errors.New("demo mode did not reach the main views")
	}
	w.tasks.wait()

	// The demo account gets an IMAP server that refuses connections.
	port, err := refusedLoopbackPort()
	if err != nil {
		return err
	}
	ctx := context.Background()
	list, err := w.svc.core.ListAccounts(ctx)
	if err != nil || len(list) == 0 {
		return fmt.Errorf("no demo account: %v", err)
	}
	a := list[0]
	a.IMAP = accounts.IMAPServer{Host: "127.0.0.1", Port: port, Security: smtpclient.SecurityTLS}
	a.SentCopy = accounts.SentCopyAlways
	if err := w.svc.core.SaveAccount(ctx, &a, "", false); err != nil {
		return fmt.Errorf("cannot give the demo account an IMAP server: %v", err)
	}

	fyne.DoAndWait(func() {
		w.selectView(w.compose.content)
		w.compose.to.entry.SetText("Anna Lind <anna@example.org>")
		w.compose.subject.SetText("Copy in Sent")
		w.compose.body.SetText("Where does the copy go?")
	})
	fyne.DoAndWait(w.compose.send)
	w.tasks.wait()
	if err := waitForCopyFailure(events); err != nil {
		return err
	}

	fyne.DoAndWait(func() { w.selectView(w.sent.content) })
	w.tasks.wait()
	fyne.DoAndWait(func() { w.sent.list.Select(0) })
	w.tasks.wait()
	var problem error
	var retry *widget.Button
	fyne.DoAndWait(func() {
		d := w.sent.details.current
		switch {
		case d == nil:
			problem = errors.New("Sent shows no details")
			return
		case d.SentCopy != outbox.CopyPending || !d.CopyProblem ||
			!strings.HasPrefix(d.CopyText, "Saving the copy – will try again at ") || !strings.Contains(d.CopyText, ": the incoming (IMAP) server refused the connection."):
			problem = fmt.Errorf("the details say %q (copy %s)", d.CopyText, d.SentCopy)
			return
		}
		labels, buttons := labelsAndButtons(w.sent.details.content)
		shown := false
		for _, l := range labels {
			shown = shown || l.Text == d.CopyText && l.Importance == widget.WarningImportance
		}
		for _, b := range buttons {
			if b.Text == "Retry" {
				retry = b
			}
		}
		if !shown || retry == nil {
			problem = fmt.Errorf("the copy's state is not on screen as a warning with Retry (shown %v, Retry %v)", shown, retry != nil)
		}
	})
	if problem != nil {
		return problem
	}
	if err := screenshot(w, shots, "sent-copy"); err != nil {
		return err
	}
	// Retry tries again at once, and fails again the same way.
	fyne.DoAndWait(retry.OnTapped)
	if err := waitForCopyFailure(events); err != nil {
		return err
	}

	// The account view shows both servers.
	fyne.DoAndWait(func() {
		w.selectView(w.accounts.content)
		w.accounts.reload()
	})
	w.tasks.wait()
	want := fmt.Sprintf("Copy in Sent: 127.0.0.1, port %d, SSL/TLS – always", port)
	fyne.DoAndWait(func() {
		labels, _ := labelsAndButtons(w.accounts.list)
		problem = fmt.Errorf("the account view does not show %q", want)
		for _, l := range labels {
			if strings.Contains(l.Text, want) && strings.HasPrefix(l.Text, "Sending: ") {
				problem = nil
			}
		}
	})
	if problem != nil {
		return problem
	}
	if err := screenshot(w, shots, "accounts-imap"); err != nil {
		return err
	}

	// Moved to a working IMAP server with its own password, Retry files
	// the copy, and the details say where.
	port, err = strconv.Atoi(os.Getenv(sentCopyIMAPPortEnv))
	if err != nil {
		return fmt.Errorf("no IMAP port from the parent: %v", err)
	}
	a.IMAP = accounts.IMAPServer{Host: "127.0.0.1", Port: port, Security: smtpclient.SecurityNone, Username: "demo-imap"}
	if err := w.svc.core.SaveAccount(ctx, &a, "", false); err != nil {
		return fmt.Errorf("cannot move the demo account to the working IMAP server: %v", err)
	}
	if err := realCore(w).SetIMAPPassword(ctx, &a, sentCopyIMAPPassword); err != nil {
		return fmt.Errorf("cannot give the IMAP server its own password: %v", err)
	}
	fyne.DoAndWait(func() { w.selectView(w.sent.content) })
	w.tasks.wait()
	fyne.DoAndWait(func() {
		w.sent.list.Select(0)
	})
	w.tasks.wait()
	fyne.DoAndWait(func() {
		_, buttons := labelsAndButtons(w.sent.details.content)
		for _, b := range buttons {
			if b.Text == "Retry" {
				b.OnTapped()
				return
			}
		}
		problem = errors.New("no Retry to file the copy with")
	})
	if problem != nil {
		return problem
	}
	if err := waitForCopy(events, outbox.CopyFiled); err != nil {
		return err
	}
	w.tasks.wait()
	const filed = "Copy saved in your Sent folder (Gesendet)."
	fyne.DoAndWait(func() {
		labels, buttons := labelsAndButtons(w.sent.details.content)
		problem = fmt.Errorf("the details do not say %q", filed)
		for _, l := range labels {
			if l.Text == filed && l.Importance == widget.SuccessImportance {
				problem = nil
			}
		}
		for _, b := range buttons {
			if b.Text == "Retry" {
				problem = errors.New("Retry is still offered for a filed copy")
			}
		}
	})
	if problem != nil {
		return problem
	}
	return screenshot(w, shots, "sent-copy-filed")
}

// waitForCopy waits until a sent message's copy reaches the state.
func waitForCopy(events <-chan outboxEvent, copy outbox.SentCopy) error {
	timeout := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if !ev.Progress && ev.Copy == copy {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("the copy did not become %s within a minute", copy)
		}
	}
}

// waitForCopyFailure waits until a sent message's copy is pending after a
// failed try.
func waitForCopyFailure(events <-chan outboxEvent) error {
	timeout := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Progress {
				continue
			}
			if ev.State == outbox.StateFailed || ev.State == outbox.StateUnknown {
				return fmt.Errorf("the message ended %s: %s", ev.State, failureMessage(ev.Failure))
			}
			if ev.Copy == outbox.CopyPending && ev.CopyFailure != nil {
				return nil
			}
		case <-timeout:
			return errors.New("the copy was not tried within a minute")
		}
	}
}
