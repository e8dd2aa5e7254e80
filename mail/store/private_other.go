//go:build !unix

package store

import "os"

// On Windows the per-user %AppData% folder is private through its access
// control list, which files created inside inherit; there are no Unix
// permission bits to enforce.

// MakePrivateDir creates dir when needed. It reports false: there are no
// permission bits to tighten here.
func MakePrivateDir(dir string) (wasOpen bool, err error) {
	return false, os.MkdirAll(dir, 0o700)
}

// MakePrivateFile does nothing on this system.
func MakePrivateFile(string) error { return nil }

// MakeTreePrivate does nothing on this system.
func MakeTreePrivate(string) error { return nil }

func createPrivateFile(string) error { return nil }
