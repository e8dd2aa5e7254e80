package outbox

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
)

// The user's decisions about a message. Each checks the state and changes
// it in one transaction, so that it cannot race the worker or another
// process: a message being sent cannot be discarded, and one undone cannot
// then be claimed.

// ErrTooLate is returned by Cancel when the whole message has already gone
// to the server.
var ErrTooLate = errors.New("outbox: cancel too late: the whole message was sent")

// ErrSentElsewhere is returned when another Postie process is sending the
// message.
var ErrSentElsewhere = errors.New("outbox: another process is sending the message")

// transition changes message id from one of the states in from to state to,
// with extra column assignments, and records note in its history. It
// returns the message's spool file name as it was before.
func (o *Outbox) transition(ctx context.Context, id int64, action string, from []State, to State, set string, note string) (string, error) {
	var spool, subject string
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		var state State
		err := tx.QueryRow(`SELECT state, spool, subject FROM outbox_messages WHERE id = ?`, id).Scan(&state, &spool, &subject)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if !oneOf(state, from) {
			return &StateError{ID: id, State: state, Action: action}
		}
		now := o.now()
		if _, err := tx.Exec(`UPDATE outbox_messages SET state = ?, updated = ?`+set+` WHERE id = ?`, to, ms(now), id); err != nil {
			return err
		}
		if to == StateDraft {
			if err := unindex(tx, id); err != nil {
				return err
			}
		}
		if to == StateSent {
			if err := rememberRecipients(tx, id, now); err != nil {
				return err
			}
		}
		return addHistory(tx, id, now, to, note)
	})
	if err != nil {
		return "", err
	}
	o.events.publish(Event{ID: id, State: to, Subject: subject})
	return spool, nil
}

func oneOf(s State, list []State) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// Retry tries a waiting message again now instead of at its next retry
// time. Failed and unknown messages need Resend: only the user may decide
// to send those again.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	_, err := o.transition(ctx, id, "retried", statesAllowing(ActionSendNow, ActionRetry), StateQueued,
		", due = "+sqlInt(ms(o.now()))+", offline = 0", "You asked to try again now.")
	if err == nil {
		o.Nudge()
	}
	return err
}

// Resend queues a failed or unknown message again, with the same bytes and
// so the same Message-ID, so that recipients' programs can recognise a
// duplicate. For an unknown message the user accepts that the server may
// already have it.
func (o *Outbox) Resend(ctx context.Context, id int64) error {
	_, err := o.transition(ctx, id, "sent again", statesAllowing(ActionResend), StateQueued,
		", due = "+sqlInt(ms(o.now()))+", first_try = 0, temp_failures = 0, offline = 0, error = '', failure = '', owner = ''",
		"You asked to send it again, with the same Message-ID.")
	if err == nil {
		o.Nudge()
	}
	return err
}

// MarkSent records that a message whose outcome was unknown did arrive,
// as the user found out.
// The copy in the Sent folder is then filed as for any message sent.
func (o *Outbox) MarkSent(ctx context.Context, id int64) error {
	var account string
	if err := o.db.QueryRowContext(ctx, `SELECT account_id FROM outbox_messages WHERE id = ?`, id).Scan(&account); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	}
	plan := o.copyPlan(ctx, account)
	_, err := o.transition(ctx, id, "marked as sent", statesAllowing(ActionMarkSent), StateSent,
		", sent_at = updated, error = '', failure = '', owner = '', sent_copy = '"+string(plan)+
			"', sent_folder = '', copy_due = updated, copy_attempts = 0, copy_failures = 0, copy_failure = '', copy_owner = ''",
		"You marked it as sent.")
	if err == nil && plan == CopyPending {
		o.nudgeCopies()
	}
	return err
}

// Undo takes a queued message back before it is sent (during the undo
// window, or before its "send later" time) and returns it as a draft.
func (o *Outbox) Undo(ctx context.Context, id int64) (*Draft, error) {
	return o.backToDraft(ctx, id, "undone", statesAllowing(ActionUndo), "You undid sending; nothing was sent.")
}

