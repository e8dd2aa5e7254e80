// Package desktop makes Postie the program that opens mailto: links, where
// the operating system wants a running program to ask for that, and has the
// desktop start Postie in the background at login (autostart*.go: an XDG
// autostart entry, or a Run value below HKEY_CURRENT_USER on Windows; on
// macOS the user adds Postie to Login Items).
//
// On Windows that takes per-user registry keys below HKEY_CURRENT_USER:
// a ProgID that opens links with Postie, and the Capabilities that list
// Postie under Settings › Default apps. RegisterMailtoHandler writes them and
// is only ever called after the user agreed; nothing in this package writes
// on its own. Windows leaves the choice of the default handler to the user,
// so after registering the UI opens that page with OpenDefaultAppsSettings.
// On Linux the package's .desktop file declares the handler and on macOS the
// app bundle's Info.plist, so there is nothing to do at run time there.
//
// This package never writes machine-wide settings (HKEY_LOCAL_MACHINE), never
// sets the default handler behind the user's back and never imports Fyne:
// the UI asks, this package acts.
package desktop

import (
	"errors"
	"fmt"
	"strings"
)

// The registry keys of the registration, below HKEY_CURRENT_USER. See
// "Registering Programs with Client Types" and "Default Programs" in the
// Windows documentation.
const (
	appName = "Postie"
	// progIDKey is the class that says how Postie opens a mailto: link.
	progID    = "Postie.mailto"
	progIDKey = `Software\Classes\` + progID
	// clientKey lists Postie among the mail programs.
	clientKey       = `Software\Clients\Mail\` + appName
	capabilitiesKey = clientKey + `\Capabilities`
	// registeredApplicationsKey is where Settings › Default apps finds the
	// Capabilities of each program.
	registeredApplicationsKey = `Software\RegisteredApplications`
)

// regValue is one string value below HKEY_CURRENT_USER; the empty Name is
// the key's default value.
type regValue struct {
	Key, Name, Data string
}

// mailtoRegistration lists the registry values that make the program at
// exePath, an absolute Windows path, a handler of mailto: links for the
// current user. Windows passes the link as %1.
func mailtoRegistration(exePath string) ([]regValue, error) {
	if !isAbsWindowsPath(exePath) {
		return nil, fmt.Errorf("cannot register %q to open email links: the program's location must be a full path such as C:\\Program Files\\Postie\\Postie.exe", exePath)
	}
	if strings.ContainsRune(exePath, '"') {
		return nil, fmt.Errorf("cannot register %q to open email links: Windows cannot start a program whose location contains a quotation mark", exePath)
	}
	program := `"` + exePath + `"`
	icon := program + ",0"
	return []regValue{
		{progIDKey, "", "Postie email link"},
		{progIDKey, "URL Protocol", ""},
		{progIDKey + `\DefaultIcon`, "", icon},
		{progIDKey + `\shell\open\command`, "", program + ` "%1"`},
		{clientKey, "", appName},
		{clientKey + `\DefaultIcon`, "", icon},
		{clientKey + `\shell\open\command`, "", program},
		{capabilitiesKey, "ApplicationName", appName},
		{capabilitiesKey, "ApplicationDescription", "Write and send email from your own mail account"},
		{capabilitiesKey, "ApplicationIcon", icon},
		{capabilitiesKey + `\URLAssociations`, "mailto", progID},
		{registeredApplicationsKey, appName, capabilitiesKey},
	}, nil
}

// errMissing is what a registry reader returns for a key or value that does
// not exist.
var errMissing = errors.New("registry value does not exist")

// isRegisteredFor reports whether read finds every value of the registration
// for exePath, so a registration made by a copy of Postie elsewhere, since
// moved or deleted, does not count.
func isRegisteredFor(exePath string, read func(key, name string) (string, error)) (bool, error) {
	want, err := mailtoRegistration(exePath)
	if err != nil {
		return false, err
	}
	for _, v := range want {
		got, err := read(v.Key, v.Name)
		if errors.Is(err, errMissing) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading the email link registration: %w", err)
		}
		if !strings.EqualFold(got, v.Data) {
			return false, nil
		}
	}
	return true, nil
}

// isAbsWindowsPath reports whether p is a drive path (C:\…) or a UNC path
// (\\server\share\…).
func isAbsWindowsPath(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return len(p) > 2
	}
	return len(p) > 3 && isASCIILetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
