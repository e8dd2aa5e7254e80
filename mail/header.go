package mail

import (
	"encoding/base64"
	"fmt"
	netmail "net/mail"
	"strings"
	"unicode/utf8"
)

// maxWordLen bounds one RFC 2047 encoded word. RFC 2047 §2 allows 75
// characters; shorter words let go-message fold every header line within
// 78 characters even after a long field name, because the words are
// separated by spaces it can fold at.
const maxWordLen = 56

// encodeWords returns s as it may stand in an unstructured header such as
// Subject (RFC 5322 §3.2.5): unchanged when it is printable ASCII, else as
// a run of RFC 2047 encoded words split on whole characters.
func encodeWords(s string) string {
	if isPlainHeaderText(s) {
		return s
	}
	useB := asciiShare(s) < 0.6
	var words []string
	var chunk strings.Builder
	for _, r := range s {
		candidate := chunk.String() + string(r)
		if chunk.Len() > 0 && encodedLen(candidate, useB) > maxWordLen {
			words = append(words, encodeWord(chunk.String(), useB))
			chunk.Reset()
		}
		chunk.WriteRune(r)
	}
	if chunk.Len() > 0 {
		words = append(words, encodeWord(chunk.String(), useB))
	}
	return strings.Join(words, " ")
}

// isPlainHeaderText reports whether s can stand in a header as it is:
// printable ASCII that does not look like an encoded word.
func isPlainHeaderText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return !strings.Contains(s, "=?")
}

func asciiShare(s string) float64 {
	ascii, total := 0, 0
	for _, r := range s {
		total++
		if r < utf8.RuneSelf {
			ascii++
		}
	}
	if total == 0 {
		return 1
	}
	return float64(ascii) / float64(total)
}

const wordOverhead = len("=?utf-8?q??=")

func encodedLen(s string, useB bool) int {
	if useB {
		return wordOverhead + base64.StdEncoding.EncodedLen(len(s))
	}
	n := wordOverhead
	for i := 0; i < len(s); i++ {
		if qSafe(s[i]) {
			n++
		} else {
			n += 3
		}
	}
	return n
}

func encodeWord(s string, useB bool) string {
	if useB {
		return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
	}
	var b strings.Builder
	b.WriteString("=?utf-8?q?")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			b.WriteByte('_')
		case qSafe(c):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

// qSafe lists the characters RFC 2047 §5(3) allows unencoded in a
// "Q"-encoded word that may appear in a phrase.
func qSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

// formatAddress formats one mailbox for a header: "name <addr>", with a
// non-ASCII name as encoded words and a name with special characters
// quoted (RFC 5322 §3.4).
func formatAddress(a Address) (string, error) {
	email, err := a.ASCIIEmail()
	if err != nil {
		return "", err
	}
	if a.Name == "" {
		return "<" + email + ">", nil
	}
	if !isASCII(a.Name) {
		return encodeWords(a.Name) + " <" + email + ">", nil
	}
	// net/mail quotes an ASCII name exactly when RFC 5322 needs it.
	return (&netmail.Address{Name: a.Name, Address: email}).String(), nil
}

func formatAddressList(list []Address) (string, error) {
	parts := make([]string, len(list))
	for i, a := range list {
		s, err := formatAddress(a)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return strings.Join(parts, ", "), nil
}

// checkHeaderText refuses a line break in a value bound for a header:
// it would end the header and let the value write headers of its own.
func checkHeaderText(field, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return &InputError{Field: field, Value: value, Reason: "it contains a line break, which a header cannot hold"}
	}
	if strings.ContainsRune(value, 0) {
		return &InputError{Field: field, Value: value, Reason: "it contains a NUL character"}
	}
	return nil
}
