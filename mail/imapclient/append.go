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
// Where the server offers LITERAL+ (RFC 7888), the message goes as a
// non-synchronizing literal, {size+}, right behind the command: no round
// trip waiting for the server's "+". go-imap v2.0.0-beta.8 would send any
// message over 4 KiB as a synchronizing literal, so plusConn rewrites
// that one header and hands go-imap the continuation request it waits
// for (see plusConn). A server that refuses the command still reads the
// whole literal and then answers NO (RFC 7888 §3), so a refusal (OVERQUOTA,
// TRYCREATE) comes with its code as before, only after the message has
// travelled. Without LITERAL+ (LITERAL- alone, or nothing), go-imap's own
// choice stands: {size+} up to 4 KiB under LITERAL-, else a synchronizing
// literal (RFC 7888 §5), which lets the server refuse before the first
// byte of a large message travels; so does a message larger than the
// server's APPENDLIMIT (RFC 7889).
//
// A synchronizing literal that the server refuses before its "+" (NO
// [TOOBIG], say) comes back as that refusal; go-imap v2.0.0-beta.8 then
// closes the connection (its encoder keeps the failed literal's error), so
// the Client is broken from then on (Broken; ReasonClosed for any further
// step): dial a new one for the next copy.
//
// When the connection ends once the message has started to go, the
// *Error has MayBeFiled set: look with HasMessageID before appending
// again. If r fails or holds other than size bytes, the literal cannot be
// completed and the connection is closed (ReasonMessageUnreadable).
func (c *Client) Append(ctx context.Context, folder string, size int64, r io.Reader, sent time.Time) error {
	c.appending = false
	defer func() { c.appending = false }()
	var readErr error
	refusedBeforeLiteral := false
	err := c.step(ctx, StageAppend, func() error {
		if nonSynchronizing(c.imap.Caps(), size) {
			c.plus.armAppend(size)
			defer c.plus.disarmAppend()
		}
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
		refusedBeforeLiteral = err != nil && w.err != nil && !c.appending
		return err
	})
	if refusedBeforeLiteral {
		c.markBroken(err)
	}
	if readErr != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Class, e.Reason, e.Err, e.MayBeFiled = Temporary, ReasonMessageUnreadable, readErr, false
		}
	}
	return inFolder(err, folder)
}

// nonSynchronizing reports whether the message may go as a
// non-synchronizing literal: LITERAL+ is offered, and the message is within
// the server's APPENDLIMIT (RFC 7889) where it names one. A message the
// server has said it will refuse goes synchronizing, so that it is refused
// before it travels: a server may rather close the connection than read a
// non-synchronizing literal it cannot take, which would leave the copy
// "may be filed" instead of refused with TOOBIG.
func nonSynchronizing(caps imap.CapSet, size int64) bool {
	if !caps.Has(imap.CapLiteralPlus) {
		return false
	}
	limit, ok := caps.AppendLimit()
	return !ok || limit == nil || size <= int64(*limit)
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
