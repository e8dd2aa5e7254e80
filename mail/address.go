package mail

import (
	"fmt"
	"net"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address is one mailbox: an optional display name and the address as the
// user wrote it (the domain may hold Unicode, U-labels). An address that
// needs quotes keeps them, as in "john doe"@example.org.
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
	value := shorten(e.Value)
	switch {
	case e.Field == "attachment":
		return fmt.Sprintf("The attachment %q cannot be sent: %s.", value, e.Reason)
	case e.Value == "":
		return fmt.Sprintf("%s: %s.", e.Field, e.Reason)
	case e.Field == "address":
		return fmt.Sprintf("The address %q is not valid: %s.", value, e.Reason)
	case isAddressField(e.Field):
		return fmt.Sprintf("The address %q in %s is not valid: %s.", value, e.Field, e.Reason)
	}
	return fmt.Sprintf("The %s %q cannot be sent: %s.", e.Field, value, e.Reason)
}

func isAddressField(field string) bool {
	switch field {
	case "From", "To", "Cc", "Bcc", "Reply-To":
		return true
	}
	return false
}

// shorten keeps an error message readable when the value is a pasted page.
func shorten(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// idnaProfile converts domains as a resolver would look them up (UTS 46
// nontransitional mapping, so "faß.de" stays distinct from "fass.de"),
// and refuses what DNS cannot hold.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
	idna.Transitional(false),
	idna.VerifyDNSLength(true),
)

// The limits of RFC 5321 §4.5.3.1 that servers enforce.
const (
	maxLocalPart = 64
	maxEmail     = 254 // a path of 256 octets, less the angle brackets
	maxLabel     = 63
	maxDomain    = 253
)

// ParseAddress reads one address as people write it: "anna@example.org",
// "Anna Lind <anna@example.org>", "<anna@example.org>", or with the
// "mailto:" a copied link has.
func ParseAddress(s string) (Address, error) {
	return parseAddress("address", s)
}

// ParseAddressList reads addresses separated by commas, semicolons or line
// breaks, as typed or pasted from another program. Empty entries (a
// trailing comma) are skipped. A name written "Lind, Anna <anna@…>" without
// quotes, as Outlook copies it, stays one address.
func ParseAddressList(s string) ([]Address, error) {
	var list []Address
	for _, part := range joinSplitNames(splitAddressList(s)) {
		a, err := parseAddress("address", part)
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, nil
}

// splitAddressList splits at commas, semicolons and line breaks that are
// outside quoted names, comments and angle brackets.
func splitAddressList(s string) []string {
	var parts []string
	start, depth := 0, 0
	inQuotes, inAngle, escaped := false, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && (inQuotes || depth > 0):
			escaped = true
		case c == '"' && depth == 0:
			inQuotes = !inQuotes
		case inQuotes:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case !inAngle && strings.IndexByte(",;\r\n", c) >= 0:
			parts = appendNonEmpty(parts, s[start:i])
			start = i + 1
		}
	}
	return appendNonEmpty(parts, s[start:])
}

func appendNonEmpty(parts []string, p string) []string {
	if p = strings.TrimSpace(p); p != "" {
		parts = append(parts, p)
	}
	return parts
}

// joinSplitNames puts back together a name that held a comma without
// quotes: "Lind" followed by "Anna <anna@example.org>" is one address.
func joinSplitNames(parts []string) []string {
	var out []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if i+1 < len(parts) && !strings.ContainsAny(p, `@<>"`) && hasBareName(parts[i+1]) {
			p += ", " + parts[i+1]
			i++
		}
		out = append(out, p)
	}
	return out
}

// hasBareName reports whether s is an unquoted name and an angle address.
func hasBareName(s string) bool {
	i := strings.IndexByte(s, '<')
	return i > 0 && strings.HasSuffix(s, ">") && !strings.ContainsAny(s[:i], `@"`)
}

func parseAddress(field, s string) (Address, error) {
	s = strings.TrimSpace(s)
	if len(s) >= len("mailto:") && strings.EqualFold(s[:len("mailto:")], "mailto:") {
		s = s[len("mailto:"):]
	}
	if s == "" {
		return Address{}, &InputError{Field: field, Reason: "the address is empty"}
	}
	parsed, err := netmail.ParseAddress(s)
	if err != nil {
		parsed, err = parseBareName(s, err)
	}
	if err != nil {
		return Address{}, &InputError{Field: field, Value: s, Reason: addressProblem(s, err)}
	}
	a := Address{Name: parsed.Name, Email: canonicalEmail(parsed.Address)}
	if err := a.check(field); err != nil {
		return Address{}, err
	}
	return a, nil
}

// parseBareName accepts a name that needs quotes but has none, as other
// programs copy them: Lind, Anna <anna@example.org>, or an address used
// as a name. It returns the original error when that does not help.
func parseBareName(s string, original error) (*netmail.Address, error) {
	i := strings.LastIndexByte(s, '<')
	if !hasBareName(s[strings.LastIndexByte(s[:max(i, 0)], '"')+1:]) || i < 0 {
		return nil, original
	}
	name := strings.Trim(strings.TrimSpace(s[:i]), `'`)
	quoted := (&netmail.Address{Name: name, Address: "x@x"}).String()
	quoted = quoted[:strings.LastIndexByte(quoted, '<')]
	parsed, err := netmail.ParseAddress(quoted + s[i:])
	if err != nil {
		return nil, original
	}
	return parsed, nil
}

// canonicalEmail writes an address as RFC 5322 §3.4.1 wants it: net/mail
// returns the local part without its quotes, and puts them back only
// where they are needed.
func canonicalEmail(addr string) string {
	s := (&netmail.Address{Address: addr}).String()
	return s[1 : len(s)-1]
}

