package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimap "github.com/emersion/go-imap/v2/imapclient"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/ui/cli"
)

// TestKilledBetweenAcceptanceAndCopyFilesItOnceAfterRestart: `postie send`
// is killed after the SMTP server accepted the message, while it waits for
// an IMAP server that accepted the connection and never answers. After a
// restart the message is sent and its copy pending; once the account's
// IMAP server (Dovecot) answers, `postie outbox flush` files the copy in
// the folder marked \Sent, once, and nothing is sent again.
func TestKilledBetweenAcceptanceAndCopyFilesItOnceAfterRestart(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	const user, password = "anna@example.test", "Pw-copy-after-restart-93c1!"
	ca := testpeer.NewCA(t, "Dovecot CA")
	d := testpeer.StartDovecot(t, ca, user, password)
	smtpServer := testpeer.Start(t, testpeer.None, user, password)

	// An IMAP server that takes the connection and never greets.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	held := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()

	u := newCLIUser(t, smtpServer)
	setIMAP(t, u.dir, hang.Addr().(*net.TCPAddr).Port, ca.WriteFile(t))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := postieIn(ctx, u.dir, "send", "--to", "ben@example.test", "--subject", "Killed before the copy", "--body-file", "-")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader("Hello Ben\n"), &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case c := <-held: // the message is sent; the copy waits for a greeting
		defer c.Close()
	case err := <-exited:
		t.Fatalf("postie send ended before filing the copy (%v)\nstdout: %s\nstderr: %s", err, &stdout, &stderr)
	case <-ctx.Done():
		t.Fatal("postie send never connected to the IMAP server")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	if !strings.Contains(stdout.String(), "Sent (message 1)") {
		t.Fatalf("postie send said:\n%s%s", &stdout, &stderr)
	}

	entry := logEntry(t, u)
	if entry["status"] != "sent" || entry["sent_copy"] != "pending" {
		t.Fatalf("after the restart: %v; want sent, copy pending", entry)
	}
	msgID := entry["message_id"].(string)
	if n := smtpServer.Accepted(msgID); n != 1 {
		t.Fatalf("the SMTP server has the message %d times, want 1", n)
	}

	setIMAP(t, u.dir, d.TLSPort, ca.WriteFile(t))
	out := u.expect(t, cli.ExitOK, "", "outbox", "flush")
	if !strings.Contains(out, "Copies saved in Sent folders: 1. Will be tried again: 0. Not saved: 0.") {
		t.Fatalf("flush said:\n%s", out)
	}
	u.expect(t, cli.ExitOK, "", "outbox", "flush") // nothing left: no second copy
	if entry := logEntry(t, u); entry["sent_copy"] != "filed" || entry["sent_folder"] != "Gesendet" {
		t.Fatalf("after the flush: %v; want the copy filed in Gesendet", entry)
	}
	if out := u.expect(t, cli.ExitOK, "", "log", "show", "1"); !strings.Contains(out, "Copy saved in your Sent folder (Gesendet).") {
		t.Fatalf("log show said:\n%s", out)
	}
	copies := 0
	for _, m := range readSent(t, d, ca, "Gesendet") {
		if bytes.Contains(m, []byte(msgID)) {
			copies++
		}
	}
	if copies != 1 || smtpServer.Accepted(msgID) != 1 {
		t.Fatalf("%d copies in Gesendet and %d on the SMTP server, want 1 and 1", copies, smtpServer.Accepted(msgID))
	}
}

// setIMAP points the data folder's only account at an IMAP server on
// 127.0.0.1, with implicit TLS and the CA file.
func setIMAP(t *testing.T, dir string, port int, caFile string) {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE accounts SET imap_host = '127.0.0.1', imap_port = ?, imap_security = 'tls',
		sent_copy = 'always', ca_file = ?`, port, caFile); err != nil {
		t.Fatal(err)
	}
}

// logEntry is the one message of `postie log --json`.
func logEntry(t *testing.T, u *cliUser) map[string]any {
	t.Helper()
	out := u.expect(t, cli.ExitOK, "", "log", "--json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("log --json: %v\n%s", err, out)
	}
	return entries[0]
}

// readSent returns the messages in folder, read with go-imap directly.
func readSent(t *testing.T, d *testpeer.Dovecot, ca *testpeer.CA, folder string) [][]byte {
	t.Helper()
	c, err := goimap.DialTLS(fmt.Sprintf("%s:%d", d.Host, d.TLSPort), &goimap.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.BodySection[0].Bytes)
	}
	return out
}
