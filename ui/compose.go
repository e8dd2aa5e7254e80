package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/mailto"
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

type attachedFile struct {
	path string
	size int64
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

// changed marks the message as edited and schedules an autosave.
func (v *composeView) changed() {
	if v.loading {
		return
	}
	v.dirty = true
	v.stopAutosave()
	v.autosave = v.w.later(v.w.autosaveDelay, func() { v.saveDraft(false) })
}

func (v *composeView) stopAutosave() {
	if v.autosave != nil {
		v.autosave.Stop()
	}
}

func (v *composeView) showPreviewTab(on bool) {
	if on && len(v.bodyTabs.Items) == 1 {
		v.bodyTabs.Append(container.NewTabItem(lang.L("Preview"), container.NewVScroll(v.preview)))
	} else if !on && len(v.bodyTabs.Items) == 2 {
		v.bodyTabs.SelectIndex(0)
		v.bodyTabs.RemoveIndex(1)
	}
}

// loadAccountsAndDraft fills the From picker, then restores the draft that
// was being written when Postie last closed or crashed, in that order, so
// the draft's account can be selected. An email link that started Postie,
// or arrived meanwhile, wins over the draft: it is what the user asked to
// write now, and the draft stays in Drafts.
func (v *composeView) loadAccountsAndDraft() {
	v.w.background(func(ctx context.Context, svc *services) func() {
		list, err := svc.listAccounts(ctx)
		var draft composition
		found := false
		if err == nil {
			draft, found, err = svc.latestDraft(ctx)
		}
		return func() {
			links := v.pendingLinks
			v.loaded, v.pendingLinks = true, nil
			if err != nil {
				v.w.showError(err)
			} else {
				v.showAccounts(list)
			}
			switch {
			case len(links) > 0:
				for _, link := range links {
					v.openLink(link)
				}
			case err != nil:
				// Shown above; there is no draft to restore.
			case found:
				v.load(draft)
			default:
				v.clear()
			}
		}
	})
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
	v.attachments = nil
	for _, p := range c.Attachments {
		v.addAttachment(p)
	}
	v.refreshAttachments()
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
	old := v.signature(v.signedBy)
	if now == v.signedBy || !strings.HasSuffix(v.body.Text, old) {
		return
	}
	v.body.SetText(strings.TrimSuffix(v.body.Text, old) + v.signature(now))
	v.signedBy = now
}

func (v *composeView) signature(accountID string) string {
	if sig := v.accountByID(accountID).Signature; sig != "" {
		return "\n\n-- \n" + sig
	}
	return ""
}

// openLink opens a new message from a mailto: link (RFC 6068), once the
// start-up load has been applied; until then the link waits.
func (v *composeView) openLink(link string) {
	if !v.loaded {
		v.pendingLinks = append(v.pendingLinks, link)
		return
	}
	if err := v.fillFromMailto(link); err != nil {
		v.w.showError(err)
	}
}

// fillFromMailto puts a mailto: link's fields into a new message, keeping
// the message being written as a draft.
func (v *composeView) fillFromMailto(link string) error {
	parsed, err := mailto.Parse(link)
	if err != nil {
		return err
	}
	if v.dirty {
		v.saveDraft(false)
	}
	c := composition{
		AccountID: v.selectedAccount(),
		To:        parsed.To,
		Cc:        parsed.Cc,
		Bcc:       parsed.Bcc,
		Subject:   parsed.Subject,
		Body:      parsed.Body + v.signature(v.selectedAccount()),
	}
	v.load(c)
	v.dirty = true
	return nil
}

// saveDraft stores the fields; a visible save also confirms it.
func (v *composeView) saveDraft(visible bool) {
	if !v.dirty && !visible {
		return
	}
	c := v.current()
	generation := v.generation
	v.w.background(func(ctx context.Context, svc *services) func() {
		id, err := svc.saveDraft(ctx, c)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			if v.generation != generation {
				return // the composer holds another message now
			}
			v.draftID = id
			if sameComposition(v.current(), c) {
				v.dirty = false
			}
			if visible {
				v.w.status.flash(lang.L("Draft saved."))
			}
		}
	})
}

func sameComposition(c, o composition) bool {
	return c.AccountID == o.AccountID && c.To == o.To && c.Cc == o.Cc && c.Bcc == o.Bcc &&
		c.Subject == o.Subject && c.Body == o.Body && c.Markdown == o.Markdown &&
		strings.Join(c.Attachments, "\n") == strings.Join(o.Attachments, "\n")
}

