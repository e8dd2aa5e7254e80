//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Everything in the data folder is private to the user who runs Postie:
// message bodies, recipients, transcripts and account settings. On Unix
// that is enforced on every open, not trusted: a folder made by hand, by an
// older version or by another program may allow other local users to read
// it (0755, and SQLite creates its files 0644 by default).

const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
	// othersBits are the permission bits that let anyone but the owner in.
	othersBits fs.FileMode = 0o077
)

// MakePrivateDir creates dir when needed and makes sure that only its
// owner can enter it (0700). It reports whether dir allowed others in
// before, so that a caller can tighten what was exposed inside. A folder
// that belongs to another user is refused rather than changed: its owner
// could read everything Postie wrote there.
func MakePrivateDir(dir string) (wasOpen bool, err error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, privateDirMode); err != nil {
			return false, &PathError{Path: dir, Problem: PathCannotCreate, IsDir: true, Err: err}
		}
		info, err = os.Stat(dir)
	}
	if err != nil {
		return false, &PathError{Path: dir, Problem: PathCannotRead, IsDir: true, Err: err}
	}
	if !info.IsDir() {
		return false, &PathError{Path: dir, Problem: PathNotAFolder, IsDir: true}
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return false, &PathError{Path: dir, Problem: PathOtherOwner, IsDir: true, OwnerUID: int(st.Uid)}
	}
	if info.Mode().Perm()&othersBits == 0 {
		return false, nil
	}
	if err := os.Chmod(dir, privateDirMode); err != nil {
		return true, &PathError{Path: dir, Problem: PathOpenToOthers, IsDir: true, Mode: info.Mode().Perm(), Err: err}
	}
	return true, nil
}

// MakePrivateFile makes an existing file readable and writable by its owner
// only (0600). A file that does not exist is fine.
func MakePrivateFile(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &PathError{Path: path, Problem: PathCannotRead, Err: err}
	}
	// Written to through a link, or into a file another user owns, what
	// Postie keeps could end up elsewhere: someone could have planted it
	// while the folder was open.
	if !info.Mode().IsRegular() {
		return &PathError{Path: path, Problem: PathNotOwnFile, Mode: info.Mode()}
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return &PathError{Path: path, Problem: PathNotOwnFile, OwnerUID: int(st.Uid)}
	}
	if info.Mode().Perm()&othersBits == 0 {
		return nil
	}
	if err := os.Chmod(path, privateFileMode); err != nil {
		return &PathError{Path: path, Problem: PathOpenToOthers, Mode: info.Mode().Perm(), Err: err}
	}
	return nil
}

// MakeTreePrivate tightens every folder and file below dir. It is the
// repair for a folder that was found open: while dir itself is 0700 nothing
// below it can be reached by others, so a tree is walked only then, never
// on an ordinary start with thousands of sent messages.
func MakeTreePrivate(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case path == dir:
			return nil
		case d.IsDir():
			_, err := MakePrivateDir(path)
			return err
		}
		return MakePrivateFile(path)
	})
}

// createPrivateFile creates path empty with mode 0600 if it does not exist.
// SQLite creates a new database 0644, and its -wal and -shm files copy the
// database's mode, so making the database first makes all three private.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFileMode)
	if err != nil {
		return &PathError{Path: path, Problem: PathCannotCreate, Err: err}
	}
	return f.Close()
}
