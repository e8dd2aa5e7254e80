package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// claimed is a message this process has moved to "sending".
type claimed struct {
	id           int64
	account      string
	spool        string
	size         int64
	env          smtpclient.Envelope
	subject      string
	scheduled    bool
	firstTry     time.Time
	tempFailures int
	started      time.Time
	server       string // host:port, once the account's settings are known
	// signIn is the account's sign-in generation when the message was
	// claimed; see ResumeAfterSignIn.
	signIn int64
	// unreadable is set when the stored message cannot be sent as it is
	// (its recipients do not decode). The claim is kept so that finish
	// records it as failed like any other failure; leaving the row queued
	// would make it due for ever and the worker would try it in a loop.
	unreadable error
}

// flight is a send in progress in this process, for Cancel and progress.
type flight struct {
	cancel    context.CancelFunc
	written   atomic.Int64
	total     int64
	cancelled atomic.Bool // the user asked to stop it
	// done is closed once finish has recorded the outcome, state.
	done  chan struct{}
	state State
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	ID    int64
	State State // the message's state after the attempt
	// Reply is the server's reply that decided the outcome: its final
	// reply when the message was sent, else the refusal ("550 5.1.1 …"),
	// empty when no reply came.
	Reply string
	// Err is why it was not sent: an *smtpclient.Error, whose Class and
	// Stage say what kind of failure it was and whose Reason and other
	// facts let a front end explain it. Nil when sent.
	Err error
	// Failure is what was recorded about the attempt, for the same
	// sentence as the message's details show.
	Failure *Failure
	// NextAttempt is when a retrying message is tried again.
	NextAttempt time.Time
}

const claimColumns = `id, account_id, spool, size, env_from, env_to, smtputf8, eightbit, subject, scheduled, first_try, temp_failures`

// claim atomically moves one message to "sending" for this process: the
// next due message of account, or message id whatever its due time. It
// returns nil when there is none. The state change is committed (durably)
// before any byte goes to the server; that is what makes a crash during the
// send end in "unknown" rather than a second copy.
func (o *Outbox) claim(ctx context.Context, account string, id int64) (*claimed, error) {
	now := o.now()
	var c *claimed
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		set := `UPDATE outbox_messages SET state = 'sending', owner = ?, updated = ?, attempts = attempts + 1,
			first_try = CASE first_try WHEN 0 THEN ? ELSE first_try END `
		var row *sql.Row
		if id != 0 {
			row = tx.QueryRow(set+`WHERE id = ? AND state IN ('queued', 'retrying') RETURNING `+claimColumns,
				o.self.id, ms(now), ms(now), id)
		} else {
			row = tx.QueryRow(set+`WHERE id = (SELECT id FROM outbox_messages
				WHERE state IN ('queued', 'retrying') AND due <= ? AND account_id = ? ORDER BY due, id LIMIT 1)
				RETURNING `+claimColumns, o.self.id, ms(now), ms(now), ms(now), account)
		}
		var m claimed
		var envTo string
		var firstTry int64
		err := row.Scan(&m.id, &m.account, &m.spool, &m.size, &m.env.From, &envTo, &m.env.SMTPUTF8, &m.env.EightBit,
			&m.subject, &m.scheduled, &firstTry, &m.tempFailures)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(envTo), &m.env.To); err != nil {
			m.unreadable = unreadableError(err)
		}
		m.firstTry, m.started = fromMS(firstTry), now
		if m.signIn, err = signInGeneration(tx, m.account); err != nil {
			return err
		}
		if err := addHistory(tx, m.id, now, StateSending, ""); err != nil {
			return err
		}
		// Our heartbeat is as fresh as our newest claim; the row comes back
		// should another process have given us up for dead meanwhile.
		_, err = tx.Exec(`INSERT INTO outbox_owners(owner, host, pid, process, heartbeat) VALUES(?, ?, ?, ?, ?)
			ON CONFLICT(owner) DO UPDATE SET heartbeat = excluded.heartbeat`,
			o.self.id, o.self.host, o.self.pid, o.self.process, ms(now))
		c = &m
		return err
	})
	if err != nil || c == nil {
		return nil, err
	}
	o.events.publish(Event{ID: c.id, State: StateSending, Subject: c.subject, Total: c.size})
	return c, nil
}

// unreadableError is a message whose stored recipients do not decode.
func unreadableError(err error) error {
	return damaged(NoteRecipientsDamaged, err)
}

// sender sends one message over some connection: a reused Session or a
// one-off Submit.
type sender func(ctx context.Context, env smtpclient.Envelope, size int64, body io.WriterTo, opts smtpclient.Options) (*smtpclient.Result, error)

