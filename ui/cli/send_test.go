package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// postie runs the command line in data directory dir.
func postie(t *testing.T, dir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, DataDir: dir}
	code = Run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// addAccount saves an account for the server in dir, signing in with
// password when it is not empty.
func addAccount(t *testing.T, dir, name string, m *testpeer.Server, password string) {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := accounts.Open(db, &accounts.Secrets{})
	if err != nil {
		t.Fatal(err)
	}
	a := &accounts.Account{Name: name, DisplayName: "Test Sender", Email: "sender@example.org",
		Host: m.Host, Port: m.Port, Security: smtpclient.SecurityNone}
	if password != "" {
		a.Username = m.User
	}
	if err := s.Add(context.Background(), a, password); err != nil {
		t.Fatal(err)
	}
}

func TestSendDeliversAndTheLogShowsIt(t *testing.T) {
	dir := t.TempDir()
	m := testpeer.Start(t, testpeer.None, "", "")
	addAccount(t, dir, "work", m, "")
	attachment := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(attachment, []byte("some notes\n"), 0o600)

	code, out, errOut := postie(t, dir, "Hello Anna,\nsee the notes.\n", "send", "--to", "Anna <anna@example.net>, bob@example.net",
		"--bcc", "hidden@example.net", "--subject", "Quarterly notes", "--body-file", "-", "--attach", attachment)
	if code != ExitOK || !strings.Contains(out, "Sent (message 1). The server replied: 250 ") {
		t.Fatalf("send: %d %q %q", code, out, errOut)
	}

	code, out, _ = postie(t, dir, "", "log", "--json")
	if code != ExitOK {
		t.Fatal(code)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("log --json: %v\n%s", err, out)
	}
	var keys []string
	for k := range entries[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "account attempts bcc cc created error from id message_id sent_at sent_copy sent_folder server_reply status subject to" {
		t.Fatalf("JSON fields %v", keys)
	}
	e := entries[0]
	if e["status"] != "sent" || e["account"] != "work" || e["subject"] != "Quarterly notes" || e["attempts"] != 1.0 ||
		e["from"] != "Test Sender <sender@example.org>" || e["sent_at"] == nil ||
		!strings.HasPrefix(e["server_reply"].(string), "250 ") || len(e["to"].([]any)) != 2 || e["bcc"].([]any)[0] != "hidden@example.net" ||
		e["sent_copy"] != "off" || e["sent_folder"] != "" { // the account has no IMAP server
		t.Fatalf("log entry %v", e)
	}

	if code, out, _ = postie(t, dir, "", "log", "--search", "quarter"); code != ExitOK || !strings.Contains(out, "Quarterly notes") {
		t.Fatalf("log --search: %d %q", code, out)
	}
	if code, _, _ = postie(t, dir, "", "log", "--search", "nowhere"); code != ExitUnknown {
		t.Fatalf("search without results exits %d", code)
	}
	code, out, _ = postie(t, dir, "", "log", "show", "1")
	if code != ExitOK || !strings.Contains(out, "Transcript:") || !strings.Contains(out, "MAIL FROM:<sender@example.org>") ||
		!strings.Contains(out, "notes.txt") || !strings.Contains(out, "Account:      work") {
		t.Fatalf("log show: %d\n%s", code, out)
	}
	code, out, _ = postie(t, dir, "", "log", "export", "1")
	id := entries[0]["message_id"].(string)
	if code != ExitOK || out != string(m.ReceivedByID()[id]) {
		t.Fatalf("export differs from what the server received (%d)", code)
	}
	if code, _, _ = postie(t, dir, "", "log", "show", "99"); code != ExitUnknown {
		t.Fatalf("show of a missing message exits %d", code)
	}
}

func TestSendExitCodes(t *testing.T) {
	dir := t.TempDir()
	m := testpeer.Start(t, testpeer.None, "", "")
	addAccount(t, dir, "work", m, "")
	send := func(args ...string) (int, string) {
		t.Helper()
		code, out, errOut := postie(t, dir, "", append([]string{"send", "--subject", "Exit codes"}, args...)...)
		return code, out + errOut
	}
	cases := []struct {
		name  string
		setup func(m *testpeer.Server)
		args  []string
		want  int
		says  string
	}{
		{"bad address", nil, []string{"--to", "not an address"}, ExitDataErr, "not an address"},
		{"missing attachment", nil, []string{"--to", "a@example.net", "--attach", "/nonexistent/file.pdf"}, ExitDataErr, "file.pdf"},
		{"unknown account", nil, []string{"--account", "nope", "--to", "a@example.net"}, ExitDataErr, "nope"},
		{"refused recipient", func(m *testpeer.Server) {
			m.Refuse(testpeer.AtRcpt, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"})
		}, []string{"--to", "gone@example.net"}, ExitUnavailable, "550 5.1.1 No such user"},
		{"temporary refusal", func(m *testpeer.Server) {
			m.Refuse(testpeer.AtMail, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"})
		}, []string{"--to", "a@example.net"}, ExitTempFail, "tried again"},
		{"lost after the final dot", func(m *testpeer.Server) { m.Behave(testpeer.HangUpAfterDot) }, []string{"--to", "a@example.net"}, ExitUnknown, "may or may not"},
		{"queue only", nil, []string{"--to", "a@example.net", "--queue"}, ExitOK, "Queued as message"},
		{"later", nil, []string{"--to", "a@example.net", "--later", "2h"}, ExitOK, "Queued as message"},
		{"bad later", nil, []string{"--to", "a@example.net", "--later", "someday"}, ExitUsage, "--later"},
	}
	for _, c := range cases {
		m.AcceptAgain()
		if c.setup != nil {
			c.setup(m)
		}
		code, text := send(c.args...)
		if code != c.want || !strings.Contains(text, c.says) {
			t.Errorf("%s: exit %d, want %d; output:\n%s", c.name, code, c.want, text)
		}
	}
	// Bad input recorded nothing; the rest is in the outbox.
	code, out, _ := postie(t, dir, "", "outbox", "list", "--json")
	var pending []map[string]any
	if err := json.Unmarshal([]byte(out), &pending); err != nil || code != ExitOK {
		t.Fatalf("outbox list: %v %s", err, out)
	}
	var states []string
	for _, p := range pending {
		states = append(states, p["status"].(string))
	}
	if strings.Join(states, " ") != "queued queued unknown retrying failed" {
		t.Fatalf("outbox holds %v", states)
	}

	// Discard the held one, retry the failed one after the server is fixed.
	m.AcceptAgain()
	if code, out, _ := postie(t, dir, "", "outbox", "discard", strconv.Itoa(int(pending[0]["id"].(float64)))); code != ExitOK {
		t.Fatalf("discard: %d %s", code, out)
	}
	failedID := strconv.Itoa(int(pending[4]["id"].(float64)))
	if code, out, errOut := postie(t, dir, "", "outbox", "retry", failedID); code != ExitOK || !strings.Contains(out, "Sent") {
		t.Fatalf("retry: %d %s %s", code, out, errOut)
	}
	// Flush sends the queued and the retrying one, and never the unknown.
	code, out, _ = postie(t, dir, "", "outbox", "flush")
	if code != ExitOK || !strings.Contains(out, "Sent 1.") {
		t.Fatalf("flush: %d %s", code, out)
	}
	if code, _, errOut := postie(t, dir, "", "outbox", "discard", "abc"); code != ExitUsage {
		t.Fatalf("discard abc: %d %s", code, errOut)
	}
	if code, _, _ := postie(t, dir, "", "outbox", "discard", failedID); code != ExitDataErr {
		t.Fatalf("discard of a sent message: %d", code)
	}
}

func TestSendWithRefusedPasswordExits77(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	dir := t.TempDir()
	m := testpeer.Run(t, testpeer.Options{Backend: &testpeer.Backend{User: "user", Password: "right-password", RequireAuth: true}})
	addAccount(t, dir, "work", m, "wrong-password")
	t.Cleanup(func() {
		db, _ := store.Open(dir)
		defer db.Close()
		if s, err := accounts.Open(db, &accounts.Secrets{}); err == nil {
			s.Remove(context.Background(), "work")
		}
	})
	code, out, errOut := postie(t, dir, "", "send", "--to", "a@example.net", "--subject", "Auth")
	if code != ExitNoPerm || !strings.Contains(errOut, "user name or password") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "wrong-password") {
		t.Fatal("the password is in the output")
	}
	if len(m.ReceivedByID()) != 0 {
		t.Fatal("a message was delivered")
	}
}
