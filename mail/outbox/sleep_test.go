package outbox

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The background worker must sleep until something it can act on changes.
// These tests read the waits it decides on (sleepHook) instead of timing
// it: a loop that decides to sleep for its poll interval is not spinning,
// and one that decides on zero is, however fast the machine.

// waitLog records every wait Run decides on.
type waitLog struct {
	mu      sync.Mutex
	waits   []time.Duration
	changed chan struct{} // capacity 1: "a wait was recorded"
}

// recordWaits installs a waitLog on o; call it before Run.
func recordWaits(o *Outbox) *waitLog {
	l := &waitLog{changed: make(chan struct{}, 1)}
	o.sleepHook = func(wait time.Duration) {
		l.mu.Lock()
		l.waits = append(l.waits, wait)
		l.mu.Unlock()
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
	return l
}

func (l *waitLog) snapshot() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.waits...)
}

// awaitPasses waits until Run has gone round its loop at least n times.
func (l *waitLog) awaitPasses(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(l.snapshot()) < n {
		select {
		case <-l.changed:
		case <-deadline:
			t.Fatalf("the worker went round its loop %d times, expected %d", len(l.snapshot()), n)
		}
	}
}

// assertAllSleeps fails unless every wait so far is the poll interval:
// with nothing due that this process may take, that is all it waits for.
func (l *waitLog) assertAllSleeps(t *testing.T) {
	t.Helper()
	for i, w := range l.snapshot() {
		if w != pollInterval {
			t.Fatalf("pass %d of the worker decided to wait %v, not %v: it would go round again at once", i+1, w, pollInterval)
		}
	}
}

// startRun runs o's worker until the test ends.
func startRun(t *testing.T, o *Outbox) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		o.Run(ctx)
		close(ran)
	}()
	t.Cleanup(func() {
		cancel()
		<-ran
	})
}

// awaitStates reads events until each message in want reached its state,
// and returns the last event of each.
func awaitStates(t *testing.T, events <-chan Event, want map[int64]State) map[int64]Event {
	t.Helper()
	got := map[int64]Event{}
	deadline := time.After(20 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-events:
			if state, ok := want[ev.ID]; ok && !ev.Progress && ev.State == state {
				got[ev.ID] = ev
			}
		case <-deadline:
			t.Fatalf("reached %v, want %v", got, want)
		}
	}
	return got
}

// TestRunSleepsWhileASendStalls queues three messages for one account
// whose server stalls on DATA (a slow server or a large upload). While the
// first is stuck, the other two are due, but only that account's drain may
// take them, after the first: the worker used to find them due, wait zero
// and go round again, about 130% of a core in the window for as long as the
// send lasted.
func TestRunSleepsWhileASendStalls(t *testing.T) {
	srv := startSink(t)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	waits := recordWaits(o)
	events, stop := o.Subscribe()
	defer stop()
	tr := newTrap("body", 1, true)
	srv.SetTrap(tr)
	want := map[int64]State{}
	for i := range 3 {
		want[enqueueRaw(t, o, "acct", fmt.Sprintf("stall-%d@example.org", i), "Stall", time.Time{})] = StateSent
	}
	startRun(t, o)
	<-tr.Hit // the first message is stuck in DATA; the other two are due

	// Each nudge wakes the worker once (Enqueue's pending nudge may be the
	// one that does); after it, it must decide to sleep again.
	const nudges = 3
	for range nudges {
		passes := len(waits.snapshot())
		o.Nudge()
		waits.awaitPasses(t, passes+1)
	}
	waits.assertAllSleeps(t)
	// The pass that started the drain, Enqueue's pending nudge, and ours.
	if n := len(waits.snapshot()); n > nudges+2 {
		t.Fatalf("the worker went round its loop %d times during the stalled send", n)
	}
	close(tr.Release)
	awaitStates(t, events, want)
	for i := range 3 {
		if n := srv.count(fmt.Sprintf("stall-%d@example.org", i)); n != 1 {
			t.Fatalf("message %d arrived %d times", i, n)
		}
	}
	waits.assertAllSleeps(t)
}

