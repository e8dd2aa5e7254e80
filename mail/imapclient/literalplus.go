package imapclient

import (
	"bytes"
	"net"
	"strconv"
	"sync"
)

// plusConn sits between go-imap and wireConn and lets an APPEND of ours
// send its message as a non-synchronizing literal, {N+} (RFC 7888 §3),
// where the server offers LITERAL+: go-imap v2.0.0-beta.8 announces any
// message over 4 KiB as {N} and waits for the server's continuation
// request, one round trip per copy.
//
// Only while an APPEND is armed (armAppend, with the size of its message,
// and only when the server announced LITERAL+), plusConn
//
//   - rewrites the literal header that ends the command's first line,
//     {size} CRLF, into {size+} CRLF on the way out; the literal's octets
//     then pass untouched, and the first line that ends in any other
//     literal header disarms it, so nothing else is ever rewritten;
//   - gives go-imap the continuation request it waits for ("+ " CRLF)
//     without the server's help, which the server will not send for a
//     non-synchronizing literal. It is slipped into the server's stream
//     only where one response ends and the next begins: never inside a
//     line, nor inside a literal of the server's, so an untagged response
//     the server sent unasked (RFC 9051 §7) arrives whole, before or after
//     it. As it is scheduled before the header leaves, it comes before
//     anything the server says about the command, its tagged NO included.
//
// To slip it in, the socket is read by a goroutine (pump) and go-imap reads
// what it has read: go-imap's own reader blocks in Read until the server
// speaks, which for a non-synchronizing literal it does only after the
// whole message. The pump reads one buffer ahead at most.
//
// Everything else passes unchanged: the transcript and the watchdog of
// wireConn below see the bytes that really travel ({size+}, and no
// continuation request from the server).
type plusConn struct {
	net.Conn // the wireConn

	// The outgoing side, used by go-imap's writer: the goroutine of the
	// step, as arm and disarm are.
	armed  bool
	size   int64  // the message's literal size, while armed
	held   []byte // the armed command's line so far, not yet sent
	passed int64  // the message's octets still to pass untouched

	// The incoming side, between the pump and go-imap's reader.
	mu      sync.Mutex
	wake    chan struct{} // data, an error or a continuation to give
	drained chan struct{} // pending was all given: the pump may read on
	done    chan struct{} // closed by Close
	close   sync.Once
	pending []byte // read by the pump, not yet given to go-imap
	readErr error
	inject  []byte // the continuation request still to give
	resp    responses
}

// continuation is the continuation request given to go-imap for a
// non-synchronizing literal (RFC 9051 §7.5: "+" SP resp-text; go-imap
// accepts an empty text, as after SP nothing).
var continuation = []byte("+ \r\n")

// heldLimit bounds the armed command's line held back: an APPEND line is
// a few hundred bytes; one that is longer is not rewritten.
const heldLimit = 8 << 10

func newPlusConn(conn net.Conn) *plusConn {
	p := unpumpedPlusConn(conn)
	go p.pump()
	return p
}

// unpumpedPlusConn is a plusConn whose pump is not running (yet).
func unpumpedPlusConn(conn net.Conn) *plusConn {
	return &plusConn{
		Conn: conn, wake: make(chan struct{}, 1), drained: make(chan struct{}, 1),
		done: make(chan struct{}), resp: responses{atStart: true},
	}
}

// armAppend makes the next literal header {size} of an APPEND line go
// out as {size+}. Call it only when the server announced LITERAL+.
func (p *plusConn) armAppend(size int64) {
	p.armed, p.size, p.held, p.passed = true, size, p.held[:0], 0
}

// disarmAppend ends the APPEND: nothing more is rewritten, and a
// continuation not yet given is withdrawn (the command is over).
func (p *plusConn) disarmAppend() {
	if len(p.held) > 0 { // never, as go-imap ends every line it waits on
		p.Conn.Write(p.held)
	}
	p.armed, p.held, p.passed = false, nil, 0
	p.mu.Lock()
	p.inject = nil
	p.mu.Unlock()
}

func (p *plusConn) Write(b []byte) (int, error) {
	if !p.armed {
		return p.Conn.Write(b)
	}
	total := len(b)
	for len(b) > 0 && p.armed {
		if p.passed > 0 { // the message itself
			n := int(min(int64(len(b)), p.passed))
			written, err := p.Conn.Write(b[:n])
			p.passed -= int64(written)
			if err != nil {
				return total - len(b) + written, err
			}
			b = b[n:]
			if p.passed == 0 {
				p.armed = false // one literal per APPEND
			}
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(p.held)+len(b) > heldLimit {
				break // not an APPEND line as go-imap writes one: pass through
			}
			p.held = append(p.held, b...)
			return total, nil
		}
		lineStart := total - len(b) // of b's part of the line
		line := append(p.held, b[:i+1]...)
		p.held = p.held[:0]
		b = b[i+1:]
		size, nonSync, ok := literalHeader(bytes.TrimSuffix(line[:len(line)-1], []byte("\r")))
		switch {
		case ok && size == p.size && !nonSync && size > 0 && bytes.HasSuffix(line, []byte("}\r\n")):
			line = append(line[:len(line)-len("}\r\n")], "+}\r\n"...)
			p.schedule()
			p.passed = size
		case ok && size == p.size && nonSync && size > 0:
			p.passed = size // go-imap sent {size+} itself (LITERAL-, at most 4 KiB)
		default:
			p.armed = false // another literal, or none: leave the command alone
		}
		if _, err := p.Conn.Write(line); err != nil {
			p.withdraw()
			return lineStart, err
		}
	}
	if len(p.held) > 0 {
		held := p.held
		p.held, p.armed = nil, false
		if _, err := p.Conn.Write(held); err != nil {
			return 0, err
		}
	}
	if len(b) > 0 {
		if n, err := p.Conn.Write(b); err != nil {
			return total - len(b) + n, err
		}
	}
	return total, nil
}

