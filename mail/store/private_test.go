//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs the test under the common default umask 022, so files
// that nobody tightens come out 0644 and directories 0755, as on a user's
// computer.
func withUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestNewDatabaseFilesArePrivate(t *testing.T) {
	withUmask(t)
	dir := filepath.Join(t.TempDir(), "data")
	db := openTemp(t, dir)
	if err := db.Migrate("notes", notesSchema); err != nil {
		t.Fatal(err)
	}
	db.Exec(`INSERT INTO notes(text) VALUES ('secret')`)
	for _, name := range []string{DatabaseName, DatabaseName + "-wal", DatabaseName + "-shm"} {
		if m := mode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s permissions = %04o, want 0600", name, m)
		}
	}
}

// A folder made by hand or by an older Postie, 0755 with 0644 files, is
// tightened on the next open, files below it included.
func TestOpenTightensAnOpenFolderAndItsFiles(t *testing.T) {
	withUmask(t)
	dir := filepath.Join(t.TempDir(), "data")
	db := openTemp(t, dir)
	db.Migrate("notes", notesSchema)
	db.Exec(`INSERT INTO notes(text) VALUES ('secret')`)
	spool := filepath.Join(dir, "messages")
	os.Mkdir(spool, 0o755)
	eml := filepath.Join(spool, "sent.eml")
	os.WriteFile(eml, []byte("Subject: private\r\n\r\nbody\r\n"), 0o644)
	loose := []string{
		filepath.Join(dir, DatabaseName), filepath.Join(dir, DatabaseName+"-wal"),
		filepath.Join(dir, DatabaseName+"-shm"), eml,
	}
	for _, f := range loose {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, spool} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	openTemp(t, dir)
	for _, d := range []string{dir, spool} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("%s permissions = %04o, want 0700", d, m)
		}
	}
	for _, f := range loose {
		if m := mode(t, f); m != 0o600 {
			t.Errorf("%s permissions = %04o, want 0600", f, m)
		}
	}
}

// Database files that another program loosened inside a private folder are
// tightened too: the folder is checked on every open, and so are they.
func TestOpenTightensDatabaseFilesInAPrivateFolder(t *testing.T) {
	withUmask(t)
	dir := t.TempDir()
	db := openTemp(t, dir)
	db.Migrate("notes", notesSchema)
	db.Close()
	path := filepath.Join(dir, DatabaseName)
	os.Chmod(dir, 0o700)
	os.Chmod(path, 0o644)
	openTemp(t, dir)
	if m := mode(t, path); m != 0o600 {
		t.Errorf("database permissions = %04o, want 0600", m)
	}
}

// A folder that belongs to someone else is refused with an error that
// names it and its owner, and left exactly as it was.
func TestOpenRefusesAFolderOfAnotherUser(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "theirs")
	if os.Geteuid() == 0 {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil { // nobody
			t.Fatal(err)
		}
	} else {
		dir = "/usr/share" // root's, for everyone else
	}
	before := mode(t, dir)
	_, err := Open(dir)
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != dir || pe.Problem != PathOtherOwner || pe.OwnerUID == os.Geteuid() {
		t.Fatalf("Open(%s) = %v; want a refusal naming the folder and its owner", dir, err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, DatabaseName)); statErr == nil {
		t.Error("a database was created in another user's folder")
	}
	if m := mode(t, dir); m != before {
		t.Errorf("permissions changed from %04o to %04o", before, m)
	}
}

func TestOpenRefusesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	os.WriteFile(path, nil, 0o600)
	var pe *PathError
	if _, err := Open(path); !errors.As(err, &pe) || pe.Path != path || pe.Problem != PathNotAFolder {
		t.Fatalf("Open(file) = %v; want a PathError %s", err, PathNotAFolder)
	}
}

// A link planted where the database's write-ahead log goes (possible while
// the folder was open to others) would send every message written to the
// database elsewhere: Open refuses it and writes nothing through it.
func TestOpenRefusesALinkInPlaceOfADatabaseFile(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "collected")
	if err := os.Symlink(elsewhere, filepath.Join(dir, DatabaseName+"-wal")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	var pe *PathError
	if !errors.As(err, &pe) || pe.Problem != PathNotOwnFile || pe.Path != filepath.Join(dir, DatabaseName+"-wal") {
		t.Fatalf("Open with a planted link = %v; want a refusal naming it", err)
	}
	if _, err := os.Lstat(elsewhere); err == nil {
		t.Fatal("Postie wrote through the link")
	}
}
