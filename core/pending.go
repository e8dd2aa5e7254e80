package core

import (
	"context"

	"github.com/postie-app/postie/mail/outbox"
)

// PendingWork counts the messages still to be sent: held in their undo
// window, due or being sent, waiting for a retry, or scheduled with "send
// later", and when the earliest scheduled one is due. A front end decides
// from it whether closing may quit, and words it for the user.
func (c *Core) PendingWork(ctx context.Context) (outbox.Pending, error) {
	return c.outbox.Pending(ctx)
}

// SendHeldNow sends at once every message still in its undo window, for a
// user who quits and chose "send now" over leaving them waiting. The
// worker sends them; it returns how many were released.
func (c *Core) SendHeldNow(ctx context.Context) (int, error) {
	return c.outbox.ReleaseHeld(ctx)
}
