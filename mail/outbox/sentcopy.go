package outbox

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// SentCopy is what became of the copy of a sent message in the mailbox's
// own Sent folder (over IMAP), so that it shows up on the phone and in
// webmail. It is decided when the SMTP server accepts the message, in the
// same transaction that records "sent", and is printed by `postie log
// --json` as "sent_copy", so its values never change.
type SentCopy string

const (
	// CopyFiled: the copy is in the Sent folder (Entry.SentFolder).
	CopyFiled SentCopy = "filed"
	// CopyPending: the copy is still to be filed, at Entry.CopyNextTry;
	// Entry.CopyFailure says why an earlier try did not file it.
	CopyPending SentCopy = "pending"
	// CopyFailed: filing was refused for good or tried for too long;
	// Entry.CopyFailure says why, and RetryCopy tries again.
	CopyFailed SentCopy = "failed"
	// CopySkipped: the provider files its own copy (automatic mode).
	CopySkipped SentCopy = "skipped"
	// CopyOff: no copy is filed: the account says never, has no IMAP
	// server, or the message was sent before Postie filed copies.
	CopyOff SentCopy = "off"
)

// SentCopies returns every value SentCopy takes.
func SentCopies() []SentCopy {
	return []SentCopy{CopyFiled, CopyPending, CopyFailed, CopySkipped, CopyOff}
}

// CopyPlan is an account's answer, at the moment its server accepted a
// message, to "is a copy filed?": CopyPending, CopySkipped or CopyOff.
type CopyPlan struct {
	Copy SentCopy
	// Source names where the fact "this provider files its own copy" is
	// documented, for CopySkipped.
	Source string
}

// SentCopier is how the outbox reaches an account's IMAP server: core
// builds it on the accounts store and imapclient. The outbox never reads
// a secret itself, and knows nothing of IMAP beyond this.
type SentCopier interface {
	// CopyPlan says whether a message the server just accepted for the
	// account gets a copy. It must not touch the network: it runs just
	// before the outbox records the message as sent.
	CopyPlan(ctx context.Context, accountID string) (CopyPlan, error)
	// DialCopies connects to the account's IMAP server and signs in.
	// Several copies of one account share the session.
	DialCopies(ctx context.Context, accountID string) (CopySession, error)
	// SentFolderOf is the account's Sent folder as last found, "" if none
	// was found yet.
	SentFolderOf(ctx context.Context, accountID string) (string, error)
	// RememberSentFolder records the Sent folder found for the account.
	RememberSentFolder(ctx context.Context, accountID, folder string) error
}

// CopySession is one signed-in IMAP connection; *imapclient.Client is one.
type CopySession interface {
	// SentFolder finds (or creates) the Sent folder, preferring the
	// remembered one while it is still marked or named so.
	SentFolder(ctx context.Context, remembered string) (string, error)
	// HasMessageID reports whether folder holds a message with the
	// Message-ID (given with its <>), among the messages whose internal
	// date is no more than a day before sent (all when sent is zero).
	HasMessageID(ctx context.Context, folder, messageID string, sent time.Time) (bool, error)
	// Append streams size bytes from r into folder, flagged \Seen, with
	// internal date sent.
	Append(ctx context.Context, folder string, size int64, r io.Reader, sent time.Time) error
	Close() error
}

// WithSentCopier lets the outbox file copies of sent messages in the Sent
// folder through c. Without it every message is recorded with CopyOff.
func WithSentCopier(c SentCopier) Option {
	return func(o *Outbox) { o.copier = c }
}

// CopyNote is what the outbox itself concluded about filing a copy, beyond
// what the IMAP server or the connection said.
type CopyNote string

const (
	CopyNoteNone CopyNote = ""
	// CopyNoteGaveUp: temporary failures for CopyGiveUpAfter tries.
	CopyNoteGaveUp CopyNote = "gave-up"
	// CopyNoteProcessLost: the process filing it stopped; it is tried
	// again, after a look whether it arrived.
	CopyNoteProcessLost CopyNote = "process-lost"
	// CopyNoteSpoolDamaged: the saved .eml is missing or has the wrong
	// size, so there is nothing to file.
	CopyNoteSpoolDamaged CopyNote = "spool-damaged"
	// CopyNoteBccDamaged: the stored blind recipients cannot be written
	// as a header.
	CopyNoteBccDamaged CopyNote = "bcc-damaged"
	// CopyNoteNoIMAPServer: the account no longer names an IMAP server.
	CopyNoteNoIMAPServer CopyNote = "no-imap-server"
	// CopyNoteAlreadyThere: an earlier try had filed it after all (found
	// by its Message-ID); recorded with CopyFiled.
	CopyNoteAlreadyThere CopyNote = "already-there"
)

// CopyFailure is why a copy was not filed (yet), as facts: the front ends
// write the sentence, in the user's language.
type CopyFailure struct {
	Note CopyNote `json:"note,omitempty"`
	// Account is the outbox's note about account settings that could not
	// be read (no password, keyring locked, account gone…), as for SMTP.
	Account Note `json:"account,omitempty"`
	// Reason is imapclient's Reason for the failure ("over-quota",
	// "try-create", "login-refused", …), "" when none applies.
	Reason string `json:"reason,omitempty"`
	// Stage is where it failed (imapclient's Stage: "connect", "tls",
	// "login", "select", "append", …).
	Stage string `json:"stage,omitempty"`
	// Temporary says the outbox tries again by itself.
	Temporary bool `json:"temporary,omitempty"`
	// ServerText is the server's response text, e.g. "Quota exceeded".
	ServerText string `json:"server_text,omitempty"`
	// Server is the IMAP server as host:port, when known.
	Server string `json:"server,omitempty"`
	// Folder is the Sent folder it was to be filed in, when known.
	Folder string `json:"folder,omitempty"`
	// Tries is how many tries in a row failed, for CopyNoteGaveUp.
	Tries int `json:"tries,omitempty"`
	// Detail is the error as text, for logs and `postie log show`'s
	// details; never a sentence for the user.
	Detail string `json:"detail,omitempty"`
}

func (f *CopyFailure) encode() string {
	if f == nil {
		return ""
	}
	b, _ := json.Marshal(f)
	return string(b)
}

func decodeCopyFailure(s string) *CopyFailure {
	if s == "" {
		return nil
	}
	var f CopyFailure
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return &CopyFailure{Detail: s}
	}
	return &f
}

// copyRetryDelays is the wait after each consecutive failure to file a
// copy: 1, 5 and 15 minutes, then hourly, then every 4 hours. IMAP trouble
// is often a server being restarted or a quota being cleared; a copy is
// never urgent.
var copyRetryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour}

// CopyGiveUpAfter is how many failures in a row make a copy failed (about
// a day and a half of tries); RetryCopy starts counting again.
const CopyGiveUpAfter = 12

func copyRetryDelay(n int) time.Duration {
	n = min(max(n, 1), len(copyRetryDelays))
	return copyRetryDelays[n-1]
}