// transmit sends a claimed message's spooled bytes, reporting progress and
// letting Cancel stop it.
func (o *Outbox) transmit(ctx context.Context, c *claimed, settings Settings, send sender) (*smtpclient.Result, *flight, error) {
	f := &flight{total: c.size, done: make(chan struct{})}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.cancel = cancel
	o.mu.Lock()
	o.inflight[c.id] = f
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.inflight, c.id)
		o.mu.Unlock()
	}()

	file, err := os.Open(o.spoolPath(c.spool))
	if err == nil {
		defer file.Close()
		var info os.FileInfo
		if info, err = file.Stat(); err == nil && info.Size() != c.size {
			err = fmt.Errorf("size %d, expected %d", info.Size(), c.size)
		}
	}
	if err != nil {
		return &smtpclient.Result{}, f, damaged(NoteSpoolDamaged, err)
	}
	var reported atomic.Int64
	opts := smtpclient.Options{
		PartialRecipients: settings.PartialRecipients,
		Progress: func(written, total int64) {
			f.written.Store(written)
			// A report every 64 KiB and at the end is enough for a bar.
			if written-reported.Load() >= 64<<10 || written == total {
				reported.Store(written)
				o.events.publish(Event{ID: c.id, State: StateSending, Subject: c.subject, Progress: true, Written: written, Total: total})
			}
		},
	}
	res, err := send(fctx, c.env, c.size, file, opts)
	if res == nil {
		res = &smtpclient.Result{}
	}
	return res, f, err
}

// verdict is what an attempt's result means for the message.
type verdict struct {
	state   State
	failure *Failure // for the attempt, the history and the message's last failure
	reply   string   // the server's reply
	due     time.Time
	offline bool
	class   string
	stage   string
}

// judge decides the message's next state from an attempt's result.
func (o *Outbox) judge(ctx context.Context, c *claimed, f *flight, res *smtpclient.Result, err error, limit time.Duration) verdict {
	now := o.now()
	if err == nil {
		v := verdict{state: StateSent, reply: res.Reply, failure: &Failure{Note: NoteSent, Reply: res.Reply}}
		if len(res.Refused) > 0 {
			v.failure = &Failure{Note: NotePartlySent, Reply: res.Reply, Accepted: len(res.Accepted), Refused: res.Refused}
		}
		return v
	}
	e := asSMTPError(err)
	v := verdict{failure: failureOf(e, NoteNone), reply: replyOf(e), class: string(e.Class), stage: string(e.Stage)}
	switch {
	case e.Class == smtpclient.UnknownOutcome:
		v.state = StateUnknown
	case f != nil && f.cancelled.Load():
		v.state, v.failure.Note = StateDraft, NoteStopped
	case ctx.Err() != nil:
		v.state, v.due, v.failure.Note = StateQueued, now, NoteClosing
	case needsSignIn(e):
		// Only the user can help, by signing in again: the message waits
		// for that, without using up a retry (finish keeps tempFailures).
		v.state, v.failure.Note = StateWaitingForSignIn, NoteSignInNeeded
	case e.Class == smtpclient.Permanent:
		v.state = StateFailed
	default:
		next, ok := nextAttempt(now, c.firstTry, c.tempFailures+1, limit)
		if !ok {
			v.state, v.failure.Note, v.failure.RetryLimit = StateFailed, NoteGaveUp, limit
			break
		}
		v.state, v.due = StateRetrying, next
		v.offline = e.Stage == smtpclient.StageDNS || e.Stage == smtpclient.StageConnect
	}
	return v
}

// needsSignIn reports a failure that only a new sign-in by the user can
// mend: smtpclient's ReasonSignInNeeded, or an account store whose own
// token refresh failed so (any error with a NeedsSignIn method saying so,
// such as oauth.Error, which this package does not import).
func needsSignIn(e *smtpclient.Error) bool {
	if e.Reason == smtpclient.ReasonSignInNeeded {
		return true
	}
	var need interface{ NeedsSignIn() bool }
	return errors.As(e.Err, &need) && need.NeedsSignIn()
}

// asSMTPError gives every failure the shape of smtpclient's errors, so
// that one set of rules classifies them.
func asSMTPError(err error) *smtpclient.Error {
	var e *smtpclient.Error
	if errors.As(err, &e) {
		return e
	}
	return &smtpclient.Error{Stage: smtpclient.StageConfig, Class: smtpclient.Temporary, Reason: smtpclient.ReasonUnexpected, Err: err}
}

// replyOf formats the server's reply carried by an error: "550 5.1.1 text".
func replyOf(e *smtpclient.Error) string {
	if e.Code == 0 {
		return ""
	}
	parts := []string{fmt.Sprint(e.Code)}
	if e.EnhancedCode != "" {
		parts = append(parts, e.EnhancedCode)
	}
	if e.ServerText != "" {
		parts = append(parts, e.ServerText)
	}
	return strings.Join(parts, " ")
}

