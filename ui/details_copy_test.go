package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/outbox"
)

// fakeSent is a core with one sent message whose copy in the Sent folder
// is in the state a test sets.
type fakeSent struct {
	backend

	mu      sync.Mutex
	entry   outbox.Entry
	retried []int64
}

func (f *fakeSent) Message(_ context.Context, id int64) (*outbox.Detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry
	e.ID = id
	return &outbox.Detail{Entry: e, Body: "Hello"}, nil
}

func (f *fakeSent) AccountByID(context.Context, string) (accounts.Account, error) {
	return accounts.Account{Email: "anna@example.org"}, nil
}

func (f *fakeSent) Headers(context.Context, int64) (string, error) { return "Subject: Hi", nil }

func (f *fakeSent) RetryCopy(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, id)
	return nil
}

// texts and buttons of a rendered view, by walking its objects.
func labelsAndButtons(o fyne.CanvasObject) (labels []*widget.Label, buttons []*widget.Button) {
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			labels = append(labels, v)
		case *widget.Button:
			buttons = append(buttons, v)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(v.Content)
		case *widget.Card:
			walk(v.Content)
		case *widget.Form:
			for _, item := range v.Items {
				walk(item.Widget)
			}
		}
	}
	walk(o)
	return labels, buttons
}

// Sent details say what became of the copy in the Sent folder, in the
// words of the issue, with Retry while it is not filed.
func TestSentDetailsShowTheCopyInSent(t *testing.T) {
	next := time.Date(2026, 11, 30, 14, 5, 0, 0, time.Local)
	for _, tc := range []struct {
		name       string
		entry      outbox.Entry
		want       string
		importance widget.Importance
		retry      bool
	}{
		{"filed", outbox.Entry{SentCopy: outbox.CopyFiled, SentFolder: "Gesendet"},
			"Copy saved in your Sent folder (Gesendet).", widget.SuccessImportance, false},
		{"pending after a refusal", outbox.Entry{SentCopy: outbox.CopyPending, CopyNextTry: next,
			CopyFailure: &outbox.CopyFailure{Reason: "server-unavailable", Temporary: true}},
			"Saving the copy – will try again at " + formatWhen(next) + ": the incoming (IMAP) server is not available right now.", widget.WarningImportance, true},
		{"pending, first try", outbox.Entry{SentCopy: outbox.CopyPending},
			"The copy for your Sent folder is being saved.", widget.MediumImportance, false},
		{"mailbox full", outbox.Entry{SentCopy: outbox.CopyFailed, CopyFailure: &outbox.CopyFailure{Reason: "over-quota"}},
			"Not saved: your mailbox is full.", widget.DangerImportance, true},
		{"provider files it", outbox.Entry{SentCopy: outbox.CopySkipped},
			"Not saved by Postie: your provider puts a copy in your Sent folder itself.", widget.MediumImportance, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.entry.State, tc.entry.SentAt = outbox.StateSent, next.Add(-time.Hour)
			f := &fakeSent{entry: tc.entry}
			w := windowOnFake(t, f)
			d := newDetailsView(w, nil)
			d.show(7)
			w.settle()
			if d.current == nil {
				t.Fatal("no details shown")
			}
			labels, buttons := labelsAndButtons(d.content)
			var copyLabel *widget.Label
			for _, l := range labels {
				if strings.HasPrefix(l.Text, strings.SplitN(tc.want, " ", 3)[0]+" "+strings.SplitN(tc.want, " ", 3)[1]) {
					copyLabel = l
				}
			}
			if copyLabel == nil || !strings.HasPrefix(copyLabel.Text, tc.want) || copyLabel.Importance != tc.importance {
				var texts []string
				for _, l := range labels {
					texts = append(texts, l.Text)
				}
				t.Fatalf("labels %q, want %q (importance %v)", texts, tc.want, tc.importance)
			}
			var retry *widget.Button
			for _, b := range buttons {
				if b.Text == "Retry" {
					retry = b
				}
			}
			if (retry != nil) != tc.retry {
				t.Fatalf("Retry offered: %v, want %v", retry != nil, tc.retry)
			}
			if retry != nil {
				test.Tap(retry)
				w.settle()
				if len(f.retried) != 1 || f.retried[0] != 7 {
					t.Errorf("retried %v, want [7]", f.retried)
				}
			}
		})
	}
}
