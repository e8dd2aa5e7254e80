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
	"sync"
	"time"

	"github.com/postie-app/postie/mail"
)

// The copy worker files the copy of each sent message in the mailbox's
// Sent folder. It is separate from the SMTP worker: its own goroutine, its
// own schedule and its own connections, so that an IMAP server that is slow
// or down never delays a message's delivery. It works like the SMTP worker
// otherwise: a copy is claimed by this process in one IMMEDIATE
// transaction before the IMAP server hears of it, the result is recorded
// in a second one, and a copy whose filing process is gone goes back to
// pending. Its rules:
//
//   - The copy is filed only after the SMTP server accepted the message,
//     and its failure never touches the message's state: nothing is ever
//     sent again because filing failed.
//   - Several copies of one account share one IMAP connection.
//   - A try after an earlier one (which may have been cut off during
//     APPEND, its result never heard) first looks for the Message-ID in the
//     folder, so that the user never finds two copies.
//   - What is appended is the spooled file as it was submitted, streamed,
//     with a Bcc header naming the blind recipients put before it.

// copyPlan asks the account whether a message it just sent gets a copy.
// Without a copier nothing is filed. When the account cannot answer (its
// database row unreadable for a moment), the copy is pending: the copy
// worker then finds out and records why.
func (o *Outbox) copyPlan(ctx context.Context, account string) SentCopy {
	if o.copier == nil {
		return CopyOff
	}
	plan, err := o.copier.CopyPlan(ctx, account)
	if err != nil {
		return CopyPending
	}
	switch plan.Copy {
	case CopyPending, CopySkipped, CopyOff:
		return plan.Copy
	}
	return CopyOff
}

// setCopyPlan records the copy's fate with "sent", in the same transaction.
func setCopyPlan(tx *sql.Tx, id int64, plan SentCopy, now time.Time) error {
	_, err := tx.Exec(`UPDATE outbox_messages SET sent_copy = ?, sent_folder = '', copy_due = ?, copy_attempts = 0,
		copy_failures = 0, copy_failure = '', copy_owner = '' WHERE id = ?`, plan, ms(now), id)
	return err
}

// nudgeCopies wakes the copy worker.
func (o *Outbox) nudgeCopies() {
	select {
	case o.copyWake <- struct{}{}:
	default:
	}
}

// CopyStateError says that a message's copy cannot be retried: it is
// filed, skipped or off, or the message was not sent.
type CopyStateError struct {
	ID   int64
	Copy SentCopy
}

func (e *CopyStateError) Error() string {
	return fmt.Sprintf("outbox: the copy of message %d is %s, not pending or failed", e.ID, e.Copy)
}

// RetryCopy tries to file a message's copy in the Sent folder again now: a
// failed copy, or a pending one before its time. The count of failures in
// a row starts again. The worker (or FlushCopies) does the filing. A copy
// this process had claimed, with no copy loop of this process running for
// its account, is freed (its result could not be recorded).
func (o *Outbox) RetryCopy(ctx context.Context, id int64) error {
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		var copy SentCopy
		var state State
		var account, copyOwner string
		err := tx.QueryRow(`SELECT state, sent_copy, account_id, copy_owner FROM outbox_messages WHERE id = ?`, id).
			Scan(&state, &copy, &account, &copyOwner)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if state != StateSent || (copy != CopyPending && copy != CopyFailed) {
			if copy == "" {
				copy = CopyOff
			}
			return &CopyStateError{ID: id, Copy: copy}
		}
		if copyOwner == o.self.id && !o.copyingAccounts()[account] {
			// Claimed by this process, but no copy loop of it is filing
			// the account's copies: a claim whose result could not be
			// recorded nor released. Free it.
			copyOwner = ""
		}
		_, err = tx.Exec(`UPDATE outbox_messages SET sent_copy = 'pending', copy_due = ?, copy_failures = 0, copy_owner = ?
			WHERE id = ?`, ms(o.now()), copyOwner, id)
		return err
	})
	if err == nil {
		o.events.publish(Event{ID: id, State: StateSent, Copy: CopyPending})
		o.nudgeCopies()
	}
	return err
}

// CopySummary counts the outcomes of FlushCopies.
type CopySummary struct {
	Filed, Pending, Failed int
}

func (s *CopySummary) add(c SentCopy) {
	switch c {
	case CopyFiled:
		s.Filed++
	case CopyFailed:
		s.Failed++
	default:
		s.Pending++
	}
}

