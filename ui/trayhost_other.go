//go:build !linux

package ui

// trayHostPresent reports whether the desktop shows tray icons: Windows'
// notification area and macOS's menu bar always do.
func trayHostPresent() bool { return true }
