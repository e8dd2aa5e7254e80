package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var notesSchema = []string{
	`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`,
	`ALTER TABLE notes ADD COLUMN created INTEGER NOT NULL DEFAULT 0`,
}

func openTemp(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDataDirHonoursOverride(t *testing.T) {
	want := t.TempDir()
	t.Setenv(DataDirEnv, want)
	got, err := DataDir()
	if err != nil || got != want {
		t.Fatalf("DataDir() = %q, %v; want %q", got, err, want)
	}
}

func TestDataDirDefaultIsPerUser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("this test describes the Linux layout; add the %s case", runtime.GOOS)
	}
	home := t.TempDir()
	t.Setenv(DataDirEnv, "")
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	got, err := DataDir()
	if err != nil || got != filepath.Join(home, ".local", "share", "Postie") {
		t.Fatalf("DataDir() = %q, %v", got, err)
	}
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "xdg"))
	got, _ = DataDir()
	if got != filepath.Join(home, "xdg", "Postie") {
		t.Fatalf("DataDir() with XDG_DATA_HOME = %q", got)
	}
}

func TestOpenCreatesPrivateDirectoryInWALMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db := openTemp(t, dir)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory permissions = %o, want 700", perm)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var synchronous int
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&synchronous); err != nil || synchronous != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", synchronous, err)
	}
}

func TestMigrateAppliesOnlyNewSteps(t *testing.T) {
	dir := t.TempDir()
	db := openTemp(t, dir)
	if err := db.Migrate("notes", notesSchema[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO notes(text) VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate("notes", notesSchema); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate("notes", notesSchema); err != nil {
		t.Fatalf("re-running migrations: %v", err)
	}
	var text string
	var created int
	if err := db.QueryRow(`SELECT text, created FROM notes`).Scan(&text, &created); err != nil || text != "kept" {
		t.Fatalf("row after migration = %q, %d, %v", text, created, err)
	}
}

func TestMigrateRefusesSchemaFromNewerVersion(t *testing.T) {
	db := openTemp(t, t.TempDir())
	if err := db.Migrate("notes", notesSchema); err != nil {
		t.Fatal(err)
	}
	err := db.Migrate("notes", notesSchema[:1])
	var newer *NewerSchemaError
	if !errors.As(err, &newer) || newer.Component != "notes" || newer.Found != len(notesSchema) || newer.Newest != 1 {
		t.Fatalf("Migrate with fewer steps = %v; want a newer-version error", err)
	}
}

func TestFailedMigrationLeavesSchemaUnchanged(t *testing.T) {
	db := openTemp(t, t.TempDir())
	broken := []string{notesSchema[0], `THIS IS NOT SQL`}
	if err := db.Migrate("notes", broken); err == nil {
		t.Fatal("a broken migration step reported success")
	}
	var tables int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'notes'`).Scan(&tables)
	if tables != 0 {
		t.Fatal("the first step of a failed migration was kept")
	}
}

// Separate handles on one file lock each other exactly as separate processes
// do, so this is the two-Postie-processes case.
func TestConcurrentOpenersShareOneDatabase(t *testing.T) {
	dir := t.TempDir()
	const writers, rowsEach = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(dir)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			if err := db.Migrate("notes", notesSchema); err != nil {
				errs <- err
				return
			}
			for i := 0; i < rowsEach; i++ {
				if _, err := db.Exec(`INSERT INTO notes(text) VALUES ('x')`); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db := openTemp(t, dir)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM notes`).Scan(&n); err != nil || n != writers*rowsEach {
		t.Fatalf("rows = %d, %v; want %d", n, err, writers*rowsEach)
	}
	var integrity string
	db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity)
	if integrity != "ok" {
		t.Fatalf("integrity_check = %q", integrity)
	}
}
