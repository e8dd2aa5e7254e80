package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Draft is a message being written: the fields as the user typed them,
// with the attachments' file paths. The window saves one a few seconds
// after each change, so a crash loses at most those seconds.
type Draft struct {
	ID          int64 // 0 for a draft not saved yet
	AccountID   string
	To, Cc, Bcc string // as typed
	Subject     string
	Body        string
	Markdown    bool
	Attachments []string // file paths
	InReplyTo   string
	References  []string
	Updated     time.Time
}

// SameContent reports whether d and o hold the same message: every field
// the user writes or a reply sets. ID and Updated say where and when it is
// stored, not what it says, so a draft equals its just-saved copy.
func (d Draft) SameContent(o Draft) bool {
	return d.AccountID == o.AccountID && d.To == o.To && d.Cc == o.Cc && d.Bcc == o.Bcc &&
		d.Subject == o.Subject && d.Body == o.Body && d.Markdown == o.Markdown &&
		slices.Equal(d.Attachments, o.Attachments) &&
		d.InReplyTo == o.InReplyTo && slices.Equal(d.References, o.References)
}

// attachmentRecord is how a message's attachment is stored.
type attachmentRecord struct {
	Name string `json:"name"`
	Path string `json:"path,omitempty"` // empty for a stream, which cannot be restored
}

// SaveDraft stores d and returns its id: d.ID, or a new id when d is new
// or its draft was sent or deleted meanwhile.
func (o *Outbox) SaveDraft(ctx context.Context, d Draft) (int64, error) {
	now := ms(o.now())
	atts := make([]attachmentRecord, 0, len(d.Attachments))
	for _, p := range d.Attachments {
		atts = append(atts, attachmentRecord{Name: baseName(p), Path: p})
	}
	args := []any{d.AccountID, d.To, d.Cc, d.Bcc, d.Subject, d.Body, d.Markdown, encodeJSON(atts), d.InReplyTo,
		encodeJSON(nonNil(d.References)), now}
	id := d.ID
	err := o.inTx(ctx, func(tx *sql.Tx) error {
		if id != 0 {
			r, err := tx.Exec(`UPDATE outbox_messages SET account_id = ?, draft_to = ?, draft_cc = ?, draft_bcc = ?,
				subject = ?, body = ?, markdown = ?, attachments = ?, in_reply_to = ?, refs = ?, updated = ?
				WHERE id = ? AND state = 'draft'`, append(args, id)...)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 1 {
				return nil
			}
		}
		err := tx.QueryRow(`INSERT INTO outbox_messages(account_id, draft_to, draft_cc, draft_bcc, subject, body, markdown,
			attachments, in_reply_to, refs, updated, created, state) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft')
			RETURNING id`, append(args, now)...).Scan(&id)
		if err != nil {
			return err
		}
		return addHistory(tx, id, fromMS(now), StateDraft, "")
	})
	return id, err
}

// Drafts returns the saved drafts, the most recently changed first.
func (o *Outbox) Drafts(ctx context.Context) ([]Draft, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT `+draftColumns+` FROM outbox_messages WHERE state = 'draft' ORDER BY updated DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, *d)
	}
	return list, rows.Err()
}

// Draft returns one draft.
func (o *Outbox) Draft(ctx context.Context, id int64) (*Draft, error) {
	d, err := scanDraft(o.db.QueryRowContext(ctx, `SELECT `+draftColumns+` FROM outbox_messages WHERE id = ? AND state = 'draft'`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return d, err
}

// DeleteDraft removes a draft. A draft already gone is not an error.
func (o *Outbox) DeleteDraft(ctx context.Context, id int64) error {
	_, err := o.db.ExecContext(ctx, `DELETE FROM outbox_messages WHERE id = ? AND state = 'draft'`, id)
	return err
}

// CopyAsDraft saves a new draft with the fields of message id, for "send
// again": it gets a new Message-ID when it is sent.
func (o *Outbox) CopyAsDraft(ctx context.Context, id int64) (*Draft, error) {
	d, err := scanDraft(o.db.QueryRowContext(ctx, `SELECT `+draftColumns+` FROM outbox_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	d.ID = 0
	if d.ID, err = o.SaveDraft(ctx, *d); err != nil {
		return nil, err
	}
	return d, nil
}

// draftColumns read a message row as a Draft; a queued message's
// recipients come from its address lists, as it has no typed text.
const draftColumns = `id, account_id, draft_to, draft_cc, draft_bcc, to_addrs, cc_addrs, bcc_addrs,
	subject, body, markdown, attachments, in_reply_to, refs, updated`

func scanDraft(row interface{ Scan(...any) error }) (*Draft, error) {
	var d Draft
	var to, cc, bcc, atts, refs string
	var updated int64
	err := row.Scan(&d.ID, &d.AccountID, &d.To, &d.Cc, &d.Bcc, &to, &cc, &bcc,
		&d.Subject, &d.Body, &d.Markdown, &atts, &d.InReplyTo, &refs, &updated)
	if err != nil {
		return nil, err
	}
	typed := func(typed, stored string) string {
		if typed != "" {
			return typed
		}
		return strings.Join(displayAll(decodeAddrs(stored)), ", ")
	}
	d.To, d.Cc, d.Bcc = typed(d.To, to), typed(d.Cc, cc), typed(d.Bcc, bcc)
	var records []attachmentRecord
	json.Unmarshal([]byte(atts), &records)
	for _, a := range records {
		if a.Path != "" {
			d.Attachments = append(d.Attachments, a.Path)
		}
	}
	json.Unmarshal([]byte(refs), &d.References)
	d.Updated = fromMS(updated)
	return &d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
