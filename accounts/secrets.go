package accounts

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of every keyring entry Postie writes;
// the user of an entry is the account's ID.
const KeyringService = "Postie"

// DefaultKeyringTimeout bounds each keyring call. A Secret Service waiting
// for an unlock prompt nobody sees would otherwise block forever.
const DefaultKeyringTimeout = 10 * time.Second

// KeyringProblem says why the keyring could not be used.
type KeyringProblem int

const (
	// KeyringFailed is any failure not listed below.
	KeyringFailed KeyringProblem = iota
	// KeyringUnavailable: no password store runs on this computer.
	KeyringUnavailable
	// KeyringLocked: the store is locked and was not unlocked.
	KeyringLocked
	// KeyringTimedOut: the store did not answer in time, typically because
	// it waits for an unlock prompt that nobody sees.
	KeyringTimedOut
)

// KeyringError is a keyring failure: which problem, and what go-keyring
// said. It never holds the secret. A user interface that shows one offers
// to keep the secret for this session instead (Store.AddWithSessionSecret
// or Secrets.KeepForSession): the one way to go on without a working
// password store.
type KeyringError struct {
	Problem KeyringProblem
	Timeout time.Duration // for KeyringTimedOut
	Err     error         // what go-keyring said, for diagnosis
}

func (e *KeyringError) Error() string {
	var msg string
	switch e.Problem {
	case KeyringUnavailable:
		msg = "keyring unavailable"
	case KeyringLocked:
		msg = "keyring locked"
	case KeyringTimedOut:
		msg = "keyring did not answer within " + e.Timeout.String()
	default:
		msg = "keyring failed"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *KeyringError) Unwrap() error { return e.Err }

// ErrNoSecret means no password is saved for an account.
var ErrNoSecret = errors.New("no saved secret for the account")

// Keyring is a password store, addressed as go-keyring addresses it: a
// missing entry is keyring.ErrNotFound. Secrets bounds every call with its
// timeout and classifies the errors, so an implementation may block.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// systemKeyring is the operating system's password store through go-keyring:
// the Secret Service on Linux, the Keychain on macOS, the Credential
// Manager on Windows.
type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (systemKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }

// Secrets keeps account secrets in the OS keyring, with an in-memory store
// for this session that the caller must ask for explicitly. It is safe for
// concurrent use. The zero value is ready to use.
type Secrets struct {
	// Timeout bounds each keyring call; zero means DefaultKeyringTimeout.
	Timeout time.Duration
	// Keyring is where secrets are saved; nil means the operating system's.
	Keyring Keyring

	mu      sync.Mutex
	session map[string]string // account ID → secret, only in memory
}

// Set saves the secret for the account ID in the keyring. A session secret
// for the ID is dropped once the keyring holds it.
func (s *Secrets) Set(ctx context.Context, id, secret string) error {
	return s.set(ctx, id, secret, nil)
}

// setNew saves the secret of a new account. If the keyring gives up in
// time but writes the entry later (its prompt was answered after all), the
// entry is deleted again, its chunks too: the caller was told nothing was
// saved.
func (s *Secrets) setNew(ctx context.Context, id, secret string) error {
	return s.set(ctx, id, secret, func(err error) {
		if err == nil {
			s.keyring().Delete(KeyringService, id)
		}
	})
}

func (s *Secrets) set(ctx context.Context, id, secret string, late func(error)) error {
	err := s.setChunked(ctx, id, secret, late)
	if err == nil {
		s.forgetSession(id)
	}
	return err
}

// Get returns the secret of the account ID: the one kept for this session
// if the user chose that, else the keyring's. It returns ErrNoSecret when
// neither has one.
func (s *Secrets) Get(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	secret, ok := s.session[id]
	s.mu.Unlock()
	if ok {
		return secret, nil
	}
	return s.getChunked(ctx, id)
}

// Delete removes the secret of the account ID from the keyring, every
// chunk of it, and from the session. A missing entry is not an error.
func (s *Secrets) Delete(ctx context.Context, id string) error {
	s.forgetSession(id)
	return s.deleteChunked(ctx, id)
}

// KeepForSession keeps the secret of the account ID in this process's memory
// until it exits. Call it only after the user chose so, having been told
// that the keyring cannot be used; it never touches the disk.
func (s *Secrets) KeepForSession(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		s.session = map[string]string{}
	}
	s.session[id] = secret
}

// HasSessionSecret reports whether a secret for the ID is kept in memory.
func (s *Secrets) HasSessionSecret(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.session[id]
	return ok
}

func (s *Secrets) keyring() Keyring {
	if s.Keyring == nil {
		return systemKeyring{}
	}
	return s.Keyring
}

func (s *Secrets) forgetSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.session, id)
}

// call runs one keyring operation on its own goroutine and waits for it at
// most until ctx ends or the timeout passes. go-keyring cannot be
// interrupted, so an operation that never returns leaves its goroutine
// waiting on D-Bus; the caller is free either way. If the operation
// finishes after call gave up, late (when not nil) gets its error.
func (s *Secrets) call(ctx context.Context, op func() (string, error), late func(error)) (string, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		value string
		err   error
	}
	done := make(chan answer, 1) // buffered: a late answer never blocks
	go func() {
		v, err := op()
		done <- answer{v, err}
	}()
	select {
	case a := <-done:
		if a.err == nil || errors.Is(a.err, keyring.ErrNotFound) {
			return a.value, a.err
		}
		return "", classifyKeyringError(a.err)
	case <-ctx.Done():
		if late != nil {
			go func() { late((<-done).err) }()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &KeyringError{Problem: KeyringTimedOut, Timeout: timeout, Err: ctx.Err()}
		}
		return "", ctx.Err()
	}
}
