package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// mailpit is a running mailpit with its chaos triggers enabled: an
// independent SMTP server whose refusals of the sender, the recipients and
// the sign-in can be switched on through its API.
type mailpit struct {
	smtp, api string
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		t.Fatal("mailpit is needed for this test (make test installs it): ", err)
	}
	m := &mailpit{smtp: freePort(t), api: freePort(t)}
	cmd := exec.Command(bin, "--smtp", m.smtp, "--listen", m.api, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--enable-chaos", "--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns", "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + m.api + "/api/v1/messages")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", m.smtp); err == nil {
				c.Close()
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start")
		}
		time.Sleep(50 * time.Millisecond) // polling a server we just started
	}
}

// chaos sets mailpit's triggers; a zero code turns a trigger off.
func (m *mailpit) chaos(t *testing.T, trigger string, code int) {
	t.Helper()
	body := map[string]map[string]int{}
	for _, name := range []string{"Sender", "Recipient", "Authentication"} {
		body[name] = map[string]int{"ErrorCode": 451, "Probability": 0}
		if name == trigger {
			body[name] = map[string]int{"ErrorCode": code, "Probability": 100}
		}
	}
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, "http://"+m.api+"/api/v1/chaos", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit chaos API: %s", resp.Status)
	}
}

// copies counts the stored messages by Message-ID.
func (m *mailpit) copies(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + m.api + "/api/v1/messages?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []struct{ MessageID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, msg := range list.Messages {
		n[msg.MessageID]++
	}
	return n
}

func (m *mailpit) config() smtpclient.Config {
	host, port, _ := net.SplitHostPort(m.smtp)
	p, _ := strconv.Atoi(port)
	return smtpclient.Config{Host: host, Port: p, Security: smtpclient.SecurityNone, Username: "user", Secret: "mailpit-secret"}
}

// TestMailpitChaos lets mailpit refuse the sender, the recipients or the
// sign-in, temporarily and for good: temporary refusals are retried and
// then delivered exactly once, permanent ones fail and are never sent.
func TestMailpitChaos(t *testing.T) {
	ctx := context.Background()
	mp := startMailpit(t)
	clk := newClock()
	accts := &accountsMap{}
	accts.set("acct", mp.config())
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
		mp.chaos(t, c.trigger, c.code)
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
	if n := mp.copies(t); len(n) != 0 {
		t.Fatalf("refused messages were stored: %v", n)
	}
	mp.chaos(t, "", 0)
	clk.Advance(time.Minute)
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	copies := mp.copies(t)
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