// TestUnreadableMessageFails damages a queued message's stored recipients.
// Such a row could not be claimed: it stayed queued and due for ever, the
// worker tried it in a tight loop, and the account's other messages, queued
// behind it, never went out. Now it fails at once with a plain explanation
// that the details, `postie outbox` and `postie log` show, and is not tried
// again by itself.
func TestUnreadableMessageFails(t *testing.T) {
	ctx := context.Background()
	srv := startSink(t)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	o := openDir(t, t.TempDir(), accts)
	waits := recordWaits(o)
	events, stop := o.Subscribe()
	defer stop()
	damage := func(id int64) {
		t.Helper()
		if _, err := o.db.Exec(`UPDATE outbox_messages SET env_to = '["rcpt@example.net"' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}

	// SendNow reports it as failed, like a missing saved copy.
	now := enqueueRaw(t, o, "acct", "damaged-now@example.org", "Damaged", time.Time{})
	damage(now)
	out, err := o.SendNow(ctx, now)
	if err != nil || out.State != StateFailed || out.Err == nil || out.Failure.Note != NoteRecipientsDamaged {
		t.Fatalf("SendNow of a damaged message: %+v, %v", out, err)
	}

	// The worker fails it and sends the message queued after it.
	bad := enqueueRaw(t, o, "acct", "damaged@example.org", "Damaged", time.Time{})
	damage(bad)
	good := enqueueRaw(t, o, "acct", "after-damaged@example.org", "After", time.Time{})
	startRun(t, o)
	got := awaitStates(t, events, map[int64]State{bad: StateFailed, good: StateSent})
	if f := got[bad].Failure; f == nil || f.Note != NoteRecipientsDamaged {
		t.Fatalf("failed event says %+v", f)
	}
	for _, id := range []int64{now, bad} {
		d := mustGet(t, o, id)
		last := d.History[len(d.History)-1]
		if d.State != StateFailed || d.Failure.Note != NoteRecipientsDamaged || len(d.Attempts) != 1 || d.Attempts[0].Failure.Note != NoteRecipientsDamaged ||
			d.Attempts[0].Class != "permanent" || last.State != StateFailed || last.Failure == nil || last.Failure.Note != NoteRecipientsDamaged {
			t.Fatalf("message %d: %s %+v, attempts %+v, history %+v", id, d.State, d.Failure, d.Attempts, d.History)
		}
	}
	if srv.count("damaged@example.org") != 0 || srv.count("damaged-now@example.org") != 0 || srv.count("after-damaged@example.org") != 1 {
		t.Fatal("the server got the wrong messages")
	}

	// Another look finds nothing to do: the failed one is not tried again.
	passes := len(waits.snapshot())
	o.Nudge()
	waits.awaitPasses(t, passes+1)
	waits.assertAllSleeps(t)
	if d := mustGet(t, o, bad); d.State != StateFailed || len(d.Attempts) != 1 {
		t.Fatalf("after another pass: %s, %d attempts", d.State, len(d.Attempts))
	}
}

// TestReachabilityCheckUnderWayNeedsNoTimer: while a check whether an
// unreachable server answers again is running, its planned time is in the
// past; it used to be returned as a negative wait, so every wake-up during
// the check (up to reachabilityTimeout a server) ended in a busy loop. The
// check nudges the worker when it ends, so no timer is needed meanwhile.
func TestReachabilityCheckUnderWayNeedsNoTimer(t *testing.T) {
	o := openDir(t, t.TempDir(), &accountsMap{})
	id := enqueueRaw(t, o, "acct", "offline@example.org", "Offline", time.Time{})
	if _, err := o.db.Exec(`UPDATE outbox_messages SET state = 'retrying', offline = 1, server = '127.0.0.1:9',
		due = ? WHERE id = ?`, ms(time.Now().Add(time.Hour)), id); err != nil {
		t.Fatal(err)
	}
	r := reachability{wait: reachabilityBackoff.first, running: true, next: time.Now().Add(-time.Second)}
	if wait, ok := r.schedule(context.Background(), o); ok && wait <= 0 {
		t.Fatalf("during a check, schedule asks for a wait of %v", wait)
	}
	r = reachability{wait: reachabilityBackoff.first, next: time.Now().Add(time.Minute)}
	if wait, ok := r.schedule(context.Background(), o); !ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("before the next check, schedule asks for %v, %v", wait, ok)
	}
}

// TestRunRestsAfterAnOutboxError makes every claim fail with an error of
// SQLite itself, as a full disk does. The account's delivery loop used to
// end, nudge the worker, be started again at once and fail again, round
// and round for as long as the error lasted; now the account rests until
// the next poll.
func TestRunRestsAfterAnOutboxError(t *testing.T) {
	o := openDir(t, t.TempDir(), &accountsMap{})
	enqueueRaw(t, o, "acct", "cannot-claim@example.org", "Cannot claim", time.Time{})
	if _, err := o.db.Exec(`CREATE TRIGGER claim_fails BEFORE UPDATE OF state ON outbox_messages
		WHEN NEW.state = 'sending' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	waits := recordWaits(o)
	var mu sync.Mutex
	started := 0
	failed := make(chan error, 100)
	o.drainHook = func(account string, ended bool, err error) {
		if !ended {
			mu.Lock()
			started++
			mu.Unlock()
		} else if err != nil {
			failed <- err
		}
	}
	startRun(t, o)
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery loop did not fail")
	}
	// Each nudge makes the worker look again; the drain that just failed
	// must not be started again before its rest is over.
	for range 3 {
		passes := len(waits.snapshot())
		o.Nudge()
		waits.awaitPasses(t, passes+1)
	}
	mu.Lock()
	defer mu.Unlock()
	if started != 1 {
		t.Fatalf("the failing delivery loop was started %d times", started)
	}
	waits.assertAllSleeps(t)
}
