package outbox

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
)

const signInToken = "ya29.outbox-access-token-0123456789"

// providerTokens stands for an account's OAuth tokens: until signedIn, the
// provider refuses the refresh token (invalid_grant) and only a new
// sign-in can help.
type providerTokens struct {
	mu       sync.Mutex
	signedIn bool
	asked    int
}

// expiredSignIn stands for oauth.Error with Problem sign-in-expired.
type expiredSignIn struct{}

func (expiredSignIn) Error() string     { return "oauth Test: sign-in-expired (invalid_grant)" }
func (expiredSignIn) NeedsSignIn() bool { return true }

func (p *providerTokens) AccessToken(context.Context, bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked++
	if !p.signedIn {
		return "", expiredSignIn{}
	}
	return signInToken, nil
}

func (p *providerTokens) signIn() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signedIn = true
}

// TestWaitingForSignIn: a message whose account must sign in again waits,
// without using up retries and without being tried by itself, while the
// other account's messages go out; signing in sends it.
func TestWaitingForSignIn(t *testing.T) {
	ctx := t.Context()
	b := &testpeer.Backend{Mechanisms: []string{"XOAUTH2", "OAUTHBEARER"}, User: "alice@example.org", Token: signInToken}
	srv := testpeer.Run(t, testpeer.Options{Backend: b,
		Configure: []func(*smtp.Server){func(s *smtp.Server) { s.AllowInsecureAuth = true }}})
	tokens := &providerTokens{}
	oauthCfg := smtpclient.Config{Host: srv.Host, Port: srv.Port, Security: smtpclient.SecurityNone,
		Username: "alice@example.org", OAuth: true, Tokens: tokens}
	other := startSink(t)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("oauth", oauthCfg)
	accts.set("other", other.config())
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))

	// An earlier temporary failure, so that "no retry used up" shows.
	waiting := enqueueRaw(t, o, "oauth", "waiting-1@example.org", "Waits for sign-in", time.Time{})
	waiting2 := enqueueRaw(t, o, "oauth", "waiting-2@example.org", "Waits too", time.Time{})
	if _, err := o.db.Exec(`UPDATE outbox_messages SET temp_failures = 2 WHERE id = ?`, waiting); err != nil {
		t.Fatal(err)
	}
	goes := enqueueRaw(t, o, "other", "goes@example.org", "Other account", time.Time{})

	sum, err := o.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.WaitingForSignIn != 2 || sum.Sent != 1 || sum.Failed != 0 || sum.Retrying != 0 {
		t.Fatalf("summary %+v, want 2 waiting for sign-in and 1 sent", sum)
	}
	if d := mustGet(t, o, goes); d.State != StateSent || other.count("goes@example.org") != 1 {
		t.Fatalf("the other account's message is %s", d.State)
	}
	d := mustGet(t, o, waiting)
	if d.State != StateWaitingForSignIn || d.Failure == nil || d.Failure.Note != NoteSignInNeeded ||
		d.Failure.Cause == nil || d.Failure.Cause.Reason != smtpclient.ReasonSignInNeeded || !d.NextAttempt.IsZero() {
		t.Fatalf("message is %s with failure %+v, next attempt %v", d.State, d.Failure, d.NextAttempt)
	}
	var tempFailures int
	o.db.QueryRow(`SELECT temp_failures FROM outbox_messages WHERE id = ?`, waiting).Scan(&tempFailures)
	if tempFailures != 2 {
		t.Errorf("temp_failures %d, want 2 unchanged", tempFailures)
	}
	if _, auth := b.Counts(); auth != 0 {
		t.Errorf("%d AUTH commands without a token", auth)
	}

	// It shows among the pending messages (`postie outbox list`).
	list, err := o.List(ctx, Query{States: PendingStates()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list, func(e Entry) bool { return e.ID == waiting && e.State == StateWaitingForSignIn }) {
		t.Errorf("not in the pending list: %+v", list)
	}

	// Days pass: nothing tries it by itself.
	asked := tokens.asked
	clk.Advance(72 * time.Hour)
	if sum, err := o.Flush(ctx); err != nil || sum != (Summary{}) {
		t.Fatalf("flush after three days: %+v, %v", sum, err)
	}
	if d := mustGet(t, o, waiting); d.State != StateWaitingForSignIn || d.AttemptCount != 1 || tokens.asked != asked {
		t.Fatalf("tried by itself: %s after %d attempts", d.State, d.AttemptCount)
	}
	if err := o.Resend(ctx, waiting); !errors.As(err, new(*StateError)) {
		t.Errorf("Resend of a message waiting for sign-in: %v", err)
	}

	// The user signs in again.
	tokens.signIn()
	n, err := o.ResumeAfterSignIn(ctx, "oauth")
	if err != nil || n != 2 {
		t.Fatalf("resumed %d, %v; want 2", n, err)
	}
	if d := mustGet(t, o, waiting2); d.State != StateQueued {
		t.Fatalf("after sign-in the message is %s", d.State)
	}
	if n, err := o.ResumeAfterSignIn(ctx, "oauth"); err != nil || n != 0 {
		t.Errorf("second resume: %d, %v", n, err)
	}
	sum, err = o.Flush(ctx)
	if err != nil || sum.Sent != 2 {
		t.Fatalf("flush after sign-in: %+v, %v", sum, err)
	}
	for _, id := range []int64{waiting, waiting2} {
		if d := mustGet(t, o, id); d.State != StateSent || d.AttemptCount != 2 {
			t.Errorf("message %d: %s after %d attempts", id, d.State, d.AttemptCount)
		}
	}
	if r := b.Received(); len(r) != 2 || r[0].Mechanism != "OAUTHBEARER" {
		t.Errorf("received %+v", r)
	}
}

