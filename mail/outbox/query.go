package outbox

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Entry is a message as lists show it.
type Entry struct {
	ID        int64
	MessageID string // without <>
	Account   string // the account's id
	State     State
	From      string
	To, Cc    []string
	Bcc       []string
	Subject   string
	Created   time.Time
	SentAt    time.Time // zero until sent
	// NextAttempt is when a queued or retrying message is due.
	NextAttempt time.Time
	// AttemptCount is the number of delivery attempts so far.
	AttemptCount int
	// Failure is the last failure, nil if none; a front end writes its
	// sentence.
	Failure *Failure
	// ServerReply is the server's final reply for a sent message, or its
	// reply to the last failed attempt.
	ServerReply string
	Size        int64

	// SentCopy is what became of the copy in the mailbox's Sent folder;
	// CopyOff for a message not sent.
	SentCopy SentCopy
	// SentFolder is the folder the copy was filed in (or is to be), once
	// known.
	SentFolder string
	// CopyFailure is why the copy is pending or failed; nil otherwise.
	CopyFailure *CopyFailure
	// CopyNextTry is when a pending copy is tried next.
	CopyNextTry time.Time
	// CopyAttempts counts the tries to file the copy.
	CopyAttempts int
}

// Detail is everything known about one message.
type Detail struct {
	Entry
	Body        string
	Markdown    bool
	Attachments []string // names
	Attempts    []Attempt
	History     []Change
}

// Attempt is one delivery attempt.
type Attempt struct {
	Started, Finished time.Time
	Failure           *Failure // what happened, as facts (NoteSent when sent)
	Class             string   // "temporary", "permanent", "unknown-outcome"; "" when sent
	Stage             string   // where it failed: connect, auth, rcpt, …
	ServerReply       string
	Transcript        string // redacted SMTP dialogue, one line per line
}

// Change is one entry of a message's history.
type Change struct {
	At      time.Time
	State   State
	Note    string   // the outbox's own remark, e.g. when a held message is due
	Failure *Failure // the attempt that caused the change, if one did
}

// Query selects messages for a list, newest first.
type Query struct {
	States []State // empty: every state but draft
	// Search is full-text search over subject, recipients and body: each
	// word must appear, as a word or the start of one.
	Search string
	Limit  int // default 50
	// Before continues a list after its last entry (keyset pagination,
	// fast at any depth): only messages with a smaller id.
	Before int64
	// Offset skips entries; prefer Before for deep pages.
	Offset int
}

const entryColumns = `m.id, m.message_id, m.account_id, m.state, m.from_addr, m.to_addrs, m.cc_addrs, m.bcc_addrs,
	m.subject, m.created, m.sent_at, m.due, m.attempts, m.error, m.failure, m.server_reply, m.size,
	m.sent_copy, m.sent_folder, m.copy_failure, m.copy_due, m.copy_attempts`

// scanEntry reads entryColumns, then any extra columns into extra.
func scanEntry(row interface{ Scan(...any) error }, extra ...any) (Entry, error) {
	var e Entry
	var from, to, cc, bcc string
	var created, sentAt, due int64
	var legacyError, failure, copyFailure string
	var copyDue int64
	err := row.Scan(append([]any{&e.ID, &e.MessageID, &e.Account, &e.State, &from, &to, &cc, &bcc,
		&e.Subject, &created, &sentAt, &due, &e.AttemptCount, &legacyError, &failure, &e.ServerReply, &e.Size,
		&e.SentCopy, &e.SentFolder, &copyFailure, &copyDue, &e.CopyAttempts}, extra...)...)
	if err != nil {
		return e, err
	}
	if e.SentCopy == "" {
		e.SentCopy = CopyOff
	}
	if e.SentCopy == CopyPending || e.SentCopy == CopyFailed {
		e.CopyFailure = decodeCopyFailure(copyFailure)
	}
	if e.SentCopy == CopyPending {
		e.CopyNextTry = fromMS(copyDue)
	}
	e.Failure = decodeFailure(failure, legacyError)
	var f addr
	json.Unmarshal([]byte(from), &f)
	e.From = f.display()
	e.To, e.Cc, e.Bcc = displayAll(decodeAddrs(to)), displayAll(decodeAddrs(cc)), displayAll(decodeAddrs(bcc))
	e.Created, e.SentAt = fromMS(created), fromMS(sentAt)
	if e.State == StateQueued || e.State == StateRetrying {
		e.NextAttempt = fromMS(due)
	}
	return e, nil
}

