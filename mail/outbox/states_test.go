package outbox

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// stageReplies are the refusals the scripted server sends at each stage.
var stageReplies = map[string][2]string{ // temporary, permanent
	"greeting": {"421 4.3.2 Service not available, try later", "554 5.3.2 No service here"},
	"ehlo":     {"451 4.3.0 Try again later", "550 5.5.0 Go away"},
	"starttls": {"454 4.7.0 TLS not available right now", "554 5.7.0 TLS refused"},
	"auth":     {"454 4.7.0 Temporary authentication failure", "535 5.7.8 Authentication credentials invalid"},
	"mail":     {"451 4.3.0 Sender check deferred", "550 5.7.1 Sender rejected"},
	"rcpt":     {"450 4.2.1 Mailbox busy", "550 5.1.1 No such user"},
	"data":     {"451 4.3.0 Not now", "554 5.5.1 No valid recipients"},
	"dot":      {"451 4.3.0 Queue full", "554 5.6.0 Message refused"},
}

// TestStateAfterEachStageFailure fails a submission at every stage with a
// temporary reply, a permanent one, and a dropped connection, and checks
// the message's state, its attempts, that no copy was delivered, and what
// happens next: retrying messages go out once the server recovers, failed
// and unknown ones are never sent again by themselves.
func TestStateAfterEachStageFailure(t *testing.T) {
	type tc struct {
		stage, reply string
		want         State
	}
	var cases []tc
	for _, stage := range scriptStages {
		r := stageReplies[stage]
		cases = append(cases, tc{stage, r[0], StateRetrying}, tc{stage, r[1], StateFailed})
		if stage == "dot" {
			cases = append(cases, tc{stage, "drop", StateUnknown})
		} else {
			cases = append(cases, tc{stage, "drop", StateRetrying})
		}
	}
	for _, c := range cases {
		name := c.stage + "/" + strings.Fields(c.reply)[0]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := startScripted(t)
			srv.script(c.stage, c.reply)
			clk := newClock()
			accts := &accountsMap{}
			accts.set("acct", srv.config())
			o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
			msgID := "stage-" + c.stage + "-" + strings.Fields(c.reply)[0] + "@example.org"
			id := enqueueRaw(t, o, "acct", msgID, "Stage test", time.Time{})

			sum, err := o.Flush(ctx)
			if err != nil {
				t.Fatal(err)
			}
			d := mustGet(t, o, id)
			if d.State != c.want || d.AttemptCount != 1 || len(d.Attempts) != 1 {
				t.Fatalf("state %s after %d attempts (%d recorded), want %s after 1; failure %+v; summary %+v",
					d.State, d.AttemptCount, len(d.Attempts), c.want, d.Failure, sum)
			}
			if !d.Failure.Known() || d.Failure.Legacy != "" || !d.Attempts[0].Failure.Known() {
				t.Errorf("no reason recorded: %+v", d.Attempts[0])
			}
			// Refused or cut off at DATA, before the final dot was started:
			// the outcome must be known (nothing went out).
			if cause := d.Failure.Cause; c.stage == "data" && (cause == nil || cause.Class == smtpclient.UnknownOutcome || cause.Stage != smtpclient.StageData) {
				t.Errorf("the failure %+v does not say that nothing was sent", cause)
			}
			if c.reply != "drop" && !strings.Contains(d.ServerReply, strings.Fields(c.reply)[0]) {
				t.Errorf("server reply %q does not carry %q", d.ServerReply, c.reply)
			}
			if strings.Contains(d.Attempts[0].Transcript, "secret-password") {
				t.Error("the transcript holds the password")
			}
			accepted, dropped := srv.copies(msgID)
			if accepted != 0 || (c.want == StateUnknown) != (dropped == 1) {
				t.Fatalf("server acknowledged %d copies and lost %d after the dot", accepted, dropped)
			}
			if c.want == StateRetrying && !d.NextAttempt.Equal(clk.Now().Add(time.Minute).Truncate(time.Millisecond)) {
				t.Errorf("next attempt at %v, want one minute after %v", d.NextAttempt, clk.Now())
			}

			// The server recovers and two days pass.
			srv.script("", "")
			clk.Advance(time.Minute)
			if _, err := o.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(48 * time.Hour)
			if _, err := o.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			d = mustGet(t, o, id)
			accepted, _ = srv.copies(msgID)
			switch c.want {
			case StateRetrying:
				if d.State != StateSent || d.AttemptCount != 2 || accepted != 1 {
					t.Fatalf("after recovery: %s, %d attempts, %d copies; want sent, 2, 1", d.State, d.AttemptCount, accepted)
				}
				if !strings.HasPrefix(d.ServerReply, "250 ") || d.SentAt.IsZero() {
					t.Errorf("sent without the final reply or time: %q %v", d.ServerReply, d.SentAt)
				}
			default:
				if d.State != c.want || d.AttemptCount != 1 || accepted != 0 {
					t.Fatalf("%s message was retried by itself: now %s after %d attempts, %d copies", c.want, d.State, d.AttemptCount, accepted)
				}
			}
		})
	}
}

func TestConnectionRefusedRetriesAndNoticesTheServerIsBack(t *testing.T) {
	ctx := context.Background()
	// A loopback address of its own (all of 127/8 is loopback), so that no
	// other test's ephemeral port can land on the port freed below.
	ln, err := net.Listen("tcp", "127.51.7.9:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", smtpclient.Config{Host: host, Port: p, Security: smtpclient.SecurityNone})
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
	first := enqueueRaw(t, o, "acct", "refused-1@example.org", "One", time.Time{})
	second := enqueueRaw(t, o, "acct", "refused-2@example.org", "Two", time.Time{})
	sum, err := o.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Retrying != 2 {
		t.Fatalf("summary %+v, want both retrying", sum)
	}
	for _, id := range []int64{first, second} {
		d := mustGet(t, o, id)
		if d.State != StateRetrying || d.AttemptCount != 1 || d.Failure.Cause == nil || d.Failure.Cause.Stage != smtpclient.StageConnect {
			t.Fatalf("message %d: %s, %d attempts, %+v", id, d.State, d.AttemptCount, d.Failure)
		}
	}

	// A server appears where there was none; the reachability check finds
	// it and makes the messages due at once, long before their retry time.
	s := startSinkAt(t, addr)
	servers, err := o.offlineServers(ctx)
	if err != nil || len(servers) != 1 || servers[0] != addr {
		t.Fatalf("offline servers %v, %v", servers, err)
	}
	if !o.checkServers(ctx, servers) {
		t.Fatal("the server that came back was not noticed")
	}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{first, second} {
		if d := mustGet(t, o, id); d.State != StateSent {
			t.Fatalf("message %d is %s after the network came back", id, d.State)
		}
	}
	if total, sessions := s.Stats(); total != 2 || sessions != 1 {
		t.Errorf("server got %d messages over %d connections, want 2 over 1", total, sessions)
	}
}
