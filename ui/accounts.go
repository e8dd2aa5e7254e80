package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/core"
)

// accountsView lists the accounts with add, edit, test, remove and
// set-default actions.
type accountsView struct {
	w       *mainWindow
	content fyne.CanvasObject
	list    *fyne.Container
}

func newAccountsView(w *mainWindow) *accountsView {
	v := &accountsView{w: w, list: container.NewVBox()}
	add := widget.NewButtonWithIcon(lang.L("Add account…"), theme.ContentAddIcon(), func() { v.openWizard(nil) })
	add.Importance = widget.HighImportance
	v.content = container.NewBorder(container.NewHBox(add), nil, nil, nil, container.NewVScroll(v.list))
	v.reload()
	return v
}

func (v *accountsView) reload() {
	v.w.background(func(ctx context.Context, svc *services) func() {
		list, err := svc.listAccounts(ctx)
		names := map[string]string{} // provider names by account name
		for _, a := range list {
			if a.OAuthProvider != "" {
				names[a.Name] = svc.providerName(a)
			}
		}
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			v.list.RemoveAll()
			for _, a := range list {
				v.list.Add(v.card(a, names[a.Name]))
			}
			if v.w.compose != nil {
				v.w.compose.loadAccounts()
			}
		}
	})
}

// card shows one account; providerName names the provider it signs in
// with, if it does.
func (v *accountsView) card(a accounts.Account, providerName string) fyne.CanvasObject {
	title := accountLabel(a)
	if a.Default {
		title += " – " + lang.L("default")
	}
	summary := fmt.Sprintf(lang.L("Sending: %s, port %d, %s"), a.Host, a.Port, shortSecurityLabel(a.Security)) +
		" – " + signsInWith(a, providerName) + "\n" + sentCopySummary(a)
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	status.Hide()
	buttons := newWrapBox(
		widget.NewButtonWithIcon(lang.L("Edit…"), theme.DocumentCreateIcon(), func() { v.openWizard(&a) }),
	)
	buttons.Add(widget.NewButtonWithIcon(lang.L("Test"), theme.ConfirmIcon(), func() { v.test(a, status, buttons) }))
	if a.OAuthProvider != "" {
		buttons.Add(widget.NewButtonWithIcon(lang.L("Sign in again"), theme.LoginIcon(), func() { v.w.signInAgain(a, providerName, v.reload) }))
	}
	if !a.Default {
		buttons.Add(widget.NewButtonWithIcon(lang.L("Make default"), theme.RadioButtonCheckedIcon(), func() {
			v.run(func(ctx context.Context, svc *services) error { return svc.setDefaultAccount(ctx, a) })
		}))
	}
	buttons.Add(widget.NewButtonWithIcon(lang.L("Remove…"), theme.DeleteIcon(), func() { v.confirmRemove(a) }))
	return widget.NewCard("", "", container.NewVBox(wrappedHeading(title, theme.SizeNameHeadingText, true),
		wrappedHeading(summary, theme.SizeNameSubHeadingText, false), status, buttons))
}

// sentCopySummary says where the copy of each sent message goes: the IMAP
// server and the choice "Save a copy in Sent".
func sentCopySummary(a accounts.Account) string {
	if !a.HasIMAP() {
		if a.SentCopy == accounts.SentCopyNever {
			return lang.L("Copy in Sent: never")
		}
		if a.SentCopy == accounts.SentCopyAuto {
			if files, _ := core.ProviderFilesSentCopy(a); files {
				return lang.L("Copy in Sent: automatic: your provider saves the copy itself")
			}
		}
		// Discovery found no IMAP server (or gave up waiting for one):
		// no copy is filed until the user sets one.
		return lang.L("Copy in Sent: off until an incoming (IMAP) server is set under Edit…")
	}
	server := fmt.Sprintf(lang.L("Copy in Sent: %s, port %d, %s"), a.IMAP.Host, a.IMAP.Port, shortSecurityLabel(a.IMAP.Security))
	switch a.SentCopy {
	case accounts.SentCopyNever:
		return server + " – " + lang.L("never")
	case accounts.SentCopyAlways:
		return server + " – " + lang.L("always")
	}
	if files, _ := core.ProviderFilesSentCopy(a); files {
		return server + " – " + lang.L("automatic: your provider saves the copy itself")
	}
	return server + " – " + lang.L("automatic")
}

// wrappedHeading is a card's title or subtitle that wraps: the card's own
// never do, and a long name and address would keep the window wider than
// a small screen.
func wrappedHeading(text string, size fyne.ThemeSizeName, bold bool) *widget.Label {
	label := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
	label.SizeName = size
	label.Wrapping = fyne.TextWrapWord
	return label
}

// test tests the account's saved settings. A password refused because the
// provider wants its sign-in (Microsoft 365, Outlook.com) brings an offer
// to switch the account to it.
func (v *accountsView) test(a accounts.Account, status *widget.Label, buttons *fyne.Container) {
	status.Importance = widget.MediumImportance
	status.SetText(lang.L("Checking the connection…"))
	status.Show()
	v.w.background(func(ctx context.Context, svc *services) func() {
		err := svc.testAccount(ctx, &a, "", "")
		return func() {
			var imapErr *accounts.IMAPTestError
			switch {
			case errors.As(err, &imapErr):
				// Sending works; only the copy in Sent does not.
				status.Importance = widget.WarningImportance
				status.SetText(errorMessage(err))
				return
			case err != nil:
				status.Importance = widget.DangerImportance
				status.SetText(errorMessage(err))
				if wantsSignIn(err) {
					v.w.offerSwitch(a, buttons, v.reload)
				}
				return
			}
			status.Importance = widget.SuccessImportance
			status.SetText(lang.L("The connection works: the server accepted the login."))
			if v.w.compose != nil {
				v.w.compose.loadAccounts() // the size limit may have changed
			}
		}
	})
}

func (v *accountsView) confirmRemove(a accounts.Account) {
	d := dialog.NewConfirm(lang.L("Remove this account?"),
		fmt.Sprintf(lang.L("%s and its saved password will be removed from Postie. Messages already sent stay in the sent log."), a.Email),
		func(ok bool) {
			if ok {
				v.run(func(ctx context.Context, svc *services) error { return svc.removeAccount(ctx, a) })
			}
		}, v.w.win)
	v.w.show(d)
}

func (v *accountsView) run(action func(ctx context.Context, svc *services) error) {
	v.w.background(func(ctx context.Context, svc *services) func() {
		err := action(ctx, svc)
		return func() {
			if err != nil {
				v.w.showError(err)
			}
			v.reload()
		}
	})
}

// openWizard adds an account (editing nil) or edits one, in a dialog.
func (v *accountsView) openWizard(editing *accounts.Account) {
	var d dialog.Dialog
	wizard := newAccountWizard(v.w, editing, func() {
		d.Hide()
		v.reload()
	})
	title := lang.L("Add an email account")
	if editing != nil {
		title = lang.L("Edit account")
	}
	d = dialog.NewCustom(title, lang.L("Close"), container.NewVScroll(wizard.content), v.w.win)
	d.Resize(fyne.NewSize(620, 560))
	v.w.show(d)
}

// accountLabel is how an account appears in lists and the From picker.
func accountLabel(a accounts.Account) string {
	if a.DisplayName != "" {
		return fmt.Sprintf("%s <%s>", a.DisplayName, a.Email)
	}
	return a.Email
}
