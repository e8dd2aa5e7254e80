//go:build !unix && !windows

package accounts

import "os"

// tryLockFile has no lock to take where neither flock nor LockFileEx
// exists; the in-process lock still orders one process's refreshes.
func tryLockFile(*os.File) (bool, error) { return true, nil }

func unlockFile(*os.File) {}
