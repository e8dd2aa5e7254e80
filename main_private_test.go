//go:build unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A data folder that already exists open to others (0755, as made by
// mkdir with the usual umask, or by an older Postie) holding world-readable
// files is made private by the real program before it reads or writes
// anything there.
func TestProgramMakesAnOpenDataFolderPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "Postie")
	run := func(args ...string) {
		t.Helper()
		cmd := postieIn(t.Context(), dir, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("postie %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("outbox", "list")
	spool := filepath.Join(dir, "messages")
	eml := filepath.Join(spool, "old.eml")
	if err := os.MkdirAll(spool, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(eml, []byte("Subject: private\r\n\r\nbody\r\n"), 0o644)
	files := []string{filepath.Join(dir, "postie.db"), filepath.Join(dir, "postie.db-wal"), filepath.Join(dir, "postie.db-shm"), eml}
	for _, f := range files {
		// SQLite removes -wal and -shm on its last close; empty ones are
		// what it finds after a crash, and reads as such.
		if fh, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fh.Close()
		}
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, spool} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	run("outbox", "list")
	for _, d := range []string{dir, spool} {
		if perm, err := permissions(d); err != nil || perm != 0o700 {
			t.Errorf("%s: %04o, %v; want 0700", d, perm, err)
		}
	}
	for _, f := range files {
		perm, err := permissions(f)
		if errors.Is(err, fs.ErrNotExist) && (strings.HasSuffix(f, "-wal") || strings.HasSuffix(f, "-shm")) {
			continue // SQLite's last close removed it
		}
		if err != nil || perm != 0o600 {
			t.Errorf("%s: %04o, %v; want 0600", f, perm, err)
		}
	}
}

func permissions(path string) (fs.FileMode, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return info.Mode().Perm(), nil
}
