package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// welcomeView is the first-run screen: add an email account, or try Postie
// with the demo server.
type welcomeView struct {
	w       *mainWindow
	content fyne.CanvasObject
	wizard  *accountWizard
}

func newWelcomeView(w *mainWindow) *welcomeView {
	v := &welcomeView{w: w}
	icon := canvas.NewImageFromResource(appIcon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(theme.Padding() * 24))
	title := widget.NewLabelWithStyle(lang.L("Welcome to Postie"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabelWithStyle(lang.L("Postie sends your email and shows you what was sent and whether your server took it."),
		fyne.TextAlignCenter, fyne.TextStyle{})
	intro.Wrapping = fyne.TextWrapWord

	v.wizard = newAccountWizard(w, nil, func() { w.showMain() })
	addCard := widget.NewCard(lang.L("Add your email account"),
		lang.L("Your email address and password are usually all it takes."), v.wizard.content)

	demoButton := widget.NewButtonWithIcon(lang.L("Try Postie without an account"), theme.MediaPlayIcon(), w.startDemo)
	demoCard := widget.NewCard(lang.L("Just looking?"),
		lang.L("A demo mail server on this computer receives everything you send, so you can try every screen."),
		container.NewHBox(demoButton))

	v.content = container.NewVScroll(container.NewPadded(container.NewVBox(
		container.NewCenter(icon), title, intro, addCard, demoCard)))
	return v
}
