package ui

import "github.com/postie-app/postie/mail/outbox"

// TEMPORARY until i14b's ui/errortext_imap.go lands: its copyMessage
// writes the sentence.
func copyMessage(e outbox.Entry) string { return string(e.SentCopy) }
