package outbox

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

const (
	// pollInterval bounds how long Run sleeps with nothing due, so that it
	// notices messages queued by another process and senders that died.
	pollInterval = 30 * time.Second
	// reachabilityTimeout bounds one check that a server answers again.
	reachabilityTimeout = 5 * time.Second
)

// reachabilityBackoff is the wait between checks whether servers that
// could not be reached answer again; it doubles up to its maximum.
var reachabilityBackoff = struct{ first, max time.Duration }{15 * time.Second, 5 * time.Minute}

// ErrStuck is returned by Flush when due messages could not be claimed:
// the database may be damaged or full.
var ErrStuck = errors.New("outbox: flush made no progress on due messages")

// Summary counts the outcomes of a Flush.
type Summary struct {
	Sent, Failed, Retrying, Unknown, Other int
	// WaitingForSignIn counts the messages left waiting for their
	// account's new sign-in.
	WaitingForSignIn int
	// Copies counts the copies filed in the Sent folder, when the caller
	// filed them too (core.Core.Flush does).
	Copies CopySummary
}

func (s *Summary) add(state State) {
	switch state {
	case StateSent:
		s.Sent++
	case StateFailed:
		s.Failed++
	case StateRetrying:
		s.Retrying++
	case StateUnknown:
		s.Unknown++
	case StateWaitingForSignIn:
		s.WaitingForSignIn++
	default:
		s.Other++
	}
}