// confirmDiscard asks what to do with unsaved changes, then calls done.
func (v *composeView) confirmDiscard(done func()) {
	var d *dialog.CustomDialog
	save := widget.NewButton(lang.L("Save draft"), func() {
		d.Hide()
		c := v.current()
		v.w.background(func(ctx context.Context, svc *services) func() {
			_, err := svc.saveDraft(ctx, c)
			return func() {
				if err != nil {
					v.w.showError(err)
					return
				}
				done()
			}
		})
	})
	save.Importance = widget.HighImportance
	discard := widget.NewButton(lang.L("Discard"), func() {
		d.Hide()
		v.stopAutosave()
		id := v.draftID
		v.w.background(func(ctx context.Context, svc *services) func() {
			err := svc.deleteDraft(ctx, id)
			return func() {
				if err != nil {
					v.w.showError(err)
				}
				done()
			}
		})
	})
	cancel := widget.NewButton(lang.L("Cancel"), func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(lang.L("Save this message as a draft?"),
		container.NewVBox(
			widget.NewLabel(lang.L("The message has changes that are not saved.")),
			container.NewHBox(save, discard, cancel)),
		v.w.win)
	v.w.show(d)
}

func (v *composeView) chooseAttachment() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.w.showError(err)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		v.attachPath(path)
	}, v.w.win)
	v.w.show(d)
}

// attachPath adds a file, checking it first off the UI goroutine.
func (v *composeView) attachPath(path string) {
	v.w.background(func(_ context.Context, svc *services) func() {
		info, err := os.Stat(path)
		return func() {
			switch {
			case err != nil:
				v.w.showError(fmt.Errorf(lang.L("The file %s cannot be attached: %v"), path, plainFileError(err)))
			case info.IsDir():
				v.w.showError(fmt.Errorf(lang.L("%s is a folder; only files can be attached."), path))
			default:
				v.attachments = append(v.attachments, attachedFile{path: path, size: info.Size()})
				v.refreshAttachments()
				v.changed()
			}
		}
	})
}

// addAttachment restores an attachment of a draft; a file that has gone
// since is still listed, so that sending names it as missing.
func (v *composeView) addAttachment(path string) {
	f := attachedFile{path: path}
	if info, err := os.Stat(path); err == nil {
		f.size = info.Size()
	}
	v.attachments = append(v.attachments, f)
}

func plainFileError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return lang.L("the file does not exist")
	case errors.Is(err, os.ErrPermission):
		return lang.L("you are not allowed to read it")
	}
	return err.Error()
}

func (v *composeView) refreshAttachments() {
	v.attachList.RemoveAll()
	for i, a := range v.attachments {
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			v.attachments = append(v.attachments[:i:i], v.attachments[i+1:]...)
			v.refreshAttachments()
			v.changed()
		})
		remove.Importance = widget.LowImportance
		v.attachList.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), remove,
			widget.NewLabel(fmt.Sprintf("%s (%s)", filepath.Base(a.path), formatSize(a.size)))))
	}
	v.updateTotal()
}

// updateTotal shows the attachments' total and checks it against the
// server's limit once that limit is known.
func (v *composeView) updateTotal() {
	if len(v.attachments) == 0 {
		v.attachTotal.SetText("")
		return
	}
	var total int64
	for _, a := range v.attachments {
		total += a.size
	}
	text := fmt.Sprintf(lang.L("%d attached, %s in all"), len(v.attachments), formatSize(total))
	v.attachTotal.Importance = widget.MediumImportance
	// Attachments grow by a third in transit (base64).
	if limit := v.account(v.from.SelectedIndex()).MaxMessageSize; limit > 0 && total*4/3 > limit {
		text += " – " + fmt.Sprintf(lang.L("too large: this server accepts at most %s"), formatSize(limit))
		v.attachTotal.Importance = widget.DangerImportance
	}
	v.attachTotal.SetText(text)
}

// send checks the message, warns where the user may have forgotten
// something, then queues it with the undo window.
func (v *composeView) send() {
	v.checkAndSend(time.Time{})
}

func (v *composeView) sendLater() {
	v.askSendTime(newSendLaterPicker())
}

// askSendTime shows the picker until it holds a usable time or the user
// cancels; a problem is shown inside it, keeping what was chosen.
func (v *composeView) askSendTime(picker *sendLaterPicker) {
	d := dialog.NewCustomConfirm(lang.L("Send later"), lang.L("Schedule"), lang.L("Cancel"), picker.content, func(ok bool) {
		if !ok {
			return
		}
		when, err := picker.time()
		if err != nil {
			showProblem(picker.problem, err.Error())
			v.askSendTime(picker)
			return
		}
		v.checkAndSend(when)
	}, v.w.win)
	v.w.show(d)
}

func (v *composeView) checkAndSend(later time.Time) {
	if v.sending {
		return // already on its way: a second click must not send it twice
	}
	c := v.current()
	if c.AccountID == "" {
		v.w.showError(errors.New(lang.L("Choose the account to send from.")))
		return
	}
	msg, problems := v.buildMessage(c)
	if problems {
		return
	}
	warnings := composeWarnings(c, len(msg.Attachments))
	v.setSending(true)
	v.confirmWarnings(warnings, func() { v.queue(c, msg, later) }, func() { v.setSending(false) })
}

