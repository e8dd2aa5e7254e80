package ui

// The composer: its layout, the From picker with its signature, and
// moving a composition into and out of the fields. Drafts and autosave,
// mailto links, attachments, sending and the warnings before sending are in
// the compose_*.go files named for them.

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/outbox"
)

// composition is what the composer holds: the fields as the user typed
// them, which is exactly what a draft keeps.
type composition = outbox.Draft

// composeView is the message editor.
type composeView struct {
	w       *mainWindow
	content fyne.CanvasObject

	from        *widget.Select
	accounts    []accounts.Account // parallel to from.Options
	to, cc, bcc *addressField
	subject     *textEntry
	markdown    *widget.Check
	body        *bodyEntry
	preview     *widget.RichText
	bodyTabs    *container.AppTabs
	attachments []attachedFile
	attachList  *fyne.Container
	attachTotal *widget.Label
	sendButton  *widget.Button

	draftID    int64
	inReplyTo  string
	references []string
	dirty      bool
	loading    bool // true while fields are filled in programmatically
	sending    bool // between Send and the message being queued
	autosave   *time.Timer
	// generation counts the messages the composer has held, so that a
	// draft saved for an earlier message never takes over the current one.
	generation int
	signedBy   string // the account whose signature the body ends with

	// loaded is false until the start-up load (accounts, then the last
	// draft) has been applied; links that arrive before then wait in
	// pendingLinks, or that load would wipe them.
	loaded       bool
	pendingLinks []string
}

func newComposeView(w *mainWindow) *composeView {
	v := &composeView{w: w}
	v.from = widget.NewSelect(nil, func(string) {
		v.swapSignature()
		v.changed()
		v.updateTotal()
	})
	v.to = newAddressField(w, lang.L("To"), v.changed)
	v.cc = newAddressField(w, lang.L("Cc"), v.changed)
	v.bcc = newAddressField(w, lang.L("Bcc"), v.changed)
	v.subject = newTextEntry(w)
	v.subject.OnChanged = func(string) { v.changed() }
	v.body = newBodyEntry(w)
	v.body.Wrapping = fyne.TextWrapWord
	v.body.SetMinRowsVisible(5) // it grows with the window; more would keep a small window from fitting
	v.body.OnChanged = func(string) { v.changed() }
	v.preview = widget.NewRichText()
	v.preview.Wrapping = fyne.TextWrapWord
	v.markdown = widget.NewCheck(lang.L("Write in Markdown"), func(on bool) {
		v.showPreviewTab(on)
		v.changed()
	})
	v.bodyTabs = container.NewAppTabs(container.NewTabItem(lang.L("Write"), v.body))
	v.bodyTabs.OnSelected = func(item *container.TabItem) {
		if item.Content != v.body {
			v.preview.ParseMarkdown(v.body.Text)
		}
	}

	v.attachList = container.NewVBox()
	v.attachTotal = widget.NewLabel("")
	attachButton := widget.NewButtonWithIcon(lang.L("Attach files…"), theme.MailAttachmentIcon(), v.chooseAttachment)

	v.sendButton = widget.NewButtonWithIcon(lang.L("Send"), theme.MailSendIcon(), v.send)
	v.sendButton.Importance = widget.HighImportance
	laterButton := widget.NewButtonWithIcon(lang.L("Send later…"), theme.HistoryIcon(), v.sendLater)
	saveButton := widget.NewButtonWithIcon(lang.L("Save draft"), theme.DocumentSaveIcon(), func() { v.saveDraft(true) })
	newButton := widget.NewButtonWithIcon(lang.L("New message"), theme.ContentAddIcon(), v.newMessage)
	draftsButton := widget.NewButtonWithIcon(lang.L("Drafts…"), theme.DocumentIcon(), v.showDrafts)

	form := widget.NewForm(
		widget.NewFormItem(lang.L("From"), v.from),
		v.to.formItem(), v.cc.formItem(), v.bcc.formItem(),
		widget.NewFormItem(lang.L("Subject"), v.subject),
	)
	top := container.NewVBox(form, container.NewHBox(v.markdown))
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, attachButton, nil, v.attachTotal),
		v.attachList,
		widget.NewSeparator(),
		newWrapBox(v.sendButton, laterButton, saveButton, newButton, draftsButton),
	)
	v.content = container.NewBorder(top, bottom, nil, nil, v.bodyTabs)
	v.loadAccountsAndDraft()
	return v
}

