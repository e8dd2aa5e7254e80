package imapclient

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// wireConn is the connection as go-imap sees it: the plaintext side (above
// TLS), so that the transcript shows IMAP and not ciphertext. It adds
// three things:
//
//   - a watchdog: while a step is under way (armed), the connection is
//     closed when no byte moves either way for the timeout, so a server
//     that stops answering, or a network that stops carrying, ends the
//     step however long a large APPEND legitimately takes;
//   - a greeting to replay: after STARTTLS the server sends none (RFC 9051
//     §6.2.1), but go-imap waits for one, so the greeting read before TLS
//     is replayed to it;
//   - the transcript of both directions, redacted.
type wireConn struct {
	net.Conn
	log *transcript

	replay []byte // read before the connection's own bytes

	timeout  time.Duration
	mu       sync.Mutex
	timer    *time.Timer // non-nil while armed
	timedOut atomic.Bool
}

func newWireConn(conn net.Conn, log *transcript, timeout time.Duration) *wireConn {
	return &wireConn{Conn: conn, log: log, timeout: timeout}
}

func (w *wireConn) Read(b []byte) (int, error) {
	if len(w.replay) > 0 {
		n := copy(b, w.replay)
		w.replay = w.replay[n:]
		return n, nil
	}
	n, err := w.Conn.Read(b)
	if n > 0 {
		w.progress()
		w.log.server(b[:n])
	}
	return n, err
}

func (w *wireConn) Write(b []byte) (int, error) {
	n, err := w.Conn.Write(b)
	if n > 0 {
		w.progress()
		w.log.client(b[:n])
	}
	return n, err
}

// arm starts the watchdog for one step.
func (w *wireConn) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timedOut.Store(false)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, w.expire)
	}
}

// disarm stops the watchdog at the end of a step.
func (w *wireConn) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// progress restarts the wait: bytes moved.
func (w *wireConn) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Reset(w.timeout)
	}
}

func (w *wireConn) expire() {
	w.timedOut.Store(true)
	w.Conn.Close()
}
