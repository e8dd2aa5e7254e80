package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/outbox"
)

// messageDetail is everything the details pane shows about one message.
type messageDetail struct {
	messageSummary
	Account     string
	From        string
	Cc, Bcc     string
	Headers     string // the header block as sent
	Body        string
	Attachments []string
	ServerReply string // the server's final reply, for a sent message
	Error       string // the last failure, in the user's language (failureMessage)
	NextAttempt time.Time
	Attempts    []attemptDetail
	// SentCopy is what became of the copy in the Sent folder (IMAP), and
	// CopyText says it in the user's language (copyMessage); CopyProblem
	// says the copy is pending after a failure, or failed.
	SentCopy    outbox.SentCopy
	CopyText    string
	CopyProblem bool

	// The account's sign-in, when it is what stops the message (signin.go).
	AccountInfo  accounts.Account
	ProviderName string // the provider's name, for an account that signs in
	signIn       signInAction
}

// attemptDetail is one delivery attempt.
type attemptDetail struct {
	When        time.Time
	Outcome     string // in the user's language (failureMessage)
	ServerReply string
	Transcript  string
}

// detailsView shows the selected message with the actions its state allows.
type detailsView struct {
	w       *mainWindow
	list    *messageList
	content *fyne.Container
	current *messageDetail
}

func newDetailsView(w *mainWindow, list *messageList) *detailsView {
	d := &detailsView{w: w, list: list}
	d.content = container.NewStack(d.placeholder())
	return d
}

func (d *detailsView) show(id int64) {
	d.w.background(func(ctx context.Context, svc *services) func() {
		detail, err := svc.messageDetail(ctx, id)
		return func() {
			if err != nil {
				d.w.showError(err)
				return
			}
			d.current = detail
			d.content.Objects = []fyne.CanvasObject{d.render(detail)}
			d.content.Refresh()
		}
	})
}

// clear forgets the shown message, as after it was discarded.
func (d *detailsView) clear() {
	d.current = nil
	d.list.selectedID = 0
	d.list.list.UnselectAll()
	d.content.Objects = []fyne.CanvasObject{d.placeholder()}
	d.content.Refresh()
}

func (d *detailsView) placeholder() fyne.CanvasObject {
	return centredNote(lang.L("Select a message to see its details."))
}