func (v *composeView) showPreviewTab(on bool) {
	if on && len(v.bodyTabs.Items) == 1 {
		v.bodyTabs.Append(container.NewTabItem(lang.L("Preview"), container.NewVScroll(v.preview)))
	} else if !on && len(v.bodyTabs.Items) == 2 {
		v.bodyTabs.SelectIndex(0)
		v.bodyTabs.RemoveIndex(1)
	}
}

// loadAccounts refreshes the From picker after accounts changed.
func (v *composeView) loadAccounts() {
	v.w.background(func(ctx context.Context, svc *services) func() {
		list, err := svc.listAccounts(ctx)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			v.showAccounts(list)
		}
	})
}

// showAccounts fills the From picker, default account first, keeping the
// current choice. Filling it is not an edit of the message.
func (v *composeView) showAccounts(list []accounts.Account) {
	v.loading = true
	defer func() { v.loading = false }()
	selected := v.selectedAccount()
	v.accounts = list
	var options []string
	for _, a := range list {
		options = append(options, accountLabel(a))
	}
	v.from.SetOptions(options)
	v.selectAccount(selected)
	if v.from.SelectedIndex() < 0 && len(options) > 0 {
		v.from.SetSelectedIndex(0) // the list comes default first
	}
}

func (v *composeView) selectedAccount() string {
	return v.account(v.from.SelectedIndex()).ID
}

// account is the account at index i of the From picker, or none.
func (v *composeView) account(i int) accounts.Account {
	if i >= 0 && i < len(v.accounts) {
		return v.accounts[i]
	}
	return accounts.Account{}
}

// accountByID is the shown account with the ID, or none.
func (v *composeView) accountByID(id string) accounts.Account {
	for _, a := range v.accounts {
		if a.ID == id {
			return a
		}
	}
	return accounts.Account{}
}

func (v *composeView) selectAccount(id string) {
	for i, candidate := range v.accounts {
		if candidate.ID == id {
			v.from.SetSelectedIndex(i)
			return
		}
	}
}

// current reads the fields.
func (v *composeView) current() composition {
	c := composition{
		ID:         v.draftID,
		AccountID:  v.selectedAccount(),
		To:         v.to.entry.Text,
		Cc:         v.cc.entry.Text,
		Bcc:        v.bcc.entry.Text,
		Subject:    v.subject.Text,
		Body:       v.body.Text,
		Markdown:   v.markdown.Checked,
		InReplyTo:  v.inReplyTo,
		References: v.references,
	}
	for _, a := range v.attachments {
		c.Attachments = append(c.Attachments, a.path)
	}
	return c
}

// load puts a composition into the fields.
func (v *composeView) load(c composition) {
	v.loading = true
	defer func() { v.loading = false }()
	v.stopAutosave()
	v.generation++
	v.draftID = c.ID
	if c.AccountID != "" {
		v.selectAccount(c.AccountID)
	}
	v.to.entry.SetText(c.To)
	v.cc.entry.SetText(c.Cc)
	v.bcc.entry.SetText(c.Bcc)
	v.subject.SetText(c.Subject)
	v.body.SetText(c.Body)
	v.signedBy = v.selectedAccount()
	v.markdown.SetChecked(c.Markdown)
	v.inReplyTo, v.references = c.InReplyTo, c.References
	v.restoreAttachments(c.Attachments)
	v.dirty = false
}

// newMessage starts a new message; unsaved work is kept as a draft.
func (v *composeView) newMessage() {
	if v.dirty {
		v.saveDraft(false)
	}
	v.clear()
}

func (v *composeView) clear() {
	v.load(composition{Body: v.signature(v.selectedAccount()), Markdown: v.w.svc.markdownByDefault()})
	v.dirty = false
	v.w.win.Canvas().Focus(v.to.entry)
}

// swapSignature replaces the signature at the end of the body with the
// newly chosen account's, unless the user has edited it.
func (v *composeView) swapSignature() {
	if v.loading {
		return
	}
	now := v.selectedAccount()
	if now == v.signedBy {
		return
	}
	if body, ok := replaceSignature(v.body.Text, v.signature(v.signedBy), v.signature(now)); ok {
		v.body.SetText(body)
		v.signedBy = now
	}
}

// replaceSignature swaps the signature old at the end of body for new; ok
// is false, and body unchanged, when body no longer ends with old.
func replaceSignature(body, old, new string) (string, bool) {
	if !strings.HasSuffix(body, old) {
		return body, false
	}
	return strings.TrimSuffix(body, old) + new, true
}

func (v *composeView) signature(accountID string) string {
	if sig := v.accountByID(accountID).Signature; sig != "" {
		return "\n\n-- \n" + sig
	}
	return ""
}
