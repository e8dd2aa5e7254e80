package ui

// The warnings before sending: what deserves a second look. Pure
// functions, tested without a window.

import (
	"strings"

	"fyne.io/fyne/v2/lang"
)

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
