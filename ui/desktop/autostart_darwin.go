package desktop

import "errors"

// AutostartStatus reports supported=false on macOS: the user adds Postie
// under System Settings › General › Login Items (see README), where macOS
// keeps the choice.
func AutostartStatus() (enabled, supported bool, err error) {
	return false, false, nil
}

// EnableAutostart returns errors.ErrUnsupported on macOS and writes nothing.
func EnableAutostart(exePath string) error { return errors.ErrUnsupported }

// DisableAutostart returns errors.ErrUnsupported on macOS.
func DisableAutostart() error { return errors.ErrUnsupported }
