package mail

import (
	"fmt"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address is one mailbox: an optional display name and the address as the
// user wrote it (the domain may hold Unicode, U-labels).
type Address struct {
	Name  string
	Email string
}

// InputError names what the user gave that cannot be sent, and why, in
// words a person who has never heard of RFC 5322 can act on.
type InputError struct {
	Field  string // "To", "Subject", "attachment", …
	Value  string // the offending value, as given
	Reason string
}

func (e *InputError) Error() string {
	switch {
	case e.Field == "attachment":
		return fmt.Sprintf("The attachment %q cannot be sent: %s.", e.Value, e.Reason)
	case isAddressField(e.Field) && e.Value != "":
		return fmt.Sprintf("The address %q in %s is not valid: %s.", e.Value, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %s.", e.Field, e.Reason)
}

func isAddressField(field string) bool {
	switch field {
	case "From", "To", "Cc", "Bcc", "Reply-To", "address":
		return true
	}
	return false
}

// idnaProfile converts domains for lookup: it maps case and width and
// rejects what cannot be a host name.
var idnaProfile = idna.Lookup

// ParseAddress reads one address as people write it: "anna@example.org",
// "Anna Lind <anna@example.org>" or "<anna@example.org>".
func ParseAddress(s string) (Address, error) {
	return parseAddress("address", s)
}

// ParseAddressList reads addresses separated by commas or semicolons, as
// typed or pasted from another program. Empty entries (a trailing comma)
// are skipped.
func ParseAddressList(s string) ([]Address, error) {
	return parseAddressList("address", s)
}

func parseAddressList(field, s string) ([]Address, error) {
	var list []Address
	for _, part := range splitAddressList(s) {
		a, err := parseAddress(field, part)
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, nil
}

// splitAddressList splits at commas and semicolons that are outside quoted
// names and angle brackets.
func splitAddressList(s string) []string {
	var parts []string
	var current strings.Builder
	inQuotes, inAngle, escaped := false, false, false
	flush := func() {
		if p := strings.TrimSpace(current.String()); p != "" {
			parts = append(parts, p)
		}
		current.Reset()
	}
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && inQuotes:
			escaped = true
		case r == '"' && !inAngle:
			inQuotes = !inQuotes
		case r == '<' && !inQuotes:
			inAngle = true
		case r == '>' && !inQuotes:
			inAngle = false
		case (r == ',' || r == ';' || r == '\n' || r == '\r') && !inQuotes && !inAngle:
			flush()
			continue
		}
		current.WriteRune(r)
	}
	flush()
	return parts
}

func parseAddress(field, s string) (Address, error) {
	s = strings.TrimSpace(s)
	if reason := quickAddressProblem(s); reason != "" {
		return Address{}, &InputError{Field: field, Value: s, Reason: reason}
	}
	parsed, err := netmail.ParseAddress(s)
	if err != nil {
		return Address{}, &InputError{Field: field, Value: s, Reason: plainParseError(s, err)}
	}
	a := Address{Name: parsed.Name, Email: parsed.Address}
	if err := a.check(field); err != nil {
		return Address{}, err
	}
	return a, nil
}

// quickAddressProblem catches the common mistakes with a clearer reason
// than the parser gives.
func quickAddressProblem(s string) string {
	addr := s
	if i := strings.LastIndex(s, "<"); i >= 0 {
		addr = strings.TrimSuffix(s[i+1:], ">")
	}
	switch n := strings.Count(addr, "@"); {
	case s == "":
		return "it is empty"
	case strings.ContainsAny(s, "\r\n"):
		return "it contains a line break"
	case n == 0:
		return "it has no @"
	case n > 1 && !strings.Contains(addr, `"`):
		return "it has more than one @"
	case strings.HasPrefix(addr, "@"):
		return "there is nothing before the @"
	case strings.HasSuffix(addr, "@"):
		return "there is nothing after the @"
	case strings.ContainsAny(strings.TrimSpace(addr), " \t") && !strings.Contains(addr, `"`):
		return "it contains a space"
	}
	return ""
}

func plainParseError(s string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "mail: ")
	switch {
	case strings.Contains(msg, "angle-addr"):
		return "it is not of the form name@example.org"
	case strings.Contains(msg, "unclosed"):
		return "a quote or bracket is not closed"
	}
	return msg
}

// check validates an address given as a struct, as the parser does for text.
func (a Address) check(field string) error {
	if strings.ContainsAny(a.Name, "\r\n") {
		return &InputError{Field: field, Value: a.Name, Reason: "the name contains a line break"}
	}
	at := strings.LastIndex(a.Email, "@")
	if reason := quickAddressProblem(a.Email); reason != "" || at < 0 {
		if reason == "" {
			reason = "it has no @"
		}
		return &InputError{Field: field, Value: a.Email, Reason: reason}
	}
	if _, err := netmail.ParseAddress("<" + a.Email + ">"); err != nil {
		return &InputError{Field: field, Value: a.Email, Reason: plainParseError(a.Email, err)}
	}
	domain := a.Email[at+1:]
	if strings.HasPrefix(domain, "[") {
		return nil // an address literal, such as [192.0.2.1]
	}
	if !strings.Contains(strings.Trim(domain, "."), ".") {
		return &InputError{Field: field, Value: a.Email, Reason: fmt.Sprintf("the domain %q is incomplete; it needs a dot, as in example.org", domain)}
	}
	if _, err := idnaProfile.ToASCII(domain); err != nil {
		return &InputError{Field: field, Value: a.Email, Reason: fmt.Sprintf("%q is not a valid domain name", domain)}
	}
	return nil
}

// ASCIIEmail is the address with its domain in A-labels, as SMTP and
// headers carry it. The local part is kept: a non-ASCII one needs SMTPUTF8.
func (a Address) ASCIIEmail() (string, error) {
	at := strings.LastIndex(a.Email, "@")
	if at < 0 {
		return "", &InputError{Field: "address", Value: a.Email, Reason: "it has no @"}
	}
	domain := a.Email[at+1:]
	if strings.HasPrefix(domain, "[") {
		return a.Email, nil
	}
	ascii, err := idnaProfile.ToASCII(domain)
	if err != nil {
		return "", &InputError{Field: "address", Value: a.Email, Reason: fmt.Sprintf("%q is not a valid domain name", domain)}
	}
	return a.Email[:at+1] + ascii, nil
}

// needsSMTPUTF8 reports whether the local part is not ASCII (RFC 6531).
func (a Address) needsSMTPUTF8() bool {
	at := strings.LastIndex(a.Email, "@")
	return at >= 0 && !isASCII(a.Email[:at])
}

// String formats the address for a header: the name as an RFC 2047
// encoded word when it is not ASCII, quoted when it has special
// characters.
func (a Address) String() string {
	email, err := a.ASCIIEmail()
	if err != nil {
		email = a.Email
	}
	return (&netmail.Address{Name: a.Name, Address: email}).String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
