// Package store owns Postie's data directory and the one SQLite database in
// it. The outbox, the sent log, drafts, settings and accounts all keep their
// rows here; each of them registers its own schema through Migrate.
//
// The database runs in WAL mode with FULL synchronous commits, so a committed
// transaction survives a crash or power loss, and with a busy timeout and
// IMMEDIATE transactions, so two Postie processes sharing one data directory
// wait for each other instead of failing or corrupting it.
//
// Secrets never go here: passwords and tokens live only in the OS keyring.
// This package never imports Fyne and never touches the network.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DataDirEnv names the environment variable that overrides the data directory.
const DataDirEnv = "POSTIE_DATA_DIR"

// DatabaseName is the file name of the database inside the data directory.
const DatabaseName = "postie.db"

// busyTimeoutMillis is how long a writer waits for another process's write
// transaction before giving up. Sending holds no transaction open across the
// network, so real waits are short; the generous limit covers slow disks.
const busyTimeoutMillis = 15000

// DataDir returns the directory that holds all of Postie's state: the value of
// POSTIE_DATA_DIR when set, otherwise the operating system's per-user
// application data directory followed by "Postie".
func DataDir() (string, error) {
	if dir := os.Getenv(DataDirEnv); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := userDataDir()
	if err != nil {
		return "", fmt.Errorf("no per-user data folder (set %s): %w", DataDirEnv, err)
	}
	return filepath.Join(base, "Postie"), nil
}

// userDataDir follows each platform's convention: XDG_DATA_HOME (or
// ~/.local/share) on Linux and the BSDs, %AppData% on Windows and
// ~/Library/Application Support on macOS.
func userDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		return os.UserConfigDir()
	}
	if dir := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(dir) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share"), nil
}

// DB is the open database of one data directory.
type DB struct {
	*sql.DB
	// Dir is the data directory the database lives in.
	Dir string
}

// Open creates the data directory when needed and opens the database in
// it. On every open the folder is made private to its owner (0700) and the
// database files 0600; a folder found open to others has everything below
// it tightened too (see MakeTreePrivate).
func Open(dir string) (*DB, error) {
	wasOpen, err := MakePrivateDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if wasOpen {
		if err := MakeTreePrivate(dir); err != nil {
			return nil, fmt.Errorf("making the data folder private: %w", err)
		}
	}
	path := filepath.Join(dir, DatabaseName)
	for _, file := range []string{path, path + "-wal", path + "-shm"} {
		if err := MakePrivateFile(file); err != nil {
			return nil, err
		}
	}
	if err := createPrivateFile(path); err != nil {
		return nil, err
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String() + "?" + url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis),
			"journal_mode(WAL)",
			"synchronous(FULL)",
			"foreign_keys(1)",
		},
		"_txlock": {"immediate"},
	}.Encode()
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open the database %s: %w", path, err)
	}
	if err := sqlDB.Ping(); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("cannot open the database %s: %w", path, err)
	}
	db := &DB{DB: sqlDB, Dir: dir}
	if err := db.createMigrationTable(); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) createMigrationTable() error {
	_, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_version (
		component TEXT PRIMARY KEY,
		version   INTEGER NOT NULL
	)`)
	if err != nil {
		return fmt.Errorf("cannot prepare the database: %w", err)
	}
	return nil
}

// Migrate brings one component's schema up to date. steps is the component's
// whole migration history, oldest first; steps already applied are skipped,
// and the rest run in a single transaction, so a process that dies halfway
// leaves the schema as it was. Concurrent callers serialize on the database's
// write lock, and the second finds nothing left to do.
func (db *DB) Migrate(component string, steps []string) error {
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("cannot update the %s tables: %w", component, err)
	}
	defer tx.Rollback()

	var applied int
	err = tx.QueryRow(`SELECT version FROM schema_version WHERE component = ?`, component).Scan(&applied)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("cannot read the %s schema version: %w", component, err)
	}
	if applied > len(steps) {
		return &NewerSchemaError{Component: component, Found: applied, Newest: len(steps)}
	}
	if applied == len(steps) {
		return nil
	}
	for i := applied; i < len(steps); i++ {
		if _, err := tx.Exec(steps[i]); err != nil {
			return fmt.Errorf("cannot update the %s tables (step %d): %w", component, i+1, err)
		}
	}
	_, err = tx.Exec(`INSERT INTO schema_version(component, version) VALUES(?, ?)
		ON CONFLICT(component) DO UPDATE SET version = excluded.version`, component, len(steps))
	if err != nil {
		return fmt.Errorf("cannot record the %s schema version: %w", component, err)
	}
	return tx.Commit()
}
