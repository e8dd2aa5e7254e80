package smtpclient

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"time"
)

// wireMode says how wireConn treats the bytes passing through it.
type wireMode int

const (
	modeCommand wireMode = iota // log every line
	modeAuth                    // redact what we send; repair plain-text 334 prompts
	modeBody                    // count only; give each write its own deadline
)

// wireConn is the connection go-smtp talks through. It sits above TLS, so it
// sees the plain SMTP dialogue, and it provides what go-smtp leaves to its
// caller:
//
//   - the transcript, redacted according to mode;
//   - a deadline for every body write (go-smtp clears its deadline for the
//     whole of DATA, so a stalled server would otherwise block forever);
//   - the repair of LOGIN prompts some servers send as plain text
//     ("334 Username:"), which go-smtp would reject as bad base64;
//   - the replay of the greeting after our own STARTTLS exchange, because
//     go-smtp's Client always starts by reading one.
//
// Reads hand over at most one server line at a time, so nothing is buffered
// beyond the line being processed except in br, which callers can inspect.
type wireConn struct {
	net.Conn
	log       *transcript
	bodyWrite time.Duration

	mode    wireMode
	br      *bufio.Reader
	pending []byte // rest of the current server line, not yet read
	readErr error  // error that ended the current line, returned after it
	replay  []byte // greeting replayed to go-smtp, never logged

	out       []byte // client bytes not yet ending in CRLF, for the log
	linesSent int
	authLines int   // client lines sent in the current AUTH exchange
	bodyBytes int64 // message bytes written, reported when the reply comes

	// The DATA stream of the current message: every byte go-smtp writes
	// after the server's 354, that is the dot-stuffed body followed by the
	// end-of-data sequence ("\r\n" if needed, then ".\r\n").
	streamed     int64 // stream bytes handed to the connection so far
	terminatorAt int64 // stream offset where the end-of-data sequence begins; -1 while unknown
	dotMayBeSent bool  // a write carrying part of the end-of-data sequence was attempted
}

func newWireConn(conn net.Conn, log *transcript, bodyWrite time.Duration) *wireConn {
	return &wireConn{Conn: conn, log: log, bodyWrite: bodyWrite, br: bufio.NewReader(conn)}
}

// buffered reports bytes received but not yet consumed by the reader.
func (w *wireConn) buffered() int {
	return w.br.Buffered() + len(w.pending)
}

// startMessage forgets the previous message's DATA stream.
func (w *wireConn) startMessage() {
	w.streamed, w.terminatorAt, w.dotMayBeSent = 0, -1, false
}

func (w *wireConn) setMode(m wireMode) {
	w.mode = m
	w.authLines = 0
}

func (w *wireConn) Read(p []byte) (int, error) {
	if len(w.replay) > 0 {
		n := copy(p, w.replay)
		w.replay = w.replay[n:]
		return n, nil
	}
	if w.mode == modeBody {
		// The server speaks again only after the final dot.
		w.log.add(FromClient, fmt.Sprintf("[message body: %d bytes]", w.bodyBytes))
		w.mode = modeCommand
	}
	if len(w.pending) == 0 {
		if w.readErr != nil {
			err := w.readErr
			w.readErr = nil
			return 0, err
		}
		line, err := w.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			w.readErr = err
		}
		if len(line) == 0 {
			w.readErr = nil
			return 0, err
		}
		w.pending = w.serverLine(line)
	}
	n := copy(p, w.pending)
	w.pending = w.pending[n:]
	return n, nil
}

// serverLine logs one server line and returns the bytes to hand to go-smtp.
func (w *wireConn) serverLine(line []byte) []byte {
	text := strings.TrimRight(string(line), "\r\n")
	w.log.add(FromServer, text)
	if w.mode != modeAuth || !strings.HasPrefix(text, "334") {
		return line
	}
	// RFC 4954 §4 requires base64 challenges, but some servers prompt for
	// LOGIN in plain text ("334 Username:"). Re-encode such a prompt so
	// go-smtp can decode it and the LOGIN client can read it.
	payload := strings.TrimPrefix(strings.TrimPrefix(text, "334"), " ")
	if _, err := base64.StdEncoding.DecodeString(payload); err == nil && len(text) > 3 {
		return line
	}
	return []byte("334 " + base64.StdEncoding.EncodeToString([]byte(payload)) + "\r\n")
}

func (w *wireConn) Write(p []byte) (int, error) {
	if w.mode == modeBody {
		w.noteDataWrite(len(p))
		w.Conn.SetWriteDeadline(time.Now().Add(w.bodyWrite))
		return w.Conn.Write(p)
	}
	w.logClient(p)
	return w.Conn.Write(p)
}

// noteDataWrite records that n more bytes of the DATA stream are about to
// be written, and whether they reach the end-of-data sequence.
//
// The server takes the message once it has read that sequence (RFC 5321
// §4.1.1.4); after that, only its reply tells whether it accepted it, and
// a lost reply leaves the outcome unknown (§6.1: the server now has
// responsibility for the message). The sequence does not come in a write
// of its own: go-smtp writes through net/textproto's 4096-byte buffer, so
// it can be split across two writes, or share one with the end of the
// body. So the stream is measured instead: every write whose range
// reaches terminatorAt may hand the sequence to the server. It is marked
// before the write, because a write that fails may still have sent part
// of it. A write of body bytes alone never is: if it fails, the server
// never sees the end of the message and must discard it.
func (w *wireConn) noteDataWrite(n int) {
	if w.terminatorAt >= 0 && w.streamed+int64(n) > w.terminatorAt {
		w.dotMayBeSent = true
	}
	w.streamed += int64(n)
}

// logClient logs each complete line Postie sends. During AUTH every line
// is derived from the secret, so only the command and mechanism name remain.
func (w *wireConn) logClient(p []byte) {
	w.out = append(w.out, p...)
	for {
		i := bytes.Index(w.out, []byte("\r\n"))
		if i < 0 {
			return
		}
		text := string(w.out[:i])
		w.out = w.out[i+2:]
		w.linesSent++
		if w.mode == modeAuth {
			text = redactAuthLine(text, w.authLines)
			w.authLines++
		}
		w.log.add(FromClient, text)
	}
}

// redactAuthLine keeps "AUTH MECHANISM" of the first line and the "*" that
// cancels an exchange (RFC 4954 §4); everything else is a SASL response.
func redactAuthLine(text string, index int) string {
	if index == 0 {
		fields := strings.Fields(text)
		if len(fields) <= 2 {
			return text
		}
		return fields[0] + " " + fields[1] + " " + Redacted
	}
	if text == "*" {
		return text
	}
	return Redacted
}
