//go:build linux || freebsd || openbsd || netbsd || dragonfly

package accounts

import (
	"errors"
	"strings"

	"github.com/godbus/dbus/v5"
)

// classifyKeyringError tells apart the Secret Service failures a person can
// act on. An error that is not a D-Bus reply means no session bus or no
// Secret Service could be reached at all.
func classifyKeyringError(err error) *KeyringError {
	name, isReply := dbusErrorName(err)
	switch {
	case strings.HasPrefix(err.Error(), "failed to unlock"), name == "org.freedesktop.Secret.Error.IsLocked":
		// go-keyring says "failed to unlock correct collection" when the
		// unlock prompt was dismissed.
		return &KeyringError{Problem: KeyringLocked, Err: err}
	case name == "org.freedesktop.DBus.Error.NoReply", name == "org.freedesktop.DBus.Error.Timeout",
		name == "org.freedesktop.DBus.Error.TimedOut":
		return &KeyringError{Problem: KeyringTimedOut, Err: err}
	case !isReply, name == "org.freedesktop.DBus.Error.ServiceUnknown", name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn."):
		return &KeyringError{Problem: KeyringUnavailable, Err: err}
	}
	return &KeyringError{Problem: KeyringFailed, Err: err}
}

func dbusErrorName(err error) (string, bool) {
	var v dbus.Error
	if errors.As(err, &v) {
		return v.Name, true
	}
	var p *dbus.Error
	if errors.As(err, &p) {
		return p.Name, true
	}
	return "", false
}
