package outbox

// component is the name under which the outbox registers its schema with
// store.Migrate. Every table it owns starts with "outbox_".
const component = "outbox"

// migrations is the outbox's whole schema history, oldest first. Never edit
// a step that has shipped; append a new one.
//
// Times are Unix milliseconds (UTC). Lists of addresses are JSON arrays.
var migrations = []string{
	// One row per message, whatever its state, drafts included.
	`CREATE TABLE outbox_messages (
		id            INTEGER PRIMARY KEY,
		account_id    TEXT    NOT NULL DEFAULT '',
		state         TEXT    NOT NULL,
		message_id    TEXT    NOT NULL DEFAULT '', -- without <>, kept across resends
		from_addr     TEXT    NOT NULL DEFAULT '',
		to_addrs      TEXT    NOT NULL DEFAULT '[]', -- [{"name":…,"email":…}]
		cc_addrs      TEXT    NOT NULL DEFAULT '[]',
		bcc_addrs     TEXT    NOT NULL DEFAULT '[]',
		draft_to      TEXT    NOT NULL DEFAULT '',   -- drafts: recipients as typed
		draft_cc      TEXT    NOT NULL DEFAULT '',
		draft_bcc     TEXT    NOT NULL DEFAULT '',
		subject       TEXT    NOT NULL DEFAULT '',
		body          TEXT    NOT NULL DEFAULT '',
		markdown      INTEGER NOT NULL DEFAULT 0,
		attachments   TEXT    NOT NULL DEFAULT '[]', -- [{"name":…,"path":…}]
		in_reply_to   TEXT    NOT NULL DEFAULT '',
		refs          TEXT    NOT NULL DEFAULT '[]',
		env_from      TEXT    NOT NULL DEFAULT '',   -- SMTP envelope, A-labels
		env_to        TEXT    NOT NULL DEFAULT '[]',
		smtputf8      INTEGER NOT NULL DEFAULT 0,
		eightbit      INTEGER NOT NULL DEFAULT 0,
		spool         TEXT    NOT NULL DEFAULT '',   -- .eml file name in <data dir>/messages
		size          INTEGER NOT NULL DEFAULT 0,    -- exact bytes of the .eml
		created       INTEGER NOT NULL,
		updated       INTEGER NOT NULL,
		due           INTEGER NOT NULL DEFAULT 0,    -- not to be attempted before
		scheduled     INTEGER NOT NULL DEFAULT 0,    -- held with "send later"
		first_try     INTEGER NOT NULL DEFAULT 0,    -- start of the first attempt since queued
		temp_failures INTEGER NOT NULL DEFAULT 0,    -- consecutive temporary failures
		attempts      INTEGER NOT NULL DEFAULT 0,
		sent_at       INTEGER NOT NULL DEFAULT 0,
		error         TEXT    NOT NULL DEFAULT '',   -- plain-language reason of the last failure; '' since the failure column
		server_reply  TEXT    NOT NULL DEFAULT '',
		offline       INTEGER NOT NULL DEFAULT 0,    -- the last failure was "cannot reach the server"
		server        TEXT    NOT NULL DEFAULT '',   -- host:port of the last attempt
		owner         TEXT    NOT NULL DEFAULT ''    -- the process sending it, while sending
	)`,
	`CREATE INDEX outbox_messages_state ON outbox_messages(state, id)`,
	`CREATE INDEX outbox_messages_due ON outbox_messages(due) WHERE state IN ('queued', 'retrying')`,
	`CREATE INDEX outbox_messages_message_id ON outbox_messages(message_id)`,
	// Every state change, with its time: the message's history.
	`CREATE TABLE outbox_history (
		id      INTEGER PRIMARY KEY,
		message INTEGER NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
		at      INTEGER NOT NULL,
		state   TEXT    NOT NULL,
		note    TEXT    NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX outbox_history_message ON outbox_history(message, id)`,
	// Every delivery attempt, with its outcome and redacted transcript.
	`CREATE TABLE outbox_attempts (
		id           INTEGER PRIMARY KEY,
		message      INTEGER NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
		started      INTEGER NOT NULL,
		finished     INTEGER NOT NULL,
		outcome      TEXT    NOT NULL,              -- plain language; '' since the failure column
		class        TEXT    NOT NULL DEFAULT '',   -- smtpclient.Class, "" when sent
		stage        TEXT    NOT NULL DEFAULT '',
		server_reply TEXT    NOT NULL DEFAULT '',
		transcript   TEXT    NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX outbox_attempts_message ON outbox_attempts(message, id)`,
	// The processes that may hold messages in "sending", so that one starting
	// can tell a crashed sender from a live one.
	`CREATE TABLE outbox_owners (
		owner     TEXT PRIMARY KEY,
		host      TEXT    NOT NULL,
		pid       INTEGER NOT NULL,
		process   TEXT    NOT NULL, -- what identifies this very process on its host
		heartbeat INTEGER NOT NULL
	)`,
	// Recipients of sent messages, for autocomplete.
	`CREATE TABLE outbox_addresses (
		email     TEXT PRIMARY KEY, -- lower case
		display   TEXT    NOT NULL, -- "Name <email>" as last used
		uses      INTEGER NOT NULL,
		last_used INTEGER NOT NULL
	)`,
	`CREATE TABLE outbox_settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
	// Full-text search over subject, recipients and body. Contentless: the
	// text lives once, in outbox_messages; rowid is outbox_messages.id.
	`CREATE VIRTUAL TABLE outbox_search USING fts5(
		subject, recipients, body,
		content = '', contentless_delete = 1,
		tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
	)`,
	// The facts of each attempt's result, as JSON (a Failure), so that the
	// sentence is written when shown, in the user's language. The older
	// plain-language columns (outcome, error, note) are kept for rows
	// written before; recoverFailures derives facts from them at Open.
	`ALTER TABLE outbox_attempts ADD COLUMN failure TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE outbox_messages ADD COLUMN failure TEXT NOT NULL DEFAULT ''`, // the last failure
	`ALTER TABLE outbox_history ADD COLUMN failure TEXT NOT NULL DEFAULT ''`,
	// The copy of a sent message in the mailbox's Sent folder (IMAP): its
	// SentCopy state, decided in the transaction that records "sent", the
	// folder it went to, and its own tries, separate from the SMTP ones.
	// copy_owner names the process filing it, as owner does for sending.
	`ALTER TABLE outbox_messages ADD COLUMN sent_copy TEXT NOT NULL DEFAULT ''`, // '' reads as "off"
	`ALTER TABLE outbox_messages ADD COLUMN sent_folder TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE outbox_messages ADD COLUMN copy_due INTEGER NOT NULL DEFAULT 0`,
	`ALTER TABLE outbox_messages ADD COLUMN copy_attempts INTEGER NOT NULL DEFAULT 0`, // all tries
	`ALTER TABLE outbox_messages ADD COLUMN copy_failures INTEGER NOT NULL DEFAULT 0`, // failures in a row
	`ALTER TABLE outbox_messages ADD COLUMN copy_failure TEXT NOT NULL DEFAULT ''`,    // a CopyFailure
	`ALTER TABLE outbox_messages ADD COLUMN copy_owner TEXT NOT NULL DEFAULT ''`,
	`CREATE INDEX outbox_messages_copy_due ON outbox_messages(copy_due) WHERE sent_copy = 'pending'`,
	// How many times each account's sign-in was replaced (see
	// ResumeAfterSignIn): an attempt that started with an older sign-in
	// and was refused for it is queued again rather than left waiting.
	`CREATE TABLE outbox_signins (
		account_id TEXT PRIMARY KEY,
		generation INTEGER NOT NULL
	)`,
}
