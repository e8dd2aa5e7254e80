package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
)

// TestCopySentencesInEveryLanguage: every reason imapclient reports, every
// note of the outbox about a copy and every state of the copy has its own
// sentence, translated into each shipped language.
func TestCopySentencesInEveryLanguage(t *testing.T) {
	type sample struct {
		name   string
		render func() string
	}
	var samples []sample
	fallback := func() string { return imapReasonMessage(string(imapclient.ReasonUnexpected), "", "") }
	for _, r := range constantsOf(t, "../mail/imapclient/errors.go", "Reason") {
		samples = append(samples, sample{"reason " + r, func() string {
			got := imapReasonMessage(r, "Quota exceeded", "Gesendet")
			if got == fallback() && r != string(imapclient.ReasonUnexpected) {
				return "" // no sentence of its own
			}
			return got
		}})
		samples = append(samples, sample{"test " + r, func() string { return imapTestMessage(r, "Quota exceeded") }})
	}
	for _, note := range constantsOf(t, "../mail/outbox/sentcopy.go", "CopyNote") {
		if note == "" || outbox.CopyNote(note) == outbox.CopyNoteAlreadyThere {
			continue // a filed copy's remark, never shown as a failure
		}
		f := &outbox.CopyFailure{Note: outbox.CopyNote(note), Tries: 12, Reason: string(imapclient.ReasonTimeout)}
		samples = append(samples, sample{"note " + note, func() string { return copyFailureMessage(f) }})
	}
	samples = append(samples, sample{"account", func() string {
		return copyFailureMessage(&outbox.CopyFailure{Account: outbox.NoteKeyringLocked})
	}})
	next := time.Date(2020, 1, 2, 14, 5, 0, 0, time.Local)
	for _, e := range []outbox.Entry{
		{State: outbox.StateSent, SentCopy: outbox.CopyFiled, SentFolder: "Gesendet"},
		{State: outbox.StateSent, SentCopy: outbox.CopyFiled},
		{State: outbox.StateSent, SentCopy: outbox.CopyPending},
		{State: outbox.StateSent, SentCopy: outbox.CopyPending, CopyNextTry: next, CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonConnectionRefused)}},
		{State: outbox.StateSent, SentCopy: outbox.CopyFailed, CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonOverQuota)}},
		{State: outbox.StateSent, SentCopy: outbox.CopySkipped},
		{State: outbox.StateSent, SentCopy: outbox.CopyOff},
	} {
		samples = append(samples, sample{"copy " + string(e.SentCopy), func() string { return copyMessage(e) }})
	}

	english := map[string]string{}
	for _, language := range []string{"en", "de", "fr", "es"} {
		t.Run(language, func(t *testing.T) {
			useLanguage(t, language)
			for _, s := range samples {
				got := s.render()
				switch {
				case got == "" || strings.Contains(got, "%!") || strings.Contains(got, "%s") || strings.Contains(got, "%d"):
					t.Errorf("%s: %q", s.name, got)
				case language == "en":
					english[s.name] = got
				case got == english[s.name]:
					t.Errorf("%s is English in %s: %q", s.name, language, got)
				}
			}
		})
	}
	useLanguage(t, "de")
	if got, want := copyMessage(outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyFailed,
		CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonOverQuota)}}), "Nicht gespeichert: Ihr Postfach ist voll."; !strings.HasPrefix(got, want) {
		t.Errorf("German: %q, want it to start with %q", got, want)
	}
	if copyMessage(outbox.Entry{State: outbox.StateQueued, SentCopy: outbox.CopyOff}) != "" {
		t.Error("a message not sent has no sentence about its copy")
	}
}

// The IMAP server's words and a folder's name reach the window without
// control characters: no line break, escape or reversed run of theirs
// changes the sentence around them.
func TestIMAPServerTextReachesTheWindowWithoutControls(t *testing.T) {
	const hostile = "quota\r\n\x1b[2J\u202eexceeded"
	for _, got := range []string{
		copyMessage(outbox.Entry{ID: 7, State: outbox.StateSent, SentCopy: outbox.CopyFailed,
			CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonRefused), ServerText: hostile}}),
		copyMessage(outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyFiled, SentFolder: "Sent\n\u202eevil"}),
	} {
		if strings.ContainsAny(got, "\r\n\x1b\u202e") {
			t.Errorf("control characters in the window's sentence: %q", got)
		}
	}
}
