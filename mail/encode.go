package mail

import (
	"encoding/base64"
	"io"
	"strings"
)

// upperHex spells the hex digits that quoted-printable, RFC 2047 "Q" words
// and RFC 2231 percent-encoding use: upper case, as they require or advise.
const upperHex = "0123456789ABCDEF"

// normalizeNewlines turns every line ending (CRLF, bare CR, bare LF) into
// CRLF, so that no bare CR or LF reaches the wire.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// nextLine splits off the first line of s at CRLF, bare CR or bare LF,
// which all count as one line ending. broken reports whether a line
// ending followed.
func nextLine(s string) (line, rest string, broken bool) {
	i := strings.IndexAny(s, "\r\n")
	if i < 0 {
		return s, "", false
	}
	if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
		return s[:i], s[i+2:], true
	}
	return s[:i], s[i+1:], true
}

// qpLineLen is RFC 2045 §6.7 rule 5's limit on an encoded line, CRLF not
// counted.
const qpLineLen = 76

// writeQuotedPrintable writes text as quoted-printable (RFC 2045 §6.7) with
// every line ending, bare CR and bare LF included, as a CRLF line break.
// Beyond the RFC it encodes a "." that begins a line, so that no line is a
// lone "." that an SMTP server or a careless relay could take for the end
// of the data (RFC 5321 §4.5.2), and an "F" that begins "From ", which mbox
// files would otherwise mangle (RFC 4155). Text that does not end in a line
// break ends in a soft line break, so that the last line too ends in CRLF
// without adding a line to the text.
func writeQuotedPrintable(w io.Writer, text string) error {
	buf := make([]byte, 0, 4096)
	for text != "" {
		var line string
		var broken bool
		line, text, broken = nextLine(text)
		buf = appendQPLine(buf, line)
		if broken {
			buf = append(buf, '\r', '\n')
		} else if line != "" {
			buf = append(buf, '=', '\r', '\n')
		}
		if len(buf) >= 4096-3*qpLineLen {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

// appendQPLine encodes one line of text, without its line ending, adding
// soft line breaks so that no encoded line exceeds 76 characters.
func appendQPLine(dst []byte, line string) []byte {
	col := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		literal := qpLiteral(line, i, col)
		width := 3
		if literal {
			width = 1
		}
		// Leave room for the "=" of a soft break, which the end of the
		// text needs too.
		if col+width > qpLineLen-1 {
			dst = append(dst, '=', '\r', '\n')
			col = 0
			if literal = qpLiteral(line, i, col); !literal {
				width = 3
			}
		}
		if literal {
			dst = append(dst, c)
		} else {
			dst = append(dst, '=', upperHex[c>>4], upperHex[c&0xf])
		}
		col += width
	}
	return dst
}

// qpLiteral reports whether line[i] may be written as it is at column col.
func qpLiteral(line string, i, col int) bool {
	switch c := line[i]; {
	case c == ' ' || c == '\t':
		return i < len(line)-1 // trailing white space would be lost (rule 3)
	case c == '.' && col == 0:
		return false
	case c == 'F' && col == 0:
		return !strings.HasPrefix(line[i:], "From ")
	default:
		return c > ' ' && c <= '~' && c != '='
	}
}

// base64LineBytes is how many input bytes make one 76-character line of
// base64 (RFC 2045 §6.8).
const base64LineBytes = 57

// base64Len is exactly how many bytes writeBase64 writes for n bytes of
// content: 76 characters a line, each line ending in CRLF.
func base64Len(n int64) int64 {
	chars := (n + 2) / 3 * 4
	lines := (n + base64LineBytes - 1) / base64LineBytes
	return chars + 2*lines
}

// writeBase64 copies r to w in base64 (RFC 2045 §6.8), 76 characters and a
// CRLF a line. It reads and writes in fixed chunks, so memory does not
// depend on the content's size. A read error comes back as readErr, a
// write error as writeErr.
func writeBase64(w io.Writer, r io.Reader) (readErr, writeErr error) {
	const linesPerChunk = 512
	in := make([]byte, base64LineBytes*linesPerChunk)
	out := make([]byte, (76+2)*linesPerChunk)
	for {
		n, err := io.ReadFull(r, in)
		o := 0
		for i := 0; i < n; i += base64LineBytes {
			line := in[i:min(i+base64LineBytes, n)]
			base64.StdEncoding.Encode(out[o:], line)
			o += base64.StdEncoding.EncodedLen(len(line))
			out[o], out[o+1] = '\r', '\n'
			o += 2
		}
		if _, err := w.Write(out[:o]); err != nil {
			return nil, err
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil, nil
		default:
			return err, nil
		}
	}
}

// countingWriter counts what reaches w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
