package core

import "context"

// resumeAfterSignIn queues again the account's messages that waited for
// its sign-in, and wakes the worker (in the window) to send them.
func (c *Core) resumeAfterSignIn(ctx context.Context, accountID string) (int, error) {
	n, err := c.outbox.ResumeAfterSignIn(ctx, accountID)
	if err == nil && n > 0 {
		c.outbox.Nudge()
	}
	return n, err
}
