package ui

import (
	"slices"
	"testing"
)

func TestMentionsAttachment(t *testing.T) {
	for body, want := range map[string]bool{
		"I attached the file":                       true,
		"See the attachment.":                       true,
		"Anbei die Rechnung.":                       true,
		"Voici la pièce jointe.":                    true,
		"Te envío el archivo adjunto.":              true,
		"We feel detached from it.":                 false,
		"Nothing here.\n> see attached\n":           false,
		"Hello\n\n-- \nAttachments are scanned.":    false,
		"Please find enclosed the signed contract.": true,
	} {
		if got := mentionsAttachment(body); got != want {
			t.Errorf("mentionsAttachment(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestComposeWarnings(t *testing.T) {
	const noSubject = "The message has no subject."
	const noAttachment = "The message mentions an attachment, but nothing is attached."
	for _, c := range []struct {
		name        string
		subject     string
		body        string
		attachments int
		want        []string
	}{
		{"complete", "Report", "Hello", 0, nil},
		{"no subject", "", "Hello", 0, []string{noSubject}},
		{"blank subject", " \t", "Hello", 0, []string{noSubject}},
		{"file mentioned, none attached", "Report", "The report is attached.", 0, []string{noAttachment}},
		{"file mentioned and attached", "Report", "The report is attached.", 1, nil},
		{"both", "", "See the attachment.", 0, []string{noSubject, noAttachment}},
	} {
		got := composeWarnings(composition{Subject: c.subject, Body: c.body}, c.attachments)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: warnings = %q, want %q", c.name, got, c.want)
		}
	}
}
