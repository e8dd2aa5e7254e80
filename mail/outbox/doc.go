// Package outbox keeps every message Postie sends, from draft to the sent
// log, so that the user always knows whether a message went out: nothing is
// lost, nothing is sent twice, and every failure is explained.
//
// # States
//
// A message is in exactly one state at a time (see State):
//
//	draft ──Enqueue──▶ queued ──claim──▶ sending ──▶ sent
//	  ▲                  │ ▲                 │
//	  └──Undo/Cancel─────┘ │                 ├──▶ failed    (permanent refusal, or retried too long)
//	                       ├──── retrying ◀──┤    (temporary failure: 4xx, no network, DNS)
//	                       │                 ├──▶ unknown   (lost after the final dot)
//	                       └── ResumeAfterSignIn ─ waiting-for-sign-in ◀──┘ (the account must sign in again)
//
// A queued message may be held until a time: the undo window of the
// window's Send button, or "send later". Temporary failures are retried
// after 1, 5, 15 and 30 minutes, then hourly, until Settings.RetryLimit
// (2 days by default) has passed since the first attempt; then the message
// has failed. Failed and unknown messages are never retried automatically:
// the user chooses Resend (the same bytes, so the same Message-ID) or
// Discard, and for unknown also MarkSent. A message whose account must
// sign in again with its provider (an OAuth refresh token expired or
// revoked) waits for sign-in: it uses up no retries and is not tried by
// itself, until the user signs in and ResumeAfterSignIn queues it again. Every state change is recorded
// with its time as the message's history, and every attempt with the facts
// of its result (a Failure: stage, class, reason, codes, address…), the
// server's reply and the redacted transcript. The outbox writes no
// sentences for the user: the front ends write them when they show a
// Failure, in the user's language.
//
// # At most once
//
// SMTP cannot promise exactly-once delivery: if the connection drops after
// the final "." of DATA but before the server's reply, the server may or
// may not have taken the message (RFC 1047). Postie therefore promises at
// most once, and says honestly when it cannot know:
//
//   - Enqueue writes the exact bytes to an .eml file in <data dir>/messages,
//     syncs the file and its folder, and only then commits the row, so a
//     crash or power loss at any moment loses nothing.
//   - Before the first byte goes to the server, the message is claimed: one
//     IMMEDIATE transaction moves it from queued or retrying to sending
//     and names this process as its owner, and the commit is synced. Two
//     processes sharing the data directory can never claim the same message.
//   - The result of the attempt is committed in a second transaction.
//   - A message found in sending whose owner process is gone (it crashed or
//     was killed mid-send) becomes unknown, at start-up and periodically.
//     A process that is alive keeps its messages: on Linux its PID and
//     start time are checked, elsewhere its heartbeat lease (see
//     WithLease). So a process starting never takes over another's send.
//   - A send stopped by Cancel or by the end of Run's context before the
//     final dot is discarded by the server (the connection is closed
//     instead of sending the dot), so it goes back to draft or queued.
//
// # The worker
//
// Run delivers due messages in the background, one connection per account
// reused for consecutive messages, until its context ends. It never blocks
// the caller's goroutine (call it on its own), sleeps until something it can
// act on changes (a message of an account it is not already sending for
// becomes due, a send ends, a nudge) rather than polling fast, fails a
// message whose stored form is damaged instead of trying it again and
// again, and after failures to reach a server
// checks cheaply, with backoff, whether it answers again, so that waiting
// messages go out as soon as the network is back (NetworkChanged does the
// same on demand). Subscribe reports state changes and upload progress
// without ever making the worker wait for a slow reader. Flush delivers
// everything due and returns; SendNow delivers one message at once, for
// `postie send`.
//
// # The copy in the Sent folder
//
// When the server accepts a message, the same transaction that records
// "sent" decides what becomes of its copy in the mailbox's own Sent folder
// (SentCopy): "off" when the account files none, "skipped" when its
// provider files its own, else "pending". A copy worker of its own (Run
// starts it; FlushCopies does its work once) files pending copies over
// IMAP through a SentCopier, one connection per account shared by its
// copies, so that IMAP trouble never delays a delivery. The copy is the
// spooled file as submitted, streamed, with a Bcc header naming the blind
// recipients put before it (only there, never on the SMTP wire), flagged
// \Seen, dated when sent. It is claimed like a send, so a process killed
// while filing leaves it pending, and every try after the first looks for
// the Message-ID in the folder before appending, so that a copy whose
// APPEND was cut off after the server stored it is not filed twice.
// Failures are facts (CopyFailure) with their own retries (1, 5, 15
// minutes, hourly, then every 4 hours, CopyGiveUpAfter tries); a refused
// sign-in or a full mailbox fails at once, and RetryCopy tries again.
// Filing never touches the message's state and never sends it again.
//
// # Sent log, drafts, addresses, settings
//
// List and Count page through messages newest first with FTS5 full-text
// search over subject, recipients and body; Get adds the body, the attempts
// and the history; ExportEML writes the .eml. Drafts are rows in state draft
// holding the fields as typed and the attachments' paths; the window saves
// them on a timer. Recipients of sent messages feed Suggest, ranked by how
// recently and how often they were used. Settings are key/value rows.
//
// # What this package must never do
//
// It must never send a message it has not first written durably; never
// start a second delivery of a message that is sending, sent, failed or
// unknown without the user asking; never mark a message sent without the
// server's reply (or the user's word); never hold a database transaction
// open across network I/O; never let another process's live send be turned
// into unknown; never read secrets itself (the Accounts interface supplies
// the server settings) nor store them; and never block the worker on a
// subscriber. All tables it owns begin with "outbox_".
package outbox
