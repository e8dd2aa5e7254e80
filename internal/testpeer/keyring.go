package testpeer

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// Keyring is a password store in memory with go-keyring's contract (a
// missing entry is keyring.ErrNotFound), for tests of code that keeps
// secrets but is not about the operating system's keyring itself. It is
// safe for concurrent use; the zero value is empty and ready.
type Keyring struct {
	// MaxSize, when not zero, refuses a Set of a longer password with
	// keyring.ErrSetDataTooBig, as Windows' Credential Manager does above
	// WindowsEntryLimit bytes.
	MaxSize int
	// Fault, when set, is asked before each Set and Delete with the
	// operation ("set" or "delete") and the user. An error it returns is
	// that call's, and the call changes nothing: a test stops a sequence
	// of calls at any step, as a crash would, by failing every call from
	// that step on.
	Fault func(op, user string) error

	mu      sync.Mutex
	entries map[[2]string]string // {service, user} → password
}

// WindowsEntryLimit is the most bytes Windows' Credential Manager holds in
// one entry (CRED_MAX_CREDENTIAL_BLOB_SIZE), as go-keyring enforces it.
const WindowsEntryLimit = 2560

func (k *Keyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	password, ok := k.entries[[2]string{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return password, nil
}

func (k *Keyring) Set(service, user, password string) error {
	if k.Fault != nil {
		if err := k.Fault("set", user); err != nil {
			return err
		}
	}
	if k.MaxSize > 0 && len(password) > k.MaxSize {
		return keyring.ErrSetDataTooBig
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil {
		k.entries = map[[2]string]string{}
	}
	k.entries[[2]string{service, user}] = password
	return nil
}

func (k *Keyring) Delete(service, user string) error {
	if k.Fault != nil {
		if err := k.Fault("delete", user); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.entries[[2]string{service, user}]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.entries, [2]string{service, user})
	return nil
}

// Len is how many entries the keyring holds.
func (k *Keyring) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}

// Users lists the users of the service's entries, for a test that checks
// what is left.
func (k *Keyring) Users(service string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var users []string
	for key := range k.entries {
		if key[0] == service {
			users = append(users, key[1])
		}
	}
	return users
}
