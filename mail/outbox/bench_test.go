package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sentLog is an outbox holding 100,000 sent messages, built once.
var sentLog struct {
	once sync.Once
	dir  string
	err  error
}

const sentLogSize = 100000

var words = []string{"invoice", "meeting", "holiday", "report", "budget", "project", "lunch", "contract", "review", "travel",
	"quarterly", "family", "birthday", "garden", "school", "concert", "delivery", "insurance", "doctor", "football"}

// fillSentLog writes the rows directly, as the enqueue path would leave
// them after sending, without 100,000 spool files.
func fillSentLog(o *Outbox) error {
	return o.inTx(context.Background(), func(tx *sql.Tx) error {
		insert, err := tx.Prepare(`INSERT INTO outbox_messages(id, account_id, state, message_id, from_addr, to_addrs,
			subject, body, created, updated, sent_at, attempts, server_reply) VALUES(?, 'acct', 'sent', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`)
		if err != nil {
			return err
		}
		fts, err := tx.Prepare(`INSERT INTO outbox_search(rowid, subject, recipients, body) VALUES(?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= sentLogSize; i++ {
			w1, w2, w3 := words[i%len(words)], words[(i/7)%len(words)], words[(i/131)%len(words)]
			subject := fmt.Sprintf("%s %s #%d", w1, w2, i)
			to := addr{Name: fmt.Sprintf("Person %d", i%5000), Email: fmt.Sprintf("person%d@example%d.org", i%5000, i%50)}
			body := fmt.Sprintf("Hello,\nabout the %s and the %s: see you on %d.\nRegards", w2, w3, i)
			at := ms(start.Add(time.Duration(i) * time.Minute))
			if _, err := insert.Exec(i, fmt.Sprintf("m%d@example.org", i), encodeJSON(addr{Email: "me@example.org"}),
				encodeJSON([]addr{to}), subject, body, at, at, at, "250 2.0.0 Ok: queued"); err != nil {
				return err
			}
			if _, err := fts.Exec(i, subject, to.Name+" "+to.Email, body); err != nil {
				return err
			}
		}
		return nil
	})
}

func openSentLog(b *testing.B) *Outbox {
	sentLog.once.Do(func() {
		sentLog.dir, sentLog.err = tempDirForBench()
		if sentLog.err != nil {
			return
		}
		o := openDir(b, sentLog.dir, &accountsMap{})
		sentLog.err = fillSentLog(o)
	})
	if sentLog.err != nil {
		b.Fatal(sentLog.err)
	}
	return openDir(b, sentLog.dir, &accountsMap{})
}

// BenchmarkSentLogNewest50 lists the newest page of a 100,000-message
// sent log (target: ≤ 20 ms).
func BenchmarkSentLogNewest50(b *testing.B) {
	o := openSentLog(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		list, err := o.List(ctx, Query{States: []State{StateSent}, Limit: 50})
		if err != nil || len(list) != 50 || list[0].ID != sentLogSize {
			b.Fatal(len(list), err)
		}
	}
}

// BenchmarkSentLogSearch runs full-text searches over a 100,000-message
// sent log (target: ≤ 50 ms each): a rare word, a common one matching a
// twentieth of the log, and a recipient's name.
func BenchmarkSentLogSearch(b *testing.B) {
	o := openSentLog(b)
	ctx := context.Background()
	for _, q := range []string{"person 4321", "budget", "invoice meeting", "concert garden", "#99999"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				list, err := o.List(ctx, Query{States: []State{StateSent}, Search: q, Limit: 50})
				if err != nil || len(list) == 0 {
					b.Fatal(len(list), err)
				}
			}
		})
	}
}

// BenchmarkFlush1000 flushes 1,000 queued small messages to an in-process
// server over one reused connection.
func BenchmarkFlush1000(b *testing.B) {
	ctx := context.Background()
	srv := startSink(b)
	accts := &accountsMap{}
	accts.set("acct", srv.config())
	for b.Loop() {
		b.StopTimer()
		dir, err := tempDirForBench()
		if err != nil {
			b.Fatal(err)
		}
		o := openDir(b, dir, accts)
		for i := 0; i < 1000; i++ {
			enqueueRaw(b, o, "acct", fmt.Sprintf("flush-%d-%d@example.org", b.N, i), "Flush benchmark", time.Time{})
		}
		b.StartTimer()
		sum, err := o.Flush(ctx)
		if err != nil || sum.Sent != 1000 {
			b.Fatal(sum, err)
		}
	}
}
