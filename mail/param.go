package mail

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// paramTokens formats one MIME parameter (RFC 2045 §5.1) as header tokens,
// each but the last ending in ";" by the caller's join. A short value of
// printable ASCII is a token or a quoted string. Anything else uses RFC
// 2231: percent-encoded UTF-8 (§4) in numbered continuations (§3) that
// fold like words, each holding whole characters. RFC 2047 encoded words
// are not allowed inside parameters (RFC 2047 §5), and readers that do not
// expect them show them as garbage.
func paramTokens(name, value string) []string {
	if isToken(value) && len(name)+1+len(value) <= maxWordLen {
		return []string{name + "=" + value}
	}
	if quoted := name + "=" + quoteString(value); isPlainParam(value) && len(quoted) <= maxWordLen {
		return []string{quoted}
	}
	encoded := "utf-8''" + percentEncode(value)
	segment := maxWordLen - len(name) - len("*99*=;")
	if len(encoded) <= segment+len("99") {
		return []string{name + "*=" + encoded}
	}
	// Readers such as Python's email package decode each segment on its
	// own, so a segment ends only between whole UTF-8 characters.
	var tokens []string
	current := "utf-8''"
	for i := 0; i < len(value); {
		_, size := utf8.DecodeRuneInString(value[i:])
		char := percentEncode(value[i : i+size])
		if len(current)+len(char) > segment && current != "utf-8''" && current != "" {
			tokens = append(tokens, name+"*"+strconv.Itoa(len(tokens))+"*="+current)
			current = ""
		}
		current += char
		i += size
	}
	return append(tokens, name+"*"+strconv.Itoa(len(tokens))+"*="+current)
}

// isPlainParam reports whether value can be a quoted string that every
// reader takes literally.
func isPlainParam(value string) bool {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// percentEncode applies RFC 2231 §4's encoding: attribute-chars stay,
// every other byte of the UTF-8 becomes %XX.
func percentEncode(s string) string {
	b := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		if c := s[i]; isAttributeChar(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return string(b)
}

// isToken reports whether value is an RFC 2045 §5.1 token, which needs no
// quotes.
func isToken(value string) bool {
	for i := 0; i < len(value); i++ {
		if c := value[i]; !isAttributeChar(c) && c != '*' && c != '\'' && c != '%' {
			return false
		}
	}
	return value != ""
}

// isAttributeChar follows RFC 2231 §7: a token character (RFC 2045 §5.1)
// other than "*", "'" and "%".
func isAttributeChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte(`()<>@,;:\"/[]?=*'%`, c) < 0
}

// joinParams separates the parameter tokens of a Content-Type or
// Content-Disposition value with semicolons.
func joinParams(value string, params ...[]string) []string {
	tokens := []string{value}
	for _, p := range params {
		for _, t := range p {
			tokens[len(tokens)-1] += ";"
			tokens = append(tokens, t)
		}
	}
	return tokens
}
