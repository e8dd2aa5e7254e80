package mail

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// Header lines are folded to stay within 78 characters (RFC 5322 §2.1.1).
// Every value is built from tokens that are at most a few dozen characters
// long (addresses and message identifiers at most a few hundred), so no
// line comes near the hard limit of 998.
const (
	foldAt = 78

	// maxWordLen bounds an RFC 2047 encoded word (§2 allows 75) and a plain
	// word, so that "Reply-To: " and one word fit on a line.
	maxWordLen = 66
)

// field is one header field, its value a list of tokens separated by single
// spaces. Folding happens only between tokens, so unfolding (RFC 5322
// §2.2.3) gives back exactly the tokens joined by spaces: no reader sees a
// space that was not meant.
type field struct {
	name   string
	tokens []string
}

// fold formats the field as it is written: "Name: value", CRLF, with a CRLF
// inserted before a token's space wherever the line would otherwise grow
// past 78 characters.
func (f field) fold() []byte {
	b := make([]byte, 0, len(f.name)+2+len(f.tokens)*16)
	b = append(b, f.name...)
	b = append(b, ':')
	lineLen := len(b)
	for i, t := range f.tokens {
		if i > 0 && lineLen+1+len(t) > foldAt {
			b = append(b, '\r', '\n')
			lineLen = 0
		}
		b = append(b, ' ')
		b = append(b, t...)
		lineLen += 1 + len(t)
	}
	return append(b, '\r', '\n')
}

// makeHeader turns fields into a go-message header that writes them in
// order, exactly as fold formatted them.
func makeHeader(fields []field) textproto.Header {
	var h textproto.Header
	// go-message writes the field added last first.
	for i := len(fields) - 1; i >= 0; i-- {
		h.AddRaw(fields[i].fold())
	}
	return h
}

// textTokens formats unstructured text such as a subject (RFC 5322
// §3.2.5). Short words of printable ASCII separated by single spaces are
// written as they are. Anything else becomes RFC 2047 encoded words, which
// every reader decodes to exactly the text: non-ASCII characters, but also
// runs of spaces and very long words, which some readers would change when
// they unfold the line.
func textTokens(s string) []string {
	if s == "" {
		return nil
	}
	if words, ok := plainWords(s); ok {
		return words
	}
	return encodeWords(s)
}

// plainWords splits s at single spaces if it can stand in a header as it is.
func plainWords(s string) ([]string, bool) {
	if strings.Contains(s, "=?") {
		return nil, false // it would be decoded as an encoded word
	}
	words := strings.Split(s, " ")
	for _, w := range words {
		if w == "" || len(w) > maxWordLen {
			return nil, false
		}
		for i := 0; i < len(w); i++ {
			if w[i] <= ' ' || w[i] > '~' {
				return nil, false
			}
		}
	}
	return words, true
}

// encodeWords writes s as RFC 2047 encoded words of at most maxWordLen
// characters, each holding whole UTF-8 characters (RFC 2047 §5(3)), so
// that a long subject folds between words like any other. B encoding is
// shorter for mostly non-Latin text, Q is more readable for the rest.
func encodeWords(s string) []string {
	useB := asciiShare(s) < 0.6
	var words []string
	start, qLen := 0, 0 // the current word's first byte and its Q-encoded length
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		n := qLen + qEncodedLen(s[i:i+size])
		if useB {
			n = base64.StdEncoding.EncodedLen(i + size - start)
		}
		if i > start && wordOverhead+n > maxWordLen {
			words = append(words, encodeWord(s[start:i], useB))
			start, qLen = i, 0
			continue // the character starts the next word
		}
		qLen += qEncodedLen(s[i : i+size])
		i += size
	}
	return append(words, encodeWord(s[start:], useB))
}

const wordOverhead = len("=?utf-8?q??=")

// qEncodedLen is how long s is in a Q-encoded word.
func qEncodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if qSafe(s[i]) || s[i] == ' ' {
			n++
		} else {
			n += 3
		}
	}
	return n
}

func asciiShare(s string) float64 {
	ascii, total := 0, 0
	for _, r := range s {
		total++
		if r < utf8.RuneSelf {
			ascii++
		}
	}
	return float64(ascii) / float64(total)
}