// FlushCopies files every copy that is due now, one connection per
// account, and returns when none is left (failures are rescheduled, so
// they are not due any more). Copies that another process is filing are
// left to it.
func (o *Outbox) FlushCopies(ctx context.Context) (CopySummary, error) {
	var sum CopySummary
	if o.copier == nil {
		return sum, nil
	}
	if err := o.recover(ctx); err != nil {
		return sum, err
	}
	var mu sync.Mutex
	var loops sync.WaitGroup
	err := o.startCopyLoops(ctx, &loops, func(c SentCopy) {
		mu.Lock()
		sum.add(c)
		mu.Unlock()
	}, 0)
	loops.Wait()
	return sum, err
}

// runCopies is the copy worker: it files due copies until ctx ends. Run
// starts it.
func (o *Outbox) runCopies(ctx context.Context) {
	if o.copier == nil {
		return
	}
	var loops sync.WaitGroup
	defer loops.Wait()
	for {
		wait := pollInterval
		if err := o.startCopyLoops(ctx, &loops, nil, pollInterval); err == nil {
			// Copies of an account whose loop is running are left out, as
			// Run does for sends: that loop takes them, and counting them
			// would wake this one again and again while a slow APPEND lasts.
			if next, ok := o.nextCopyDue(ctx, o.copyingAccounts()); ok {
				wait = min(max(next.Sub(o.now()), 0), pollInterval)
			}
		}
		if o.copyHook != nil {
			o.copyHook(wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-o.copyWake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// startCopyLoops starts a copy loop for every account with due copies that
// has none running in this process.
func (o *Outbox) startCopyLoops(ctx context.Context, wg *sync.WaitGroup, tally func(SentCopy), restAfterError time.Duration) error {
	accounts, err := o.copyAccounts(ctx)
	if err != nil {
		return err
	}
	for _, account := range accounts {
		o.copyMu.Lock()
		busy := o.copying[account]
		o.copying[account] = true
		o.copyMu.Unlock()
		if busy {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := o.fileCopies(ctx, account, tally)
			if err != nil && restAfterError > 0 {
				// The outbox itself could not be read or written: keep the
				// account taken for a while rather than fail round and round.
				rest(ctx, restAfterError)
			}
			o.copyMu.Lock()
			delete(o.copying, account)
			o.copyMu.Unlock()
			o.nudgeCopies()
		}()
	}
	return nil
}

// copyAccounts lists the accounts with copies due now that no process is
// filing.
func (o *Outbox) copyAccounts(ctx context.Context) ([]string, error) {
	return o.accountsWhere(ctx, `SELECT DISTINCT account_id FROM outbox_messages
		WHERE sent_copy = 'pending' AND copy_owner = '' AND copy_due <= ?`, ms(o.now()))
}

func (o *Outbox) copyingAccounts() map[string]bool { return busyAccounts(&o.copyMu, o.copying) }

// nextCopyDue is the earliest due time of a pending copy that no process
// is filing, of an account not in skip.
func (o *Outbox) nextCopyDue(ctx context.Context, skip map[string]bool) (time.Time, bool) {
	return o.earliestDue(ctx, `SELECT account_id, min(copy_due) FROM outbox_messages
		WHERE sent_copy = 'pending' AND copy_owner = '' GROUP BY account_id`, skip)
}

// copyClaim is a copy this process has taken to file.
type copyClaim struct {
	id        int64
	account   string
	spool     string
	size      int64
	messageID string
	bcc       string // JSON, as stored
	sentAt    time.Time
	attempts  int // including this one
	failures  int // failures in a row before this one
	subject   string
}

// claimCopy takes the account's next due copy for this process; nil when
// none is due.
func (o *Outbox) claimCopy(ctx context.Context, account string) (*copyClaim, error) {
	now := o.now()
	var c *copyClaim
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRow(`UPDATE outbox_messages SET copy_owner = ?, copy_attempts = copy_attempts + 1
			WHERE id = (SELECT id FROM outbox_messages WHERE sent_copy = 'pending' AND copy_owner = ''
				AND copy_due <= ? AND account_id = ? ORDER BY copy_due, id LIMIT 1)
			RETURNING id, account_id, spool, size, message_id, bcc_addrs, sent_at, copy_attempts, copy_failures, subject`,
			o.self.id, ms(now), account)
		var m copyClaim
		var sentAt int64
		err := row.Scan(&m.id, &m.account, &m.spool, &m.size, &m.messageID, &m.bcc, &sentAt, &m.attempts, &m.failures, &m.subject)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		m.sentAt = fromMS(sentAt)
		_, err = tx.Exec(`INSERT INTO outbox_owners(owner, host, pid, process, heartbeat) VALUES(?, ?, ?, ?, ?)
			ON CONFLICT(owner) DO UPDATE SET heartbeat = excluded.heartbeat`,
			o.self.id, o.self.host, o.self.pid, o.self.process, ms(now))
		c = &m
		return err
	})
	return c, err
}

// releaseLostCopies gives back, as pending and due now, the copies that a
// process which is gone was filing. Their next try looks for the
// Message-ID first, as the lost one may have filed it.
func releaseLostCopies(tx *sql.Tx, now time.Time) error {
	lost := &CopyFailure{Note: CopyNoteProcessLost, Temporary: true}
	_, err := tx.Exec(`UPDATE outbox_messages SET copy_owner = '', copy_due = ?, copy_failure = ?
		WHERE sent_copy = 'pending' AND copy_owner <> '' AND copy_owner NOT IN (SELECT owner FROM outbox_owners)`,
		ms(now), lost.encode())
	return err
}

// releaseCopy gives back, pending and due now, a copy this process
// claimed but whose result it could not record (the database locked or
// full): without it the copy would stay taken by a living process, and so
// untouched, until the next start. Its next try looks for the Message-ID
// first, so a copy filed before the failure is not filed again. When this
// fails as well, RetryCopy frees the claim.
func (o *Outbox) releaseCopy(ctx context.Context, id int64) {
	_ = o.inTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE outbox_messages SET copy_owner = '', copy_due = ?
			WHERE id = ? AND copy_owner = ? AND sent_copy = 'pending'`, ms(o.now()), id, o.self.id)
		return err
	})
}

// copyOutcome is the result of one try to file a copy.
type copyOutcome struct {
	copy    SentCopy // CopyFiled, CopyPending or CopyFailed
	folder  string
	failure *CopyFailure
	due     time.Time
	// failures counts the failures in a row, this one included; 0 once
	// filed.
	failures int
}

// fileCopies files the account's due copies one after another over one
// IMAP connection until none is due. It returns the error that stopped it
// early: the outbox could not be read or written.
func (o *Outbox) fileCopies(ctx context.Context, account string, tally func(SentCopy)) error {
	var sess CopySession
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	var folder string // the Sent folder, found once per connection
	var dialErr error // the connection could not be made: the same for every copy
	for ctx.Err() == nil {
		c, err := o.claimCopy(ctx, account)
		if err != nil || c == nil {
			return err
		}
		if sess != nil && sessionBroken(sess) {
			// The last copy's failure (a refusal after which the IMAP
			// library closed the connection, say) left the session dead:
			// this copy gets a new one rather than that copy's fate.
			sess.Close()
			sess, folder = nil, ""
		}
		if sess == nil && dialErr == nil {
			sess, dialErr = o.copier.DialCopies(ctx, account)
			if dialErr != nil {
				sess = nil
			}
		}
		var out copyOutcome
		switch {
		case dialErr != nil:
			out = o.judgeCopy(ctx, c, folder, dialErr)
		default:
			var ferr error
			folder, ferr = o.fileOne(ctx, sess, c, folder)
			out = o.judgeCopy(ctx, c, folder, ferr)
			if ferr != nil && !copySessionUsable(ferr) {
				sess.Close()
				sess, folder = nil, ""
			}
		}
		if err := o.recordCopy(ctx, c, out); err != nil {
			return err
		}
		if tally != nil {
			tally(out.copy)
		}
	}
	return nil
}

// fileOne files one copy over sess and returns the Sent folder it used.
func (o *Outbox) fileOne(ctx context.Context, sess CopySession, c *copyClaim, folder string) (string, error) {
	if folder == "" {
		remembered, err := o.copier.SentFolderOf(ctx, c.account)
		if err != nil {
			return "", err
		}
		if folder, err = sess.SentFolder(ctx, remembered); err != nil {
			return "", err
		}
		if folder != remembered {
			if err := o.copier.RememberSentFolder(ctx, c.account, folder); err != nil {
				return folder, err
			}
		}
	}
	if c.attempts > 1 && c.messageID != "" {
		// An earlier try may have been cut off after the server stored the
		// copy: look before appending again.
		found, err := sess.HasMessageID(ctx, folder, searchableMessageID(c.messageID), c.sentAt)
		if err != nil {
			return folder, err
		}
		if found {
			return folder, errAlreadyThere
		}
	}
	err := o.appendCopy(ctx, sess, c, folder)
	if err != nil && copyFolderMissing(err) {
		// The folder went away (renamed or deleted) since it was found:
		// find or create it again, once.
		again, ferr := sess.SentFolder(ctx, "")
		if ferr != nil {
			return folder, ferr
		}
		if again != folder {
			folder = again
			if err := o.copier.RememberSentFolder(ctx, c.account, folder); err != nil {
				return folder, err
			}
			err = o.appendCopy(ctx, sess, c, folder)
		}
	}
	return folder, err
}

// searchableMessageID is the stored Message-ID in its one pair of angle
// brackets, however it was given (with them or without).
func searchableMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return "<" + id + ">"
}

// errAlreadyThere says an earlier try had filed the copy.
var errAlreadyThere = errors.New("outbox: the copy is already in the Sent folder")

// appendCopy streams the spooled message, with the Bcc header before it,
// into folder.
func (o *Outbox) appendCopy(ctx context.Context, sess CopySession, c *copyClaim, folder string) error {
	bcc, err := bccHeader(c.bcc)
	if err != nil {
		return &copyDamagedError{note: CopyNoteBccDamaged, err: err}
	}
	file, err := os.Open(o.spoolPath(c.spool))
	if err == nil {
		defer file.Close()
		var info os.FileInfo
		if info, err = file.Stat(); err == nil && info.Size() != c.size {
			err = fmt.Errorf("size %d, expected %d", info.Size(), c.size)
		}
	}
	if c.spool == "" && err == nil {
		err = errors.New("no saved message")
	}
	if err != nil {
		return &copyDamagedError{note: CopyNoteSpoolDamaged, err: err}
	}
	body := io.MultiReader(strings.NewReader(string(bcc)), file)
	return sess.Append(ctx, folder, int64(len(bcc))+c.size, body, c.sentAt)
}

// bccHeader is the Bcc header field naming the stored blind recipients,
// empty when there are none.
func bccHeader(stored string) ([]byte, error) {
	var list []addr
	if err := json.Unmarshal([]byte(stored), &list); err != nil {
		return nil, err
	}
	addrs := make([]mail.Address, len(list))
	for i, a := range list {
		addrs[i] = mail.Address(a)
	}
	return mail.BccField(addrs)
}

// copyDamagedError is a copy that cannot be filed because what Postie
// saved cannot be read: trying again would read the same.
type copyDamagedError struct {
	note CopyNote
	err  error
}

func (e *copyDamagedError) Error() string { return "outbox: " + string(e.note) + ": " + e.err.Error() }
func (e *copyDamagedError) Unwrap() error { return e.err }

// judgeCopy decides what a try's result means for the copy.
func (o *Outbox) judgeCopy(ctx context.Context, c *copyClaim, folder string, err error) copyOutcome {
	now := o.now()
	if err == nil || errors.Is(err, errAlreadyThere) {
		out := copyOutcome{copy: CopyFiled, folder: folder}
		if err != nil {
			out.failure = &CopyFailure{Note: CopyNoteAlreadyThere, Folder: folder}
		}
		return out
	}
	f := copyFailureOf(err)
	if folder != "" {
		f.Folder = folder
	}
	failures := c.failures + 1
	switch {
	case ctx.Err() != nil:
		// Postie is closing: not the server's fault, and no reason to
		// wait. The next start tries again at once (and looks for the
		// Message-ID first, as the APPEND may have gone through).
		f.Temporary = true
		return copyOutcome{copy: CopyPending, folder: folder, failure: f, due: now, failures: c.failures}
	case !f.Temporary:
		return copyOutcome{copy: CopyFailed, folder: folder, failure: f, failures: failures}
	case failures >= CopyGiveUpAfter:
		f.Note, f.Tries, f.Temporary = CopyNoteGaveUp, failures, false
		return copyOutcome{copy: CopyFailed, folder: folder, failure: f, failures: failures}
	}
	return copyOutcome{copy: CopyPending, folder: folder, failure: f, due: now.Add(copyRetryDelay(failures)), failures: failures}
}

// recordCopy records a try's result, in the message's own row only: the
// message stays sent whatever became of its copy.
func (o *Outbox) recordCopy(ctx context.Context, c *copyClaim, out copyOutcome) error {
	failures := out.failures
	var res sql.Result
	err := o.inTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		if o.recordCopyFault != nil {
			if err := o.recordCopyFault(c.id); err != nil {
				return err
			}
		}
		var err error
		res, err = tx.Exec(`UPDATE outbox_messages SET sent_copy = ?, sent_folder = ?, copy_due = ?, copy_failures = ?,
			copy_failure = ?, copy_owner = '' WHERE id = ? AND copy_owner = ?`,
			out.copy, out.folder, ms(out.due), failures, out.failure.encode(), c.id, o.self.id)
		return err
	})
	if err != nil {
		o.releaseCopy(ctx, c.id)
		return fmt.Errorf("the result of filing the copy of message %d could not be saved: %w", c.id, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		o.events.publish(Event{ID: c.id, State: StateSent, Subject: c.subject, Copy: out.copy, CopyFailure: out.failure})
	}
	return nil
}
