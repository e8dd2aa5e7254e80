package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/store"
)

// TestKeyringRoundTrip uses the real Secret Service of the test session
// (gnome-keyring, started by .ci/with-session).
func TestKeyringRoundTrip(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	var s Secrets
	id := newID()
	secret := "round-trip " + newID()
	if err := s.Set(background, id, secret); err != nil {
		t.Fatalf("Set: %v (run the tests under .ci/with-session, which starts gnome-keyring)", err)
	}
	t.Cleanup(func() { keyring.Delete(KeyringService, id) })

	// The entry is filed as the package promises: service Postie, user ID.
	if got, err := keyring.Get(KeyringService, id); err != nil || got != secret {
		t.Fatalf("keyring.Get(Postie, id) = %q, %v", got, err)
	}
	if got, err := s.Get(background, id); err != nil || got != secret {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete(background, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(background, id); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Get after Delete: %v, want ErrNoSecret", err)
	}
	if err := s.Delete(background, id); err != nil {
		t.Fatalf("Delete of a missing entry: %v", err)
	}
}

func TestSessionSecretStaysInMemory(t *testing.T) {
	testpeer.RequireSession(t) // asks the real keyring whether the secret reached it
	var s Secrets
	id := newID()
	s.KeepForSession(id, "only in memory")
	if got, err := s.Get(background, id); err != nil || got != "only in memory" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := keyring.Get(KeyringService, id); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("the session secret reached the keyring: %v", err)
	}
	if err := s.Delete(background, id); err != nil || s.HasSessionSecret(id) {
		t.Fatalf("Delete: %v, still kept: %v", err, s.HasSessionSecret(id))
	}
}

func TestKeyringUnavailableThroughMock(t *testing.T) { runChild(t, "mock", "") }

func TestKeyringUnavailableWithoutSecretService(t *testing.T) {
	runChild(t, "no-service", startBus(t))
}

func TestKeyringTimesOutOnUnansweredPrompt(t *testing.T) {
	runChild(t, "prompt-timeout", startBus(t))
}

func TestAddUndoesLateKeyringWrite(t *testing.T) {
	runChild(t, "late-write", startBus(t))
}

