//go:build !windows && !darwin

package ui

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestStartAtLoginWritesAndRemovesTheAutostartEntry ticks and unticks the
// Settings box as a person would and checks the autostart entry on disk,
// in an XDG_CONFIG_HOME of the test's own.
func TestStartAtLoginWritesAndRemovesTheAutostartEntry(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	entry := filepath.Join(config, "autostart", "io.github.postie_app.Postie.desktop")
	w := openDemoWindow(t)
	box := w.settings.autostart
	if len(box.content.Objects) == 0 {
		t.Fatal("Settings offers no start at login on Linux")
	}
	if box.check.Checked {
		t.Fatal("start at login is on before anything was written")
	}

	test.Tap(box.check)
	w.settle()
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("ticking the box wrote no autostart entry: %v", err)
	}
	exe, _ := os.Executable()
	if !strings.Contains(string(data), "\nExec="+exe+" --background\n") {
		t.Errorf("the entry does not start this program in the background:\n%s", data)
	}
	if !box.check.Checked || box.check.Disabled() {
		t.Errorf("after ticking: checked %v, disabled %v", box.check.Checked, box.check.Disabled())
	}

	test.Tap(box.check)
	w.settle()
	if _, err := os.Stat(entry); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unticking the box left the entry: %v", err)
	}
}

func TestStartAtLoginShowsAnEntryWrittenBefore(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	if err := os.MkdirAll(filepath.Join(config, "autostart"), 0o700); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(config, "autostart", "io.github.postie_app.Postie.desktop")
	const before = "[Desktop Entry]\nType=Application\nName=Postie\nExec=/opt/postie/postie --background\n"
	if err := os.WriteFile(entry, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openDemoWindow(t)
	if !w.settings.autostart.check.Checked {
		t.Fatal("an autostart entry exists, but the box is not ticked")
	}
	if data, _ := os.ReadFile(entry); string(data) != before {
		t.Errorf("opening Settings rewrote the entry:\n%s", data)
	}
}

// TestStartAtLoginThatFailsStaysUnticked makes the autostart folder a file,
// so the entry cannot be written (even by root), and checks that the user is
// told and the box shows what is true.
func TestStartAtLoginThatFailsStaysUnticked(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	if err := os.WriteFile(filepath.Join(config, "autostart"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := openDemoWindow(t)
	box := w.settings.autostart
	test.Tap(box.check)
	w.settle()
	if box.check.Checked || box.check.Disabled() {
		t.Errorf("after a failed write: checked %v, disabled %v", box.check.Checked, box.check.Disabled())
	}
	if w.topDialog() == nil {
		t.Fatal("the failure was not shown")
	}
}
