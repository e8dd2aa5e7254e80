package smtpclient

import (
	"errors"
	"fmt"
	"io"
)

var (
	errBareCR   = errors.New("carriage return not followed by line feed")
	errBareLF   = errors.New("line feed not preceded by carriage return")
	errEightBit = errors.New("8-bit byte in a 7-bit message")
)

// bodyWriter carries the message into go-smtp's DATA writer. It counts
// bytes for the progress callback and the transcript, and it refuses what
// must never reach the server: a bare CR or LF (RFC 5321 §2.3.8; bare line
// endings are how SMTP smuggling hides a second message) and 8-bit bytes
// when the server did not offer 8BITMIME (RFC 6152 §3).
type bodyWriter struct {
	w        io.Writer
	wire     *wireConn
	total    int64
	written  int64
	progress func(written, total int64)
	sevenBit bool

	prevCR   bool       // the last byte seen was CR
	stream   dataStream // what go-smtp makes of the bytes written so far
	badInput error      // the message itself is wrong
	netErr   error      // writing to the server failed
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	if err := b.check(p); err != nil {
		b.badInput = err
		return 0, err
	}
	n, err := b.w.Write(p)
	b.stream.add(p[:n])
	b.written += int64(n)
	b.wire.bodyBytes = b.written
	if err != nil {
		b.netErr = err
		return n, err
	}
	if b.progress != nil {
		b.progress(b.written, b.total)
	}
	return n, nil
}

// dataStream follows, byte for byte, the state machine of net/textproto's
// dotWriter, through which go-smtp writes the body, to know how many bytes
// of the DATA stream the body becomes: a '.' that begins a line is doubled
// (RFC 5321 §4.5.2) and a bare "\n" becomes "\r\n" (bodyWriter refuses
// bare line feeds, but the count does not rely on that). The end-of-data
// sequence that Close adds begins right after those bytes.
type dataStream struct {
	state  int // as textproto's wstate*: begin, beginning of line, after CR, in a line
	length int64
}

const (
	streamBegin = iota
	streamBeginLine
	streamCR
	streamData
)

func (d *dataStream) add(p []byte) {
	for _, c := range p {
		switch d.state {
		case streamBegin, streamBeginLine:
			d.state = streamData
			if c == '.' {
				d.length++ // the escaping dot
			}
			fallthrough
		case streamData:
			if c == '\r' {
				d.state = streamCR
			}
			if c == '\n' {
				d.length++ // the CR added before a bare LF
				d.state = streamBeginLine
			}
		case streamCR:
			d.state = streamData
			if c == '\n' {
				d.state = streamBeginLine
			}
		}
		d.length++
	}
}

func (b *bodyWriter) check(p []byte) error {
	for _, c := range p {
		switch {
		case b.prevCR && c != '\n':
			return errBareCR
		case !b.prevCR && c == '\n':
			return errBareLF
		case c >= 0x80 && b.sevenBit:
			return errEightBit
		}
		b.prevCR = c == '\r'
	}
	return nil
}

// bodyError says why the body was not sent completely. A network failure
// is returned as is, for the usual classification.
func bodyError(err error, b *bodyWriter, n, size int64) error {
	switch {
	case b.netErr != nil:
		return b.netErr
	case b.badInput != nil || errors.Is(err, errBareCR):
		cause := b.badInput
		if cause == nil {
			cause = err
		}
		return &Error{Stage: StageData, Class: Permanent, Reason: ReasonMessageMalformed, Err: cause, detail: cause.Error()}
	case err != nil:
		return &Error{Stage: StageData, Class: Permanent, Reason: ReasonBodyUnreadable, Err: err, detail: err.Error()}
	}
	return &Error{Stage: StageData, Class: Permanent, Reason: ReasonSizeChanged, Size: size,
		detail: fmt.Sprintf("wrote %d bytes, announced %d", n, size)}
}