func (d *detailsView) render(m *messageDetail) fyne.CanvasObject {
	icon, word := stateLook(m.State)
	subject := m.Subject
	if subject == "" {
		subject = lang.L("(no subject)")
	}
	title := widget.NewLabelWithStyle(subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	header := container.NewVBox(
		container.NewHBox(widget.NewIcon(icon), widget.NewLabel(word)),
		title,
		d.stateExplanation(m),
	)
	if copy := d.sentCopy(m); copy != nil {
		header.Add(copy)
	}
	header.Add(d.actions(m))

	summary := widget.NewForm(
		widget.NewFormItem(lang.L("From"), selectable(m.From)),
		widget.NewFormItem(lang.L("To"), selectable(m.Recipients)),
	)
	if m.Cc != "" {
		summary.Append(lang.L("Cc"), selectable(m.Cc))
	}
	if m.Bcc != "" {
		summary.Append(lang.L("Bcc"), selectable(m.Bcc))
	}
	summary.Append(lang.L("Account"), selectable(m.Account))
	if len(m.Attachments) > 0 {
		summary.Append(lang.L("Attachments"), selectable(strings.Join(m.Attachments, "\n")))
	}
	if m.ServerReply != "" {
		summary.Append(lang.L("Server reply"), selectable(m.ServerReply))
	}

	sections := widget.NewAccordion(
		widget.NewAccordionItem(lang.L("Message"), selectable(m.Body)),
		widget.NewAccordionItem(lang.L("Headers"), monospace(m.Headers)),
		widget.NewAccordionItem(fmt.Sprintf(lang.L("Attempts (%d)"), len(m.Attempts)), d.attempts(m)),
	)
	sections.Open(0)
	return container.NewVScroll(container.NewVBox(header, summary, sections))
}

// stateExplanation says in plain words what the state means for the user.
func (d *detailsView) stateExplanation(m *messageDetail) fyne.CanvasObject {
	var text string
	switch m.State {
	case outbox.StateQueued:
		text = lang.L("Waiting to be sent.")
		if !m.NextAttempt.IsZero() {
			text = fmt.Sprintf(lang.L("Scheduled for %s."), formatWhen(m.NextAttempt))
		}
	case outbox.StateRetrying:
		text = m.Error + "\n" + fmt.Sprintf(lang.L("Next try: %s."), formatWhen(m.NextAttempt))
	case outbox.StateFailed:
		text = m.Error
	case outbox.StateWaitingForSignIn:
		// The sentence names the button the actions offer beside it; an
		// account that offers none here is signed in again under Accounts.
		text = m.Error + "\n" + lang.L("Nothing was sent. Sign in again under Accounts, and the message is sent; it does not use up any retries meanwhile.")
		if m.signIn == offerSignInAgain {
			text = m.Error + "\n" + fmt.Sprintf(lang.L("Nothing was sent. Choose “%s”, and the message is sent; it does not use up any retries meanwhile."), lang.L("Sign in again"))
		}
	case outbox.StateUnknown:
		text = lang.L("The connection was lost just after the whole message had been sent, so the server may already have it. Resend only if you are sure it did not arrive, or the recipients may get it twice.")
	case outbox.StateSent:
		text = fmt.Sprintf(lang.L("Accepted by your server: %s."), formatWhen(m.When))
	}
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	if m.State == outbox.StateFailed || m.State == outbox.StateUnknown {
		label.Importance = widget.DangerImportance
	}
	return label
}

// sentCopy says what became of a sent message's copy in the Sent folder,
// with Retry while it is not filed; nil for a message that has no copy to
// speak of.
func (d *detailsView) sentCopy(m *messageDetail) fyne.CanvasObject {
	if m.State != outbox.StateSent || m.CopyText == "" {
		return nil
	}
	label := widget.NewLabelWithStyle(m.CopyText, fyne.TextAlignLeading, fyne.TextStyle{})
	label.Wrapping = fyne.TextWrapWord
	switch m.SentCopy {
	case outbox.CopyFiled:
		label.Importance = widget.SuccessImportance
	case outbox.CopyPending:
		if m.CopyProblem {
			label.Importance = widget.WarningImportance
		}
	case outbox.CopyFailed:
		label.Importance = widget.DangerImportance
	}
	if m.SentCopy != outbox.CopyPending && m.SentCopy != outbox.CopyFailed || !m.CopyProblem {
		return label
	}
	retry := widget.NewButtonWithIcon(lang.L("Retry"), theme.ViewRefreshIcon(), func() {
		d.act(m.ID, d.w.svc.retryCopy)
	})
	return container.NewVBox(label, container.NewHBox(retry))
}

// actions offers a button for each action the message's state allows, as
// the outbox decides. Sending now, undo and cancel are offered by the
// status bar while a message waits or uploads, not here.
func (d *detailsView) actions(m *messageDetail) fyne.CanvasObject {
	// The buttons wrap onto more lines rather than claim the width of all
	// of them side by side, which would squeeze the list beside the details.
	box := newWrapBox()
	offer := func(a outbox.Action, label string, icon fyne.Resource, run func()) {
		if m.State.Allows(a) {
			box.Add(widget.NewButtonWithIcon(label, icon, run))
		}
	}
	resend := func() { d.act(m.ID, d.w.svc.resend) }
	if m.State == outbox.StateUnknown {
		resend = func() { d.confirmResend(m) } // the server may already have it
	}
	offer(outbox.ActionRetry, lang.L("Retry now"), theme.ViewRefreshIcon(), func() { d.act(m.ID, d.w.svc.retry) })
	offer(outbox.ActionResend, lang.L("Resend"), theme.MailSendIcon(), resend)
	offer(outbox.ActionMarkSent, lang.L("Mark as sent"), theme.ConfirmIcon(), func() { d.act(m.ID, d.w.svc.markSent) })
	offer(outbox.ActionCopy, lang.L("Send as new message"), theme.MailForwardIcon(), func() { d.sendAgain(m.ID) })
	offer(outbox.ActionExport, lang.L("Export .eml"), theme.DownloadIcon(), func() { d.export(m) })
	offer(outbox.ActionDiscard, lang.L("Discard"), theme.DeleteIcon(), func() { d.confirmDiscard(m) })
	switch m.signIn {
	case offerSignInAgain:
		again := widget.NewButtonWithIcon(lang.L("Sign in again"), theme.LoginIcon(), func() {
			d.w.signInAgain(m.AccountInfo, m.ProviderName, d.w.reloadLists)
		})
		again.Importance = widget.HighImportance
		box.Objects = append([]fyne.CanvasObject{again}, box.Objects...)
	case offerSwitchToSignIn:
		d.w.offerSwitch(m.AccountInfo, box, d.w.reloadLists)
	}
	return box
}

// act runs an action on the message and refreshes the lists.
func (d *detailsView) act(id int64, action func(context.Context, int64) error) {
	d.w.background(func(ctx context.Context, svc *services) func() {
		err := action(ctx, id)
		return func() {
			if err != nil {
				d.w.showError(err)
				return
			}
			d.w.reloadLists()
		}
	})
}

func (d *detailsView) confirmResend(m *messageDetail) {
	c := dialog.NewConfirm(lang.L("Resend this message?"),
		lang.L("The server may already have this message. If it did arrive, the recipients will get it twice. It keeps its Message-ID, so many mail programs will show only one copy."),
		func(ok bool) {
			if ok {
				d.act(m.ID, d.w.svc.resend)
			}
		}, d.w.win)
	d.w.show(c)
}

func (d *detailsView) confirmDiscard(m *messageDetail) {
	c := dialog.NewConfirm(lang.L("Discard this message?"), lang.L("It will not be sent, and it is removed from the outbox."),
		func(ok bool) {
			if ok {
				d.clear()
				d.act(m.ID, d.w.svc.discard)
			}
		}, d.w.win)
	d.w.show(c)
}

// sendAgain opens a copy of the message in the composer.
func (d *detailsView) sendAgain(id int64) {
	d.w.background(func(ctx context.Context, svc *services) func() {
		c, err := svc.copyToComposer(ctx, id)
		return func() {
			if err != nil {
				d.w.showError(err)
				return
			}
			d.w.compose.restore(c)
		}
	})
}

func (d *detailsView) export(m *messageDetail) {
	save := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			d.w.showError(err)
			return
		}
		if wc == nil {
			return
		}
		d.w.background(func(ctx context.Context, svc *services) func() {
			err := svc.exportEML(ctx, m.ID, wc)
			if closeErr := wc.Close(); err == nil {
				err = closeErr
			}
			return func() {
				if err != nil {
					d.w.showError(err)
					return
				}
				d.w.status.flash(lang.L("Message exported."))
			}
		})
	}, d.w.win)
	save.SetFileName(emlFileName(m.Subject))
	d.w.show(save)
}

