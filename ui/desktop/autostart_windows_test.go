package desktop

import (
	"testing"

	"golang.org/x/sys/windows/registry"
)

func TestAutostartRunValueIsWrittenAndRemoved(t *testing.T) {
	root := scratchKey(t)
	enabled := func() bool {
		t.Helper()
		on, err := autostartEnabledIn(root)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	if enabled() {
		t.Fatal("enabled before anything was written")
	}
	if err := enableAutostartIn(root, exe); err != nil {
		t.Fatal(err)
	}
	if !enabled() {
		t.Fatal("not enabled after enabling")
	}
	command, err := readString(root)(runKey, runValueName)
	if want := `"C:\Program Files\Postie\Postie.exe" --background`; command != want || err != nil {
		t.Errorf("Run value = %s, %v; want %s", command, err, want)
	}
	if err := disableAutostartIn(root); err != nil {
		t.Fatal(err)
	}
	if _, err := readString(root)(runKey, runValueName); err != errMissing {
		t.Errorf("the Run value is still there after disabling: %v", err)
	}
	if err := disableAutostartIn(root); err != nil {
		t.Errorf("disabling twice: %v", err)
	}
}

func TestAutostartSwitchedOffInTaskManagerCountsAsOff(t *testing.T) {
	root := scratchKey(t)
	if err := enableAutostartIn(root, exe); err != nil {
		t.Fatal(err)
	}
	k, _, err := registry.CreateKey(root, startupApprovedKey, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	err = k.SetBinaryValue(runValueName, []byte{3, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0, 0, 0, 0})
	k.Close()
	if err != nil {
		t.Fatal(err)
	}
	if on, err := autostartEnabledIn(root); on || err != nil {
		t.Fatalf("switched off in Task Manager: %v, %v; want false, nil", on, err)
	}
	if err := enableAutostartIn(root, exe); err != nil {
		t.Fatal(err)
	}
	if on, err := autostartEnabledIn(root); !on || err != nil {
		t.Errorf("switching it on again: %v, %v; want true, nil", on, err)
	}
}
