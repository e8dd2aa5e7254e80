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
	mu      sync.Mutex
	entries map[[2]string]string // {service, user} → password
}

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
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil {
		k.entries = map[[2]string]string{}
	}
	k.entries[[2]string{service, user}] = password
	return nil
}

func (k *Keyring) Delete(service, user string) error {
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
