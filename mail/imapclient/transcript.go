package imapclient

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// transcript turns the bytes of both directions into lines for
// Config.Transcript, "C: " for what Postie sent and "S: " for the server,
// without secrets:
//
//   - after LOGIN (RFC 9051 §6.2.3) and AUTHENTICATE (§6.2.2), the
//     command's arguments, its initial response and every line Postie
//     sends until the server's tagged answer are replaced: a user name
//     sent as a literal (not ASCII) puts the password on a line of its
//     own;
//   - literals (the message of an APPEND, a password sent as a literal,
//     a message fetched) are shown as their size, never their bytes;
//   - every known secret (the password, the token and their SASL
//     encodings) is replaced wherever it would still appear.
type transcript struct {
	out func(line string)

	mu       sync.Mutex
	scrub    *strings.Replacer
	inAuth   bool // between LOGIN or AUTHENTICATE and its tagged answer
	fromUs   direction
	fromPeer direction
}

// direction assembles the lines of one direction.
type direction struct {
	prefix  string
	line    []byte
	literal int64 // bytes of a literal still to skip
}

const redacted = "[redacted]"

var literalAtEnd = regexp.MustCompile(`\{(\d+)\+?\}$`)

func newTranscript(out func(string)) *transcript {
	return &transcript{out: out, scrub: strings.NewReplacer(), fromUs: direction{prefix: "C: "}, fromPeer: direction{prefix: "S: "}}
}

// secrets sets the strings never to show.
func (t *transcript) secrets(s ...string) {
	if t == nil {
		return
	}
	var pairs []string
	for _, v := range s {
		if v != "" {
			pairs = append(pairs, v, redacted)
		}
	}
	t.mu.Lock()
	t.scrub = strings.NewReplacer(pairs...)
	t.mu.Unlock()
}

// note adds a line of Postie's own, such as the start of TLS.
func (t *transcript) note(line string) {
	if t == nil || t.out == nil {
		return
	}
	t.out("-- " + line)
}

func (t *transcript) client(b []byte) { t.feed(&t.fromUs, b) }
func (t *transcript) server(b []byte) { t.feed(&t.fromPeer, b) }

func (t *transcript) feed(d *direction, b []byte) {
	if t == nil || t.out == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(b) > 0 {
		if d.literal > 0 {
			n := min(int64(len(b)), d.literal)
			d.literal -= n
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(d.line) < 64<<10 { // a line is never longer; keep memory bounded
				d.line = append(d.line, b...)
			}
			return
		}
		d.line = append(d.line, b[:i]...)
		b = b[i+1:]
		line := strings.TrimSuffix(string(d.line), "\r")
		d.line = d.line[:0]
		if m := literalAtEnd.FindStringSubmatch(line); m != nil {
			d.literal, _ = strconv.ParseInt(m[1], 10, 64)
			line += fmt.Sprintf(" (%s bytes follow, not shown)", m[1])
		}
		if line == "" {
			continue
		}
		t.out(d.prefix + t.scrub.Replace(t.redact(d, line)))
	}
}

// redact applies the rules of the sign-in commands to one line.
func (t *transcript) redact(d *direction, line string) string {
	fields := strings.SplitN(line, " ", 4)
	if d == &t.fromPeer {
		if len(fields) >= 2 && fields[0] != "*" && fields[0] != "+" {
			t.inAuth = false // a tagged answer ends AUTHENTICATE
		}
		return line
	}
	if t.inAuth {
		return redacted
	}
	if len(fields) >= 2 {
		switch strings.ToUpper(fields[1]) {
		case "LOGIN":
			t.inAuth = true
			return fields[0] + " LOGIN " + redacted
		case "AUTHENTICATE":
			t.inAuth = true
			if len(fields) >= 4 {
				return fields[0] + " AUTHENTICATE " + fields[2] + " " + redacted
			}
		}
	}
	return line
}
