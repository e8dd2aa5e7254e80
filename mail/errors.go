package mail

import (
	"fmt"
	"unicode/utf8"
)

// InputProblem names what is wrong with something the user gave. The
// front ends turn it into a sentence a person who has never heard of RFC
// 5322 can act on.
type InputProblem string

const (
	// InputMissing: the value is empty (Value is empty too).
	InputMissing InputProblem = "missing"
	// InputNoRecipient: To, Cc and Bcc are all empty.
	InputNoRecipient InputProblem = "no-recipient"
	// InputLineBreak, InputNUL, InputInvalidText: characters that cannot go
	// into a header field.
	InputLineBreak   InputProblem = "line-break"
	InputNUL         InputProblem = "nul-character"
	InputInvalidText InputProblem = "invalid-text"
	// InputTextNotUTF8: the message text is not valid UTF-8.
	InputTextNotUTF8 InputProblem = "text-not-utf8"
	// InputNameWithoutBrackets: "Anna Lind anna@example.org".
	InputNameWithoutBrackets InputProblem = "name-without-angle-brackets"
	InputNoAt                InputProblem = "no-at-sign"
	InputSeveralAt           InputProblem = "several-at-signs"
	InputNothingBeforeAt     InputProblem = "nothing-before-at"
	InputNothingAfterAt      InputProblem = "nothing-after-at"
	InputSpace               InputProblem = "space"
	InputUnclosed            InputProblem = "unclosed-quote-or-bracket"
	InputSeveralAddresses    InputProblem = "several-addresses"
	InputNotAnAddress        InputProblem = "not-an-address"
	// InputLocalPartTooLong: the part before the @ exceeds Limit.
	InputLocalPartTooLong InputProblem = "local-part-too-long"
	InputLocalPartDots    InputProblem = "local-part-dots"
	// InputLocalPartChar: the part before the @ holds Detail, a character
	// (a space, a quotation mark, a control character or another one).
	InputLocalPartChar InputProblem = "local-part-character"
	// InputDomainNotIP, InputDomainTrailingDot, InputDomainInvalid and
	// InputDomainIncomplete: the domain, in Detail, is unusable.
	InputDomainNotIP       InputProblem = "domain-literal-not-ipv4"
	InputDomainTrailingDot InputProblem = "domain-trailing-dot"
	InputDomainInvalid     InputProblem = "domain-invalid"
	InputDomainIncomplete  InputProblem = "domain-without-dot"
	// InputTooLong: the value exceeds Limit characters.
	InputTooLong InputProblem = "too-long"
	// InputNotIdentifier, InputIdentifierForm: a Message-ID, In-Reply-To
	// or References value that is not a message identifier.
	InputNotIdentifier  InputProblem = "identifier-characters"
	InputIdentifierForm InputProblem = "identifier-not-id-at-domain"
	InputNotPrintable   InputProblem = "not-printable-ascii"
	InputNotContentType InputProblem = "not-a-content-type"
	// Attachments.
	InputNoFileChosen InputProblem = "no-file-chosen"
	InputIsFolder     InputProblem = "is-a-folder"
	InputNotRegular   InputProblem = "not-an-ordinary-file"
	InputFileMissing  InputProblem = "file-does-not-exist"
	InputNoPermission InputProblem = "permission-denied"
	InputReadFailed   InputProblem = "read-failed" // Err says how
	InputOnlyName     InputProblem = "name-without-address"
)

// Descriptions of a character in the local part, in Detail.
const (
	CharSpace   = "space"
	CharQuote   = "quotation-mark"
	CharControl = "control-character"
)

// InputError names what the user gave that cannot be sent, and why, as
// facts. Error is for logs.
type InputError struct {
	// Field is where the value came from: "From", "To", "Cc", "Bcc",
	// "Reply-To", "Subject", "text", "Message-ID", "In-Reply-To",
	// "References", "User-Agent", "attachment", "attachment name" or
	// "attachment type". It is empty for an address parsed on its own.
	Field   string
	Value   string // the offending value as given; empty when it is missing
	Problem InputProblem
	// InName says that the problem is in the name of an address, not in
	// the address itself.
	InName bool
	// Detail is the domain of a domain problem, or the character of
	// InputLocalPartChar: CharSpace, CharQuote, CharControl, or the
	// character itself.
	Detail string
	Limit  int   // the length limit of a too-long problem
	Err    error // the system's error, for InputReadFailed
}

func (e *InputError) Error() string {
	msg := "invalid " + e.Field
	if e.Field == "" {
		msg += "address"
	}
	if e.Value != "" {
		msg += fmt.Sprintf(" %q", shorten(e.Value))
	}
	msg += ": "
	if e.InName {
		msg += "name: "
	}
	msg += string(e.Problem)
	switch {
	case e.Detail != "":
		msg += fmt.Sprintf(" (%s)", e.Detail)
	case e.Limit != 0:
		msg += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *InputError) Unwrap() error { return e.Err }

// IsAddressField reports whether field holds addresses.
func IsAddressField(field string) bool {
	switch field {
	case "From", "To", "Cc", "Bcc", "Reply-To":
		return true
	}
	return false
}

// problem is what is wrong with a value, before it is known which field
// the value is in; the zero value means nothing is.
type problem struct {
	kind   InputProblem
	detail string
	limit  int
}

func (p problem) found() bool { return p.kind != "" }

// in makes the InputError of the problem for the field and value.
func (p problem) in(field, value string) *InputError {
	return &InputError{Field: field, Value: value, Problem: p.kind, Detail: p.detail, Limit: p.limit}
}

// Shorten keeps a value readable in a message when it is a whole pasted
// text.
func Shorten(s string) string { return shorten(s) }

func shorten(s string) string {
	const max = 100
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
