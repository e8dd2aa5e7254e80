package accounts

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/postie-app/postie/internal/testpeer"
)

// longToken is a token of n bytes, like Microsoft's refresh tokens.
func longToken(n int, seed string) string {
	return strings.Repeat(seed+"-0123456789abcdefghijklmnopqrstuvwxyz.", n/len(seed)+1)[:n]
}

// TestLongSecretsSplitUnderTheWindowsLimit: secrets around the chunk size
// and far above Windows' 2,560 bytes per entry come back whole from a
// keyring that refuses longer entries, and Delete leaves nothing.
func TestLongSecretsSplitUnderTheWindowsLimit(t *testing.T) {
	cases := map[string]struct {
		secret  string
		entries int // a chunked secret's: its chunks, the head and the pending list
	}{
		"1,999 bytes":            {longToken(1999, "a"), 1},
		"2,000 bytes (the most)": {longToken(2000, "b"), 1},
		"2,001 bytes":            {longToken(2001, "c"), 4},
		"2,560 bytes":            {longToken(2560, "d"), 4},
		"2,561 bytes":            {longToken(2561, "e"), 4},
		"6,000-byte token":       {longToken(6000, "f"), 5},
		"4,001 bytes":            {longToken(4001, "g"), 5},
		"multi-byte characters":  {strings.Repeat("é€𝄞", 700), 6}, // 6,300 bytes, no rune cut
		"looks like a head":      {chunkedPrefix + "1:1:5:abc", 3},
		"empty":                  {"", 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kr := &testpeer.Keyring{MaxSize: testpeer.WindowsEntryLimit}
			s := &Secrets{Keyring: kr}
			id := newID()
			if err := s.Set(background, id, tc.secret); err != nil {
				t.Fatalf("Set of %d bytes: %v", len(tc.secret), err)
			}
			if kr.Len() != tc.entries {
				t.Errorf("%d entries, want %d", kr.Len(), tc.entries)
			}
			for _, user := range kr.Users(KeyringService) {
				v, _ := kr.Get(KeyringService, user)
				if len(v) > maxEntrySecret {
					t.Errorf("entry %s holds %d bytes", user, len(v))
				}
			}
			if got, err := s.Get(background, id); err != nil || got != tc.secret {
				t.Fatalf("Get: %d bytes, %v; want the %d bytes saved", len(got), err, len(tc.secret))
			}
			if err := s.Delete(background, id); err != nil {
				t.Fatal(err)
			}
			if kr.Len() != 0 {
				t.Errorf("left after Delete: %v", kr.Users(KeyringService))
			}
		})
	}
}

// TestSingleEntrySecretsStillRead: an entry saved before chunks existed
// reads as it is, and a rotation from it, to it and between chunked
// secrets leaves no stale chunk behind.
func TestSingleEntrySecretsStillRead(t *testing.T) {
	kr := &testpeer.Keyring{MaxSize: testpeer.WindowsEntryLimit}
	s := &Secrets{Keyring: kr}
	id := newID()
	kr.Set(KeyringService, id, "an old password")
	if got, err := s.Get(background, id); err != nil || got != "an old password" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	for i, secret := range []string{longToken(6000, "one"), longToken(4500, "two"), "short again", longToken(2500, "three")} {
		if err := s.Set(background, id, secret); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(background, id); err != nil || got != secret {
			t.Fatalf("rotation %d: %d bytes, %v", i, len(got), err)
		}
		want := len(splitSecret(secret, maxEntrySecret)) + 2 // the chunks, the head, the pending list
		if fitsOneEntry(secret) {
			want = 1
		}
		if kr.Len() != want {
			t.Errorf("rotation %d: %d entries %v, want %d", i, kr.Len(), kr.Users(KeyringService), want)
		}
	}
}

// errCrash stands for the process ending between two keyring calls.
var errCrash = errors.New("crashed")

