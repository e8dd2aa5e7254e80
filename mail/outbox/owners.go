package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Several Postie processes may share a data directory: the window, a
// `postie send` from a script, a second window. A message in "sending"
// belongs to the process that claimed it (its owner). When a process finds
// a "sending" message whose owner is gone, that owner crashed or was killed
// mid-send, and nobody can know whether the server got the message: it
// becomes "unknown" (RFC 1047). A live owner's messages are never touched.
//
// "Gone" is decided as precisely as the platform allows. On Linux a process
// on the same machine, boot and PID namespace is checked directly: its PID
// must exist with the same start time (so a reused PID does not count). In
// every other case (other systems, another computer sharing the folder) the
// owner is trusted while its heartbeat, renewed every lease/4, is fresher
// than the lease.

// owner identifies one open Outbox in one process.
type owner struct {
	id      string // random, unique per Open
	host    string
	pid     int
	process string // processIdentity(pid) at start; "" where unsupported
}

func currentProcess() owner {
	var random [12]byte
	rand.Read(random[:])
	host, _ := os.Hostname()
	pid := os.Getpid()
	return owner{id: hex.EncodeToString(random[:]), host: host, pid: pid, process: processIdentity(pid)}
}

// ownerRow is an owner as stored, with its last heartbeat.
type ownerRow struct {
	owner
	heartbeat time.Time
}

func (o *Outbox) register(ctx context.Context) error {
	_, err := o.db.ExecContext(ctx, `INSERT INTO outbox_owners(owner, host, pid, process, heartbeat) VALUES(?, ?, ?, ?, ?)
		ON CONFLICT(owner) DO UPDATE SET heartbeat = excluded.heartbeat`,
		o.self.id, o.self.host, o.self.pid, o.self.process, ms(o.now()))
	return err
}

// heartbeat renews this process's lease until Close.
func (o *Outbox) heartbeat() {
	t := time.NewTicker(o.lease / 4)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			o.register(context.Background())
		}
	}
}

// alive reports whether the owner may still be sending.
func (o *Outbox) alive(w ownerRow, now time.Time) bool {
	if w.id == o.self.id {
		return true
	}
	if w.host == o.self.host && comparable(w.process, o.self.process) {
		return processIdentity(w.pid) == w.process
	}
	return now.Sub(w.heartbeat) < o.lease
}

// recover turns the "sending" messages of owners that are gone into
// "unknown", and forgets those owners.
func (o *Outbox) recover(ctx context.Context) error {
	var lost []Event
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		owners, err := readOwners(tx)
		if err != nil {
			return err
		}
		now := o.now()
		dead := map[string]bool{}
		for id, w := range owners {
			if !o.alive(w, now) {
				dead[id] = true
			}
		}
		holders, err := sendingOwners(tx)
		if err != nil {
			return err
		}
		for _, id := range holders {
			if _, known := owners[id]; !known {
				dead[id] = true
			}
		}
		for id := range dead {
			evs, err := o.markLost(tx, id, now)
			if err != nil {
				return err
			}
			lost = append(lost, evs...)
			if _, err := tx.Exec(`DELETE FROM outbox_owners WHERE owner = ?`, id); err != nil {
				return err
			}
		}
		return releaseLostCopies(tx, now)
	})
	if err != nil {
		return err
	}
	for _, ev := range lost {
		o.events.publish(ev)
	}
	return nil
}

func readOwners(tx *sql.Tx) (map[string]ownerRow, error) {
	rows, err := tx.Query(`SELECT owner, host, pid, process, heartbeat FROM outbox_owners`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	owners := map[string]ownerRow{}
	for rows.Next() {
		var w ownerRow
		var beat int64
		if err := rows.Scan(&w.id, &w.host, &w.pid, &w.process, &beat); err != nil {
			return nil, err
		}
		w.heartbeat = fromMS(beat)
		owners[w.id] = w
	}
	return owners, rows.Err()
}

func sendingOwners(tx *sql.Tx) ([]string, error) {
	rows, err := tx.Query(`SELECT DISTINCT owner FROM outbox_messages WHERE state = ?`, StateSending)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// markLost records an unknown outcome for every message owner was sending.
// The owner column is kept, so that the owner, should it turn out to be
// alive after all, can still record the real outcome.
func (o *Outbox) markLost(tx *sql.Tx, ownerID string, now time.Time) ([]Event, error) {
	rows, err := tx.Query(`SELECT id, updated, subject FROM outbox_messages WHERE state = ? AND owner = ?`, StateSending, ownerID)
	if err != nil {
		return nil, err
	}
	type lostMessage struct {
		id      int64
		started int64
		subject string
	}
	var list []lostMessage
	for rows.Next() {
		var m lostMessage
		if err := rows.Scan(&m.id, &m.started, &m.subject); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var evs []Event
	for _, m := range list {
		lost := &Failure{Note: NoteProcessLost}
		_, err := tx.Exec(`UPDATE outbox_messages SET state = ?, error = '', failure = ?, updated = ?, offline = 0 WHERE id = ?`,
			StateUnknown, lost.encode(), ms(now), m.id)
		if err == nil {
			_, err = tx.Exec(`INSERT INTO outbox_attempts(message, started, finished, outcome, failure, class) VALUES(?, ?, ?, '', ?, ?)`,
				m.id, m.started, ms(now), lost.encode(), smtpclient.UnknownOutcome)
		}
		if err == nil {
			err = recordHistory(tx, m.id, now, StateUnknown, "", lost)
		}
		if err != nil {
			return nil, err
		}
		evs = append(evs, Event{ID: m.id, State: StateUnknown, Subject: m.subject, Failure: lost})
	}
	return evs, nil
}
