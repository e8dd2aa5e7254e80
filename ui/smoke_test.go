package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/outbox"
)

// The smoke test opens the real window under the X display that make test
// starts (Xvfb), in demo mode, drives compose → send → Sent, and saves a
// screenshot of each main view taken with the canvas's Capture. Fyne's
// window must own the main thread, so the test runs in a child process
// whose TestMain hands the main goroutine to Fyne.
const (
	// smokeChildEnv names the scenario a child process drives (see
	// smokeScenarios).
	smokeChildEnv = "POSTIE_UI_SMOKE_CHILD"
	smokeDirEnv   = "POSTIE_UI_SMOKE_DATA"
	smokeShotsEnv = "POSTIE_UI_SMOKE_SHOTS"
	// screenshotsEnv keeps the screenshots somewhere to look at them.
	screenshotsEnv = "POSTIE_SCREENSHOTS"
)

var smokeViews = []string{"compose", "outbox", "sent", "accounts", "settings", "about", "demo-inbox"}

func TestRealWindowSmoke(t *testing.T) {
	testpeer.RequireSession(t)
	shots := os.Getenv(screenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), smokeChildEnv+"=smoke", smokeDirEnv+"="+shortTempDir(t), smokeShotsEnv+"="+shots)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the window smoke run failed: %v\n%s", err, out)
	}
	for _, view := range smokeViews {
		checkScreenshot(t, filepath.Join(shots, view+".png"))
	}
}

// checkScreenshot fails the test unless path holds a PNG of a window with
// something drawn in it.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no screenshot: %v", err)
		return
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s is not a PNG: %v", path, err)
		return
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 || testpeer.Blank(img) {
		t.Errorf("%s looks empty: %v", path, img.Bounds())
	}
}

// smokeScenarios are what a smoke child process can drive, by the name
// given in smokeChildEnv.
var smokeScenarios = map[string]func(w *mainWindow, shots string) error{
	"smoke": driveSmoke,
	"lists": driveListLayout,
}

// runSmokeChild is the child process: it runs the real app in demo mode on
// the main goroutine and drives it from another.
func runSmokeChild(scenario string) int {
	drive, ok := smokeScenarios[scenario]
	if !ok {
		fmt.Fprintln(os.Stderr, "no window scenario named", scenario)
		return 2
	}
	a := app.NewWithID("io.github.postie_app.Postie.smoke")
	loadTranslations()
	w := newMainWindow(a, os.Getenv(smokeDirEnv), options{demo: true}, nil)
	result := make(chan error, 1)
	go func() {
		result <- drive(w, os.Getenv(smokeShotsEnv))
		fyne.Do(a.Quit)
	}()
	w.win.ShowAndRun()
	w.shutdown()
	if err := <-result; err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", scenario, err)
		return 1
	}
	return 0
}

func driveSmoke(w *mainWindow, shots string) error {
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

	fyne.DoAndWait(func() {
		w.selectView(w.compose.content)
		w.compose.to.entry.SetText("Anna Lind <anna@example.org>")
		w.compose.subject.SetText("Smoke test")
		w.compose.body.SetText("Hello from the real window.")
	})
	if err := screenshot(w, shots, "compose"); err != nil {
		return err
	}
	fyne.DoAndWait(w.compose.send)
	w.tasks.wait()
	if err := waitFor(events, outbox.StateSent); err != nil {
		return err
	}
	for _, view := range []struct {
		name    string
		content func() fyne.CanvasObject
	}{
		{"sent", func() fyne.CanvasObject { return w.sent.content }},
		{"outbox", func() fyne.CanvasObject { return w.outbox.content }},
		{"accounts", func() fyne.CanvasObject { return w.accounts.content }},
		{"settings", func() fyne.CanvasObject { return w.settings.content }},
		{"about", func() fyne.CanvasObject { return w.tabs.Items[5].Content }},
		{"demo-inbox", func() fyne.CanvasObject { return w.demoInbox.content }},
	} {
		fyne.DoAndWait(func() { w.selectView(view.content()) })
		w.tasks.wait()
		if view.name == "sent" {
			var total int
			fyne.DoAndWait(func() {
				total = w.sent.total
				if total > 0 {
					w.sent.list.Select(0)
				}
			})
			w.tasks.wait()
			if total != 1 {
				return fmt.Errorf("Sent lists %d messages after sending one", total)
			}
		}
		if err := screenshot(w, shots, view.name); err != nil {
			return err
		}
	}
	return nil
}

func waitFor(events <-chan outboxEvent, state outbox.State) error {
	timeout := time.After(time.Minute)
	for {
		select {
		case ev := <-events:
			if !ev.Progress && ev.State == state {
				return nil
			}
			if !ev.Progress && (ev.State == outbox.StateFailed || ev.State == outbox.StateUnknown) {
				return fmt.Errorf("the message ended %s: %s", ev.State, failureMessage(ev.Failure))
			}
		case <-timeout:
			return fmt.Errorf("the message did not reach %s within a minute", state)
		}
	}
}

// screenshot saves the window once a frame showing the latest change is on
// screen: it waits until two captures in a row agree and differ from the
// previous screenshot. A blank capture, which the X server can hand back
// while the window is being resized, does not count. It waits up to two
// minutes, as waitOnUI does: software rendering under Xvfb is slow while
// other packages' windows draw beside it (`go test ./...` runs two
// packages at once on two cores), and 20 s was seen to be too short there.
var lastShot image.Image

func screenshot(w *mainWindow, dir, name string) error {
	deadline := time.Now().Add(2 * time.Minute)
	var previous image.Image
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		var img image.Image
		fyne.DoAndWait(func() { img = w.win.Canvas().Capture() })
		if previous != nil && sameImage(img, previous) && !testpeer.Blank(img) && (lastShot == nil || !sameImage(img, lastShot)) {
			lastShot = img
			return writePNG(filepath.Join(dir, name+".png"), img)
		}
		previous = img
		if time.Now().After(deadline) {
			return fmt.Errorf("the %s view never settled on screen", name)
		}
	}
	return nil
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
