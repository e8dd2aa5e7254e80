package accounts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The refresh token of an account is read from the keyring, spent at the
// provider and its successor saved, in that order; a provider that rotates
// refresh tokens (Microsoft does) refuses the spent one. Two processes on
// the same data folder (the window and a `postie send`, say) refreshing at
// once would both spend the same token, and the slower would be told the
// sign-in expired although the keyring already holds the new one. So the
// whole read → refresh → save runs under a lock per account that every
// process sharing the data folder takes: an advisory lock (flock on Unix,
// LockFileEx on Windows) on a file in the "locks" folder of the data
// folder. The operating system drops it when its process ends, so a crash
// never leaves it held.

// signInLockTimeout bounds the wait for another process's refresh: one
// refresh request and two keyring calls (each bounded in their own right).
const signInLockTimeout = time.Minute

// SignInBusyError says that another Postie process held the account's
// sign-in longer than Postie waits for it; a later attempt may succeed.
type SignInBusyError struct {
	Waited time.Duration
}

func (e *SignInBusyError) Error() string {
	return fmt.Sprintf("another Postie process kept the account's sign-in busy for %v", e.Waited)
}

// lockTokens takes the account's in-process token lock (its entry's sem).
func (s *Store) lockTokens(ctx context.Context, e *tokenEntry, id string) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	default:
	}
	if s.lockWaiting != nil {
		s.lockWaiting(id)
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lockSignInFile takes the account's lock shared with the other processes
// on the data folder, and returns its release. Call it holding the
// account's in-process lock (lockTokens), which the file lock does not
// replace: it only orders processes.
func (s *Store) lockSignInFile(ctx context.Context, id string) (release func(), err error) {
	if s.db == nil || s.db.Dir == "" {
		return func() {}, nil
	}
	dir := filepath.Join(s.db.Dir, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot lock the account's sign-in: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "signin-"+id), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot lock the account's sign-in: %w", err)
	}
	start := time.Now()
	wait := 5 * time.Millisecond
	for first := true; ; first = false {
		locked, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock the account's sign-in: %w", err)
		}
		if locked {
			return func() { unlockFile(f); f.Close() }, nil
		}
		if first && s.lockWaiting != nil {
			s.lockWaiting(id)
		}
		if time.Since(start) >= signInLockTimeout {
			f.Close()
			return nil, &SignInBusyError{Waited: time.Since(start)}
		}
		// The lock cannot be waited for with a context: poll, backing off.
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			f.Close()
			return nil, ctx.Err()
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// lockSignIn takes both of the account's locks, in-process then across
// processes, for a change of its sign-in, and returns their release.
func (s *Store) lockSignIn(ctx context.Context, id string) (release func(), err error) {
	e := s.tokens.entry(id)
	if err := s.lockTokens(ctx, e, id); err != nil {
		return nil, err
	}
	unlockFile, err := s.lockSignInFile(ctx, id)
	if err != nil {
		<-e.sem
		return nil, err
	}
	return func() { unlockFile(); <-e.sem }, nil
}
