package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/mail"
)

// linkFields is what the composer shows of a message: the fields a mailto:
// link fills.
type linkFields struct {
	To, Cc, Bcc, Subject, Body string
}

// shownFields reads the composer's fields; on the UI goroutine.
func (v *composeView) shownFields() linkFields {
	return linkFields{v.to.entry.Text, v.cc.entry.Text, v.bcc.entry.Text, v.subject.Text, v.body.Text}
}

// draftSubjects lists the subjects of the saved drafts.
func draftSubjects(t *testing.T, w *mainWindow) []string {
	t.Helper()
	drafts, err := w.svc.drafts(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, d := range drafts {
		subjects = append(subjects, d.Subject)
	}
	return subjects
}

// The composer's start-up load (accounts, then the last draft) used to be
// applied after the link had filled the fields, and wiped them.
func TestMailtoColdStartWinsOverTheRestoredDraftWhichStaysInDrafts(t *testing.T) {
	a := test.NewTempApp(t)
	dir := shortTempDir(t)
	w := openWindow(t, a, dir, options{demo: true})
	compose(t, w, "anna@example.org", "Unfinished", "Half a thought")
	w.compose.saveDraft(false)
	w.settle()
	w.shutdown()

	again := openWindow(t, a, dir, options{demo: true,
		mailto: "mailto:zoe@example.org?subject=Quarterly%20report&body=Hello"})
	want := linkFields{To: "zoe@example.org", Subject: "Quarterly report",
		// The link is opened once the accounts are known, so it is signed.
		Body: "Hello\n\n-- \nSent from Postie's demo mode"}
	if got := again.compose.shownFields(); got != want {
		t.Fatalf("composer after a cold start with a link:\n got %+v\nwant %+v", got, want)
	}
	if !slices.Contains(draftSubjects(t, again), "Unfinished") {
		t.Fatalf("the draft restored at start-up is gone from Drafts: %q", draftSubjects(t, again))
	}
}

// A link handed over while the composer is still loading waits for the
// load instead of being wiped by it.
func TestMailtoHandedOverDuringStartUpIsNotWipedByTheLoad(t *testing.T) {
	q := make(uiQueue, 10000)
	w := newMainWindow(test.NewTempApp(t), shortTempDir(t), options{demo: true}, q.dispatch)
	queues[w] = q
	t.Cleanup(w.shutdown)
	// Run the UI work one step at a time until the views exist, then hand
	// the link over before the composer's load has been applied.
	for w.tabs == nil {
		(<-q)()
	}
	if w.compose.loaded {
		t.Fatal("the composer's load was applied together with the views; this test needs it pending")
	}
	w.handleLaunch([]string{"mailto:zoe@example.org?cc=bob@example.org&bcc=carol@example.org&subject=Hi"})
	w.settle()
	got := w.compose.shownFields()
	if got.To != "zoe@example.org" || got.Cc != "bob@example.org" || got.Bcc != "carol@example.org" || got.Subject != "Hi" {
		t.Fatalf("composer after a link handed over during start-up: %+v", got)
	}
}

func TestMailtoBeforeAnyAccountIsNamedOnTheWelcomeScreenAndOpensAfterSetup(t *testing.T) {
	w := openWindow(t, test.NewTempApp(t), shortTempDir(t), options{mailto: "mailto:zoe@example.org?subject=Hello"})
	welcome := test.RenderObjectToMarkup(w.body)
	if !strings.Contains(welcome, "Once your account is set up, a new message to zoe@example.org opens.") {
		t.Fatalf("the welcome screen does not say that the message to zoe@example.org opens after setup:\n%s", welcome)
	}
	// A second link clicked meanwhile replaces the first.
	w.handleLaunch([]string{"mailto:?to=max@example.org&subject=Later"})
	if welcome := test.RenderObjectToMarkup(w.body); !strings.Contains(welcome, "message to max@example.org opens") {
		t.Fatalf("the welcome screen does not name the second link:\n%s", welcome)
	}
	// Setting up the demo account is the quickest way to an account.
	w.startDemo()
	w.settle()
	if w.tabs == nil {
		t.Fatal("demo mode did not reach the main views")
	}
	if got := w.compose.shownFields(); got.To != "max@example.org" || got.Subject != "Later" {
		t.Fatalf("composer after setup: %+v", got)
	}
}

// Every address the message goes to must be visible in the one-line
// fields before Send, however the link hides it.
func TestMailtoRecipientsAreAllVisibleBeforeSend(t *testing.T) {
	w := openDemoWindow(t)
	for _, link := range []string{
		"mailto:friend@example.org?bcc=%0Aspy@evil.example",
		"mailto:friend@example.org?bcc=me@example.org%0Aspy@evil.example",
		"mailto:friend@example.org?cc=me@example.org%0D%0Aspy@evil.example%0D%0A",
		"mailto:friend@example.org%09spy@evil.example",
		"mailto:friend@example.org?to=%0A%0A%0D%0Aspy@evil.example%0A%0Aspy2@evil.example",
	} {
		w.handleLaunch([]string{link})
		w.settle()
		c := w.compose
		msg, problems := c.buildMessage(c.current())
		if problems {
			t.Errorf("%s: the message does not build: to %q, cc %q, bcc %q", link, c.to.problem.Text, c.cc.problem.Text, c.bcc.problem.Text)
			continue
		}
		for _, f := range []struct {
			field *addressField
			sent  []mail.Address
		}{{c.to, msg.To}, {c.cc, msg.Cc}, {c.bcc, msg.Bcc}} {
			// A one-line field shows its text up to the first line break.
			shown, _, _ := strings.Cut(f.field.entry.Text, "\n")
			shown, _, _ = strings.Cut(shown, "\r")
			for _, a := range f.sent {
				if !strings.Contains(shown, a.Email) {
					t.Errorf("%s: %s goes to %s, but the field shows only %q", link, f.field.label, a.Email, shown)
				}
			}
		}
		if all := c.to.entry.Text + c.cc.entry.Text + c.bcc.entry.Text; !strings.Contains(all, "spy@evil.example") {
			t.Errorf("%s: the fields lost an address: %+v", link, c.shownFields())
		}
	}
}

// The composer does not show threading headers, so a link cannot set them.
func TestMailtoCannotThreadTheMessageSilently(t *testing.T) {
	w := openDemoWindow(t)
	w.handleLaunch([]string{"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E&references=%3Ca@example.com%3E"})
	w.settle()
	if c := w.compose.current(); c.InReplyTo != "" || len(c.References) != 0 {
		t.Fatalf("the link set In-Reply-To %q, References %q", c.InReplyTo, c.References)
	}
}
