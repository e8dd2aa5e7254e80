package core

import (
	"context"
	"io"
	"time"

	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
)

// Enqueue puts msg in the outbox, sent from the account, due at notBefore
// (at once when zero). The account decides the From address. A draft
// draftID (0: none) that the message was written in is then removed.
func (c *Core) Enqueue(ctx context.Context, accountID string, msg *mail.Message, notBefore time.Time, draftID int64) (int64, error) {
	a, err := c.accounts.ByID(ctx, accountID)
	if err != nil {
		return 0, err
	}
	msg.From = mail.Address{Name: a.DisplayName, Email: a.Email}
	id, err := c.outbox.Enqueue(ctx, a.ID, msg, notBefore)
	if err != nil {
		return 0, err
	}
	if draftID != 0 {
		// The message is safely queued; a draft left behind only reopens
		// in the composer, so this failure is logged, not shown.
		if err := c.outbox.DeleteDraft(ctx, draftID); err != nil {
			c.logError("cannot remove the draft of a queued message", err)
		}
	}
	return id, nil
}

// Hold is Enqueue for a message sent later: it waits until until, or when
// that is zero, for the undo window of the settings, so that Undo can take
// it back meanwhile.
func (c *Core) Hold(ctx context.Context, accountID string, msg *mail.Message, until time.Time, draftID int64) (int64, error) {
	if until.IsZero() {
		until = time.Now().Add(c.holdFor())
	}
	return c.Enqueue(ctx, accountID, msg, until, draftID)
}

// SendNow sends the queued message id at once, in this goroutine, and
// says how it went.
func (c *Core) SendNow(ctx context.Context, id int64) (outbox.Outcome, error) {
	return c.outbox.SendNow(ctx, id)
}

// Flush sends every message that is due now and counts the outcomes, then
// files the copies in the Sent folder that are due (sum.Copies). Its error
// is about sending only: a copy that could not be filed is pending or
// failed on its message, and the outbox itself failing to record copies
// is logged, as the messages were sent all the same.
func (c *Core) Flush(ctx context.Context) (outbox.Summary, error) {
	sum, err := c.outbox.Flush(ctx)
	if ctx.Err() != nil {
		return sum, err
	}
	copies, cerr := c.outbox.FlushCopies(ctx)
	sum.Copies = copies
	if cerr != nil {
		c.logError("cannot file the copies in the Sent folder", cerr)
	}
	return sum, err
}

// SendAgain makes message id due now: a failed message, or one whose fate
// is unknown, is sent again with the same Message-ID (Resend); one waiting
// to be retried is retried at once (Retry).
func (c *Core) SendAgain(ctx context.Context, id int64) error {
	d, err := c.outbox.Get(ctx, id)
	if err != nil {
		return err
	}
	// A message that failed or may have arrived is sent again; any other
	// is tried now, and the outbox says why if its state allows neither.
	if d.State.Allows(outbox.ActionResend) {
		return c.outbox.Resend(ctx, id)
	}
	return c.outbox.Retry(ctx, id)
}

// Retry makes a message waiting for its next attempt due now.
func (c *Core) Retry(ctx context.Context, id int64) error { return c.outbox.Retry(ctx, id) }

// Resend queues a failed or unknown message again, same Message-ID.
func (c *Core) Resend(ctx context.Context, id int64) error { return c.outbox.Resend(ctx, id) }

// MarkSent records that a message whose fate was unknown did arrive.
func (c *Core) MarkSent(ctx context.Context, id int64) error { return c.outbox.MarkSent(ctx, id) }

// Discard removes a message that was not sent.
func (c *Core) Discard(ctx context.Context, id int64) error { return c.outbox.Discard(ctx, id) }

// Undo takes back a message still held, as a draft.
func (c *Core) Undo(ctx context.Context, id int64) (outbox.Draft, error) {
	draft, err := c.outbox.Undo(ctx, id)
	if err != nil {
		return outbox.Draft{}, err
	}
	return *draft, nil
}

// Cancel stops an upload in progress; the message becomes a draft again,
// which it returns. It fails with outbox.ErrTooLate once the whole message
// has reached the server.
func (c *Core) Cancel(ctx context.Context, id int64) (outbox.Draft, error) {
	if err := c.outbox.Cancel(ctx, id); err != nil {
		return outbox.Draft{}, err
	}
	draft, err := c.outbox.Draft(ctx, id)
	if err != nil {
		return outbox.Draft{}, err
	}
	return *draft, nil
}

// CopyAsDraft starts a new draft from message id.
func (c *Core) CopyAsDraft(ctx context.Context, id int64) (outbox.Draft, error) {
	draft, err := c.outbox.CopyAsDraft(ctx, id)
	if err != nil {
		return outbox.Draft{}, err
	}
	return *draft, nil
}

// ---- drafts ----

// Drafts returns the drafts, newest first.
func (c *Core) Drafts(ctx context.Context) ([]outbox.Draft, error) { return c.outbox.Drafts(ctx) }

// LatestDraft returns the newest draft, if any.
func (c *Core) LatestDraft(ctx context.Context) (outbox.Draft, bool, error) {
	drafts, err := c.outbox.Drafts(ctx)
	if err != nil || len(drafts) == 0 {
		return outbox.Draft{}, false, err
	}
	return drafts[0], true, nil
}

// SaveDraft saves d, new when d.ID is 0, and returns its id.
func (c *Core) SaveDraft(ctx context.Context, d outbox.Draft) (int64, error) {
	return c.outbox.SaveDraft(ctx, d)
}

// DeleteDraft removes draft id; 0 is no draft and nothing to do.
func (c *Core) DeleteDraft(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	return c.outbox.DeleteDraft(ctx, id)
}

// ---- the outbox and the sent log ----

// Suggest returns up to n addresses used before that start with prefix.
func (c *Core) Suggest(ctx context.Context, prefix string, n int) ([]string, error) {
	return c.outbox.Suggest(ctx, prefix, n)
}

// Count counts the messages q matches.
func (c *Core) Count(ctx context.Context, q outbox.Query) (int, error) { return c.outbox.Count(ctx, q) }

// List returns one page of the messages q matches, newest first.
func (c *Core) List(ctx context.Context, q outbox.Query) ([]outbox.Entry, error) {
	return c.outbox.List(ctx, q)
}

// ListAll pages through q; limit 0 means every message.
func (c *Core) ListAll(ctx context.Context, q outbox.Query, limit int) ([]outbox.Entry, error) {
	var all []outbox.Entry
	for {
		q.Limit = 500
		if limit > 0 {
			q.Limit = min(500, limit-len(all))
		}
		page, err := c.outbox.List(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < q.Limit || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
		q.Before = page[len(page)-1].ID
	}
}

// Message returns message id with its attempts and history.
func (c *Core) Message(ctx context.Context, id int64) (*outbox.Detail, error) {
	return c.outbox.Get(ctx, id)
}

// Headers returns the header section of message id as sent.
func (c *Core) Headers(ctx context.Context, id int64) (string, error) {
	return c.outbox.Headers(ctx, id)
}

// ExportEML writes message id as an .eml file.
func (c *Core) ExportEML(ctx context.Context, id int64, w io.Writer) error {
	return c.outbox.ExportEML(ctx, id, w)
}

// Subscribe delivers the worker's state changes and upload progress until
// the returned stop is called or the Core closes.
func (c *Core) Subscribe() (<-chan outbox.Event, func()) { return c.outbox.Subscribe() }