func TestClassifyKeyringError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want KeyringProblem
	}{
		{dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, KeyringUnavailable},
		{&dbus.Error{Name: "org.freedesktop.DBus.Error.NameHasNoOwner"}, KeyringUnavailable},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.Spawn.ChildExited"}, KeyringUnavailable},
		{errors.New("dbus: DBUS_SESSION_BUS_ADDRESS not set"), KeyringUnavailable},
		{dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, KeyringLocked},
		{fmt.Errorf("failed to unlock correct collection '%v'", ssAlias), KeyringLocked},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, KeyringTimedOut},
		{dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject"}, KeyringFailed},
	} {
		if got := classifyKeyringError(tc.err).Problem; got != tc.want {
			t.Errorf("classify(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// childScenarios run in a child process; see TestMain.
var childScenarios = map[string]func() error{
	"mock":           mockScenario,
	"no-service":     noServiceScenario,
	"prompt-timeout": promptTimeoutScenario,
	"late-write":     lateWriteScenario,
}

const childSecret = "child-secret-5d1f0c"

func openChildStore(secrets *Secrets) (*Store, error) {
	dir, err := os.MkdirTemp("", "postie-accounts-child")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(filepath.Join(dir, "data"))
	if err != nil {
		return nil, err
	}
	return Open(db, secrets)
}

func childAccount(name string) *Account {
	return &Account{Name: name, Email: "anna@example.org", Host: "smtp.example.org", Port: 465,
		Security: "tls", Username: "anna@example.org"}
}

// mockScenario: go-keyring's MockInitWithError stands for a computer
// without a password store, then for a locked one.
func mockScenario() error {
	keyring.MockInit()
	secrets := &Secrets{}
	s, err := openChildStore(secrets)
	if err != nil {
		return err
	}
	kept := childAccount("kept")
	if err := s.Add(background, kept, childSecret); err != nil {
		return err
	}

	keyring.MockInitWithError(dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown",
		Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}})
	const unavailable = "keyring unavailable"
	if _, err := s.Secret(background, *kept); wantKeyringProblem(err, KeyringUnavailable, unavailable, childSecret) != nil {
		return fmt.Errorf("Secret: %w", wantKeyringProblem(err, KeyringUnavailable, unavailable, childSecret))
	}
	if err := s.Add(background, childAccount("new"), childSecret); wantKeyringProblem(err, KeyringUnavailable, unavailable, childSecret) != nil {
		return fmt.Errorf("Add: %w", wantKeyringProblem(err, KeyringUnavailable, unavailable, childSecret))
	}
	err = s.Remove(background, "kept")
	if problem := wantKeyringProblem(err, KeyringUnavailable, unavailable, ""); problem != nil || !errors.As(err, new(*NotRemovedError)) {
		return fmt.Errorf("Remove: %v (%v)", err, problem)
	}
	list, err := s.List(background)
	if err != nil || len(list) != 1 || list[0].Name != "kept" {
		return fmt.Errorf("after the failures the accounts are %+v, %v; want only \"kept\"", list, err)
	}

	// The user chose to keep the password for this session only.
	session := childAccount("session")
	if err := s.AddWithSessionSecret(background, session, childSecret); err != nil {
		return fmt.Errorf("AddWithSessionSecret: %w", err)
	}
	if got, err := s.Secret(background, *session); err != nil || got != childSecret || session.HasSecret {
		return fmt.Errorf("session secret = %q, %v, HasSecret %v", got, err, session.HasSecret)
	}
	if err := s.Remove(background, "session"); err != nil || secrets.HasSessionSecret(session.ID) {
		return fmt.Errorf("Remove of the session account: %v", err)
	}

	keyring.MockInitWithError(fmt.Errorf("failed to unlock correct collection '%v'", ssAlias))
	return wantKeyringProblem(secrets.Set(background, newID(), childSecret), KeyringLocked, "keyring locked", childSecret)
}

// noServiceScenario: the session bus is missing, then has no Secret Service.
func noServiceScenario() error {
	const unavailable = "keyring unavailable"
	busAddress := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/postie-test-bus")
	var s Secrets
	if err := wantKeyringProblem(s.Set(background, newID(), childSecret), KeyringUnavailable, unavailable, childSecret); err != nil {
		return fmt.Errorf("without a bus: %w", err)
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", busAddress)
	if err := wantKeyringProblem(s.Set(background, newID(), childSecret), KeyringUnavailable, unavailable, childSecret); err != nil {
		return fmt.Errorf("without a Secret Service: %w", err)
	}
	_, err := s.Get(background, newID())
	return wantKeyringProblem(err, KeyringUnavailable, unavailable, "")
}

// promptTimeoutScenario: the Secret Service asks to unlock, and nobody
// answers. Every call gives up after the timeout with a plain message.
func promptTimeoutScenario() error {
	ss, err := startStandIn(os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	if err != nil {
		return err
	}
	s := Secrets{Timeout: time.Second}
	const want = "did not answer within 1s"
	for name, call := range map[string]func() error{
		"Set":    func() error { return s.Set(background, newID(), childSecret) },
		"Get":    func() error { _, err := s.Get(background, newID()); return err },
		"Delete": func() error { return s.Delete(background, newID()) },
	} {
		start := time.Now()
		err := call()
		elapsed := time.Since(start)
		if err := wantKeyringProblem(err, KeyringTimedOut, want, childSecret); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if elapsed < time.Second || elapsed > DefaultKeyringTimeout {
			return fmt.Errorf("%s gave up after %v, want 1s", name, elapsed)
		}
		select {
		case <-ss.prompted:
		default:
			return fmt.Errorf("%s timed out without the stand-in being asked to prompt", name)
		}
	}
	return nil
}

// lateWriteScenario: Add times out waiting for an unlock; the prompt is then
// answered and go-keyring writes the entry after all. Add must remove it,
// since it told the caller that nothing was saved.
func lateWriteScenario() error {
	ss, err := startStandIn(os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	if err != nil {
		return err
	}
	secrets := &Secrets{Timeout: time.Second}
	s, err := openChildStore(secrets)
	if err != nil {
		return err
	}
	a := childAccount("late")
	if err := wantKeyringProblem(s.Add(background, a, childSecret), KeyringTimedOut, "did not answer", childSecret); err != nil {
		return err
	}
	if list, err := s.List(background); err != nil || len(list) != 0 {
		return fmt.Errorf("accounts after a failed Add: %+v, %v", list, err)
	}
	if err := ss.release(); err != nil {
		return err
	}
	failsafe := time.After(30 * time.Second)
	select {
	case attrs := <-ss.created:
		if attrs["service"] != KeyringService || attrs["username"] != a.ID {
			return fmt.Errorf("late entry has attributes %v, want service Postie, user %s", attrs, a.ID)
		}
	case <-failsafe:
		return errors.New("the released prompt never led to the late write")
	}
	select {
	case <-ss.deleted:
		return nil
	case <-failsafe:
		return errors.New("the late keyring entry was never removed")
	}
}
