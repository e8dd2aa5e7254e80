package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/mail/outbox"
)

// outboxEvent is a change the outbox worker reports: a new state, or
// upload progress while sending.
type outboxEvent = outbox.Event

// watchOutbox shows the worker's progress live: the lists, the upload bar
// and a desktop notification when a message fails or a scheduled one goes
// out.
func (w *mainWindow) watchOutbox() {
	events, stop := w.svc.subscribe()
	go func() {
		defer stop()
		for {
			select {
			case <-w.ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				w.do(func() { w.applyEvent(ev) })
			}
		}
	}()
}

func (w *mainWindow) applyEvent(ev outboxEvent) {
	if w.eventApplied != nil {
		defer func() { w.eventApplied <- ev }()
	}
	if !ev.Progress {
		w.failedWhileHidden(ev) // first: it keeps a hidden Postie from quitting
		w.pendingChanged()
	}
	if w.tabs == nil {
		return
	}
	if ev.Progress {
		w.status.showProgress(ev.ID, ev.Written, ev.Total)
		return
	}
	w.status.uploadFinished(ev.ID)
	w.reloadLists()
	switch {
	case ev.Copy != "":
		// The copy in the Sent folder changed; the lists show it.
	case ev.State == outbox.StateFailed:
		w.notify(lang.L("A message could not be sent"), subjectAndReason(ev))
	case ev.State == outbox.StateUnknown:
		w.notify(lang.L("A message may not have been sent"), subjectAndReason(ev))
	case ev.State == outbox.StateSent && ev.WasScheduled:
		w.notify(lang.L("Your scheduled message was sent"), subjectOrPlaceholder(ev.Subject))
	case ev.State == outbox.StateSent:
		w.status.flash(fmt.Sprintf(lang.L("Sent: %s"), subjectOrPlaceholder(ev.Subject)))
	}
}

// subjectAndReason names the message and says why it was not sent, in a
// notification.
func subjectAndReason(ev outboxEvent) string {
	reason := failureMessage(ev.Failure)
	if reason == "" {
		return subjectOrPlaceholder(ev.Subject)
	}
	return fmt.Sprintf("%s: %s", subjectOrPlaceholder(ev.Subject), reason)
}

func subjectOrPlaceholder(subject string) string {
	if subject == "" {
		return lang.L("(no subject)")
	}
	return subject
}

func (w *mainWindow) notify(title, content string) {
	w.app.SendNotification(fyne.NewNotification(title, content))
}

// reloadLists refreshes whichever message list is on screen.
func (w *mainWindow) reloadLists() {
	if w.tabs == nil {
		return
	}
	switch w.tabs.Selected().Content {
	case w.outbox.content:
		w.outbox.reload()
	case w.sent.content:
		w.sent.reload()
	}
}
