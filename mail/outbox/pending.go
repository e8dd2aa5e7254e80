package outbox

import (
	"context"
	"errors"
	"time"
)

// Pending is the work the outbox still has to do, as counts: what keeps a
// front end from quitting without telling the user.
type Pending struct {
	// Held are queued messages inside their undo window: due later, but
	// not scheduled with "send later".
	Held int
	// Due are queued messages due now and messages being sent.
	Due int
	// Retrying are messages waiting for their next attempt.
	Retrying int
	// Scheduled are queued messages held with "send later".
	Scheduled int
	// NextScheduled is when the earliest scheduled message is due; zero
	// when none is.
	NextScheduled time.Time
}

// Total is how many messages are still to be sent.
func (p Pending) Total() int { return p.Held + p.Due + p.Retrying + p.Scheduled }

// None reports whether nothing is left to send.
func (p Pending) None() bool { return p.Total() == 0 }

// Pending counts the messages still to be sent, by what they wait for.
// Failed and unknown messages wait for the user, not for the outbox, so
// they are not pending work.
func (o *Outbox) Pending(ctx context.Context) (Pending, error) {
	now := ms(o.now())
	var p Pending
	var nextScheduled int64
	// A scheduled message whose time has come is due like any other.
	err := o.db.QueryRowContext(ctx, `SELECT
			coalesce(sum(state = 'queued' AND NOT scheduled AND due > ?1), 0),
			coalesce(sum((state = 'queued' AND due <= ?1) OR state = 'sending'), 0),
			coalesce(sum(state = 'retrying'), 0),
			coalesce(sum(state = 'queued' AND scheduled AND due > ?1), 0),
			coalesce(min(CASE WHEN state = 'queued' AND scheduled AND due > ?1 THEN due END), 0)
		FROM outbox_messages WHERE state IN ('queued', 'sending', 'retrying')`, now).
		Scan(&p.Held, &p.Due, &p.Retrying, &p.Scheduled, &nextScheduled)
	if err != nil {
		return Pending{}, err
	}
	if nextScheduled != 0 {
		p.NextScheduled = fromMS(nextScheduled)
	}
	return p, nil
}

// ReleaseHeld makes every message held in its undo window due now, for a
// user who quits and chose to send them first rather than leave them
// waiting. It returns how many it released; one that changed meanwhile
// (undone, already sending) is left as it is.
func (o *Outbox) ReleaseHeld(ctx context.Context) (int, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT id FROM outbox_messages
		WHERE state = 'queued' AND NOT scheduled AND due > ?`, ms(o.now()))
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	released := 0
	for _, id := range ids {
		var stateErr *StateError
		switch err := o.Retry(ctx, id); {
		case err == nil:
			released++
		case errors.As(err, &stateErr), errors.Is(err, ErrNotFound):
		default:
			return released, err
		}
	}
	return released, nil
}