// Nudge wakes the worker to look for due messages now.
func (o *Outbox) Nudge() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// NetworkChanged tells the worker that the network may be back: messages
// waiting because their server could not be reached are tried at once.
func (o *Outbox) NetworkChanged(ctx context.Context) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox_messages SET due = ? WHERE state = 'retrying' AND offline = 1`, ms(o.now()))
	o.Nudge()
	return err
}

// Run is the background worker: it delivers due messages until ctx ends,
// one connection per account, reused for consecutive messages. It returns
// after every send it started has been recorded. Messages in flight when
// ctx ends are stopped before their final dot where possible and go back to
// "queued".
func (o *Outbox) Run(ctx context.Context) {
	var drains sync.WaitGroup
	defer drains.Wait()
	go o.removeOrphansLater(ctx)
	// The copies in the Sent folder have a worker of their own, so that
	// IMAP trouble never delays a delivery.
	drains.Add(1)
	go func() {
		defer drains.Done()
		o.runCopies(ctx)
	}()
	probe := reachability{wait: reachabilityBackoff.first}
	for {
		o.recover(ctx)
		// Sleep until something this process can act on changes. Messages
		// of an account whose drain is running are left out: that drain
		// takes them one after another, and counting them as due would wake
		// the loop at once, again and again, for as long as a slow send
		// lasts. A drain nudges when it ends, and so do Enqueue and the
		// user's actions.
		wait := pollInterval
		if err := o.startDrains(ctx, &drains, nil, pollInterval); err == nil {
			if next, ok := o.nextDue(ctx, o.drainingAccounts()); ok {
				wait = min(max(next.Sub(o.now()), 0), pollInterval)
			}
		}
		if probeIn, ok := probe.schedule(ctx, o); ok {
			wait = min(wait, probeIn)
		}
		if o.sleepHook != nil {
			o.sleepHook(wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-o.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Flush delivers every message that is due now and returns when none is
// left, with a count of the outcomes.
func (o *Outbox) Flush(ctx context.Context) (Summary, error) {
	var sum Summary
	var mu sync.Mutex
	if err := o.recover(ctx); err != nil {
		return sum, err
	}
	for ctx.Err() == nil {
		var drains sync.WaitGroup
		progress := false
		// No rest after an error: Flush reports it below instead.
		err := o.startDrains(ctx, &drains, func(state State) {
			mu.Lock()
			sum.add(state)
			progress = true
			mu.Unlock()
		}, 0)
		drains.Wait()
		if err != nil {
			return sum, err
		}
		accounts, err := o.dueAccounts(ctx)
		if err != nil || len(accounts) == 0 {
			return sum, err
		}
		if !o.anyIdle(accounts) {
			return sum, nil // the rest is being sent by Run in this process
		}
		if !progress {
			return sum, ErrStuck
		}
	}
	return sum, ctx.Err()
}

// SendNow delivers message id at once, whatever its due time, on its own
// connection, and returns the outcome. The message must be queued or
// retrying.
func (o *Outbox) SendNow(ctx context.Context, id int64) (Outcome, error) {
	c, err := o.claim(ctx, "", id)
	if err != nil {
		return Outcome{}, err
	}
	if c == nil {
		state, err := o.stateOf(ctx, id)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{}, &StateError{ID: id, State: state, Action: "sent now"}
	}
	if c.unreadable != nil {
		return o.finish(ctx, c, nil, &smtpclient.Result{}, c.unreadable), nil
	}
	settings, _ := o.Settings(ctx)
	cfg, err := o.accts.SMTPConfig(ctx, c.account)
	if err != nil {
		return o.finish(ctx, c, nil, &smtpclient.Result{}, err), nil
	}
	c.server = serverOf(cfg)
	res, f, err := o.transmit(ctx, c, settings, func(ctx context.Context, env smtpclient.Envelope, size int64, body io.WriterTo, opts smtpclient.Options) (*smtpclient.Result, error) {
		return smtpclient.Submit(ctx, cfg, env, size, body, opts)
	})
	return o.finish(ctx, c, f, res, err), nil
}

// startDrains starts a delivery loop for every account with due messages
// that has none running in this process. A loop ended by an error of the
// outbox itself keeps its account taken for restAfterError.
func (o *Outbox) startDrains(ctx context.Context, wg *sync.WaitGroup, tally func(State), restAfterError time.Duration) error {
	accounts, err := o.dueAccounts(ctx)
	if err != nil {
		return err
	}
	for _, account := range accounts {
		o.mu.Lock()
		busy := o.draining[account]
		o.draining[account] = true
		o.mu.Unlock()
		if busy {
			continue
		}
		if o.drainHook != nil {
			o.drainHook(account, false, nil)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := o.drain(ctx, account, tally)
			if o.drainHook != nil {
				o.drainHook(account, true, err)
			}
			if err != nil && restAfterError > 0 {
				// The outbox could not be read or written (a full disk, a
				// damaged database). Run would start the loop again at
				// once and fail the same way, round and round: the account
				// stays taken for a while, so that Run neither restarts it
				// nor counts its messages as due, then it is tried again.
				rest(ctx, restAfterError)
			}
			o.mu.Lock()
			delete(o.draining, account)
			o.mu.Unlock()
			// Run leaves the account's messages to this loop while it runs:
			// wake it to look at them again.
			o.Nudge()
		}()
	}
	return nil
}

func (o *Outbox) anyIdle(accounts []string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range accounts {
		if !o.draining[a] {
			return true
		}
	}
	return false
}

// drain sends the account's due messages one after another over one
// connection, until none is due. It returns the error that stopped it
// early: the outbox could not be read or written.
func (o *Outbox) drain(ctx context.Context, account string, tally func(State)) error {
	var sess *smtpclient.Session
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	settings, err := o.Settings(ctx)
	if err != nil {
		return err
	}
	var cfg smtpclient.Config
	for ctx.Err() == nil {
		c, err := o.claim(ctx, account, 0)
		if err != nil || c == nil {
			return err
		}
		if c.unreadable != nil {
			out := o.finish(ctx, c, nil, &smtpclient.Result{}, c.unreadable)
			if tally != nil {
				tally(out.State)
			}
			continue
		}
		if sess == nil {
			sess, cfg, err = o.dial(ctx, account)
			if err != nil {
				o.failAccount(ctx, c, serverOf(cfg), err, tally)
				return nil
			}
		}
		c.server = serverOf(cfg)
		res, f, err := o.transmit(ctx, c, settings, sess.Send)
		out := o.finish(ctx, c, f, res, err)
		if tally != nil {
			tally(out.State)
		}
		if err != nil && !sessionUsable(err) {
			sess.Close()
			sess = nil
		}
	}
	return nil
}

// serverOf is the host:port of cfg, "" when unknown.
func serverOf(cfg smtpclient.Config) string {
	if cfg.Host == "" {
		return ""
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
}

// dial looks up the account's settings and connects.
func (o *Outbox) dial(ctx context.Context, account string) (*smtpclient.Session, smtpclient.Config, error) {
	cfg, err := o.accts.SMTPConfig(ctx, account)
	if err != nil {
		return nil, cfg, err
	}
	sess, err := smtpclient.Dial(ctx, cfg)
	return sess, cfg, err
}

// failAccount records a failure to connect for c and for every other
// message of the account that is due: they would fail the same way, and
// trying each against a server that does not answer could take hours.
func (o *Outbox) failAccount(ctx context.Context, c *claimed, server string, err error, tally func(State)) {
	for c != nil {
		c.server = server
		why := err
		if c.unreadable != nil {
			why = c.unreadable // it would fail even with a connection
		}
		out := o.finish(ctx, c, nil, &smtpclient.Result{}, why)
		if tally != nil {
			tally(out.State)
		}
		if ctx.Err() != nil || out.State == StateQueued {
			// Queued again: the account's sign-in was replaced during the
			// attempt, so the failure no longer holds for the others; the
			// next round dials again with the new one.
			return
		}
		c, _ = o.claim(ctx, c.account, 0)
	}
}

// sessionUsable reports whether a connection is still in step with the
// server after a failed send: only a refusal of the sender or of
// recipients, which the session answers with RSET, leaves it so.
func sessionUsable(err error) bool {
	var e *smtpclient.Error
	if !errors.As(err, &e) {
		return false
	}
	return (e.Stage == smtpclient.StageMail || e.Stage == smtpclient.StageRcpt) && e.Code != 421 && e.Err == nil
}

// dueAccounts lists the accounts that have messages due now.
func (o *Outbox) dueAccounts(ctx context.Context) ([]string, error) {
	return o.accountsWhere(ctx, `SELECT DISTINCT account_id FROM outbox_messages
		WHERE state IN ('queued', 'retrying') AND due <= ?`, ms(o.now()))
}

// drainingAccounts lists the accounts with a delivery loop running in this
// process.
func (o *Outbox) drainingAccounts() map[string]bool { return busyAccounts(&o.mu, o.draining) }

// nextDue is the earliest due time of a waiting message of an account
// that is not in skip.
func (o *Outbox) nextDue(ctx context.Context, skip map[string]bool) (time.Time, bool) {
	return o.earliestDue(ctx, `SELECT account_id, min(due) FROM outbox_messages
		WHERE state IN ('queued', 'retrying') GROUP BY account_id`, skip)
}

// rest waits for d, or until ctx ends.
func rest(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// accountsWhere runs a query whose rows are account ids: the accounts with
// messages (or copies) due, for the sending and the copy worker alike.
func (o *Outbox) accountsWhere(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := o.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var accounts []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		accounts = append(accounts, a)
	}
	return accounts, rows.Err()
}

// busyAccounts copies, under mu, the set of accounts a loop of this
// process is working on.
func busyAccounts(mu *sync.Mutex, running map[string]bool) map[string]bool {
	mu.Lock()
	defer mu.Unlock()
	busy := make(map[string]bool, len(running))
	for a := range running {
		busy[a] = true
	}
	return busy
}

// earliestDue runs a query whose rows are (account id, due time in ms) and
// returns the earliest time of an account not in skip; false when there is
// none or the query fails (the worker then waits for its poll).
func (o *Outbox) earliestDue(ctx context.Context, query string, skip map[string]bool) (time.Time, bool) {
	rows, err := o.db.QueryContext(ctx, query)
	if err != nil {
		return time.Time{}, false
	}
	defer rows.Close()
	var next time.Time
	found := false
	for rows.Next() {
		var account string
		var due int64
		if err := rows.Scan(&account, &due); err != nil {
			return time.Time{}, false
		}
		if skip[account] {
			continue
		}
		if t := fromMS(due); !found || t.Before(next) {
			next, found = t, true
		}
	}
	if rows.Err() != nil {
		return time.Time{}, false
	}
	return next, found
}

// reachability checks, with backoff, whether servers that could not be
// reached answer again, so that their messages go out as soon as the
// network is back instead of at their next retry time.
type reachability struct {
	mu      sync.Mutex
	next    time.Time // when to check next; zero: as soon as there is a reason
	wait    time.Duration
	running bool
}

// schedule starts a check when one is due and says how long until the
// next; ok is false when Run needs no timer for it: no message waits for an
// unreachable server, or a check is under way (it nudges when it ends).
func (r *reachability) schedule(ctx context.Context, o *Outbox) (time.Duration, bool) {
	servers, err := o.offlineServers(ctx)
	if err != nil || len(servers) == 0 {
		r.mu.Lock()
		r.next, r.wait = time.Time{}, reachabilityBackoff.first
		r.mu.Unlock()
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.next.IsZero() {
		r.next = now.Add(r.wait)
	}
	if r.running {
		// r.next is in the past until the check ends: returning it would
		// make every wake-up meanwhile end in a zero wait, a busy loop for
		// as long as the check takes (up to reachabilityTimeout a server).
		return 0, false
	}
	if now.Before(r.next) {
		return r.next.Sub(now), true
	}
	r.running = true
	go func() {
		back := o.checkServers(ctx, servers)
		r.mu.Lock()
		r.running = false
		if back {
			r.wait = reachabilityBackoff.first
		} else {
			r.wait = min(r.wait*2, reachabilityBackoff.max)
		}
		r.next = time.Now().Add(r.wait)
		r.mu.Unlock()
		o.Nudge()
	}()
	return r.wait, true
}

// offlineServers lists the servers that retrying messages could not reach.
func (o *Outbox) offlineServers(ctx context.Context) ([]string, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT DISTINCT server FROM outbox_messages
		WHERE state = 'retrying' AND offline = 1 AND server <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var servers []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, rows.Err()
}

// checkServers opens (and at once closes) a TCP connection to each server;
// the messages of every server that answers are made due now.
func (o *Outbox) checkServers(ctx context.Context, servers []string) bool {
	back := false
	for _, server := range servers {
		dctx, cancel := context.WithTimeout(ctx, reachabilityTimeout)
		conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", server)
		cancel()
		if err != nil {
			continue
		}
		conn.Close()
		back = true
		o.db.ExecContext(ctx, `UPDATE outbox_messages SET due = ? WHERE state = 'retrying' AND offline = 1 AND server = ?`,
			ms(o.now()), server)
	}
	return back
}

// stateOf returns a message's state.
func (o *Outbox) stateOf(ctx context.Context, id int64) (State, error) {
	var s State
	err := o.db.QueryRowContext(ctx, `SELECT state FROM outbox_messages WHERE id = ?`, id).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return s, err
}
