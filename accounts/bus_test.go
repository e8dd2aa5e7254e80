package accounts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The unavailable, locked and timed-out keyring paths need a process whose
// D-Bus session is a private bus (go-keyring keeps one session bus
// connection per process) or whose go-keyring provider is a mock
// (MockInitWithError cannot be undone). TestMain therefore runs one
// scenario in a child process of the test binary when childScenarioEnv
// names it; the parent test checks that the child passed.
const childScenarioEnv = "POSTIE_ACCOUNTS_CHILD_SCENARIO"

func TestMain(m *testing.M) {
	if name := os.Getenv(childScenarioEnv); name != "" {
		scenario, ok := childScenarios[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown scenario %q\n", name)
			os.Exit(2)
		}
		if err := scenario(); err != nil {
			fmt.Fprintf(os.Stderr, "scenario %s failed: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("scenario %s passed\n", name)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild runs a scenario in a child process with the given D-Bus session
// address ("" keeps the parent's) and fails t unless it passes.
func runChild(t *testing.T, scenario, busAddress string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childScenarioEnv+"="+scenario)
	if busAddress != "" {
		cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+busAddress)
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "scenario "+scenario+" passed") {
		t.Fatalf("child scenario %s: %v\n%s", scenario, err, out)
	}
}

// busConfig is a session bus that activates no services, so no real Secret
// Service (gnome-keyring) can start on it by itself.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// startBus starts a private dbus-daemon and returns its address.
func startBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is needed for the keyring tests (Debian package dbus-daemon): %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--print-address", "--nofork")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// The Secret Service stand-in: just enough of org.freedesktop.Secret for
// go-keyring, with an unlock prompt that completes only when release is
// called, as when a desktop shows the prompt where nobody sees it.
const (
	ssName      = "org.freedesktop.secrets"
	ssPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	ssAlias     = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	ssPrompt    = dbus.ObjectPath("/org/freedesktop/secrets/prompt/1")
	ssSession   = dbus.ObjectPath("/org/freedesktop/secrets/session/1")
	ssItem      = dbus.ObjectPath("/org/freedesktop/secrets/collection/login/1")
	promptIface = "org.freedesktop.Secret.Prompt"
)

type standIn struct {
	conn     *dbus.Conn
	prompted chan struct{}          // one value per Prompt call
	created  chan map[string]string // the attributes of each created item
	deleted  chan dbus.ObjectPath

	mu       sync.Mutex
	unlocked bool
	attrs    map[string]string // of the one item, once created
}

// secretStruct is the Secret Service's Secret (oayays).
type secretStruct struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// startStandIn connects to the bus at address and claims the Secret
// Service's name there.
func startStandIn(address string) (*standIn, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, err
	}
	s := &standIn{conn: conn, prompted: make(chan struct{}, 16),
		created: make(chan map[string]string, 4), deleted: make(chan dbus.ObjectPath, 4)}
	for path, iface := range map[dbus.ObjectPath]string{
		ssPath:    "org.freedesktop.Secret.Service",
		ssPrompt:  promptIface,
		ssAlias:   "org.freedesktop.Secret.Collection",
		ssItem:    "org.freedesktop.Secret.Item",
		ssSession: "org.freedesktop.Secret.Session",
	} {
		if err := conn.Export(s, path, iface); err != nil {
			return nil, err
		}
	}
	reply, err := conn.RequestName(ssName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		return nil, fmt.Errorf("cannot own %s: %v (reply %v)", ssName, err, reply)
	}
	return s, nil
}

// Service.OpenSession
func (s *standIn) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), ssSession, nil
}

// Service.Unlock returns a prompt until release.
func (s *standIn) Unlock(objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unlocked {
		return objects, "/", nil
	}
	return []dbus.ObjectPath{}, ssPrompt, nil
}

// Prompt.Prompt: the prompt "is shown", and nobody answers it.
func (s *standIn) Prompt(string) *dbus.Error {
	s.prompted <- struct{}{}
	return nil
}

// Session.Close
func (s *standIn) Close() *dbus.Error { return nil }

// Collection.CreateItem
func (s *standIn) CreateItem(props map[string]dbus.Variant, _ secretStruct, _ bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	var attrs map[string]string
	if v, ok := props["org.freedesktop.Secret.Item.Attributes"]; ok {
		v.Store(&attrs)
	}
	s.mu.Lock()
	s.attrs = attrs
	s.mu.Unlock()
	s.created <- attrs
	return ssItem, "/", nil
}

// Collection.SearchItems
func (s *standIn) SearchItems(search map[string]string) ([]dbus.ObjectPath, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attrs == nil {
		return []dbus.ObjectPath{}, nil
	}
	for k, v := range search {
		if s.attrs[k] != v {
			return []dbus.ObjectPath{}, nil
		}
	}
	return []dbus.ObjectPath{ssItem}, nil
}

// Item.Delete
func (s *standIn) Delete() (dbus.ObjectPath, *dbus.Error) {
	s.mu.Lock()
	s.attrs = nil
	s.mu.Unlock()
	s.deleted <- ssItem
	return "/", nil
}

// release answers the prompt at last: the collection is unlocked.
func (s *standIn) release() error {
	s.mu.Lock()
	s.unlocked = true
	s.mu.Unlock()
	return s.conn.Emit(ssPrompt, promptIface+".Completed", false, dbus.MakeVariant([]dbus.ObjectPath{ssAlias}))
}

// wantKeyringProblem checks that err is a KeyringError of the kind, says
// want in plain words and does not leak secret.
func wantKeyringProblem(err error, problem KeyringProblem, want, secret string) error {
	var ke *KeyringError
	if !errors.As(err, &ke) || ke.Problem != problem {
		return fmt.Errorf("err = %#v (%v), want keyring problem %d", err, err, problem)
	}
	if !strings.Contains(err.Error(), want) {
		return fmt.Errorf("error %q does not say %q", err, want)
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		return fmt.Errorf("error %q contains the secret", err)
	}
	return nil
}

var background = context.Background()
