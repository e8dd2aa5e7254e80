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
	w.background(func(context.Context) func() {
		registered, supported, err := postiedesktop.MailtoHandlerStatus()
		return func() {
			if !supported || err != nil {
				return
			}
			status := widget.NewLabel(lang.L("Postie opens email links (mailto:)."))
			button := widget.NewButton(lang.L("Open email links with Postie"), func() { w.registerMailtoHandler(status) })
			if registered {
				box.Add(status)
			} else {
				box.Add(button)
			}
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
	w.background(func(context.Context) func() {
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
						w.registerMailtoHandler(nil)
					}
				}, w.win)
			w.show(d)
		}
	})
}

func (w *mainWindow) registerMailtoHandler(status *widget.Label) {
	w.background(func(context.Context) func() {
		exe, err := os.Executable()
		if err == nil {
			err = postiedesktop.RegisterMailtoHandler(exe)
		}
		return func() {
			if err != nil {
				w.showError(err)
				return
			}
			if status != nil {
				status.SetText(lang.L("Postie opens email links (mailto:)."))
			}
			w.status.flash(lang.L("Postie now opens email links."))
		}
	})
}
