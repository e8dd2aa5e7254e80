package smtpclient

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// go-smtp writes the DATA stream through net/textproto's 4096-byte buffer,
// so the end-of-data sequence ".\r\n" can be split across two writes. These
// offsets place its first byte just before, across and at the buffer's end,
// once and twice over.
var terminatorOffsets = []int{4090, 4091, 4092, 4093, 4094, 4095, 4096, 8186, 8187, 8188, 8189, 8190, 8191, 8192}

// messageForStream returns a message whose DATA stream before the
// end-of-data sequence is exactly streamLen bytes. Its first lines begin
// with a dot, so that the stuffed dots count.
func messageForStream(streamLen int) string {
	var b strings.Builder
	b.WriteString("Subject: offset " + itoa(streamLen) + "\r\n\r\n")
	for range 8 {
		b.WriteString(".a line that begins with a dot, doubled on the wire\r\n")
	}
	// Lines of at most 78 bytes, as servers limit lines (RFC 5321
	// §4.5.3.1.6); a line is at least its CRLF.
	for rest := streamLen - (b.Len() + 8); rest > 0; {
		n := min(rest, 78)
		if rest-n == 1 {
			n--
		}
		b.WriteString(strings.Repeat("y", n-2) + "\r\n")
		rest -= n
	}
	return b.String()
}

// hangUpAfterDot makes the server read the whole message, up to and
// including its final dot, then close the connection without replying.
// It reports how many message bytes arrived, and whether the dot did.
func hangUpAfterDot(b *testpeer.Backend) (arrived func() (int64, bool)) {
	var mu sync.Mutex
	var n int64
	var complete bool
	b.DataFunc = func(r io.Reader, c *smtp.Conn) error {
		read, err := io.Copy(io.Discard, r)
		mu.Lock()
		n, complete = read, err == nil
		mu.Unlock()
		return c.Conn().Close()
	}
	return func() (int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		return n, complete
	}
}

func TestLostReplyAtEveryBufferOffsetIsUnknownOutcome(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	for _, security := range []Security{SecurityNone, SecurityStartTLS, SecurityTLS} {
		for _, offset := range terminatorOffsets {
			t.Run(fmt.Sprintf("%s/%d", security, offset), func(t *testing.T) {
				b := newBackend()
				arrived := hangUpAfterDot(b)
				cfg := withAuth(startServer(t, security, b, ca, allowPlainAuth))
				msg := messageForStream(offset)
				_, err := send(t, cfg, simpleEnvelope(), msg, Options{})
				expectError(t, err, StageAfterData, UnknownOutcome, ReasonLostAfterData)
				if n, complete := arrived(); !complete || n != int64(len(msg)) {
					t.Fatalf("the server read %d of %d bytes (final dot: %v)", n, len(msg), complete)
				}
			})
		}
	}
}

// allowPlainAuth lets the server take a password without TLS; Postie
// sends one in plain text only to a loopback server such as this.
func allowPlainAuth(s *smtp.Server) { s.AllowInsecureAuth = true }

// cutDataWrite is a Dialer whose connection closes itself just before the
// nth write after the DATA command, so that this write fails the way it
// fails on a dead connection. It records the writes' sizes and ends.
func cutDataWrite(nth int) (dial func(ctx context.Context, network, addr string) (net.Conn, error), writes func() []string) {
	var mu sync.Mutex
	var seen []string
	dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &cuttingConn{Conn: c, nth: nth, mu: &mu, seen: &seen}, nil
	}
	return dial, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

type cuttingConn struct {
	net.Conn
	nth       int
	inData    bool
	dataWrite int
	mu        *sync.Mutex
	seen      *[]string
}

func (c *cuttingConn) Write(p []byte) (int, error) {
	if !c.inData {
		c.inData = string(p) == "DATA\r\n"
		return c.Conn.Write(p)
	}
	c.dataWrite++
	c.mu.Lock()
	*c.seen = append(*c.seen, fmt.Sprintf("%d bytes ending %q", len(p), p[max(0, len(p)-3):]))
	c.mu.Unlock()
	if c.dataWrite == c.nth {
		c.Conn.Close()
	}
	return c.Conn.Write(p)
}

// A write that fails may have sent part of what it carried, so a failed
// write reaching the end-of-data sequence leaves the outcome unknown; a
// failed write of body bytes alone means the server never saw the end of
// the message and discarded it (RFC 5321 §4.1.1.4).
func TestFailedWriteIsUnknownOnlyWhenItCarriesPartOfTheFinalDot(t *testing.T) {
	for _, tc := range []struct {
		offset, failingWrite int
		class                Class
		reason               Reason
	}{
		{4093, 1, UnknownOutcome, ReasonLostAfterData}, // ".\r\n" fills the buffer: one write
		{4094, 1, UnknownOutcome, ReasonLostAfterData}, // the first write ends with ".\r"
		{4094, 2, UnknownOutcome, ReasonLostAfterData}, // the second is "\n" alone
		{4095, 2, UnknownOutcome, ReasonLostAfterData}, // the second is "\r\n" alone
		{4096, 1, Temporary, ReasonConnectionLost},     // body bytes only
		{4096, 2, UnknownOutcome, ReasonLostAfterData}, // ".\r\n" alone
		{8190, 1, Temporary, ReasonConnectionLost},
		{8190, 2, UnknownOutcome, ReasonLostAfterData},
	} {
		t.Run(fmt.Sprintf("%d/write%d", tc.offset, tc.failingWrite), func(t *testing.T) {
			b := newBackend()
			cfg := withAuth(startServer(t, SecurityNone, b, nil, allowPlainAuth))
			var writes func() []string
			cfg.Dialer, writes = cutDataWrite(tc.failingWrite)
			_, err := send(t, cfg, simpleEnvelope(), messageForStream(tc.offset), Options{})
			if err == nil {
				t.Fatal("the send succeeded through a closed connection")
			}
			e := asError(t, err)
			if e.Class != tc.class || e.Reason != tc.reason {
				t.Fatalf("class %s, %s; want %s, %s (writes after DATA: %q)", e.Class, e.Reason, tc.class, tc.reason, writes())
			}
			waitLogout(t, b)
			if tc.class == Temporary && len(b.Received()) != 0 {
				t.Fatal("the server kept the message")
			}
		})
	}
}

// dataStream must count exactly what textproto's dotWriter writes before
// Close, and Close must add only the end-of-data sequence after it.
func TestDataStreamCountsWhatTextprotoWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'.', '.', '\r', '\n', 'a', 'b'}
	for i := range 2000 {
		in := make([]byte, rng.IntN(300))
		for j := range in {
			in[j] = alphabet[rng.IntN(len(alphabet))]
		}
		var out bytes.Buffer
		w := textproto.NewWriter(bufio.NewWriter(&out))
		dw := w.DotWriter()
		var d dataStream
		for rest := in; len(rest) > 0; {
			chunk := rest[:1+rng.IntN(len(rest))]
			rest = rest[len(chunk):]
			dw.Write(chunk)
			d.add(chunk)
		}
		w.W.Flush()
		if int64(out.Len()) != d.length {
			t.Fatalf("input %d %q: textproto wrote %d bytes, counted %d", i, in, out.Len(), d.length)
		}
		dw.Close()
		switch tail := out.String()[d.length:]; tail {
		case ".\r\n", "\n.\r\n", "\r\n.\r\n":
		default:
			t.Fatalf("input %d %q: Close added %q", i, in, tail)
		}
	}
}