// emlFileName makes a file name from a subject.
func emlFileName(subject string) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, strings.TrimSpace(subject))
	if name == "" {
		name = "message"
	}
	if runes := []rune(name); len(runes) > 80 {
		name = string(runes[:80]) // whole characters: a byte cut could split one
	}
	return name + ".eml"
}

// attempts lists each delivery attempt with its transcript, which can be
// selected and copied for support.
func (d *detailsView) attempts(m *messageDetail) fyne.CanvasObject {
	if len(m.Attempts) == 0 {
		return widget.NewLabel(lang.L("Not tried yet."))
	}
	box := container.NewVBox()
	for i, a := range m.Attempts {
		transcript := a.Transcript
		heading := widget.NewLabelWithStyle(fmt.Sprintf(lang.L("Attempt %d, %s"), i+1, formatWhen(a.When)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		outcome := widget.NewLabel(a.Outcome)
		outcome.Wrapping = fyne.TextWrapWord
		box.Add(heading)
		box.Add(outcome)
		if a.ServerReply != "" {
			box.Add(selectable(lang.L("Server reply:") + " " + a.ServerReply))
		}
		copyButton := widget.NewButtonWithIcon(lang.L("Copy transcript"), theme.ContentCopyIcon(), func() {
			d.w.app.Clipboard().SetContent(transcript)
			d.w.status.flash(lang.L("Transcript copied."))
		})
		box.Add(widget.NewAccordion(widget.NewAccordionItem(lang.L("Transcript"),
			container.NewVBox(monospace(transcript), container.NewHBox(copyButton)))))
	}
	return box
}

func selectable(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Selectable = true
	l.Wrapping = fyne.TextWrapWord
	return l
}

func monospace(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	l.Wrapping = fyne.TextWrapBreak
	return l
}