// TestRotationSurvivesACrashAtEveryStep stops a rotation before each of
// its keyring writes in turn: the secret read afterwards is the old one
// or the new one, whole, never a mix, and the leftovers go with the next
// rotation and Delete.
func TestRotationSurvivesACrashAtEveryStep(t *testing.T) {
	cases := []struct{ name, old, new string }{
		{"long to long", longToken(6000, "old"), longToken(6000, "new")},
		{"long to longer", longToken(4100, "old"), longToken(7000, "new")},
		{"short to long", "short old token", longToken(6000, "new")},
		{"long to short", longToken(6000, "old"), "short new token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for step := 0; ; step++ {
				kr := &testpeer.Keyring{MaxSize: testpeer.WindowsEntryLimit}
				s := &Secrets{Keyring: kr}
				id := newID()
				if err := s.Set(background, id, tc.old); err != nil {
					t.Fatal(err)
				}
				writes := 0
				kr.Fault = func(op, user string) error {
					writes++
					if writes > step {
						return errCrash
					}
					return nil
				}
				err := s.Set(background, id, tc.new)
				kr.Fault = nil
				after := &Secrets{Keyring: kr} // the next start of Postie
				got, gerr := after.Get(background, id)
				if gerr != nil || (got != tc.old && got != tc.new) {
					t.Fatalf("crash before write %d: read %d bytes, %v; want the old or the new secret", step+1, len(got), gerr)
				}
				if err == nil && got != tc.new {
					t.Fatalf("crash before write %d: Set succeeded but the old secret is read", step+1)
				}
				// The next rotation and Delete clear whatever the crash left.
				if err := after.Set(background, id, longToken(5000, "next")); err != nil {
					t.Fatal(err)
				}
				if err := after.Delete(background, id); err != nil {
					t.Fatal(err)
				}
				if kr.Len() != 0 {
					t.Fatalf("crash before write %d: left %v", step+1, kr.Users(KeyringService))
				}
				if writes <= step {
					break // this run had no crash: every step was covered
				}
			}
		})
	}
}

// TestLongTokenInTheRealKeyring: a 6,000-byte token round trip through the
// Secret Service of the test session (gnome-keyring under .ci/with-session).
func TestLongTokenInTheRealKeyring(t *testing.T) {
	testpeer.RequireSession(t) // saves entries in the keyring
	var s Secrets
	id := newID()
	token := longToken(6000, "M.C5_BAY")
	if err := s.Set(background, id, token); err != nil {
		t.Fatalf("Set: %v", err)
	}
	t.Cleanup(func() { s.Delete(background, id) })
	head, err := keyring.Get(KeyringService, id)
	if err != nil || strings.Contains(head, token[:100]) || len(head) > maxEntrySecret {
		t.Fatalf("head entry %q, %v", head, err)
	}
	h, ok := parseChunkedHead(head)
	if !ok || h.count != 3 {
		t.Fatalf("head %q does not name 3 chunks", head)
	}
	for i := range h.count {
		part, err := keyring.Get(KeyringService, chunkUser(id, h.gen, i))
		if err != nil || len(part) > maxEntrySecret {
			t.Errorf("chunk %d: %d bytes, %v", i, len(part), err)
		}
	}
	again := &Secrets{} // as another process would read it
	if got, err := again.Get(background, id); err != nil || got != token {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
	rotated := longToken(6000, "M.C6_BAY")
	if err := s.Set(background, id, rotated); err != nil {
		t.Fatal(err)
	}
	if got, err := again.Get(background, id); err != nil || got != rotated {
		t.Fatalf("after rotation: %d bytes, %v", len(got), err)
	}
	rotatedHead, _ := keyring.Get(KeyringService, id)
	h2, _ := parseChunkedHead(rotatedHead)
	if _, err := keyring.Get(KeyringService, chunkUser(id, h.gen, 0)); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the old generation's chunk is still there: %v", err)
	}
	if err := s.Delete(background, id); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{id, pendingUser(id), chunkUser(id, h2.gen, 0), chunkUser(id, h2.gen, 2)} {
		if _, err := keyring.Get(KeyringService, user); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("entry %s left after Delete: %v", user, err)
		}
	}
}

// pausingKeyring holds the first Set of the head entry until released, so
// that another writer runs in between.
type pausingKeyring struct {
	*testpeer.Keyring
	head             string
	once             sync.Once
	reached, release chan struct{}
}

func (k *pausingKeyring) Set(service, user, password string) error {
	if user == k.head {
		k.once.Do(func() { close(k.reached); <-k.release })
	}
	return k.Keyring.Set(service, user, password)
}