// TestWaitingForSignInRetryAndOtherAccounts: Retry tries once and comes
// back; resuming one account leaves another's waiting messages alone.
func TestWaitingForSignInRetry(t *testing.T) {
	ctx := t.Context()
	clk := newClock()
	accts := &accountsMap{}
	tokens := &providerTokens{}
	cfg := smtpclient.Config{Host: "127.0.0.1", Port: 9, Security: smtpclient.SecurityNone, Username: "a", OAuth: true, Tokens: tokens}
	b := &testpeer.Backend{Mechanisms: []string{"XOAUTH2"}, User: "a", Token: signInToken}
	srv := testpeer.Run(t, testpeer.Options{Backend: b,
		Configure: []func(*smtp.Server){func(s *smtp.Server) { s.AllowInsecureAuth = true }}})
	cfg.Host, cfg.Port = srv.Host, srv.Port
	accts.set("one", cfg)
	accts.set("two", cfg)
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
	one := enqueueRaw(t, o, "one", "one@example.org", "One", time.Time{})
	two := enqueueRaw(t, o, "two", "two@example.org", "Two", time.Time{})
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.Retry(ctx, one); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, o, one); d.State != StateWaitingForSignIn || d.AttemptCount != 2 {
		t.Fatalf("after Retry: %s, %d attempts", d.State, d.AttemptCount)
	}
	tokens.signIn()
	if n, err := o.ResumeAfterSignIn(ctx, "one"); err != nil || n != 1 {
		t.Fatalf("resumed %d, %v", n, err)
	}
	if d := mustGet(t, o, two); d.State != StateWaitingForSignIn {
		t.Fatalf("the other account's message is %s", d.State)
	}
}

// refusedOnceTokens refuses the first ask for a token as a spent sign-in,
// after waiting for release; later asks are providerTokens'.
type refusedOnceTokens struct {
	providerTokens
	asked, release chan struct{}
	first          sync.Once
}

func (p *refusedOnceTokens) AccessToken(ctx context.Context, renew bool) (string, error) {
	refuse := false
	p.first.Do(func() {
		close(p.asked)
		<-p.release
		refuse = true
	})
	if refuse {
		return "", expiredSignIn{}
	}
	return p.providerTokens.AccessToken(ctx, renew)
}

// TestSignInDuringAnAttemptQueuesTheMessageAgain: the user signs in again
// while a message of the account is being sent with the old, refused
// sign-in. ResumeAfterSignIn finds nothing waiting then; the attempt that
// ends afterwards must queue the message again, not leave it waiting for
// a sign-in that already happened.
func TestSignInDuringAnAttemptQueuesTheMessageAgain(t *testing.T) {
	ctx := t.Context()
	b := &testpeer.Backend{Mechanisms: []string{"XOAUTH2", "OAUTHBEARER"}, User: "alice@example.org", Token: signInToken}
	srv := testpeer.Run(t, testpeer.Options{Backend: b,
		Configure: []func(*smtp.Server){func(s *smtp.Server) { s.AllowInsecureAuth = true }}})
	tokens := &refusedOnceTokens{asked: make(chan struct{}), release: make(chan struct{})}
	accts := &accountsMap{}
	accts.set("oauth", smtpclient.Config{Host: srv.Host, Port: srv.Port, Security: smtpclient.SecurityNone,
		Username: "alice@example.org", OAuth: true, Tokens: tokens})
	o := openDir(t, t.TempDir(), accts, WithClock(newClock().Now))
	id := enqueueRaw(t, o, "oauth", "x@example.org", "In flight", time.Time{})
	done := make(chan error)
	go func() { _, err := o.Flush(ctx); done <- err }()
	<-tokens.asked
	tokens.signIn() // the user signs in again meanwhile
	if n, err := o.ResumeAfterSignIn(ctx, "oauth"); err != nil || n != 0 {
		t.Fatalf("ResumeAfterSignIn during the attempt = %d, %v; want nothing waiting yet", n, err)
	}
	close(tokens.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if state := messageState(t, o, id); state == StateWaitingForSignIn {
		t.Fatalf("after the sign-in the message waits for a sign-in")
	}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if state := messageState(t, o, id); state != StateSent {
		t.Errorf("after the sign-in and another flush the message is %q, want sent", state)
	}
}

func messageState(t *testing.T, o *Outbox, id int64) State {
	t.Helper()
	var state State
	if err := o.db.QueryRow(`SELECT state FROM outbox_messages WHERE id = ?`, id).Scan(&state); err != nil {
		t.Fatal(err)
	}
	return state
}
