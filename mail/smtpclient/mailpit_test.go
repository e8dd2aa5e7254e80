package smtpclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postie-app/postie/internal/testpeer"
)

// startMailpit runs mailpit with a certificate from ca, the TLS mode of
// tlsFlag and the one user the tests sign in as.
func startMailpit(t *testing.T, tlsFlag string, ca *testpeer.CA) *testpeer.Mailpit {
	t.Helper()
	authFile := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(authFile, []byte(testUser+":"+testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := testpeer.WriteCertFiles(t, ca.Issue(t, testpeer.Loopback))
	return testpeer.StartMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, tlsFlag,
		"--smtp-auth-file", authFile)
}

type mailpitAddress struct{ Address string }

type mailpitSummary struct {
	ID          string
	MessageID   string
	To, Cc, Bcc []mailpitAddress
	Username    string
	Size        int
}

// onlyMessage returns the single stored message and its raw bytes.
func onlyMessage(t *testing.T, m *testpeer.Mailpit) (mailpitSummary, []byte) {
	t.Helper()
	var list struct{ Messages []mailpitSummary }
	if err := json.Unmarshal(m.Get(t, "/messages"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Messages) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(list.Messages))
	}
	msg := list.Messages[0]
	return msg, m.Get(t, "/message/"+msg.ID+"/raw")
}

// mailpitMessage has a Bcc recipient in the envelope only, a folded header
// longer than one line, 8-bit text and a line starting with a dot.
func mailpitMessage() (Envelope, string) {
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf("Reader %d <reader%d@example.test>", i, i))
	}
	msg := "From: Alice <alice@example.test>\r\n" +
		"To: Bob <bob@example.test>,\r\n " + strings.Join(many[:20], ",\r\n ") + "\r\n" +
		"Cc: carol@example.test\r\n" +
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from Postie\r\n" +
		"Message-ID: <mailpit-test@postie.test>\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Grüße aus Postie.\r\n" +
		".A line that starts with a dot.\r\n" +
		"\r\n"
	env := Envelope{From: "alice@example.test", To: []string{"bob@example.test", "carol@example.test", "dave-bcc@example.test"}, EightBit: true}
	return env, msg
}

func TestMailpit(t *testing.T) {
	ca := testpeer.NewCA(t, "Mailpit Test CA")
	for _, tc := range []struct {
		security Security
		flag     string
	}{
		{SecurityStartTLS, "--smtp-require-starttls"},
		{SecurityTLS, "--smtp-require-tls"},
	} {
		t.Run(string(tc.security), func(t *testing.T) {
			m := startMailpit(t, tc.flag, ca)
			cfg := Config{Host: "127.0.0.1", Port: m.SMTPPort, Security: tc.security, CAFile: ca.WriteFile(t),
				Username: testUser, Secret: testSecret}

			probe, err := Probe(t.Context(), cfg)
			if err != nil {
				t.Fatalf("probe: %v\n%s", err, transcriptText(transcriptOf(err)))
			}
			if probe.Mechanism != "PLAIN" || probe.MaxSize == 0 || probe.Certificate == nil {
				t.Errorf("probe %+v", probe)
			}

			env, msg := mailpitMessage()
			res, err := send(t, cfg, env, msg, Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, transcriptText(res.Transcript))
			}
			summary, raw := onlyMessage(t, m)
			checkStored(t, raw, msg)
			if summary.Username != testUser {
				t.Errorf("mailpit saw user %q", summary.Username)
			}
			if !strings.HasPrefix(addrs(summary.To), "bob@example.test,reader0@example.test,") || len(summary.To) != 21 || addrs(summary.Cc) != "carol@example.test" || addrs(summary.Bcc) != "dave-bcc@example.test" {
				t.Errorf("recipients To %v Cc %v Bcc %v", summary.To, summary.Cc, summary.Bcc)
			}

			wrong := cfg
			wrong.Secret = "not-the-password"
			_, err = Probe(t.Context(), wrong)
			expectError(t, err, StageAuth, Permanent, ReasonPasswordRefused)
		})
	}
}

// checkStored compares what mailpit stored with what was sent, byte by
// byte. mailpit puts its own trace fields on top (Received, Return-Path,
// and a Bcc field listing envelope-only recipients, so its UI can show
// them); everything after them must be exactly the message sent.
func checkStored(t *testing.T, raw []byte, sent string) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte(sent)) {
		t.Fatalf("stored message does not end with the message sent:\n%q", raw)
	}
	added := string(raw[:len(raw)-len(sent)])
	for _, line := range strings.SplitAfter(added, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch {
		case line == "", strings.HasPrefix(line, " "), strings.HasPrefix(line, "\t"):
		case name == "Received" || name == "Return-Path" || name == "Bcc":
		default:
			t.Errorf("mailpit added an unexpected header line %q", line)
		}
	}
	if strings.Contains(strings.ToLower(headerOf(sent)), "\nbcc:") || strings.HasPrefix(strings.ToLower(sent), "bcc:") {
		t.Errorf("the message sent has a Bcc header")
	}
	for i, b := range raw {
		switch {
		case b == '\r' && (i+1 == len(raw) || raw[i+1] != '\n'):
			t.Fatalf("bare CR at byte %d", i)
		case b == '\n' && (i == 0 || raw[i-1] != '\r'):
			t.Fatalf("bare LF at byte %d", i)
		}
	}
	for _, line := range strings.Split(headerOf(string(raw)), "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d octets", len(line))
		}
	}
}

func headerOf(msg string) string {
	header, _, _ := strings.Cut(msg, "\r\n\r\n")
	return header
}

func addrs(list []mailpitAddress) string {
	var out []string
	for _, a := range list {
		out = append(out, a.Address)
	}
	return strings.Join(out, ",")
}
