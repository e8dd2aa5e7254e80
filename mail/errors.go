package mail

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// InputError names what the user gave that cannot be sent, and why, in
// words a person who has never heard of RFC 5322 can act on.
type InputError struct {
	// Field is where the value came from: "From", "To", "Cc", "Bcc",
	// "Reply-To", "Subject", "text", "Message-ID", "In-Reply-To",
	// "References", "attachment", "attachment name" or "attachment type".
	// It is empty for an address parsed on its own.
	Field  string
	Value  string // the offending value as given; empty when it is missing
	Reason string // why, in plain words, without a final full stop
}

func (e *InputError) Error() string {
	switch {
	case e.Value == "":
		return sentence(e.Reason)
	case e.Field == "attachment":
		return fmt.Sprintf("The attachment %q cannot be read: %s.", e.Value, e.Reason)
	case e.Field == "":
		return fmt.Sprintf("The address %q is not valid: %s.", shorten(e.Value), e.Reason)
	case isAddressField(e.Field):
		return fmt.Sprintf("The address %q in %s is not valid: %s.", shorten(e.Value), e.Field, e.Reason)
	}
	return fmt.Sprintf("The %s %q cannot be used: %s.", e.Field, shorten(e.Value), e.Reason)
}

func isAddressField(field string) bool {
	switch field {
	case "From", "To", "Cc", "Bcc", "Reply-To":
		return true
	}
	return false
}

// sentence capitalises reason and ends it with a full stop.
func sentence(reason string) string {
	r, n := utf8.DecodeRuneInString(reason)
	return string(unicode.ToUpper(r)) + reason[n:] + "."
}

// shorten keeps an error readable when the value is a whole pasted text.
func shorten(s string) string {
	const max = 100
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
