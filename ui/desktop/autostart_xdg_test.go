//go:build !windows && !darwin

package desktop

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// tempConfigHome points XDG_CONFIG_HOME at a new folder, so no test touches
// the real ~/.config, and returns where Postie's autostart entry belongs.
func tempConfigHome(t *testing.T) string {
	t.Helper()
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	return filepath.Join(config, "autostart", "io.github.postie_app.Postie.desktop")
}

func autostartEnabled(t *testing.T) bool {
	t.Helper()
	enabled, supported, err := AutostartStatus()
	if !supported || err != nil {
		t.Fatalf("AutostartStatus() = %v, %v, %v; want supported and no error", enabled, supported, err)
	}
	return enabled
}

func TestAutostartEntryIsWrittenAndRemoved(t *testing.T) {
	path := tempConfigHome(t)
	if autostartEnabled(t) {
		t.Fatal("enabled before anything was written")
	}
	if err := EnableAutostart("/home/ann/.local/bin/postie"); err != nil {
		t.Fatal(err)
	}
	if !autostartEnabled(t) {
		t.Fatal("not enabled after EnableAutostart")
	}
	entry, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(entry), "\nExec=/home/ann/.local/bin/postie --background\n") {
		t.Errorf("%s:\n%s", path, entry)
	}
	testpeer.RequireProgram(t, "desktop-file-validate")
	if out, err := exec.Command("desktop-file-validate", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}

	if err := DisableAutostart(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the entry is still there after DisableAutostart: %v", err)
	}
	if autostartEnabled(t) {
		t.Error("enabled after DisableAutostart")
	}
	if err := DisableAutostart(); err != nil {
		t.Errorf("disabling twice: %v", err)
	}
	leftovers, _ := os.ReadDir(filepath.Dir(path))
	if len(leftovers) != 0 {
		t.Errorf("files left in the autostart folder: %v", leftovers)
	}
}

func TestAutostartEntryGoesToDotConfigWithoutXDGConfigHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	if err := EnableAutostart("/usr/bin/postie"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "autostart", "io.github.postie_app.Postie.desktop")); err != nil {
		t.Fatal(err)
	}
	if err := DisableAutostart(); err != nil {
		t.Fatal(err)
	}
}

func TestAutostartEntrySwitchedOffInGNOMETweaksCountsAsOff(t *testing.T) {
	path := tempConfigHome(t)
	if err := EnableAutostart("/usr/bin/postie"); err != nil {
		t.Fatal(err)
	}
	entry, _ := os.ReadFile(path)
	off := strings.Replace(string(entry), "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false", 1)
	if err := os.WriteFile(path, []byte(off), 0o644); err != nil {
		t.Fatal(err)
	}
	if autostartEnabled(t) {
		t.Fatal("an entry switched off counts as on")
	}
	if err := EnableAutostart("/usr/bin/postie"); err != nil {
		t.Fatal(err)
	}
	if !autostartEnabled(t) {
		t.Error("switching it on again left it off")
	}
}

// TestAutostartEntryStartsProgramsAtAwkwardPaths has GLib, which GNOME's
// session manager uses to read autostart entries, launch the entry of a
// program in a folder whose name needs every kind of quoting (but %, which
// autostartEntry refuses), and checks
// that the entry is valid and the program receives exactly its own path
// and the background flag.
func TestAutostartEntryStartsProgramsAtAwkwardPaths(t *testing.T) {
	gio := testpeer.RequireProgram(t, "gio")
	validate := testpeer.RequireProgram(t, "desktop-file-validate")
	path := tempConfigHome(t)
	report := filepath.Join(t.TempDir(), "argv")
	for _, folder := range []string{"plain", "My Apps", `it's "quoted" $HOME \ (1) ~ #; & | <> * ? ` + "`x`"} {
		dir := filepath.Join(t.TempDir(), folder)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		program := filepath.Join(dir, "postie")
		script := "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > \"$POSTIE_ARGV_REPORT.tmp\" && mv \"$POSTIE_ARGV_REPORT.tmp\" \"$POSTIE_ARGV_REPORT\"\n"
		if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := EnableAutostart(program); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(validate, path).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate for %q: %v\n%s", program, err, out)
		}
		os.Remove(report)
		cmd := exec.Command(gio, "launch", path)
		cmd.Env = append(os.Environ(), "POSTIE_ARGV_REPORT="+report)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gio launch for %q: %v\n%s", program, err, out)
		}
		got := waitForFile(t, report)
		if want := program + "\n--background\n"; !bytes.Equal(got, []byte(want)) {
			entry, _ := os.ReadFile(path)
			t.Errorf("started with %q, want %q; entry:\n%s", got, want, entry)
		}
	}
}

// waitForFile waits until path exists, for at most a minute, and returns it.
func waitForFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAutostartFolderThatIsAFile: no entry can be there, so it is off, and
// switching it on says why it cannot.
func TestAutostartFolderThatIsAFile(t *testing.T) {
	path := tempConfigHome(t)
	if err := os.WriteFile(filepath.Dir(path), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if autostartEnabled(t) {
		t.Fatal("enabled")
	}
	if err := EnableAutostart("/usr/bin/postie"); err == nil {
		t.Fatal("EnableAutostart wrote into a file")
	}
}