// TestConcurrentLongSecretWritesDoNotMix: two processes save a rotated
// long refresh token at the same time (a provider that, like Microsoft,
// does not refuse the old one at once); the second writes everything
// while the first waits to switch its head. The keyring must still read
// back one of the two whole, and Delete must leave nothing.
func TestConcurrentLongSecretWritesDoNotMix(t *testing.T) {
	shared := &testpeer.Keyring{MaxSize: testpeer.WindowsEntryLimit}
	id := newID()
	second := &Secrets{Keyring: shared}
	if err := second.Set(background, id, longToken(6000, "zero")); err != nil {
		t.Fatal(err)
	}
	pk := &pausingKeyring{Keyring: shared, head: id, reached: make(chan struct{}), release: make(chan struct{})}
	first := &Secrets{Keyring: pk}
	a, b := longToken(6000, "processA"), longToken(6000, "processB")
	done := make(chan error)
	go func() { done <- first.Set(background, id, a) }()
	<-pk.reached
	if err := second.Set(background, id, b); err != nil {
		t.Fatal(err)
	}
	close(pk.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := second.Get(background, id)
	if err != nil || (got != a && got != b) {
		t.Fatalf("after two concurrent saves the secret reads %d bytes, %v; want one of the two whole", len(got), err)
	}
	if err := second.Delete(background, id); err != nil {
		t.Fatal(err)
	}
	if shared.Len() != 0 {
		t.Errorf("left after Delete: %v", shared.Users(KeyringService))
	}
}

// TestDeleteThatFailsHalfwayCanBeFinished: a chunk the keyring refuses to
// delete must not be left for good; the head stays, naming it, until a
// later Delete removes it.
func TestDeleteThatFailsHalfwayCanBeFinished(t *testing.T) {
	for i := range 3 { // each of the three chunks of a 6,000-byte token
		kr := &testpeer.Keyring{}
		s := &Secrets{Keyring: kr}
		id := newID()
		if err := s.Set(background, id, longToken(6000, "r")); err != nil {
			t.Fatal(err)
		}
		head, _ := kr.Get(KeyringService, id)
		h, _ := parseChunkedHead(head)
		kr.Fault = func(op, user string) error {
			if op == "delete" && user == chunkUser(id, h.gen, i) {
				return errors.New("keyring busy")
			}
			return nil
		}
		if err := s.Delete(background, id); err == nil {
			t.Fatalf("chunk %d: Delete hid the keyring's refusal", i)
		}
		kr.Fault = nil
		if err := s.Delete(background, id); err != nil {
			t.Fatal(err)
		}
		if left := kr.Users(KeyringService); len(left) > 0 {
			t.Errorf("chunk %d refused once: left in the keyring for good: %v", i, left)
		}
	}
}

// TestDeleteWithoutAHeadFindsPendingChunks: a first save that crashed
// before its head was written leaves chunks and no head; Delete removes
// them all the same.
func TestDeleteWithoutAHeadFindsPendingChunks(t *testing.T) {
	kr := &testpeer.Keyring{}
	s := &Secrets{Keyring: kr}
	id := newID()
	kr.Fault = func(op, user string) error {
		if user == id {
			return errCrash
		}
		return nil
	}
	if err := s.Set(background, id, longToken(6000, "r")); !errors.Is(err, errCrash) {
		t.Fatalf("Set = %v", err)
	}
	kr.Fault = nil
	if kr.Len() == 0 {
		t.Fatal("the crashed save left nothing: the test proves nothing")
	}
	if err := s.Delete(background, id); err != nil {
		t.Fatal(err)
	}
	if left := kr.Users(KeyringService); len(left) > 0 {
		t.Errorf("left in the keyring: %v", left)
	}
}

// TestHeadNamingTooManyChunksIsDamaged: a head is trusted for at most
// maxChunks chunks.
func TestHeadNamingTooManyChunksIsDamaged(t *testing.T) {
	for count, ok := range map[int]bool{1: true, maxChunks: true, maxChunks + 1: false, 1 << 30: false} {
		head := chunkedHead{gen: 7, count: count, length: 1, sum: "0"}.String()
		if _, got := parseChunkedHead(head); got != ok {
			t.Errorf("a head naming %d chunks parses %v, want %v", count, got, ok)
		}
	}
}

// failingGetKeyring fails every Get of one entry.
type failingGetKeyring struct {
	*testpeer.Keyring
	user string
}

func (k failingGetKeyring) Get(service, user string) (string, error) {
	if user == k.user {
		return "", errors.New("keyring locked")
	}
	return k.Keyring.Get(service, user)
}

// TestSecretOverUnreadableHeadLeavesNoOrphans: when the live head
// cannot be read, a new secret still replaces it, and the chunks the old
// head named are not left in the keyring for good: Delete finds them.
func TestSecretOverUnreadableHeadLeavesNoOrphans(t *testing.T) {
	for name, secret := range map[string]string{"short": "short", "long": longToken(5000, "new")} {
		t.Run(name, func(t *testing.T) {
			kr := &testpeer.Keyring{}
			id := newID()
			all := &Secrets{Keyring: kr}
			if err := all.Set(background, id, longToken(6000, "old")); err != nil {
				t.Fatal(err)
			}
			s := &Secrets{Keyring: failingGetKeyring{kr, id}}
			if err := s.Set(background, id, secret); err != nil {
				t.Fatal(err)
			}
			if got, err := all.Get(background, id); err != nil || got != secret {
				t.Fatalf("Get: %d bytes, %v; want the new secret", len(got), err)
			}
			if err := all.Delete(background, id); err != nil {
				t.Fatal(err)
			}
			if left := kr.Users(KeyringService); len(left) > 0 {
				t.Errorf("chunks orphaned: %v", left)
			}
		})
	}
}
