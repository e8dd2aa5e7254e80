package desktop

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"
)

// scratchKey returns a new key below HKEY_CURRENT_USER\Software that stands in
// for HKEY_CURRENT_USER, so the test never touches the real registration,
// and deletes it with everything below it at the end.
func scratchKey(t *testing.T) registry.Key {
	t.Helper()
	path := fmt.Sprintf(`Software\PostieTest-%d`, time.Now().UnixNano())
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Close()
		if err := deleteTree(registry.CURRENT_USER, path); err != nil {
			t.Errorf("removing the scratch key: %v", err)
		}
	})
	return k
}

func deleteTree(parent registry.Key, path string) error {
	k, err := registry.OpenKey(parent, path, registry.ALL_ACCESS)
	if err != nil {
		return err
	}
	names, err := k.ReadSubKeyNames(-1)
	for _, name := range names {
		if err == nil {
			err = deleteTree(k, name)
		}
	}
	k.Close()
	if err != nil {
		return err
	}
	return registry.DeleteKey(parent, path)
}

func TestRegisterWritesWhatStatusReads(t *testing.T) {
	root := scratchKey(t)
	read := readString(root)
	if ok, err := isRegisteredFor(exe, read); ok || err != nil {
		t.Fatalf("before registering: %v, %v; want false, nil", ok, err)
	}
	if err := register(root, exe); err != nil {
		t.Fatal(err)
	}
	if ok, err := isRegisteredFor(exe, read); !ok || err != nil {
		t.Fatalf("after registering: %v, %v; want true, nil", ok, err)
	}
	if ok, _ := isRegisteredFor(`D:\Elsewhere\Postie.exe`, read); ok {
		t.Error("a registration of another copy counts as this one's")
	}
	command, err := read(`Software\Classes\Postie.mailto\shell\open\command`, "")
	if err != nil || command != `"C:\Program Files\Postie\Postie.exe" "%1"` {
		t.Errorf("open command %q, %v", command, err)
	}
}