// addressProblem says in plain words why the parser refused s. net/mail's
// own errors ("missing '@' or angle-addr") are for programmers, so the
// address is examined part by part first.
func addressProblem(s string, err error) string {
	spec := s
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if !strings.HasSuffix(s, ">") {
			return "the > after the address is missing"
		}
		spec = s[i+1 : len(s)-1]
	} else if fields := strings.Fields(s); len(fields) > 1 && !strings.Contains(s, `"`) &&
		strings.Contains(fields[len(fields)-1], "@") && !strings.Contains(strings.Join(fields[:len(fields)-1], ""), "@") {
		return "a name before the address needs the address in angle brackets, as in Anna Lind <anna@example.org>"
	}
	if reason := emailProblem(spec); reason != "" {
		return reason
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "expected single address"):
		return "it holds more than one address"
	case strings.Contains(msg, "unclosed"):
		return "a quote or bracket is not closed"
	case strings.Contains(msg, "no angle-addr"):
		return "a name before the address needs the address in angle brackets, as in Anna Lind <anna@example.org>"
	}
	return "it is not written like name@example.org"
}

// check validates an address given as a struct, as the parser does for
// text, so a Message built in code is held to the same rules.
func (a Address) check(field string) error {
	if a.Email == "" {
		return &InputError{Field: field, Value: a.Name, Reason: "the address is empty"}
	}
	if strings.ContainsAny(a.Name, "\r\n\x00") {
		return &InputError{Field: field, Value: a.Email, Reason: "its name contains a line break"}
	}
	if reason := emailProblem(a.Email); reason != "" {
		return &InputError{Field: field, Value: a.Email, Reason: reason}
	}
	return nil
}

// emailProblem returns why email (an addr-spec, RFC 5322 §3.4.1) cannot be
// sent to, or "".
func emailProblem(email string) string {
	for _, r := range email {
		switch {
		case r == utf8.RuneError:
			return "it contains a character that is not valid text"
		case r == '\r' || r == '\n':
			return "it contains a line break"
		case r < ' ' || r == 0x7f:
			return "it contains an invisible control character"
		}
	}
	at := strings.LastIndexByte(email, '@')
	switch {
	case at < 0:
		return "it has no @"
	case at == 0:
		return "there is nothing before the @"
	case at == len(email)-1:
		return "there is nothing after the @"
	}
	if reason := localPartProblem(email[:at]); reason != "" {
		return reason
	}
	ascii, reason := domainProblem(email[at+1:])
	switch {
	case reason != "":
		return reason
	case len(email[:at])+1+len(ascii) > maxEmail:
		return fmt.Sprintf("it is longer than the %d characters an address can have", maxEmail)
	}
	if _, err := netmail.ParseAddress("<" + email + ">"); err != nil {
		return "it is not written like name@example.org"
	}
	return ""
}

// localPartProblem checks the part before the @: a dot-atom, or a quoted
// string (RFC 5322 §3.4.1), within RFC 5321's 64 octets.
func localPartProblem(local string) string {
	if len(local) > maxLocalPart {
		return fmt.Sprintf("the part before the @ is longer than %d characters", maxLocalPart)
	}
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		return "" // a quoted string; the parser checks its escapes
	}
	for _, r := range local {
		switch {
		case r == '@':
			return "it has more than one @"
		case r == ' ' || r == '\t':
			return "it contains a space"
		case r != '.' && !isAtext(r):
			return fmt.Sprintf("it contains %q, which cannot be in an address", r)
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "the part before the @ cannot begin or end with a dot, or have two dots in a row"
	}
	return ""
}

// isAtext reports whether r may stand unquoted in an address: RFC 5322
// §3.2.3 atext, extended to all of Unicode by RFC 6532 §3.2.
func isAtext(r rune) bool {
	switch {
	case r >= utf8.RuneSelf:
		return true
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// domainProblem checks the part after the @ and returns it in A-labels
// (RFC 5890 §2.3.2.1), or why it cannot be a domain.
func domainProblem(domain string) (ascii, reason string) {
	if strings.HasPrefix(domain, "[") {
		return domain, literalProblem(domain)
	}
	// UTS 46 §2.3 counts these as dots too.
	labels := strings.FieldsFunc(domain+"x", func(r rune) bool { return strings.ContainsRune(".。．｡", r) })
	dotted := strings.Join(labels, ".")
	dotted = dotted[:len(dotted)-1]
	switch {
	case strings.ContainsAny(domain, " \t"):
		return "", "it contains a space"
	case len(dotted) != len(strings.TrimSuffix(domain, "x")) && strings.Count(dotted, ".") < strings.Count(normalizeDots(domain), "."):
		if strings.HasSuffix(normalizeDots(domain), ".") {
			return "", fmt.Sprintf("the domain %q ends with a dot", domain)
		}
		return "", fmt.Sprintf("the domain %q has an empty part between dots", domain)
	case !strings.Contains(dotted, "."):
		return "", fmt.Sprintf("the domain %q is incomplete; it needs a dot, as in example.org", domain)
	}
	for _, label := range strings.Split(dotted, ".") {
		if reason := labelProblem(domain, label); reason != "" {
			return "", reason
		}
	}
	ascii, err := idnaProfile.ToASCII(domain)
	switch {
	case err != nil:
		return "", fmt.Sprintf("%q is not a valid domain name", domain)
	case len(ascii) > maxDomain:
		return "", fmt.Sprintf("the domain %q is longer than %d characters", domain, maxDomain)
	}
	return ascii, ""
}
