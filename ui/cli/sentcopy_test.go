package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/store"
)

// TestSentCopyCommands: the IMAP server refuses the sign-in, so `postie
// send` sends (exit 0) and says the copy was not saved; `postie log`
// shows it failed; `postie log retry-copy` exits 77 while the server
// refuses, files the copy once it accepts, and refuses a copy already
// filed. The message goes out once.
func TestSentCopyCommands(t *testing.T) {
	testpeer.RequireSession(t) // the account's password is in the keyring
	const user, password = "sender@example.org", "Pw-cli-copies-51d7!"
	dir := t.TempDir()
	smtpServer := testpeer.Start(t, testpeer.None, user, password)
	ca := testpeer.NewCA(t, "IMAP CA")
	imapServer := testpeer.StartIMAP(t, testpeer.IMAPOptions{Security: testpeer.TLS, CA: ca,
		User: user, Password: password, SentFolder: "Sent"})
	addAccount(t, dir, "work", smtpServer, password)
	t.Cleanup(func() { postie(t, dir, "", "accounts", "remove", "work") })
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE accounts SET imap_host = ?, imap_port = ?, imap_security = 'tls', sent_copy = 'auto', ca_file = ?`,
		imapServer.Host, imapServer.Port, ca.WriteFile(t))
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	imapServer.Fault(testpeer.IMAPFault{RefuseLogin: true})
	code, out, errOut := postie(t, dir, "Hello\n", "send", "--to", "anna@example.net", "--bcc", "hidden@example.net",
		"--subject", "Copy refused", "--body-file", "-")
	if code != ExitOK || !strings.Contains(out, "Sent (message 1)") ||
		!strings.Contains(errOut, "Not saved: the incoming (IMAP) server refused the user name or password") {
		t.Fatalf("send: %d\n%s%s", code, out, errOut)
	}
	if got := logCopy(t, dir); got != "failed/" {
		t.Fatalf("log --json: copy %s, want failed", got)
	}
	if code, out, errOut := postie(t, dir, "", "log", "retry-copy", "1"); code != ExitNoPerm || !strings.Contains(out, "Not saved") {
		t.Fatalf("retry-copy while refused: %d %s", code, errOut)
	}
	imapServer.Fault(testpeer.IMAPFault{})
	code, out, errOut = postie(t, dir, "", "log", "retry-copy", "1")
	if code != ExitOK || !strings.Contains(out, "Copy saved in your Sent folder (Sent).") {
		t.Fatalf("retry-copy: %d\n%s%s", code, out, errOut)
	}
	if got := logCopy(t, dir); got != "filed/Sent" {
		t.Fatalf("log --json: copy %s, want filed in Sent", got)
	}
	if code, _, errOut := postie(t, dir, "", "log", "retry-copy", "1"); code != ExitDataErr || !strings.Contains(errOut, "already in your Sent folder") {
		t.Fatalf("retry-copy of a filed copy: %d %s", code, errOut)
	}
	if _, out, _ := postie(t, dir, "", "log", "show", "1"); !strings.Contains(out, "Copy saved in your Sent folder (Sent).") {
		t.Fatalf("log show:\n%s", out)
	}
	stored := imapServer.Stored("Sent")
	if len(stored) != 1 || !strings.HasPrefix(string(stored[0]), "Bcc: <hidden@example.net>\r\n") {
		t.Fatalf("%d copies in Sent, the first starting %q", len(stored), stored[0][:min(len(stored[0]), 60)])
	}
	if accepted, _ := smtpServer.Stats(); accepted != 1 {
		t.Fatalf("the SMTP server took %d messages, want 1", accepted)
	}
}

// logCopy is "sent_copy/sent_folder" of the one message in the log.
func logCopy(t *testing.T, dir string) string {
	t.Helper()
	code, out, _ := postie(t, dir, "", "log", "--json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); code != ExitOK || err != nil || len(entries) != 1 {
		t.Fatalf("log --json: %d %v\n%s", code, err, out)
	}
	return entries[0]["sent_copy"].(string) + "/" + entries[0]["sent_folder"].(string)
}
