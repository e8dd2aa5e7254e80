package ui

import (
	"context"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	postiedesktop "github.com/postie-app/postie/ui/desktop"
)

// prefMailtoAsked records that the first-run question about mailto: links
// was asked, so it is asked only once.
const prefMailtoAsked = "mailto.asked"

// mailtoHandlerOffer is the Settings row that makes Postie open mailto:
// links, on systems where an app registers itself (Windows). Elsewhere the
// package's desktop file or Info.plist does it, and the row is empty.
func mailtoHandlerOffer(w *mainWindow) fyne.CanvasObject {
	box := container.NewVBox()
	w.background(func(_ context.Context, svc *services) func() {
		registered, supported, err := postiedesktop.MailtoHandlerStatus()
		return func() {
			if !supported || err != nil {
				return
			}
			status := widget.NewLabel(lang.L("Postie opens email links (mailto:)."))
			if registered {
				box.Add(status)
				return
			}
			box.Add(widget.NewButton(lang.L("Open email links with Postie"), func() {
				w.registerMailtoHandler(func() {
					box.Objects = []fyne.CanvasObject{status}
					box.Refresh()
				})
			}))
		}
	})
	return box
}

// offerMailtoHandlerOnce asks on first run whether Postie should open email
// links. Nothing is changed without a yes.
func (w *mainWindow) offerMailtoHandlerOnce() {
	prefs := w.app.Preferences()
	if prefs.Bool(prefMailtoAsked) {
		return
	}
	w.background(func(_ context.Context, svc *services) func() {
		registered, supported, err := postiedesktop.MailtoHandlerStatus()
		return func() {
			if !supported || registered || err != nil {
				return
			}
			prefs.SetBool(prefMailtoAsked, true)
			d := dialog.NewConfirm(lang.L("Open email links with Postie?"),
				lang.L("When you click an email address on a web page, Postie can open a new message to it. You can change this later in Settings."),
				func(ok bool) {
					if ok {
						w.registerMailtoHandler(func() {})
					}
				}, w.win)
			w.show(d)
		}
	})
}

// registerMailtoHandler registers Postie, then opens the system's default
// apps settings, where Windows 10 and 11 let only the user make the final
// choice.
func (w *mainWindow) registerMailtoHandler(registered func()) {
	w.background(func(_ context.Context, svc *services) func() {
		exe, err := os.Executable()
		if err == nil {
			err = postiedesktop.RegisterMailtoHandler(exe)
		}
		if err == nil {
			err = postiedesktop.OpenDefaultAppsSettings()
		}
		return func() {
			if err != nil {
				w.showError(err)
				return
			}
			registered()
			w.status.flash(lang.L("Postie is registered for email links. Choose it as the default in the settings that opened."))
		}
	})
}
