package imapclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimap "github.com/emersion/go-imap/v2/imapclient"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

const (
	dovecotUser     = "anna@example.test"
	dovecotPassword = "Pw-for-dovecot-7f3a!"
)

// lines collects a transcript.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.all = append(l.all, s); l.mu.Unlock() }
func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

func dovecotConfig(d *testpeer.Dovecot, security smtpclient.Security, log *lines) imapclient.Config {
	port := d.TLSPort
	if security == smtpclient.SecurityStartTLS {
		port = d.StartTLSPort
	}
	cfg := imapclient.Config{
		Host: d.Host, Port: port, Security: security, Username: d.User, Secret: d.Password,
		RootCAs: d.CA.Pool(), Timeout: 20 * time.Second,
	}
	if log != nil {
		cfg.Transcript = log.add
	}
	return cfg
}

func message(id string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Anna <anna@example.test>\r\nTo: Ben <ben@example.test>\r\nBcc: carl@example.test\r\nSubject: Gr\u00fc\u00dfe\r\nMessage-ID: %s\r\nDate: Sun, 29 Nov 2026 14:05:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", id)
	line := "Hallo Ben, hier ist die Kopie im Ordner Gesendet. 0123456789\r\n"
	for b.Len() < size-len(line) {
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat("x", max(0, size-b.Len()-2)) + "\r\n")
	return b.Bytes()
}

// readBack fetches every message of folder with go-imap directly: body,
// flags and internal date, to check what imapclient filed.
func readBack(t *testing.T, d *testpeer.Dovecot, folder string) []*goimap.FetchMessageBuffer {
	t.Helper()
	c, err := goimap.DialTLS(fmt.Sprintf("%s:%d", d.Host, d.TLSPort), &goimap.Options{TLSConfig: tlsFor(d)})
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
	all.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestAppendToDovecotFilesTheExactBytesInTheFolderMarkedSent(t *testing.T) {
	for _, security := range []smtpclient.Security{smtpclient.SecurityTLS, smtpclient.SecurityStartTLS} {
		t.Run(string(security), func(t *testing.T) {
			ca := testpeer.NewCA(t, "Dovecot CA")
			d := testpeer.StartDovecot(t, ca, dovecotUser, dovecotPassword)
			ctx := context.Background()
			var log lines
			c, err := imapclient.Dial(ctx, dovecotConfig(d, security, &log))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			folder, err := c.SentFolder(ctx, "")
			if err != nil || folder != "Gesendet" {
				t.Fatalf("SentFolder = %q, %v; want the folder marked \\Sent, Gesendet", folder, err)
			}
			id := "<copy-1@postie.test>"
			msg := message(id, 20_000)
			sent := time.Date(2026, 11, 29, 14, 5, 0, 0, time.FixedZone("CET", 3600))
			if found, err := c.HasMessageID(ctx, folder, id, time.Time{}); err != nil || found {
				t.Fatalf("before filing, HasMessageID = %v, %v; want false", found, err)
			}
			if err := c.Append(ctx, folder, int64(len(msg)), bytes.NewReader(msg), sent); err != nil {
				t.Fatal(err)
			}
			if found, err := c.HasMessageID(ctx, folder, id, time.Time{}); err != nil || !found {
				t.Fatalf("after filing, HasMessageID = %v, %v; want true", found, err)
			}
			if found, err := c.HasMessageID(ctx, folder, "<copy-2@postie.test>", time.Time{}); err != nil || found {
				t.Fatalf("another id: HasMessageID = %v, %v; want false", found, err)
			}
			msgs := readBack(t, d, folder)
			if len(msgs) != 1 {
				t.Fatalf("%d messages in %s, want 1", len(msgs), folder)
			}
			m := msgs[0]
			if body := m.BodySection[0].Bytes; !bytes.Equal(body, msg) {
				t.Errorf("filed %d bytes differ from the %d appended", len(body), len(msg))
			}
			if !containsFlag(m.Flags, imap.FlagSeen) {
				t.Errorf("flags %v, want \\Seen", m.Flags)
			}
			if !m.InternalDate.Equal(sent) {
				t.Errorf("internal date %v, want %v", m.InternalDate, sent)
			}
			if strings.Contains(log.String(), dovecotPassword) || strings.Contains(log.String(), "Hallo Ben") {
				t.Errorf("the transcript shows the password or the message:\n%s", log.String())
			}
			if !strings.Contains(log.String(), "APPEND") {
				t.Errorf("the transcript lacks the APPEND:\n%s", log.String())
			}
		})
	}
}

func containsFlag(flags []imap.Flag, want imap.Flag) bool {
	for _, f := range flags {
		if f == want {
			return true
		}
	}
	return false
}

func TestProbeSignsInToDovecotAndReportsAWrongPassword(t *testing.T) {
	ca := testpeer.NewCA(t, "Dovecot CA")
	d := testpeer.StartDovecot(t, ca, dovecotUser, dovecotPassword)
	var log lines
	cfg := dovecotConfig(d, smtpclient.SecurityStartTLS, &log)
	if err := imapclient.Probe(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Secret = "wrong-" + dovecotPassword
	err := imapclient.Probe(context.Background(), cfg)
	var e *imapclient.Error
	if !errors.As(err, &e) || e.Stage != imapclient.StageAuth || e.Reason != imapclient.ReasonLoginRefused || e.Code != "AUTHENTICATIONFAILED" {
		t.Fatalf("error %+v; want auth login-refused [AUTHENTICATIONFAILED]", err)
	}
	if strings.Contains(log.String(), dovecotPassword) {
		t.Fatalf("the transcript shows the password:\n%s", log.String())
	}
}