func (o *Outbox) backToDraft(ctx context.Context, id int64, action string, from []State, note string) (*Draft, error) {
	spool, err := o.transition(ctx, id, action, from, StateDraft, ", spool = '', due = 0, owner = ''", note)
	if err != nil {
		return nil, err
	}
	o.removeSpool(spool)
	return o.Draft(ctx, id)
}

// Cancel stops sending message id. A message this process is uploading is
// stopped before its final dot, so the server discards it, and it becomes
// a draft; Cancel returns once that is recorded. ErrTooLate says the whole
// message was already written, or that the stop landed while the final dot
// was being written, when the server may have the message: it is then
// unknown (or sent), never a draft (judge). A message waiting in the
// outbox becomes a draft at once.
func (o *Outbox) Cancel(ctx context.Context, id int64) error {
	o.mu.Lock()
	f := o.inflight[id]
	o.mu.Unlock()
	if f != nil {
		if f.written.Load() >= f.total {
			return ErrTooLate
		}
		f.cancelled.Store(true)
		f.cancel()
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		switch f.state {
		case StateDraft:
			return nil
		case StateUnknown, StateSent:
			return ErrTooLate
		}
		return &StateError{ID: id, State: f.state, Action: "cancelled"}
	}
	_, err := o.backToDraft(ctx, id, "cancelled", statesAllowing(ActionCancel), "You cancelled sending; nothing was sent.")
	var se *StateError
	if errors.As(err, &se) && se.State == StateSending {
		return ErrSentElsewhere
	}
	return err
}

// Discard removes a message that has not been sent and is not being sent,
// with its history and saved copy.
func (o *Outbox) Discard(ctx context.Context, id int64) error {
	var spool string
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		var state State
		err := tx.QueryRow(`SELECT state, spool FROM outbox_messages WHERE id = ?`, id).Scan(&state, &spool)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if !state.Allows(ActionDiscard) {
			return &StateError{ID: id, State: state, Action: "discarded"}
		}
		if _, err := tx.Exec(`DELETE FROM outbox_messages WHERE id = ?`, id); err != nil {
			return err
		}
		return unindex(tx, id)
	})
	if err != nil {
		return err
	}
	o.removeSpool(spool)
	o.events.publish(Event{ID: id, State: StateDiscarded})
	return nil
}

// signInGeneration is how many times the account's sign-in was replaced.
func signInGeneration(tx *sql.Tx, accountID string) (int64, error) {
	var gen int64
	err := tx.QueryRow(`SELECT generation FROM outbox_signins WHERE account_id = ?`, accountID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return gen, err
}

func sqlInt(v int64) string {
	return strconv.FormatInt(v, 10)
}

// ResumeAfterSignIn queues again, due now, every message of the account
// that waits for sign-in, once the user has signed in again, and wakes
// the worker. It returns how many it queued. The time they waited does
// not count towards the retry limit: their first try moves forward by it.
//
// It also counts the new sign-in (the account's sign-in generation), so
// that a send under way with the old one, which may yet be refused for
// it, is queued again when it ends instead of waiting for a sign-in that
// already happened (see finish).
func (o *Outbox) ResumeAfterSignIn(ctx context.Context, accountID string) (int, error) {
	type resumed struct {
		id      int64
		subject string
	}
	var list []resumed
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		now := ms(o.now())
		_, err := tx.Exec(`INSERT INTO outbox_signins(account_id, generation) VALUES(?, 1)
			ON CONFLICT(account_id) DO UPDATE SET generation = generation + 1`, accountID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`UPDATE outbox_messages SET state = 'queued', due = ?1, offline = 0,
				first_try = CASE first_try WHEN 0 THEN 0 ELSE first_try + max(?1 - updated, 0) END, updated = ?1
			WHERE state = ?2 AND account_id = ?3 RETURNING id, subject`, now, StateWaitingForSignIn, accountID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r resumed
			if err := rows.Scan(&r.id, &r.subject); err != nil {
				rows.Close()
				return err
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range list {
			if err := addHistory(tx, r.id, fromMS(now), StateQueued, "You signed in again."); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range list {
		o.events.publish(Event{ID: r.id, State: StateQueued, Subject: r.subject})
	}
	if len(list) > 0 {
		o.Nudge()
	}
	return len(list), nil
}
