package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

// TestEveryStateHasALook fails for a state the outbox adds without a word
// and an icon here: the fallback shows the raw database value.
func TestEveryStateHasALook(t *testing.T) {
	test.NewTempApp(t)
	seen := map[string]outbox.State{}
	for _, s := range outbox.States() {
		icon, word := stateLook(s)
		if icon == nil || word == "" || word == string(s) {
			t.Errorf("state %q has no look of its own: %q", s, word)
		}
		if other, ok := seen[word]; ok {
			t.Errorf("states %q and %q both show %q", s, other, word)
		}
		seen[word] = s
	}
}

// TestDetailsOfferWhatTheStateAllows checks the buttons of the details
// pane for every state, in order. Undo, cancel and sending now belong to
// the status bar.
func TestDetailsOfferWhatTheStateAllows(t *testing.T) {
	test.NewTempApp(t)
	want := map[outbox.State][]string{
		outbox.StateDraft:    {"Discard"},
		outbox.StateQueued:   {"Send as new message", "Export .eml", "Discard"},
		outbox.StateSending:  nil,
		outbox.StateSent:     {"Send as new message", "Export .eml"},
		outbox.StateFailed:   {"Resend", "Send as new message", "Export .eml", "Discard"},
		outbox.StateRetrying: {"Retry now", "Send as new message", "Export .eml", "Discard"},
		outbox.StateUnknown:  {"Resend", "Mark as sent", "Send as new message", "Export .eml", "Discard"},
		// Signing in again (Accounts) sends it; Retry now tries once, at no cost.
		outbox.StateWaitingForSignIn: {"Retry now", "Send as new message", "Export .eml", "Discard"},
	}
	d := &detailsView{}
	for _, s := range outbox.States() {
		w, ok := want[s]
		if !ok {
			t.Errorf("this test does not say what the details of a %q message offer", s)
		}
		var got []string
		for _, o := range d.actions(&messageDetail{messageSummary: messageSummary{ID: 1, State: s}}).(*fyne.Container).Objects {
			got = append(got, o.(*widget.Button).Text)
		}
		if !slices.Equal(got, w) {
			t.Errorf("a %s message offers %q, want %q", s, got, w)
		}
	}
}
