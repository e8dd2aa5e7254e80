package desktop

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/postie-app/postie/resources"
)

// BackgroundFlag is the argument with which the login session starts
// Postie: it runs without showing its window and sends what is due.
const BackgroundFlag = "--background"

// autostartEntry is the XDG autostart entry that starts the program at
// exePath, an absolute path, in the background when the user logs in.
func autostartEntry(exePath string) (string, error) {
	if !filepath.IsAbs(exePath) {
		return "", fmt.Errorf("cannot start %q at login: the program's location must be a full path", exePath)
	}
	// The Desktop Entry specification forbids "=" in the program's path,
	// and a control character (a newline, say) could end the Exec line.
	// GLib, which GNOME's session reads the entry with, looks for the
	// program before it turns %% back into %, so it would not find a
	// program whose location holds a %: the entry would silently do nothing.
	if !utf8.ValidString(exePath) || strings.ContainsAny(exePath, "=%") || strings.ContainsFunc(exePath, unicode.IsControl) {
		return "", fmt.Errorf("cannot start %q at login: a desktop entry cannot name a program whose location contains an equals sign, a percent sign, a control character or invalid UTF-8", exePath)
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Version=1.4\n" +
		"Name=Postie\n" +
		"Comment=Send the messages that are waiting when you log in\n" +
		"Exec=" + execArg(exePath) + " " + execArg(BackgroundFlag) + "\n" +
		"Icon=" + resources.AppID + "\n" +
		"Terminal=false\n" +
		// GNOME's Startup Applications shows the entry as switched on.
		"X-GNOME-Autostart-enabled=true\n", nil
}

// execReserved are the characters that make the Desktop Entry specification
// require an argument of Exec to be quoted.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// execArg writes one argument of an Exec key as the Desktop Entry
// specification asks: quoted only when it holds a reserved character, since
// some launchers (xdg-utils' generic opener among them) cannot run a quoted
// program; inside quotes a backslash escapes ", `, $ and \; a literal % is
// %%. Exec is a string value, whose own escape (\\ for \) is undone before
// the quoting, so every backslash of the quoted form is doubled at the end.
func execArg(arg string) string {
	quote := arg == "" || strings.ContainsAny(arg, execReserved)
	var b strings.Builder
	if quote {
		b.WriteByte('"')
	}
	for _, r := range arg {
		switch {
		case quote && strings.ContainsRune("\"`$\\", r):
			b.WriteByte('\\')
		case r == '%':
			b.WriteByte('%')
		}
		b.WriteRune(r)
	}
	if quote {
		b.WriteByte('"')
	}
	return strings.ReplaceAll(b.String(), `\`, `\\`)
}

// autostartDisabled reports whether an autostart entry, as read from disk,
// is switched off: the XDG autostart specification's Hidden=true, or GNOME's
// X-GNOME-Autostart-enabled=false, which GNOME Tweaks writes to switch an
// entry off without removing it.
func autostartDisabled(entry string) bool {
	group := ""
	for _, line := range strings.Split(entry, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || group != "[Desktop Entry]" {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Hidden":
			if strings.TrimSpace(value) == "true" {
				return true
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(value) == "false" {
				return true
			}
		}
	}
	return false
}

// runCommand is the Run value's data that starts the program at exePath, an
// absolute Windows path, in the background.
func runCommand(exePath string) (string, error) {
	if !isAbsWindowsPath(exePath) {
		return "", fmt.Errorf("cannot start %q at login: the program's location must be a full path such as C:\\Program Files\\Postie\\Postie.exe", exePath)
	}
	if strings.ContainsRune(exePath, '"') {
		return "", fmt.Errorf("cannot start %q at login: Windows cannot start a program whose location contains a quotation mark", exePath)
	}
	return `"` + exePath + `" ` + BackgroundFlag, nil
}

// startupApprovedDisabled reports whether Task Manager's record for a Run
// value says the user switched it off: the lowest bit of its first byte is
// set (03 00 00…, with the time it was switched off; 02 00 00… is on).
func startupApprovedDisabled(record []byte) bool {
	return len(record) > 0 && record[0]&1 == 1
}
