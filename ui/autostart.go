package ui

import (
	"context"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	postiedesktop "github.com/postie-app/postie/ui/desktop"
)

// autostartOption is the Settings row that has the desktop start Postie in
// the background when the user logs in.
//
// Whether it does is not a setting in Postie's database but the system's own
// record, read each time: the XDG autostart entry, the Windows Run value.
// The user can also remove those (GNOME Tweaks, Task Manager's Startup
// page), and a copy in the database would then say "on" while nothing
// starts; the database also belongs to one data folder (demo mode has its
// own), while starting at login belongs to the user's login. On macOS, where
// the user adds Postie to Login Items, the row stays empty.
type autostartOption struct {
	w       *mainWindow
	content *fyne.Container
	check   *widget.Check
}

func newAutostartOption(w *mainWindow) *autostartOption {
	o := &autostartOption{w: w, content: container.NewVBox()}
	o.check = widget.NewCheck(lang.L("Start Postie when I log in"), nil)
	w.background(func(context.Context, *services) func() {
		enabled, supported, err := postiedesktop.AutostartStatus()
		return func() {
			if !supported {
				return
			}
			if err != nil {
				// Unreadable, it is most likely unwritable too: offer
				// nothing rather than a box that fails when ticked.
				fyne.LogError("Reading whether Postie starts at login", err)
				return
			}
			o.check.SetChecked(enabled) // before OnChanged: loading writes nothing
			o.check.OnChanged = o.set
			o.content.Add(withHint(o.check, lang.L("Postie then starts without a window and sends what is waiting.")))
		}
	})
	return o
}

// set writes or removes the entry. The box is disabled meanwhile, so a
// second change cannot overtake the first on its way to the disk.
func (o *autostartOption) set(on bool) {
	o.check.Disable()
	o.w.background(func(context.Context, *services) func() {
		var err error
		if on {
			var exe string
			if exe, err = os.Executable(); err == nil {
				err = postiedesktop.EnableAutostart(exe)
			}
		} else {
			err = postiedesktop.DisableAutostart()
		}
		return func() {
			o.check.Enable()
			if err == nil {
				return
			}
			// Show what is true: the change did not happen.
			o.check.OnChanged = nil
			o.check.SetChecked(!on)
			o.check.OnChanged = o.set
			o.w.showError(fmt.Errorf("%s %w", lang.L("Postie could not change whether it starts when you log in."), err))
		}
	})
}
