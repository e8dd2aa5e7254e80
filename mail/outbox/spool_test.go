//go:build unix

package outbox

import (
	"os"
	"path/filepath"
	"testing"
)

// A spool folder opened to others inside a private data folder (by hand,
// or by a backup tool restoring it) is made private again on open, and so
// are the messages in it.
func TestOpenMakesAnOpenSpoolPrivate(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir, &accountsMap{}).Close()
	spool := filepath.Join(dir, "messages")
	eml := filepath.Join(spool, "kept.eml")
	if err := os.WriteFile(eml, []byte("Subject: private\r\n\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(eml, 0o644)
	os.Chmod(spool, 0o755)

	openDir(t, dir, &accountsMap{})
	for path, want := range map[string]os.FileMode{spool: 0o700, eml: 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s permissions = %04o, want %04o", path, got, want)
		}
	}
}
