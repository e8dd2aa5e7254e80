package store

import (
	"fmt"
	"io/fs"
)

// PathProblem names what keeps Postie from using a path in its data folder
// privately.
type PathProblem string

const (
	// PathCannotCreate: the folder or database file could not be created.
	PathCannotCreate PathProblem = "cannot-create"
	// PathCannotRead: the folder or file could not be examined.
	PathCannotRead PathProblem = "cannot-read"
	// PathNotAFolder: a file is where the data folder should be.
	PathNotAFolder PathProblem = "not-a-folder"
	// PathOtherOwner: the folder belongs to another user (OwnerUID), who
	// could read everything Postie keeps there.
	PathOtherOwner PathProblem = "owned-by-another-user"
	// PathOpenToOthers: other users may read the folder or file (Mode) and
	// its permissions could not be tightened.
	PathOpenToOthers PathProblem = "open-to-others"
	// PathNotOwnFile: where Postie keeps a file there is a link, a special
	// file or a file of another user (OwnerUID), which could send what
	// Postie writes elsewhere.
	PathNotOwnFile PathProblem = "not-own-file"
)

// PathError says why a folder or file of the data folder cannot be used,
// with the facts a front end needs for its sentence. Error is for logs.
type PathError struct {
	Path    string
	Problem PathProblem
	IsDir   bool        // Path is (meant to be) a folder
	Mode    fs.FileMode // the permissions found, for PathOpenToOthers
	// OwnerUID is the folder's owner, for PathOtherOwner.
	OwnerUID int
	Err      error // the system's error, if any
}

func (e *PathError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Path, e.Problem)
	switch e.Problem {
	case PathOtherOwner:
		msg += fmt.Sprintf(" (uid %d)", e.OwnerUID)
	case PathOpenToOthers:
		msg += fmt.Sprintf(" (mode %04o)", e.Mode.Perm())
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PathError) Unwrap() error { return e.Err }

// NewerSchemaError says that a component's tables were written by a newer
// version of Postie, which this one must not change.
type NewerSchemaError struct {
	Component     string // "accounts", "outbox", …
	Found, Newest int    // the schema version found, and the newest this version knows
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("%s schema version %d is newer than this version's %d", e.Component, e.Found, e.Newest)
}