func encodeWord(s string, useB bool) string {
	if useB {
		return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	b := make([]byte, 0, wordOverhead+3*len(s))
	b = append(b, "=?utf-8?q?"...)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			b = append(b, '_')
		case qSafe(c):
			b = append(b, c)
		default:
			b = append(b, '=', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return string(append(b, "?="...))
}

// qSafe lists the characters RFC 2047 §5(3) allows unencoded in a
// Q-encoded word that stands in a phrase, the strictest context.
func qSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

// phraseTokens formats a display name (RFC 5322 §3.2.5 phrase): atoms as
// they are, a short ASCII name with special characters as one quoted
// string, anything else as encoded words.
func phraseTokens(name string) []string {
	if words, ok := plainWords(name); ok {
		if isAtomText(name) {
			return words
		}
		if quoted := quoteString(name); len(quoted) <= maxWordLen {
			return []string{quoted}
		}
	}
	return encodeWords(name)
}

// isAtomText reports whether s is atoms separated by spaces.
func isAtomText(s string) bool {
	for _, r := range s {
		if r != ' ' && (r >= utf8.RuneSelf || !isAtext(r)) {
			return false
		}
	}
	return true
}

// quoteString makes an RFC 5322 §3.2.4 quoted string.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// addressListTokens formats mailboxes for From, To, Cc or Reply-To (RFC 5322
// §3.4), separated by commas.
func addressListTokens(list []Address) ([]string, error) {
	var tokens []string
	for i, a := range list {
		spec, p := a.addrSpec()
		if p.found() {
			return nil, p.in("", a.display())
		}
		if a.Name != "" {
			tokens = append(tokens, phraseTokens(a.Name)...)
		}
		tokens = append(tokens, "<"+spec+">")
		if i < len(list)-1 {
			tokens[len(tokens)-1] += ","
		}
	}
	return tokens, nil
}

// headerTextProblem says why s cannot go into a header, or "". A line
// break would end the header field and let the rest of the value write
// header fields of its own.
func headerTextProblem(s string) problem {
	switch {
	case strings.ContainsAny(s, "\r\n"):
		return problem{kind: InputLineBreak}
	case strings.ContainsRune(s, 0):
		return problem{kind: InputNUL}
	case !utf8.ValidString(s):
		return problem{kind: InputInvalidText}
	}
	return problem{}
}

func checkHeaderText(field, value string) error {
	if p := headerTextProblem(value); p.found() {
		return p.in(field, value)
	}
	return nil
}

// maxMsgIDLen bounds a message identifier, so that References stays far
// from the line limit. Real identifiers are well under 100 characters.
const maxMsgIDLen = 250

// msgIDProblem checks an identifier for Message-ID, In-Reply-To or
// References, given without angle brackets. Ours must follow RFC 5322
// §3.6.4 (id-left "@" id-right); for identifiers copied from other
// messages (strict false), any printable ASCII without spaces and brackets
// is enough, so that a reply to a sloppy mailer can still be sent.
func msgIDProblem(id string, strict bool) problem {
	if p := headerTextProblem(id); p.found() {
		return p
	}
	switch {
	case id == "":
		return problem{kind: InputMissing}
	case len(id) > maxMsgIDLen:
		return problem{kind: InputTooLong, limit: maxMsgIDLen}
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return problem{kind: InputNotIdentifier}
		}
	}
	if !strict {
		return problem{}
	}
	left, right, ok := strings.Cut(id, "@")
	if !ok || !isDotAtom(left) || !(isDotAtom(right) || isDomainLiteral(right)) {
		return problem{kind: InputIdentifierForm}
	}
	return problem{}
}

func isDotAtom(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && (r >= utf8.RuneSelf || !isAtext(r)) {
			return false
		}
	}
	return true
}

func isDomainLiteral(s string) bool {
	return len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' &&
		!strings.ContainsAny(s[1:len(s)-1], "[]\\")
}

// unbracket removes the angle brackets a pasted identifier may carry.
func unbracket(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
}

// splitMsgIDs reads the identifiers in s as a header field (1*msg-id, RFC
// 5322 §3.6.4) or a pasted text holds them: separated by spaces, tabs or
// commas, or by nothing between "><", with or without angle brackets.
func splitMsgIDs(s string) []string {
	var ids []string
	s = strings.ReplaceAll(s, "><", "> <")
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
		ids = append(ids, unbracket(f))
	}
	return ids
}

// msgIDTokens formats the identifiers in values for In-Reply-To or
// References.
func msgIDTokens(values ...string) []string {
	var tokens []string
	for _, v := range values {
		for _, id := range splitMsgIDs(v) {
			tokens = append(tokens, "<"+id+">")
		}
	}
	return tokens
}