// setSending blocks Send while a message is between the click and the
// outbox.
func (v *composeView) setSending(on bool) {
	v.sending = on
	if on {
		v.sendButton.Disable()
	} else {
		v.sendButton.Enable()
	}
}

// buildMessage turns the fields into a message, showing every address
// problem next to its field.
func (v *composeView) buildMessage(c composition) (*mail.Message, bool) {
	msg := &mail.Message{
		Subject:    c.Subject,
		Body:       c.Body,
		Markdown:   c.Markdown,
		InReplyTo:  c.InReplyTo,
		References: c.References,
	}
	problems := false
	for _, f := range []struct {
		field *addressField
		dest  *[]mail.Address
	}{{v.to, &msg.To}, {v.cc, &msg.Cc}, {v.bcc, &msg.Bcc}} {
		list, ok := f.field.check(true)
		problems = problems || !ok
		*f.dest = list
	}
	if problems {
		return nil, true
	}
	if len(msg.To)+len(msg.Cc)+len(msg.Bcc) == 0 {
		v.to.showProblem(lang.L("Add at least one recipient."))
		v.w.win.Canvas().Focus(v.to.entry)
		return nil, true
	}
	for _, a := range c.Attachments {
		msg.Attachments = append(msg.Attachments, mail.Attachment{Name: filepath.Base(a), Path: a})
	}
	return msg, false
}

// composeWarnings lists what deserves a second look before sending.
func composeWarnings(c composition, attachments int) []string {
	var warnings []string
	if strings.TrimSpace(c.Subject) == "" {
		warnings = append(warnings, lang.L("The message has no subject."))
	}
	if attachments == 0 && mentionsAttachment(c.Body) {
		warnings = append(warnings, lang.L("The message mentions an attachment, but nothing is attached."))
	}
	return warnings
}

func (v *composeView) confirmWarnings(warnings []string, proceed, goBack func()) {
	if len(warnings) == 0 {
		proceed()
		return
	}
	d := dialog.NewConfirm(lang.L("Send anyway?"), strings.Join(warnings, "\n"), func(ok bool) {
		if ok {
			proceed()
		} else {
			goBack()
		}
	}, v.w.win)
	d.SetConfirmText(lang.L("Send anyway"))
	d.SetDismissText(lang.L("Go back"))
	v.w.show(d)
}

// queue hands the message to the outbox. It is written to disk before the
// composer clears, so nothing is lost if Postie stops now.
func (v *composeView) queue(c composition, msg *mail.Message, later time.Time) {
	v.stopAutosave()
	v.w.background(func(ctx context.Context, svc *services) func() {
		queued, err := svc.enqueue(ctx, c, msg, later)
		return func() {
			v.setSending(false)
			if err != nil {
				v.w.showError(err)
				return
			}
			if sameComposition(v.current(), c) {
				v.clear()
			} else {
				// The user typed on while it was queued: keep that as a
				// new message rather than wiping it.
				v.draftID = 0
				v.generation++
			}
			if later.IsZero() {
				v.w.status.showUndo(queued)
			} else {
				v.w.status.flash(fmt.Sprintf(lang.L("Scheduled for %s."), formatWhen(later)))
			}
		}
	})
}

// restore puts an undone message back into the composer.
func (v *composeView) restore(c composition) {
	if v.dirty {
		v.saveDraft(false)
	}
	v.w.selectView(v.content)
	v.load(c)
	v.dirty = true
}

// attachmentWords are the words that suggest a file should be attached, in
// the interface's languages.
var attachmentWords = []string{
	"attached", "attachment", "attach", "enclosed",
	"anhang", "angehängt", "anbei", "beigefügt",
	"pièce jointe", "pièces jointes", "ci-joint", "en pièce",
	"adjunto", "adjunta", "adjuntos", "archivo adjunto",
}

// mentionsAttachment reports whether the text the user wrote (not quoted
// replies, not the signature) mentions an attachment.
func mentionsAttachment(body string) bool {
	if sig := strings.Index(body, "\n-- \n"); sig >= 0 {
		body = body[:sig]
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), ">") {
			continue
		}
		lower := strings.ToLower(line)
		for _, word := range attachmentWords {
			if containsWord(lower, word) {
				return true
			}
		}
	}
	return false
}

// containsWord finds word in text at word boundaries, so "attachment"
// matches but "detached" does not.
func containsWord(text, word string) bool {
	for start := 0; ; {
		i := strings.Index(text[start:], word)
		if i < 0 {
			return false
		}
		i += start
		end := i + len(word)
		if (i == 0 || !isLetter(text[i-1])) && (end == len(text) || !isLetter(text[end])) {
			return true
		}
		start = i + 1
	}
}

func isLetter(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}
