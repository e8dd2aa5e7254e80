package ui

import "github.com/godbus/dbus/v5"

// statusNotifierWatcher is the D-Bus name of the tray host that Fyne's
// system tray registers its icon with on Linux (the StatusNotifierItem
// protocol). Without it, the icon appears nowhere.
const statusNotifierWatcher = "org.kde.StatusNotifierWatcher"

// trayHostPresent reports whether the desktop shows tray icons: whether a
// StatusNotifierWatcher owns its name on the session bus. It blocks on the
// bus, so it runs off the UI goroutine.
func trayHostPresent() bool {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, statusNotifierWatcher).Store(&has)
	return err == nil && has
}