// where builds the filter of q, without pagination.
func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	if len(q.States) == 0 {
		conds = append(conds, "m.state <> 'draft'")
	} else {
		marks := make([]string, len(q.States))
		for i, s := range q.States {
			marks[i] = "?"
			args = append(args, s)
		}
		conds = append(conds, "m.state IN ("+strings.Join(marks, ", ")+")")
	}
	if match := ftsQuery(q.Search); match != "" {
		conds = append(conds, "m.id IN (SELECT rowid FROM outbox_search WHERE outbox_search MATCH ?)")
		args = append(args, match)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ftsQuery turns what the user typed into an FTS5 query in which every
// word must match as a prefix. Each word is quoted, so no character the
// user types can be taken as FTS5 syntax.
func ftsQuery(search string) string {
	var terms []string
	for _, w := range strings.Fields(search) {
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	return strings.Join(terms, " ")
}

// List returns one page of messages, newest first. It reads only the
// columns a list shows and walks an index, so a page of the newest takes
// the same time at 100 or 100,000 messages.
func (o *Outbox) List(ctx context.Context, q Query) ([]Entry, error) {
	where, args := q.where()
	if q.Before > 0 {
		where += " AND m.id < ?"
		args = append(args, q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, q.Offset)
	rows, err := o.db.QueryContext(ctx, `SELECT `+entryColumns+` FROM outbox_messages m`+where+
		` ORDER BY m.id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// Count returns how many messages q selects, for a list's length.
func (o *Outbox) Count(ctx context.Context, q Query) (int, error) {
	where, args := q.where()
	var n int
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox_messages m`+where, args...).Scan(&n)
	return n, err
}

// Get returns a message with its body, attempts and history.
func (o *Outbox) Get(ctx context.Context, id int64) (*Detail, error) {
	row := o.db.QueryRowContext(ctx, `SELECT `+entryColumns+`, m.body, m.markdown, m.attachments FROM outbox_messages m WHERE m.id = ?`, id)
	var d Detail
	var atts string
	var err error
	d.Entry, err = scanEntry(row, &d.Body, &d.Markdown, &atts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var records []attachmentRecord
	json.Unmarshal([]byte(atts), &records)
	for _, a := range records {
		d.Attachments = append(d.Attachments, a.Name)
	}
	if d.Attempts, err = o.attempts(ctx, id); err != nil {
		return nil, err
	}
	if d.History, err = o.history(ctx, id); err != nil {
		return nil, err
	}
	return &d, nil
}

func (o *Outbox) attempts(ctx context.Context, id int64) ([]Attempt, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT started, finished, outcome, failure, class, stage, server_reply, transcript
		FROM outbox_attempts WHERE message = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Attempt
	for rows.Next() {
		var a Attempt
		var started, finished int64
		var outcome, failure string
		if err := rows.Scan(&started, &finished, &outcome, &failure, &a.Class, &a.Stage, &a.ServerReply, &a.Transcript); err != nil {
			return nil, err
		}
		a.Failure = decodeFailure(failure, outcome)
		a.Started, a.Finished = fromMS(started), fromMS(finished)
		list = append(list, a)
	}
	return list, rows.Err()
}

func (o *Outbox) history(ctx context.Context, id int64) ([]Change, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT at, state, note, failure FROM outbox_history WHERE message = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Change
	for rows.Next() {
		var c Change
		var at int64
		var failure string
		if err := rows.Scan(&at, &c.State, &c.Note, &failure); err != nil {
			return nil, err
		}
		c.Failure = decodeFailure(failure, "")
		c.At = fromMS(at)
		list = append(list, c)
	}
	return list, rows.Err()
}

// NotSpooledError says that a message has no finished bytes yet: a draft,
// or one whose spool was discarded.
type NotSpooledError struct {
	ID    int64
	State State
}

func (e *NotSpooledError) Error() string {
	return fmt.Sprintf("outbox: message %d in state %s has no saved message", e.ID, e.State)
}

// openSpooled opens a message's saved bytes.
func (o *Outbox) openSpooled(ctx context.Context, id int64) (*os.File, error) {
	var spool string
	var state State
	err := o.db.QueryRowContext(ctx, `SELECT spool, state FROM outbox_messages WHERE id = ?`, id).Scan(&spool, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if spool == "" {
		return nil, &NotSpooledError{ID: id, State: state}
	}
	f, err := os.Open(o.spoolPath(spool))
	if err != nil {
		return nil, fmt.Errorf("outbox: message %d: saved copy unreadable: %w", id, err)
	}
	return f, nil
}

// ExportEML writes the exact bytes that were (or will be) sent, as an .eml
// file for other mail programs.
func (o *Outbox) ExportEML(ctx context.Context, id int64, w io.Writer) error {
	f, err := o.openSpooled(ctx, id)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// Headers returns the message's header block as sent, for display.
func (o *Outbox) Headers(ctx context.Context, id int64) (string, error) {
	f, err := o.openSpooled(ctx, id)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if strings.TrimRight(line, "\r\n") == "" || b.Len() > 1<<20 {
			break
		}
		b.WriteString(strings.TrimRight(line, "\r\n") + "\n")
		if err != nil {
			break
		}
	}
	return b.String(), nil
}
