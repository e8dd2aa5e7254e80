package mail

import (
	"fmt"
	"strings"
)

// maxParamSegment bounds one parameter segment, so that with its name
// ("filename*12*=") and the "; " before it a header line stays short.
const maxParamSegment = 60

// formatParam formats a MIME parameter for Content-Type or
// Content-Disposition. A short plain ASCII value is a quoted string; a
// non-ASCII or long value uses RFC 2231: percent-encoded UTF-8 (§4) split
// into numbered continuations (§3), each on its own folded line. RFC 2047
// encoded words are not allowed inside parameters (RFC 2047 §5), and
// readers that do not expect them show them as garbage.
func formatParam(name, value string) string {
	plain := isASCII(value) && !strings.ContainsAny(value, "\"\\%*'") && printable(value)
	if plain && len(name)+len(value)+3 <= maxParamSegment {
		return fmt.Sprintf("%s=%q", name, value)
	}
	var segments []string
	if plain {
		for len(value) > 0 {
			n := min(len(value), maxParamSegment-len(name)-8)
			segments = append(segments, fmt.Sprintf("%q", value[:n]))
			value = value[n:]
		}
		return joinSegments(name, segments, false)
	}
	encoded := percentEncode(value)
	first := "utf-8''"
	for len(encoded) > 0 {
		n := min(len(encoded), maxParamSegment-len(name)-len(first)-6)
		// Never split a %XX escape.
		if i := strings.LastIndexByte(encoded[:n], '%'); i >= 0 && i > n-3 {
			n = i
		}
		segments = append(segments, first+encoded[:n])
		encoded, first = encoded[n:], ""
	}
	return joinSegments(name, segments, true)
}

func joinSegments(name string, segments []string, extended bool) string {
	star := ""
	if extended {
		star = "*"
	}
	if len(segments) == 1 {
		return name + star + "=" + segments[0]
	}
	parts := make([]string, len(segments))
	for i, s := range segments {
		parts[i] = fmt.Sprintf("%s*%d%s=%s", name, i, star, s)
	}
	return strings.Join(parts, "; ")
}

// percentEncode applies RFC 2231 §4's encoding: attribute-chars stay,
// everything else becomes %XX of its UTF-8 bytes.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttributeChar(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// isAttributeChar follows RFC 2231 §7: a token character other than "*",
// "'" and "%" (RFC 2045 §5.1 tspecials excluded).
func isAttributeChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?=*'%", rune(c))
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
