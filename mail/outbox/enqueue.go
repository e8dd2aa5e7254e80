package outbox

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/smtpclient"
)

// prepared is a message ready for the spool: what the row records about
// it, its envelope, and the function that writes its exact bytes.
type prepared struct {
	from          addr
	to, cc, bcc   []addr
	subject, body string
	markdown      bool
	attachments   []attachmentRecord
	inReplyTo     string
	refs          []string
	messageID     string // without <>
	env           smtpclient.Envelope
	write         func(io.Writer) (int64, error)
}

// scheduledSlack separates "send later" from the undo window: a hold this
// much longer than the undo window was chosen as a time, not an undo.
const scheduledSlack = 5 * time.Second

// enqueue writes the message's bytes to the spool (synced), then commits
// its row in state "queued": one durable step before any attempt. A zero
// or past hold means due at once.
func (o *Outbox) enqueue(ctx context.Context, accountID string, p *prepared, hold time.Time) (int64, error) {
	sp, err := writeSpool(o.spool, p.write)
	if err != nil {
		return 0, err
	}
	p.env.EightBit = sp.eightBit
	now := o.now()
	due, scheduled := now, false
	if hold.After(now) {
		due = hold
		settings, _ := o.Settings(ctx)
		scheduled = hold.After(now.Add(settings.UndoWindow + scheduledSlack))
	}
	var id int64
	err = o.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`INSERT INTO outbox_messages(account_id, state, message_id, from_addr, to_addrs, cc_addrs, bcc_addrs,
			subject, body, markdown, attachments, in_reply_to, refs, env_from, env_to, smtputf8, eightbit, spool, size,
			created, updated, due, scheduled)
			VALUES(?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			accountID, p.messageID, encodeJSON(p.from), encodeJSON(nonNilAddrs(p.to)), encodeJSON(nonNilAddrs(p.cc)),
			encodeJSON(nonNilAddrs(p.bcc)), p.subject, p.body, p.markdown, encodeJSON(nonNilAttachments(p.attachments)),
			p.inReplyTo, encodeJSON(nonNil(p.refs)), p.env.From, encodeJSON(p.env.To), p.env.SMTPUTF8, p.env.EightBit,
			sp.name, sp.size, ms(now), ms(now), ms(due), scheduled).Scan(&id)
		if err != nil {
			return err
		}
		if err := index(tx, id, p.subject, p.to, p.cc, p.bcc, p.body); err != nil {
			return err
		}
		note := ""
		if due.After(now) {
			note = "Held until " + due.Format(time.RFC3339)
		}
		return addHistory(tx, id, now, StateQueued, note)
	})
	if err != nil {
		o.removeSpool(sp.name)
		return 0, err
	}
	o.events.publish(Event{ID: id, State: StateQueued, Subject: p.subject})
	o.Nudge()
	return id, nil
}

// index adds a message to the full-text search.
func index(tx *sql.Tx, id int64, subject string, to, cc, bcc []addr, body string) error {
	var recipients []string
	for _, list := range [][]addr{to, cc, bcc} {
		for _, a := range list {
			recipients = append(recipients, a.Name, a.Email)
		}
	}
	_, err := tx.Exec(`INSERT INTO outbox_search(rowid, subject, recipients, body) VALUES(?, ?, ?, ?)`,
		id, subject, strings.Join(recipients, " "), body)
	return err
}

// unindex removes a message from the full-text search.
func unindex(tx *sql.Tx, id int64) error {
	_, err := tx.Exec(`DELETE FROM outbox_search WHERE rowid = ?`, id)
	return err
}

func baseName(path string) string { return filepath.Base(path) }

func nonNilAddrs(s []addr) []addr {
	if s == nil {
		return []addr{}
	}
	return s
}

func nonNilAttachments(s []attachmentRecord) []attachmentRecord {
	if s == nil {
		return []attachmentRecord{}
	}
	return s
}

// Enqueue checks msg, writes its exact bytes durably and queues it for
// accountID, held until hold (zero: due at once). Nothing reaches a server
// before this returns. The Message-ID is fixed here and kept for resends.
// Bad input is reported as the message builder's *mail.InputError, and
// then nothing is written.
func (o *Outbox) Enqueue(ctx context.Context, accountID string, msg *mail.Message, hold time.Time) (int64, error) {
	if err := msg.Validate(); err != nil {
		return 0, err
	}
	if err := msg.Prepare(); err != nil {
		return 0, err
	}
	from, rcpts, smtputf8, err := msg.Envelope()
	if err != nil {
		return 0, err
	}
	p := &prepared{
		from:      addr(msg.From),
		to:        addrsOf(msg.To),
		cc:        addrsOf(msg.Cc),
		bcc:       addrsOf(msg.Bcc),
		subject:   msg.Subject,
		body:      msg.Body,
		markdown:  msg.Markdown,
		inReplyTo: msg.InReplyTo,
		refs:      msg.References,
		messageID: msg.MessageID,
		env:       smtpclient.Envelope{From: from, To: rcpts, SMTPUTF8: smtputf8},
		write:     msg.WriteTo,
	}
	for _, a := range msg.Attachments {
		name := a.Name
		if name == "" {
			name = baseName(a.Path)
		}
		p.attachments = append(p.attachments, attachmentRecord{Name: name, Path: a.Path})
	}
	return o.enqueue(ctx, accountID, p, hold)
}

func addrsOf(list []mail.Address) []addr {
	out := make([]addr, len(list))
	for i, a := range list {
		out[i] = addr(a)
	}
	return out
}