// schedule asks for the continuation request to be given to go-imap at
// the next boundary between responses.
func (p *plusConn) schedule() {
	p.mu.Lock()
	p.inject = continuation
	p.mu.Unlock()
	p.signal(p.wake)
}

// withdraw cancels a continuation not yet given: the header did not go.
func (p *plusConn) withdraw() {
	p.mu.Lock()
	if len(p.inject) == len(continuation) {
		p.inject = nil
	}
	p.mu.Unlock()
}

func (p *plusConn) signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Read gives go-imap what the pump read, and the continuation request
// where one is due.
func (p *plusConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		p.mu.Lock()
		if len(p.inject) > 0 && p.resp.atStart {
			n := copy(b, p.inject)
			p.inject = p.inject[n:]
			p.mu.Unlock()
			return n, nil
		}
		if len(p.pending) > 0 {
			chunk := p.pending[:min(len(b), len(p.pending))]
			n := p.resp.advance(chunk, len(p.inject) > 0)
			copy(b, chunk[:n])
			p.pending = p.pending[n:]
			if len(p.pending) == 0 {
				p.signal(p.drained)
			}
			p.mu.Unlock()
			return n, nil
		}
		if err := p.readErr; err != nil {
			p.mu.Unlock()
			return 0, err
		}
		p.mu.Unlock()
		<-p.wake
	}
}

// pump reads the socket for Read, one buffer at a time, until the
// connection fails or is closed.
func (p *plusConn) pump() {
	buf := make([]byte, 32<<10)
	for {
		n, err := p.Conn.Read(buf)
		p.mu.Lock()
		p.pending = buf[:n]
		if p.readErr == nil {
			p.readErr = err
		}
		p.mu.Unlock()
		p.signal(p.wake)
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		select {
		case <-p.drained:
		case <-p.done:
			return
		}
	}
}

// Close closes the connection, and ends a Read that waits: go-imap's
// Close waits for its reader, which may wait here rather than in the
// socket's Read.
func (p *plusConn) Close() error {
	p.close.Do(func() { close(p.done) })
	err := p.Conn.Close()
	p.mu.Lock()
	if p.readErr == nil {
		p.readErr = net.ErrClosed
	}
	p.mu.Unlock()
	p.signal(p.wake)
	return err
}

// responses follows the server's stream as given to go-imap, to know
// where one response ends and the next begins: at a line end that does
// not announce a literal, outside a literal's octets (RFC 9051 §4.3).
type responses struct {
	atStart bool
	literal int64  // the octets of a literal still to come
	tail    []byte // the end of the current line, for a literal header
}

// tailLimit is enough for "{" 19 digits "+}" CR.
const tailLimit = 24

// advance takes in b and returns how many of its bytes it took: all, or
// with stop, only up to the first boundary between responses.
func (r *responses) advance(b []byte, stop bool) int {
	i := 0
	for i < len(b) {
		if r.literal > 0 {
			n := min(int64(len(b)-i), r.literal)
			r.literal -= n
			i += int(n)
			continue
		}
		c := b[i]
		i++
		r.atStart = false
		if c != '\n' {
			if len(r.tail) == tailLimit {
				copy(r.tail, r.tail[1:])
				r.tail = r.tail[:tailLimit-1]
			}
			r.tail = append(r.tail, c)
			continue
		}
		size, _, ok := literalHeader(bytes.TrimSuffix(r.tail, []byte("\r")))
		r.tail = r.tail[:0]
		if ok {
			r.literal = size // the line goes on after the literal
			continue
		}
		r.atStart = true
		if stop {
			return i
		}
	}
	return i
}

// literalHeader reads the literal header that ends line, {N} or {N+}
// (or ~{N}, literal8, RFC 3516).
func literalHeader(line []byte) (size int64, nonSync, ok bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, false
	}
	digits := line[open+1 : len(line)-1]
	if n := len(digits); n > 0 && digits[n-1] == '+' {
		nonSync, digits = true, digits[:n-1]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false, false
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false, false
		}
	}
	size, err := strconv.ParseInt(string(digits), 10, 64)
	return size, nonSync, err == nil
}
