package imapclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Append streams size bytes from r into the folder, flagged \Seen, with
// the internal date sent (RFC 9051 §6.3.12). The message goes from r to
// the connection in small pieces and is never held whole in memory.
//
// go-imap v2.0.0-beta.8 sends the message as a synchronizing literal even
// where LITERAL+ is offered (its commandEncoder.Literal uses LITERAL+ only
// for literals under 4 KiB with LITERAL-): one round trip more per copy,
// which also lets the server refuse (quota, missing folder, size) before
// the first byte of a large message travels.
//
// When the connection ends once the message has started to go, the
// *Error has MayBeFiled set: look with HasMessageID before appending
// again. If r fails or holds other than size bytes, the literal cannot be
// completed and the connection is closed (ReasonMessageUnreadable).
func (c *Client) Append(ctx context.Context, folder string, size int64, r io.Reader, sent time.Time) error {
	c.appending = false
	defer func() { c.appending = false }()
	var readErr error
	err := c.step(ctx, StageAppend, func() error {
		cmd := c.imap.Append(folder, size, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: sent})
		w := &literal{cmd: cmd, c: c}
		n, err := io.CopyN(w, r, size)
		switch {
		case w.err != nil:
			// Writing failed: the server refused before the literal, or
			// the connection broke; Wait says which.
		case err == io.EOF:
			readErr = fmt.Errorf("the message has %d bytes, not %d", n, size)
		case err != nil:
			readErr = err
		}
		if readErr != nil {
			c.appending = false // the server cannot have a whole message
			c.raw.Close()
			return readErr
		}
		if err := cmd.Close(); err != nil && w.err == nil {
			w.err = err
		}
		_, err = cmd.Wait()
		return err
	})
	if readErr != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Class, e.Reason, e.Err, e.MayBeFiled = Temporary, ReasonMessageUnreadable, readErr, false
		}
	}
	return inFolder(err, folder)
}

// literal counts what went into the APPEND's literal: from its first byte
// on, a lost connection may have filed the copy.
type literal struct {
	cmd interface{ Write([]byte) (int, error) }
	c   *Client
	err error
}

func (l *literal) Write(b []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.cmd.Write(b)
	if n > 0 {
		l.c.appending = true
	}
	if err != nil {
		l.err = err
	}
	return n, err
}
