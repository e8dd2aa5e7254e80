// Command seed fills a Postie data directory for the start-up benchmark
// (ui/bench/startup.sh): one account and N messages in the sent log, as if they had
// been sent over the years.
//
// The schema is the real one: the database is opened with package store and
// migrated by accounts.Open and outbox.Open, exactly as Postie does at
// start-up. The account is added through the accounts API without a
// password, so no keyring is needed. The sent messages are written as rows,
// the way bench_test.go in mail/outbox does, in batched transactions, because
// going through Enqueue and an SMTP server would sync every file and take
// an hour. As after a real send, each row names its .eml file in
// <data dir>/messages, which the outbox keeps for Resend and export and
// reads through at start-up; seed writes those files too, unsynced.
//
// Usage: seed [-n 100000] DATA_DIR
//
// It must never be pointed at a real data directory: it refuses one that
// already holds a database.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/store"
)

// batchSize rows go into one transaction: large enough that commits do not
// dominate, small enough that the WAL stays modest.
const batchSize = 10000

// distinctRecipients is how many different people the sent log was sent
// to; the address list (autocomplete) holds one row each.
const distinctRecipients = 5000

var words = []string{"invoice", "meeting", "holiday", "report", "budget", "project", "lunch", "contract", "review", "travel",
	"quarterly", "family", "birthday", "garden", "school", "concert", "delivery", "insurance", "doctor", "football"}

func main() {
	n := flag.Int("n", 100000, "number of sent messages")
	files := flag.Bool("files", true, "write each sent message's .eml file, as sending leaves it")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: seed [-n COUNT] DATA_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *n < 0 {
		flag.Usage()
		os.Exit(64)
	}
	if err := seed(context.Background(), flag.Arg(0), *n, *files); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func seed(ctx context.Context, dir string, n int, files bool) error {
	if _, err := os.Stat(filepath.Join(dir, "postie.db")); err == nil {
		return fmt.Errorf("%s already holds a database; seed only fills a new data directory", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	db, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer db.Close()
	accts, err := accounts.Open(db, &accounts.Secrets{})
	if err != nil {
		return err
	}
	acct := accounts.Account{Name: "Benchmark", DisplayName: "Bench Sender", Email: "me@example.org",
		Host: "smtp.example.org", Port: 587, Security: "starttls", Username: "me@example.org"}
	if err := accts.Add(ctx, &acct, ""); err != nil {
		return err
	}
	box, err := outbox.Open(db, accts)
	if err != nil {
		return err
	}
	if err := box.Close(); err != nil {
		return err
	}
	spool := ""
	if files {
		spool = filepath.Join(dir, "messages") // made by outbox.Open
	}
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for first := 1; first <= n; first += batchSize {
		last := min(first+batchSize-1, n)
		if err := inTx(ctx, db.DB, func(tx *sql.Tx) error { return insertSent(ctx, tx, acct.ID, spool, start, first, last) }); err != nil {
			return err
		}
	}
	if err := inTx(ctx, db.DB, func(tx *sql.Tx) error { return insertAddresses(ctx, tx, start, n) }); err != nil {
		return err
	}
	// Leave the database as Postie finds it after a clean exit, not with
	// the whole log still in the WAL.
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// address is an address as the outbox stores it in JSON.
type address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

func recipient(i int) address {
	r := i % distinctRecipients
	return address{Name: fmt.Sprintf("Person %d", r), Email: fmt.Sprintf("person%d@example%d.org", r, r%50)}
}

// insertSent writes messages first..last as sent, one a minute, with their
// full-text index rows and, when spool is set, their .eml files in it, as
// the outbox leaves a message after sending it.
func insertSent(ctx context.Context, tx *sql.Tx, accountID, spool string, start time.Time, first, last int) error {
	insert, err := tx.PrepareContext(ctx, `INSERT INTO outbox_messages(id, account_id, state, message_id, from_addr,
		to_addrs, subject, body, spool, size, created, updated, sent_at, attempts, server_reply)
		VALUES(?, ?, 'sent', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	index, err := tx.PrepareContext(ctx, `INSERT INTO outbox_search(rowid, subject, recipients, body) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer index.Close()
	from := mustJSON(address{Name: "Bench Sender", Email: "me@example.org"})
	for i := first; i <= last; i++ {
		w1, w2, w3 := words[i%len(words)], words[(i/7)%len(words)], words[(i/131)%len(words)]
		subject := fmt.Sprintf("%s %s #%d", w1, w2, i)
		to := recipient(i)
		body := fmt.Sprintf("Hello,\nabout the %s and the %s: see you on %d.\nRegards", w2, w3, i)
		sentAt := start.Add(time.Duration(i) * time.Minute)
		at := sentAt.UnixMilli()
		messageID := fmt.Sprintf("bench-%d@example.org", i)
		eml := fmt.Sprintf("From: Bench Sender <me@example.org>\r\nTo: %s <%s>\r\nSubject: %s\r\nDate: %s\r\n"+
			"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			to.Name, to.Email, subject, sentAt.Format(time.RFC1123Z), messageID, strings.ReplaceAll(body, "\n", "\r\n"))
		name := ""
		if spool != "" {
			name = fmt.Sprintf("%032x.eml", i) // the outbox names files with 32 random hex digits
			if err := os.WriteFile(filepath.Join(spool, name), []byte(eml), 0o600); err != nil {
				return err
			}
		}
		if _, err := insert.ExecContext(ctx, i, accountID, messageID, from, mustJSON([]address{to}), subject, body,
			name, len(eml), at, at, at, "250 2.0.0 Ok: queued"); err != nil {
			return err
		}
		if _, err := index.ExecContext(ctx, i, subject, to.Name+" "+to.Email, body); err != nil {
			return err
		}
	}
	return nil
}

// insertAddresses fills the address list that autocomplete draws on, as
// sending the n messages would have left it.
func insertAddresses(ctx context.Context, tx *sql.Tx, start time.Time, n int) error {
	insert, err := tx.PrepareContext(ctx, `INSERT INTO outbox_addresses(email, display, uses, last_used) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	for r := 0; r < min(n, distinctRecipients); r++ {
		a := recipient(r)
		uses := n / distinctRecipients
		lastUsed := start.Add(time.Duration(n-distinctRecipients+r) * time.Minute).UnixMilli()
		if _, err := insert.ExecContext(ctx, a.Email, a.Name+" <"+a.Email+">", max(uses, 1), lastUsed); err != nil {
			return err
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings are encoded
	}
	return string(b)
}
