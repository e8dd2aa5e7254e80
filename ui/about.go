package ui

import (
	"fmt"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/resources"
)

// newAboutView shows the version and where Postie keeps things.
func newAboutView(w *mainWindow) fyne.CanvasObject {
	icon := canvas.NewImageFromResource(appIcon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(theme.Padding() * 16))
	name := widget.NewLabelWithStyle("Postie", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	name.SizeName = theme.SizeNameHeadingText
	version := widget.NewLabelWithStyle(fmt.Sprintf(lang.L("Version %s"), resources.Version), fyne.TextAlignCenter, fyne.TextStyle{})
	where := widget.NewLabel(fmt.Sprintf(lang.L("Your messages and settings are kept in %s. Passwords are kept only in your system's password store."), w.dir))
	where.Wrapping = fyne.TextWrapWord
	open := widget.NewButtonWithIcon(lang.L("Open data folder"), theme.FolderOpenIcon(), func() {
		// storage builds a file URI that is right on Windows too (file:///C:/…).
		folder, err := url.Parse(storage.NewFileURI(w.dir).String())
		if err == nil {
			err = w.app.OpenURL(folder)
		}
		if err != nil {
			w.showError(err)
		}
	})
	return container.NewVScroll(container.NewVBox(container.NewCenter(icon), name, version, where, container.NewCenter(open)))
}
