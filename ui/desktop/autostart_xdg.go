//go:build !windows && !darwin

package desktop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/postie-app/postie/resources"
)

// autostartFileName is the name of the XDG autostart entry: the app ID, as
// for the package's own desktop entry, so a desktop that lists both knows
// they are the same program.
const autostartFileName = resources.AppID + ".desktop"

// autostartPath is where the XDG autostart specification looks for the
// user's own entries: $XDG_CONFIG_HOME/autostart, or ~/.config/autostart
// when XDG_CONFIG_HOME is unset.
func autostartPath() (string, error) {
	config, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the folder of programs started at login: %w", err)
	}
	return filepath.Join(config, "autostart", autostartFileName), nil
}

// AutostartStatus reports whether the desktop starts Postie when the user
// logs in: whether Postie's XDG autostart entry exists and is not switched
// off. supported is true: XDG desktops read these entries.
func AutostartStatus() (enabled, supported bool, err error) {
	path, err := autostartPath()
	if err != nil {
		return false, true, err
	}
	entry, err := os.ReadFile(path)
	// ENOTDIR: "autostart" is a file, so there is no entry in it either.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, true, nil
	}
	if err != nil {
		return false, true, fmt.Errorf("reading whether Postie starts at login: %w", err)
	}
	return !autostartDisabled(string(entry)), true, nil
}

// EnableAutostart writes the XDG autostart entry that starts the program at
// exePath, normally os.Executable(), in the background at login. An entry
// already there, for another copy of Postie or switched off elsewhere, is
// replaced. Call it only after the user asked.
func EnableAutostart(exePath string) error {
	entry, err := autostartEntry(exePath)
	if err != nil {
		return err
	}
	path, err := autostartPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("starting Postie at login: %w", err)
	}
	// Written aside and renamed into place: a session starting meanwhile
	// reads the old entry or the new one, never half of one.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".postie-autostart-*")
	if err != nil {
		return fmt.Errorf("starting Postie at login: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.WriteString(entry)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("starting Postie at login: %w", err)
	}
	return nil
}

// DisableAutostart removes Postie's XDG autostart entry; without one there
// is nothing to do.
func DisableAutostart() error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no longer starting Postie at login: %w", err)
	}
	return nil
}
