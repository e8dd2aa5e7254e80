// Package mailto parses mailto: links (RFC 6068) into the fields of a new
// message, for links clicked in a browser or handed over by the desktop.
//
// A link comes from an untrusted web page, so only the fields a person can
// see and change in the composer are taken (to, cc, bcc, subject and body);
// any other header, such as From, Content-Type, In-Reply-To or References,
// is ignored rather than obeyed. Header values never carry a line break,
// and an address field never hides an address after one: every recipient
// stays visible in a single-line field.
package mailto

import (
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// Link is what a mailto: link asks for. Each address field is a list as
// written, comma-separated, for the composer's field to parse and check
// like anything typed there; the body keeps its line breaks.
//
// There is no In-Reply-To or References: the composer does not show them,
// so a link could otherwise thread the message into a conversation the user
// never sees.
type Link struct {
	To, Cc, Bcc string
	Subject     string
	Body        string
}

// Parse reads a mailto: URI. It accepts what RFC 6068 §2 allows, including
// percent-encoded addresses and an empty address part ("mailto:?to=…").
func Parse(raw string) (*Link, error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(raw), ":")
	if !ok || !strings.EqualFold(scheme, "mailto") {
		return nil, fmt.Errorf("%q is not a mailto: link", raw)
	}
	// A fragment has no meaning in mailto (RFC 6068 §2); drop it.
	rest, _, _ = strings.Cut(rest, "#")
	addrPart, query, _ := strings.Cut(rest, "?")

	link := &Link{}
	// Unlike a web form, "+" is a plus sign in a mailto: link (RFC 6068 §5),
	// so PathUnescape, not QueryUnescape.
	to, err := url.PathUnescape(addrPart)
	if err != nil {
		return nil, fmt.Errorf("the addresses in the mailto: link are garbled: %w", err)
	}
	addToList(&link.To, to)

	if query == "" {
		return link, nil
	}
	for _, field := range strings.Split(query, "&") {
		if field == "" {
			continue
		}
		name, value, _ := strings.Cut(field, "=")
		name, err := url.PathUnescape(name)
		if err != nil {
			return nil, fmt.Errorf("the mailto: link has a garbled field name: %w", err)
		}
		value, err = url.PathUnescape(value)
		if err != nil {
			return nil, fmt.Errorf("the %q field of the mailto: link is garbled: %w", name, err)
		}
		link.set(strings.ToLower(name), value)
	}
	return link, nil
}

// set applies one hfield. Repeated address fields add up; repeated text
// fields keep the last value, as most mail programs do.
func (l *Link) set(name, value string) {
	switch name {
	case "to":
		addToList(&l.To, value)
	case "cc":
		addToList(&l.Cc, value)
	case "bcc":
		addToList(&l.Bcc, value)
	case "subject":
		l.Subject = oneLine(decodeWords(value))
	case "body":
		l.Body = value
	}
}

// addToList appends addresses to a comma-separated list. A single-line
// field shows only what comes before a line break, yet the address parser
// splits there too, so a break would hide a recipient who still receives
// the message ("bcc=%0Aspy@example.org"). Breaks and tabs therefore become
// the ", " separator the user can see.
func addToList(list *string, addresses string) {
	for _, piece := range strings.FieldsFunc(addresses, isLineBreakOrTab) {
		// A comma or semicolon next to a break is the same separator again.
		if piece = strings.Trim(piece, " ,;"); piece == "" {
			continue
		}
		if *list != "" {
			*list += ", "
		}
		*list += piece
	}
}

// isLineBreakOrTab matches the characters a one-line field cannot show as
// what they are: line and paragraph breaks of every kind, and tabs.
func isLineBreakOrTab(r rune) bool {
	switch r {
	case '\r', '\n', '\t', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// decodeWords decodes RFC 2047 encoded words that some pages put in the
// subject (RFC 6068 §2 allows them); text that is not valid encoding is kept
// as written.
func decodeWords(s string) string {
	decoded, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return decoded
}

// oneLine turns line breaks into spaces: a header value must be one line,
// and a link must not be able to add headers of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
