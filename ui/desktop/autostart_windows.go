package desktop

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// The Windows Run value that starts Postie at login, below
// HKEY_CURRENT_USER, and the key where Task Manager's Startup page records
// that the user switched a Run value off.
const (
	runKey             = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValueName       = appName
	startupApprovedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// AutostartStatus reports whether Windows starts Postie when the user logs
// in: whether Postie's Run value exists below HKEY_CURRENT_USER and Task
// Manager's Startup page has not switched it off. supported is true.
func AutostartStatus() (enabled, supported bool, err error) {
	enabled, err = autostartEnabledIn(registry.CURRENT_USER)
	return enabled, true, err
}

// EnableAutostart writes the Run value that starts the program at exePath,
// normally os.Executable(), in the background at login. Call it only after
// the user asked.
func EnableAutostart(exePath string) error {
	return enableAutostartIn(registry.CURRENT_USER, exePath)
}

// DisableAutostart removes Postie's Run value; without one there is nothing
// to do.
func DisableAutostart() error {
	return disableAutostartIn(registry.CURRENT_USER)
}

// autostartEnabledIn, enableAutostartIn and disableAutostartIn work below
// root, which is HKEY_CURRENT_USER except in tests.
func autostartEnabledIn(root registry.Key) (bool, error) {
	if _, err := readString(root)(runKey, runValueName); errors.Is(err, errMissing) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading whether Postie starts at login: %w", err)
	}
	k, err := registry.OpenKey(root, startupApprovedKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading whether Postie starts at login: %w", err)
	}
	defer k.Close()
	record, _, err := k.GetBinaryValue(runValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading whether Postie starts at login: %w", err)
	}
	return !startupApprovedDisabled(record), nil
}

func enableAutostartIn(root registry.Key, exePath string) error {
	command, err := runCommand(exePath)
	if err != nil {
		return err
	}
	if err := writeString(root, regValue{runKey, runValueName, command}); err != nil {
		return fmt.Errorf("starting Postie at login: %w", err)
	}
	// A switch-off recorded by Task Manager would otherwise keep the new
	// value from running while the checkbox says it does.
	if err := deleteValue(root, startupApprovedKey, runValueName); err != nil {
		return fmt.Errorf("starting Postie at login: %w", err)
	}
	return nil
}

func disableAutostartIn(root registry.Key) error {
	for _, key := range []string{runKey, startupApprovedKey} {
		if err := deleteValue(root, key, runValueName); err != nil {
			return fmt.Errorf("no longer starting Postie at login: %w", err)
		}
	}
	return nil
}

// deleteValue removes a value; a value or key that does not exist is
// already removed.
func deleteValue(root registry.Key, key, name string) error {
	k, err := registry.OpenKey(root, key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return err
	}
	return nil
}
