package outbox

// State is where a message is in its life; see the package comment. Its
// values are stored in the database and printed by `postie outbox list
// --json`, so they never change.
type State string

// The states of a message. A new one must be added to States and to the
// action table below, and be described by describeState.
// TestEveryStateIsInEveryTable fails until it is in both, and the window's
// tests check its own tables against States.
const (
	StateDraft    State = "draft"    // being written; never sent as it is
	StateQueued   State = "queued"   // waiting to be sent, perhaps held until a time
	StateSending  State = "sending"  // a process is talking to the server about it
	StateSent     State = "sent"     // the server accepted it
	StateFailed   State = "failed"   // refused for good, or retried for too long
	StateRetrying State = "retrying" // failed for now; tried again at NextAttempt
	StateUnknown  State = "unknown"  // lost after the final dot: it may have arrived (RFC 1047)
	// StateWaitingForSignIn is a message whose account needs the user to
	// sign in again with its provider (OAuth: the refresh token expired or
	// was revoked). Nothing was sent; it uses up no retries and is not due
	// by itself: ResumeAfterSignIn queues it again.
	StateWaitingForSignIn State = "waiting-for-sign-in"

	// StateDiscarded is not a state a message is in: events report it when
	// a message was removed.
	StateDiscarded State = "discarded"
)

// States returns every state a message can be in.
func States() []State {
	return []State{StateDraft, StateQueued, StateSending, StateSent, StateFailed, StateRetrying, StateUnknown, StateWaitingForSignIn}
}

// PendingStates are the states of the messages that have not been sent
// (drafts aside): the window's Outbox view and `postie outbox list`.
func PendingStates() []State {
	return []State{StateQueued, StateSending, StateRetrying, StateWaitingForSignIn, StateFailed, StateUnknown}
}

// SentLogStates are the states of the messages in the sent log.
func SentLogStates() []State {
	return []State{StateSent}
}

// Action is something the user may do to a message. Which states allow it
// is decided here, once: the outbox's methods refuse the others with a
// StateError, and the window and the CLI offer only what is allowed.
type Action int

// The actions, each with the method that performs it.
const (
	ActionSendNow  Action = iota // send a waiting message before its time (Retry)
	ActionRetry                  // try a retrying message again now (Retry)
	ActionResend                 // queue again a failed or unknown message, same bytes (Resend)
	ActionMarkSent               // record that an unknown message did arrive (MarkSent)
	ActionUndo                   // take a waiting message back as a draft (Undo)
	ActionCancel                 // stop sending and keep it as a draft (Cancel)
	ActionDiscard                // remove a message that was not sent (Discard)
	ActionCopy                   // start a new message from it (CopyAsDraft)
	ActionExport                 // save the bytes that were or will be sent (ExportEML)
)

// Actions returns every action.
func Actions() []Action {
	return []Action{ActionSendNow, ActionRetry, ActionResend, ActionMarkSent, ActionUndo,
		ActionCancel, ActionDiscard, ActionCopy, ActionExport}
}

// allowed is the one table of which actions each state allows. Every state
// has a row, even an empty one, so that a state added without one fails
// TestEveryStateIsInEveryTable instead of silently allowing nothing.
//
// A message in sending allows nothing here: its fate is open until the
// attempt ends. Only the process sending it can stop it, which Cancel
// handles before it looks at the state. Copy and Export only read, so
// CopyAsDraft and ExportEML do not check the table; they are offered only
// for a message whose bytes are final and not in flight.
//
// A message waiting for sign-in goes on by itself once the user signs in
// (ResumeAfterSignIn). Retry is allowed as well: one attempt now, which
// costs no retry and comes back here if the sign-in is still needed. It
// is the way on when the sign-in happened in another Postie process, or
// the provider's refusal was a passing one. Cancel keeps it as a draft.
var allowed = map[State][]Action{
	StateDraft:    {ActionDiscard},
	StateQueued:   {ActionSendNow, ActionUndo, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
	StateSending:  {},
	StateSent:     {ActionCopy, ActionExport},
	StateFailed:   {ActionResend, ActionDiscard, ActionCopy, ActionExport},
	StateRetrying: {ActionRetry, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
	StateUnknown:  {ActionResend, ActionMarkSent, ActionDiscard, ActionCopy, ActionExport},

	StateWaitingForSignIn: {ActionRetry, ActionCancel, ActionDiscard, ActionCopy, ActionExport},
}

// Allows says whether a message in state s allows action a.
func (s State) Allows(a Action) bool {
	for _, x := range allowed[s] {
		if x == a {
			return true
		}
	}
	return false
}

// statesAllowing lists the states that allow any of actions, for the
// checks of the outbox's own methods.
func statesAllowing(actions ...Action) []State {
	var list []State
	for _, s := range States() {
		for _, a := range actions {
			if s.Allows(a) {
				list = append(list, s)
				break
			}
		}
	}
	return list
}