func formatTranscript(lines []smtpclient.TranscriptLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// finish records an attempt's result durably and tells subscribers. It
// runs even when ctx was cancelled: the result must not be lost.
func (o *Outbox) finish(ctx context.Context, c *claimed, f *flight, res *smtpclient.Result, err error) Outcome {
	settings, serr := o.Settings(context.WithoutCancel(ctx))
	if serr != nil {
		settings = DefaultSettings
	}
	v := o.judge(ctx, c, f, res, err, settings.RetryLimit)
	if f != nil {
		// Cancel waits for this, so that it can say what became of the
		// message once it is recorded.
		defer func() { f.state = v.state; close(f.done) }()
	}
	now := o.now()
	out := Outcome{ID: c.id, State: v.state, NextAttempt: v.due, Reply: v.reply, Failure: v.failure}
	if err != nil {
		out.Err = asSMTPError(err)
	}
	tempFailures := 0
	switch v.state {
	case StateRetrying:
		tempFailures = c.tempFailures + 1
	case StateWaitingForSignIn:
		tempFailures = c.tempFailures
	}
	// The message keeps its last failure; a partial send counts as one.
	lastFailure := v.failure
	var sentAt int64
	if v.state == StateSent {
		sentAt = ms(now)
		if len(res.Refused) == 0 {
			lastFailure = nil
		}
	}
	transcript := formatTranscript(res.Transcript)
	if transcript == "" && err != nil {
		transcript = formatTranscript(asSMTPError(err).Transcript)
	}
	var plan SentCopy
	if v.state == StateSent {
		// Decided now, recorded with "sent": a process killed after this
		// commit finds the copy pending when it starts again.
		plan = o.copyPlan(context.WithoutCancel(ctx), c.account)
	}
	historyNote := ""
	dbErr := o.inTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		if v.state == StateWaitingForSignIn {
			// Refused for a sign-in that the user replaced while the
			// attempt ran: ResumeAfterSignIn found nothing waiting then,
			// so the message goes back to the queue now. Checked in this
			// transaction, which excludes ResumeAfterSignIn's: either it
			// ran before and counted the new sign-in, or it runs after
			// and finds the message waiting.
			gen, err := signInGeneration(tx, c.account)
			if err != nil {
				return err
			}
			if gen != c.signIn {
				v.state, v.due, historyNote = StateQueued, now, "You signed in again."
				out.State, out.NextAttempt = v.state, v.due
			}
		}
		r, err := tx.Exec(`UPDATE outbox_messages SET state = ?, updated = ?, due = ?, error = '', failure = ?, server_reply = ?,
			sent_at = CASE WHEN ? > 0 THEN ? ELSE sent_at END, temp_failures = ?, offline = ?, owner = '',
			server = CASE WHEN ? <> '' THEN ? ELSE server END
			WHERE id = ? AND owner = ? AND state IN ('sending', 'unknown')`,
			v.state, ms(now), ms(v.due), lastFailure.encode(), v.reply, sentAt, sentAt, tempFailures, v.offline,
			c.server, c.server, c.id, o.self.id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // the user already decided about it; keep their decision
		}
		if v.state == StateDraft {
			if _, err := tx.Exec(`UPDATE outbox_messages SET spool = '' WHERE id = ?`, c.id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`INSERT INTO outbox_attempts(message, started, finished, outcome, failure, class, stage, server_reply, transcript)
			VALUES(?, ?, ?, '', ?, ?, ?, ?, ?)`, c.id, ms(c.started), ms(now), v.failure.encode(), v.class, v.stage, v.reply, transcript)
		if err != nil {
			return err
		}
		if err := recordHistory(tx, c.id, now, v.state, historyNote, v.failure); err != nil {
			return err
		}
		if v.state == StateSent {
			if err := setCopyPlan(tx, c.id, plan, now); err != nil {
				return err
			}
			return rememberRecipients(tx, c.id, now)
		}
		return nil
	})
	if dbErr != nil {
		// The send happened but its result could not be saved; the message
		// stays in "sending" and becomes "unknown" at the next start, which
		// is the truth as far as the database can tell.
		out.Err = fmt.Errorf("the result of sending message %d could not be saved: %w", c.id, dbErr)
		return out
	}
	if v.state == StateDraft {
		o.removeSpool(c.spool)
	}
	ev := Event{ID: c.id, State: v.state, Subject: c.subject, WasScheduled: v.state == StateSent && c.scheduled}
	if lastFailure != nil {
		ev.Failure = lastFailure
	}
	o.events.publish(ev)
	if plan == CopyPending {
		o.nudgeCopies()
	}
	return out
}
