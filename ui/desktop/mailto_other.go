//go:build !windows

package desktop

import "errors"

// MailtoHandlerStatus reports supported=false: outside Windows the package
// itself declares Postie a mailto: handler (the .desktop file on Linux,
// Info.plist on macOS), so there is nothing to register at run time.
func MailtoHandlerStatus() (registered bool, supported bool, err error) {
	return false, false, nil
}

// RegisterMailtoHandler returns errors.ErrUnsupported outside Windows and
// writes nothing.
func RegisterMailtoHandler(exePath string) error {
	return errors.ErrUnsupported
}

// OpenDefaultAppsSettings returns errors.ErrUnsupported outside Windows.
func OpenDefaultAppsSettings() error {
	return errors.ErrUnsupported
}
