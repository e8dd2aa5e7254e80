package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/mailto"
)

// welcomeView is the first-run screen: add an email account, or try Postie
// with the demo server.
type welcomeView struct {
	w       *mainWindow
	content fyne.CanvasObject
	wizard  *accountWizard
	// waitingLink tells the user that the email link they clicked has not
	// been lost: its message opens once an account is set up.
	waitingLink *widget.Label
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
	v.waitingLink = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.waitingLink.Wrapping = fyne.TextWrapWord
	v.waitingLink.Importance = widget.HighImportance
	v.waitingLink.Hide()

	v.wizard = newAccountWizard(w, nil, func() { w.showMain() })
	addCard := widget.NewCard(lang.L("Add your email account"),
		lang.L("Your email address and password are usually all it takes."), v.wizard.content)

	demoButton := widget.NewButtonWithIcon(lang.L("Try Postie without an account"), theme.MediaPlayIcon(), w.startDemo)
	demoCard := widget.NewCard(lang.L("Just looking?"),
		lang.L("A demo mail server on this computer receives everything you send, so you can try every screen."),
		container.NewHBox(demoButton))

	v.content = container.NewVScroll(container.NewPadded(container.NewVBox(
		container.NewCenter(icon), title, intro, v.waitingLink, addCard, demoCard)))
	return v
}

// showWaitingLink says which message opens after setup, for the mailto:
// link that started Postie or was handed to it; an empty link says nothing.
func (v *welcomeView) showWaitingLink(link string) {
	if link == "" {
		v.waitingLink.Hide()
		return
	}
	if parsed, err := mailto.Parse(link); err == nil && parsed.To != "" {
		v.waitingLink.SetText(fmt.Sprintf(lang.L("Once your account is set up, a new message to %s opens."), parsed.To))
	} else {
		// No address to name, or a garbled link whose error shows then.
		v.waitingLink.SetText(lang.L("Once your account is set up, the message from the email link opens."))
	}
	v.waitingLink.Show()
}
