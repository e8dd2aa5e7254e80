package mail

import (
	netmail "net/mail"
	"net/netip"
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

// Limits from RFC 5321 §4.5.3.1: servers need not accept longer addresses.
const (
	maxLocalPart = 64
	maxAddress   = 254 // a 256-octet path minus its angle brackets
)

// idnaProfile converts a domain to A-labels as a resolver looks it up (UTS
// 46 nontransitional mapping, RFC 5891 §5): it maps case and width, and
// rejects labels that cannot be a host name, empty labels and names too
// long for DNS.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

// ParseAddress reads one address as people write it: "anna@example.org",
// "Anna Lind <anna@example.org>", "<anna@example.org>", or with the
// "mailto:" of a copied link.
func ParseAddress(s string) (Address, error) {
	return parseAddress("", s)
}

// ParseAddressList reads addresses separated by commas, semicolons or line
// breaks, as typed or pasted from another program. Empty entries (a
// trailing comma) are skipped, and "Lind, Anna <anna@example.org>", as
// some programs copy a name, is one address.
func ParseAddressList(s string) ([]Address, error) {
	var list []Address
	parts := splitAddressList(s)
	for i := 0; i < len(parts); i++ {
		if i+1 < len(parts) && isNameFragment(parts[i]) {
			if next, err := parseAddress("", parts[i+1]); err == nil && next.Name != "" {
				next.Name = parts[i] + ", " + next.Name
				list = append(list, next)
				i++
				continue
			}
		}
		a, err := parseAddress("", parts[i])
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, nil
}

// isNameFragment reports whether part looks like the surname of a "Lind,
// Anna <…>" entry that the split cut in two.
func isNameFragment(part string) bool {
	return !strings.ContainsAny(part, "@<>\"()") && !headerTextProblem(part).found()
}

// splitAddressList splits at commas, semicolons and line breaks that are
// outside quoted names, comments and angle brackets.
func splitAddressList(s string) []string {
	var parts []string
	start, comment := 0, 0
	inQuotes, inAngle, escaped := false, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && (inQuotes || comment > 0):
			escaped = true
		case c == '"' && comment == 0:
			inQuotes = !inQuotes
		case inQuotes:
		case c == '(':
			comment++
		case c == ')' && comment > 0:
			comment--
		case comment > 0:
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

func parseAddress(field, s string) (Address, error) {
	s = strings.TrimSpace(s)
	if len(s) > len("mailto:") && strings.EqualFold(s[:len("mailto:")], "mailto:") {
		s = s[len("mailto:"):]
	}
	fail := func(p problem) (Address, error) { return Address{}, p.in(field, s) }
	switch {
	case s == "":
		return Address{}, &InputError{Field: field, Problem: InputMissing}
	case strings.ContainsAny(s, "\r\n"):
		return fail(problem{kind: InputLineBreak})
	case !utf8.ValidString(s):
		return fail(problem{kind: InputInvalidText})
	case isNameWithoutBrackets(s):
		return fail(problem{kind: InputNameWithoutBrackets})
	}
	if p := addrSpecProblem(angleContent(s)); p.found() {
		return fail(p)
	}
	parsed, err := netmail.ParseAddress(s)
	if err != nil {
		return fail(parseProblem(err))
	}
	a := Address{Name: parsed.Name, Email: parsed.Address}
	if err := a.check(field); err != nil {
		err.(*InputError).Value = s
		return Address{}, err
	}
	return a, nil
}

// isNameWithoutBrackets recognises "Anna Lind anna@example.org". With
// two words, "bob smith@example.org" is more likely a typo.
func isNameWithoutBrackets(s string) bool {
	words := strings.Fields(s)
	last := len(words) - 1
	return last > 1 && !strings.ContainsAny(s, `<>"()`) &&
		strings.Contains(words[last], "@") && !strings.Contains(strings.Join(words[:last], ""), "@")
}

// angleContent is the part of s in angle brackets, or all of s.
func angleContent(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		return strings.TrimSuffix(strings.TrimSpace(s[i+1:]), ">")
	}
	return s
}

// addrSpecShapeProblem catches the common typing mistakes with a clearer
// reason than the parser gives.
func addrSpecShapeProblem(addr string) problem {
	addr = strings.TrimSpace(addr)
	switch n := strings.Count(addr, "@"); {
	case addr == "":
		return problem{kind: InputMissing}
	case n == 0:
		return problem{kind: InputNoAt}
	case n > 1 && !strings.Contains(addr, `"`):
		return problem{kind: InputSeveralAt}
	case strings.HasPrefix(addr, "@"):
		return problem{kind: InputNothingBeforeAt}
	case strings.HasSuffix(addr, "@"):
		return problem{kind: InputNothingAfterAt}
	case strings.ContainsAny(addr, " \t") && !strings.Contains(addr, `"`):
		return problem{kind: InputSpace}
	}
	return problem{}
}

// parseProblem classifies a net/mail error.
func parseProblem(err error) problem {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unclosed"):
		return problem{kind: InputUnclosed}
	case strings.Contains(msg, "expected single address"), strings.Contains(msg, "expected comma"):
		return problem{kind: InputSeveralAddresses}
	}
	return problem{kind: InputNotAnAddress}
}

// check validates an address however it was made: parsed, or filled in by
// a program.
func (a Address) check(field string) error {
	if a.Email == "" {
		if a.Name == "" {
			return &InputError{Field: field, Problem: InputMissing}
		}
		return problem{kind: InputOnlyName}.in(field, a.display())
	}
	if p := headerTextProblem(a.Name); p.found() {
		err := p.in(field, a.display())
		err.InName = true
		return err
	}
	if p := addrSpecProblem(a.Email); p.found() {
		return p.in(field, a.display())
	}
	return nil
}

// addrSpecProblem says what is wrong with an address without its name, or
// "" when it can be sent to.
func addrSpecProblem(email string) problem {
	if p := headerTextProblem(email); p.found() {
		return p
	}
	if p := addrSpecShapeProblem(email); p.found() {
		return p
	}
	at := strings.LastIndexByte(email, '@')
	if p := localPartProblem(email[:at]); p.found() {
		return p
	}
	domain, p := asciiDomain(email[at+1:])
	if p.found() {
		return p
	}
	if len(email[:at+1])+len(domain) > maxAddress {
		return problem{kind: InputTooLong, limit: maxAddress}
	}
	return problem{}
}

// display is the address as the user would recognise it in an error.
func (a Address) display() string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// localPartProblem requires a dot-atom (RFC 5322 §3.4.1, with RFC 6532's
// UTF-8). A quoted local part is valid but so rarely accepted by servers
// that a user who typed one has almost certainly made a mistake.
func localPartProblem(local string) problem {
	if len(local) > maxLocalPart {
		return problem{kind: InputLocalPartTooLong, limit: maxLocalPart}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return problem{kind: InputLocalPartDots}
	}
	for _, r := range local {
		if r != '.' && !isAtext(r) {
			return problem{kind: InputLocalPartChar, detail: describeRune(r)}
		}
	}
	return problem{}
}

// isAtext reports whether r may appear in an atom (RFC 5322 §3.2.3), where
// RFC 6532 §3.2 adds every non-ASCII character.
func isAtext(r rune) bool {
	switch {
	case r >= utf8.RuneSelf:
		return r != utf8.RuneError
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// describeRune names r for InputError.Detail: CharSpace, CharQuote,
// CharControl, or the character itself.
func describeRune(r rune) string {
	switch r {
	case ' ':
		return CharSpace
	case '"':
		return CharQuote
	}
	if r < ' ' || r == 0x7f {
		return CharControl
	}
	return string(r)
}

// addrSpec is the address as headers and SMTP carry it: the local part as
// written and the domain in A-labels (RFC 5890 §2.3.2.1). A non-ASCII local
// part stays and makes the message need SMTPUTF8.
func (a Address) addrSpec() (string, problem) {
	at := strings.LastIndexByte(a.Email, '@')
	if at < 0 {
		return "", problem{kind: InputNoAt}
	}
	domain, p := asciiDomain(a.Email[at+1:])
	if p.found() {
		return "", p
	}
	return a.Email[:at+1] + domain, problem{}
}

// asciiDomain checks a domain and converts it to A-labels. An ASCII domain
// is kept as written. A domain literal must hold an IPv4 address (RFC 5321
// §4.1.3); net/mail does not read the IPv6 form.
func asciiDomain(domain string) (string, problem) {
	fail := func(kind InputProblem) (string, problem) { return "", problem{kind: kind, detail: domain} }
	if strings.HasPrefix(domain, "[") {
		literal := strings.TrimSuffix(domain[1:], "]")
		if ip, err := netip.ParseAddr(literal); err != nil || !ip.Is4() || !strings.HasSuffix(domain, "]") {
			return fail(InputDomainNotIP)
		}
		return domain, problem{}
	}
	ascii, err := idnaProfile.ToASCII(domain)
	switch {
	case strings.HasSuffix(ascii, "."):
		// DNS allows it; RFC 5321 §4.1.2's Domain does not.
		return fail(InputDomainTrailingDot)
	case err != nil:
		return fail(InputDomainInvalid)
	case !strings.Contains(ascii, "."):
		return fail(InputDomainIncomplete)
	case isASCII(domain):
		return domain, problem{}
	}
	return ascii, problem{}
}

// needsSMTPUTF8 reports whether the local part is not ASCII (RFC 6531 §3.3):
// only then must the server accept UTF-8 in the envelope and the headers.
func (a Address) needsSMTPUTF8() bool {
	at := strings.LastIndexByte(a.Email, '@')
	return at >= 0 && !isASCII(a.Email[:at])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
