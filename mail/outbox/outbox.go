package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// Accounts gives the worker an account's server settings with its secret.
// The accounts package implements it; the outbox never reads the keyring
// itself.
type Accounts interface {
	SMTPConfig(ctx context.Context, accountID string) (smtpclient.Config, error)
}

// Outbox is the outbox, sent log, drafts and settings of one data
// directory. Its methods are safe for concurrent use, and several
// processes may open the same data directory at once.
type Outbox struct {
	db    *store.DB
	accts Accounts
	spool string // <data dir>/messages
	now   func() time.Time
	lease time.Duration
	self  owner

	wake chan struct{} // nudges Run; buffered, one pending nudge is enough

	copier   SentCopier    // files copies in the Sent folder; nil: none
	copyWake chan struct{} // nudges the copy worker, like wake
	copyHook func(wait time.Duration)
	copyMu   sync.Mutex
	copying  map[string]bool // accounts with a copy loop running
	// recordCopyFault, set only by tests, makes recording a copy's result
	// fail as a locked or full database would.
	recordCopyFault func(id int64) error

	mu       sync.Mutex
	inflight map[int64]*flight // messages this process is sending
	draining map[string]bool   // accounts with a delivery loop running

	// sleepHook, set only by tests, is told every wait Run decides on
	// before it sleeps, so that they can prove it does not busy-loop.
	sleepHook func(wait time.Duration)
	// drainHook, set only by tests, is told when a delivery loop starts
	// (ended false) and when it ends (ended true, with what stopped it).
	drainHook func(account string, ended bool, err error)

	events    hub
	closeOnce sync.Once
	stop      chan struct{} // closed by Close
}

// Option adjusts Open.
type Option func(*Outbox)

// WithClock replaces the clock used for holds, retry times and leases, for
// tests of schedules that must not sleep.
func WithClock(now func() time.Time) Option {
	return func(o *Outbox) { o.now = now }
}

// WithLease sets how long another process trusts this one's claim on a
// message in "sending" without hearing from it (default 2 minutes). It only
// matters between processes that cannot see each other, such as two
// computers sharing a data directory.
func WithLease(d time.Duration) Option {
	return func(o *Outbox) { o.lease = d }
}

// DefaultLease is how long a sending process's claim lasts between
// heartbeats when its liveness cannot be checked directly.
const DefaultLease = 2 * time.Minute

// Open prepares the outbox tables in db, registers this process as a
// possible sender, and turns messages left in "sending" by a process that
// is gone into "unknown". It starts nothing in the background except a
// heartbeat; call Run for the worker.
func Open(db *store.DB, accts Accounts, opts ...Option) (*Outbox, error) {
	o := &Outbox{
		db:       db,
		accts:    accts,
		spool:    filepath.Join(db.Dir, "messages"),
		now:      time.Now,
		lease:    DefaultLease,
		wake:     make(chan struct{}, 1),
		copyWake: make(chan struct{}, 1),
		copying:  map[string]bool{},
		inflight: map[int64]*flight{},
		draining: map[string]bool{},
		stop:     make(chan struct{}),
	}
	for _, opt := range opts {
		opt(o)
	}
	if o.lease <= 0 {
		o.lease = DefaultLease
	}
	if err := db.Migrate(component, migrations); err != nil {
		return nil, err
	}
	if err := o.inTx(context.Background(), recoverFailures); err != nil {
		return nil, err
	}
	if err := prepareSpool(o.spool); err != nil {
		return nil, err
	}
	o.self = currentProcess()
	ctx := context.Background()
	if err := o.register(ctx); err != nil {
		return nil, err
	}
	if err := o.recover(ctx); err != nil {
		return nil, err
	}
	go o.heartbeat()
	return o, nil
}

// Close stops the heartbeat and withdraws this process as a sender. Call
// it after Run and every send have returned; a message still in "sending"
// then becomes "unknown" when the next process starts.
func (o *Outbox) Close() error {
	o.closeOnce.Do(func() { close(o.stop) })
	_, err := o.db.Exec(`DELETE FROM outbox_owners WHERE owner = ?`, o.self.id)
	o.events.closeAll()
	return err
}

// ms turns a time into the stored form.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS turns a stored time back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// inTx runs fn in one IMMEDIATE transaction (store opens them so): it takes
// the write lock first, so a read followed by a write in fn cannot be
// overtaken by another process.
func (o *Outbox) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot open Postie's outbox: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot save to Postie's outbox: %w", err)
	}
	return nil
}

// addHistory records that message id entered state at the given time.
func addHistory(tx *sql.Tx, id int64, at time.Time, state State, note string) error {
	return recordHistory(tx, id, at, state, note, nil)
}

// recordHistory is addHistory with the facts of the attempt that caused
// the change.
func recordHistory(tx *sql.Tx, id int64, at time.Time, state State, note string, f *Failure) error {
	_, err := tx.Exec(`INSERT INTO outbox_history(message, at, state, note, failure) VALUES(?, ?, ?, ?, ?)`, id, ms(at), state, note, f.encode())
	return err
}

// ErrNotFound is returned for an id that names no message.
var ErrNotFound = errors.New("outbox: no such message")

// StateError says that an action does not fit the message's state.
type StateError struct {
	ID     int64
	State  State
	Action string // e.g. "retry"
}

func (e *StateError) Error() string {
	return fmt.Sprintf("outbox: message %d cannot be %s in state %s", e.ID, e.Action, e.State)
}
