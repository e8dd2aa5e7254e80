package ui

// Sending from the composer: checking the fields, confirming the warnings,
// and handing the message to the outbox.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/mail"
)

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
			showProblem(picker.problem, errorMessage(err))
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
			if v.current().SameContent(c) {
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
