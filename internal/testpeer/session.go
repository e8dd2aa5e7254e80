package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// RequireSession marks a test that needs the desktop session
// .ci/with-session provides: an X display and a D-Bus session bus with an
// unlocked Secret Service (gnome-keyring). Under -short (make check's fast
// tier) the test is skipped; otherwise a missing session fails it, so the
// full suite (make test) can never pass without running it.
func RequireSession(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs an X display and a keyring; make test runs it")
	}
	for _, name := range []string{"DISPLAY", "DBUS_SESSION_BUS_ADDRESS"} {
		if os.Getenv(name) == "" {
			t.Fatalf("%s is not set: run this test under .ci/with-session, as make test does", name)
		}
	}
}

// RequireProgram marks a test that runs an outside program, such as
// mailpit, and returns its path. Under -short the test is skipped;
// otherwise a missing program fails it.
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs " + name + "; make test runs it")
	}
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed for this test (make test installs it): %v", name, err)
	}
	return path
}

// Slow marks a test that takes minutes, such as one that builds Postie's
// packages: make check's fast tier (-short) skips it, make test runs it.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow (" + why + "); make test runs it")
	}
}
