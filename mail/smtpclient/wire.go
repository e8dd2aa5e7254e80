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

	out        []byte // client bytes not yet ending in CRLF, for the log
	linesSent  int
	authLines  int   // client lines sent in the current AUTH exchange
	bodyBytes  int64 // message bytes written, reported when the reply comes
	closing    bool  // the final dot is being written
	dotWritten bool  // the final dot reached the operating system
}

func newWireConn(conn net.Conn, log *transcript, bodyWrite time.Duration) *wireConn {
	return &wireConn{Conn: conn, log: log, bodyWrite: bodyWrite, br: bufio.NewReader(conn)}
}

// buffered reports bytes received but not yet consumed by the reader.
func (w *wireConn) buffered() int {
	return w.br.Buffered() + len(w.pending)
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
		w.Conn.SetWriteDeadline(time.Now().Add(w.bodyWrite))
		n, err := w.Conn.Write(p)
		if err == nil && w.closing && bytes.HasSuffix(p, []byte(".\r\n")) {
			w.dotWritten = true
		}
		return n, err
	}
	w.logClient(p)
	return w.Conn.Write(p)
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
