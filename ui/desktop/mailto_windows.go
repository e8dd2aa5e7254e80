package desktop

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// MailtoHandlerStatus reports whether this Postie executable is registered
// for the current user as a program that opens mailto: links. supported is
// true on Windows, where the registration is made at run time.
func MailtoHandlerStatus() (registered bool, supported bool, err error) {
	exe, err := os.Executable()
	if err != nil {
		return false, true, fmt.Errorf("finding Postie's own location: %w", err)
	}
	registered, err = isRegisteredFor(exe, readString(registry.CURRENT_USER))
	return registered, true, err
}

// RegisterMailtoHandler registers the program at exePath, normally
// os.Executable(), for the current user as a program that opens mailto:
// links, and lists it under Settings › Default apps. It does not make Postie
// the default: Windows leaves that to the user (see OpenDefaultAppsSettings).
// Call it only after the user agreed.
func RegisterMailtoHandler(exePath string) error {
	if err := register(registry.CURRENT_USER, exePath); err != nil {
		return err
	}
	notifyAssociationsChanged()
	return nil
}

// OpenDefaultAppsSettings opens Settings › Default apps at Postie's entry,
// where the user can choose Postie to open mailto: links.
func OpenDefaultAppsSettings() error {
	page, err := windows.UTF16PtrFromString("ms-settings:defaultapps?registeredAppUser=" + appName)
	if err != nil {
		return err
	}
	verb, _ := windows.UTF16PtrFromString("open")
	if err := windows.ShellExecute(0, verb, page, nil, nil, windows.SW_SHOWNORMAL); err != nil {
		return fmt.Errorf("opening Settings › Default apps: %w", err)
	}
	return nil
}

// register writes the registration for exePath below root, which is
// HKEY_CURRENT_USER except in tests.
func register(root registry.Key, exePath string) error {
	values, err := mailtoRegistration(exePath)
	if err != nil {
		return err
	}
	for _, v := range values {
		if err := writeString(root, v); err != nil {
			return fmt.Errorf("registering Postie to open email links: %w", err)
		}
	}
	return nil
}

// readString returns a reader of string values below root for
// isRegisteredFor.
func readString(root registry.Key) func(path, name string) (string, error) {
	return func(path, name string) (string, error) {
		k, err := registry.OpenKey(root, path, registry.QUERY_VALUE)
		if errors.Is(err, registry.ErrNotExist) {
			return "", errMissing
		}
		if err != nil {
			return "", err
		}
		defer k.Close()
		s, _, err := k.GetStringValue(name)
		if errors.Is(err, registry.ErrNotExist) {
			return "", errMissing
		}
		return s, err
	}
}

func writeString(root registry.Key, v regValue) error {
	k, _, err := registry.CreateKey(root, v.Key, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf(`creating key %s: %w`, v.Key, err)
	}
	defer k.Close()
	if err := k.SetStringValue(v.Name, v.Data); err != nil {
		return fmt.Errorf(`setting %q in key %s: %w`, v.Name, v.Key, err)
	}
	return nil
}

// notifyAssociationsChanged tells Explorer and open dialogs to reread the
// associations, as the Default Programs documentation asks after a change.
func notifyAssociationsChanged() {
	const shcneAssocChanged, shcnfIDList = 0x08000000, 0
	shChangeNotify := windows.NewLazySystemDLL("shell32.dll").NewProc("SHChangeNotify")
	if shChangeNotify.Find() == nil {
		shChangeNotify.Call(shcneAssocChanged, shcnfIDList, 0, 0)
	}
}
