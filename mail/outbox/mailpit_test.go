package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
)

// startMailpit runs mailpit with its chaos triggers enabled: an
// independent SMTP server whose refusals of the sender, the recipients and
// the sign-in can be switched on through its API. It accepts any sign-in.
func startMailpit(t *testing.T) *testpeer.Mailpit {
	t.Helper()
	return testpeer.StartMailpit(t, "--enable-chaos", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
}

// copies counts the stored messages by Message-ID.
func copies(t *testing.T, m *testpeer.Mailpit) map[string]int {
	t.Helper()
	var list struct {
		Messages []struct{ MessageID string }
	}
	if err := json.Unmarshal(m.Get(t, "/messages?limit=1000"), &list); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, msg := range list.Messages {
		n[msg.MessageID]++
	}
	return n
}

func mailpitConfig(m *testpeer.Mailpit) smtpclient.Config {
	return smtpclient.Config{Host: "127.0.0.1", Port: m.SMTPPort, Security: smtpclient.SecurityNone, Username: "user", Secret: "mailpit-secret"}
}

// TestMailpitChaos lets mailpit refuse the sender, the recipients or the
// sign-in, temporarily and for good: temporary refusals are retried and
// then delivered exactly once, permanent ones fail and are never sent.
func TestMailpitChaos(t *testing.T) {
	ctx := context.Background()
	mp := startMailpit(t)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", mailpitConfig(mp))
	o := openDir(t, t.TempDir(), accts, WithClock(clk.Now))
	cases := []struct {
		trigger string
		code    int
		want    State
	}{
		{"Sender", 451, StateRetrying}, {"Sender", 550, StateFailed},
		{"Recipient", 452, StateRetrying}, {"Recipient", 550, StateFailed},
		{"Authentication", 454, StateRetrying}, {"Authentication", 535, StateFailed},
	}
	ids := map[int64]string{}
	for _, c := range cases {
		mp.Chaos(t, c.trigger, c.code)
		msgID := fmt.Sprintf("chaos-%s-%d@example.org", c.trigger, c.code)
		id := enqueueRaw(t, o, "acct", msgID, "Chaos", time.Time{})
		ids[id] = msgID
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		d := mustGet(t, o, id)
		if d.State != c.want || d.AttemptCount != 1 || d.Failure == nil {
			t.Errorf("%s %d: %s after %d attempts, %+v; want %s", c.trigger, c.code, d.State, d.AttemptCount, d.Failure, c.want)
		}
	}
	if n := copies(t, mp); len(n) != 0 {
		t.Fatalf("refused messages were stored: %v", n)
	}
	mp.Chaos(t, "", 0)
	clk.Advance(time.Minute)
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	copies := copies(t, mp)
	for id, msgID := range ids {
		d := mustGet(t, o, id)
		want := 0
		if d.AttemptCount == 2 {
			want = 1
			if d.State != StateSent {
				t.Errorf("%s: %s after the retry", msgID, d.State)
			}
		}
		if copies[msgID] != want {
			t.Errorf("%s (%s): %d copies in mailpit, want %d", msgID, d.State, copies[msgID], want)
		}
	}
}
