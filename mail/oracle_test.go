package mail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oracleResult is what testdata/oracle.py reports of one message.
type oracleResult struct {
	Defects     []string     `json:"defects"`
	Headers     []string     `json:"headers"`
	Subject     *string      `json:"subject"`
	From        [][2]string  `json:"from"`
	To          [][2]string  `json:"to"`
	Cc          [][2]string  `json:"cc"`
	ReplyTo     [][2]string  `json:"reply_to"`
	MessageID   string       `json:"message_id"`
	InReplyTo   *string      `json:"in_reply_to"`
	References  *string      `json:"references"`
	Date        string       `json:"date"`
	ContentType string       `json:"content_type"`
	Texts       []string     `json:"texts"`
	HTMLs       []string     `json:"htmls"`
	Attachments []oracleFile `json:"attachments"`
}

type oracleFile struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content"` // base64 in the JSON
}

// runOracle parses the messages with Python's email package.
func runOracle(t *testing.T, utf8 bool, paths []string) []oracleResult {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed as an independent MIME parser: %v", err)
	}
	args := []string{filepath.Join("testdata", "oracle.py")}
	if utf8 {
		args = append(args, "--utf8")
	}
	cmd := exec.Command(python, append(args, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle.py: %v\n%s", err, stderr.Bytes())
	}
	var results []oracleResult
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(nil, 64<<20)
	for scanner.Scan() {
		var r oracleResult
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatalf("oracle output: %v", err)
		}
		results = append(results, r)
	}
	if len(results) != len(paths) {
		t.Fatalf("oracle read %d of %d messages", len(results), len(paths))
	}
	return results
}

// oracleMessages are the hard cases: Unicode everywhere, long lines, lines
// starting with dots, bare CR and LF, empty bodies, many attachments.
func oracleMessages(t *testing.T) map[string]*Message {
	dir := t.TempDir()
	var many []Attachment
	for i := range 30 {
		names := []string{"Übersicht März %d.pdf", "日本語のファイル %d.txt", "report; \"final\" %d (v2).doc", "emoji 😀 %d.png", "100%% done %d.csv", strings.Repeat("sehr lang ", 12) + "%d.txt"}
		name := fmt.Sprintf(names[i%len(names)], i)
		content := bytes.Repeat([]byte{byte(i), '\r', '\n', '.', 0, 0xff}, i*37)
		many = append(many, Attachment{Name: name, Path: writeFile(t, dir, fmt.Sprintf("f%d", i), content)})
	}
	return map[string]*Message{
		"unicode": {
			From:     Address{Name: "Åsa Lindström-Öberg", Email: "asa@bücher.de"},
			To:       []Address{{Name: "Lind, Anna", Email: "anna@example.org"}, {Name: "日本 太郎", Email: "taro@例え.テスト"}, {Name: "Россия Москва", Email: "ru@example.ru"}},
			Cc:       []Address{{Name: `Quote "me" \ please`, Email: "q@example.org"}, {Name: "Anna B. Lind", Email: "b@example.org"}},
			ReplyTo:  []Address{{Name: "Ελληνικά", Email: "gr@example.gr"}},
			Subject:  "Grüße aus Köln – 日本語の件名 😀 " + strings.Repeat("and a long tail ", 8),
			Body:     "Grüße,\n\n**日本語** and emoji 😀\n",
			Markdown: true,
			Attachments: []Attachment{
				{Path: writeFile(t, dir, "Überweisung März 2026 – sehr langer Dateiname für die Buchhaltung.pdf", []byte("%PDF-1.4\n"))},
				{Name: "日本語.txt", Open: openString("テキスト\n")},
				{Name: "forwarded.eml", Open: openString("From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")},
				{Name: "given.eml", ContentType: "message/rfc822", Open: openString("Subject: y\n\nbody")},
			},
			InReplyTo:  "<parent@example.net> <other@example.net>",
			References: []string{"<root@example.net>", "parent@example.net <other@example.net>"},
		},
		"long lines and dots": {
			From:    Address{Email: "a@example.org"},
			To:      []Address{{Email: "b@example.org"}},
			Subject: strings.Repeat("x", 300),
			Body:    ".\n..\n. \n.leading dot\nFrom the start\n" + strings.Repeat("a", 5000) + "\n" + strings.Repeat("é ", 2000) + "\n.",
		},
		"bare line endings": {
			From:    Address{Email: "a@example.org"},
			To:      []Address{{Email: "b@example.org"}},
			Subject: "  spaces  kept  ",
			Body:    "one\rtwo\nthree\r\nfour\n\rfive\r\r\n.\r.\n.",
		},
		"empty": {
			From: Address{Email: "a@example.org"},
			To:   []Address{{Email: "b@example.org"}},
		},
		"empty body, markdown": {
			From:     Address{Email: "a@example.org"},
			To:       []Address{{Email: "b@example.org"}},
			Markdown: true,
		},
		"many attachments, empty body": {
			From:        Address{Name: "Sender", Email: "a@example.org"},
			Bcc:         []Address{{Email: "hidden@example.org"}},
			Subject:     "=?utf-8?q?not_an_encoded_word?=",
			Attachments: many,
		},
		"many recipients": {
			From:    Address{Email: "a@example.org"},
			To:      manyAddresses("to", 40),
			Cc:      manyAddresses("cc", 40),
			Subject: "Newsletter",
			Body:    strings.Repeat("line\n", 100),
		},
	}
}

func manyAddresses(prefix string, n int) []Address {
	var list []Address
	for i := range n {
		list = append(list, Address{Name: fmt.Sprintf("Person Nümber %d", i), Email: fmt.Sprintf("%s%d@example.org", prefix, i)})
	}
	return list
}

// TestOracle has Python's email package (policy.default) read the hard
// cases: it must find no defect, and decode the subject, the addresses,
// the text and every file name and byte to what was put in.
func TestOracle(t *testing.T) {
	msgs := oracleMessages(t)
	dir := t.TempDir()
	var names, paths []string
	for name, msg := range msgs {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".eml")
		if err := os.WriteFile(path, build(t, msg), 0o600); err != nil {
			t.Fatal(err)
		}
		names, paths = append(names, name), append(paths, path)
	}
	for i, got := range runOracle(t, false, paths) {
		t.Run(names[i], func(t *testing.T) { compareOracle(t, msgs[names[i]], got, nil) })
	}
}

// TestOracleSMTPUTF8 reads a message with a non-ASCII local part as UTF-8
// (RFC 6532). Python's parser notes every non-ASCII local part as a defect
// whatever the policy, so that one defect is expected there.
func TestOracleSMTPUTF8(t *testing.T) {
	msg := &Message{
		From:    Address{Name: "Jörg", Email: "jörg@bücher.de"},
		To:      []Address{{Email: "anna@example.org"}},
		Subject: "Grüße",
		Body:    "Hallo\n",
	}
	if _, _, smtputf8, _ := msg.Envelope(); !smtputf8 {
		t.Fatal("the message does not need SMTPUTF8")
	}
	path := filepath.Join(t.TempDir(), "utf8.eml")
	if err := os.WriteFile(path, build(t, msg), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runOracle(t, true, []string{path})[0]
	compareOracle(t, msg, got, []string{"message header From: NonASCIILocalPartDefect: local-part contains non-ASCII characters)"})
}

func compareOracle(t *testing.T, msg *Message, got oracleResult, expectedDefects []string) {
	t.Helper()
	if fmt.Sprint(got.Defects) != fmt.Sprint(expectedDefects) {
		t.Errorf("defects %q", got.Defects)
	}
	for _, h := range got.Headers {
		if strings.EqualFold(h, "Bcc") {
			t.Error("a Bcc header")
		}
	}
	if got.Subject == nil || *got.Subject != msg.Subject {
		t.Errorf("subject %q, want %q", deref(got.Subject), msg.Subject)
	}
	for _, list := range []struct {
		name string
		got  [][2]string
		want []Address
	}{{"From", got.From, []Address{msg.From}}, {"To", got.To, msg.To}, {"Cc", got.Cc, msg.Cc}, {"Reply-To", got.ReplyTo, msg.ReplyTo}} {
		// A missing field and undisclosed-recipients:; both list nobody.
		var want [][2]string
		for _, a := range asciiAddrs(t, list.want) {
			want = append(want, [2]string{a.Name, a.Email})
		}
		if fmt.Sprint(list.got) != fmt.Sprint(want) {
			t.Errorf("%s %q, want %q", list.name, list.got, want)
		}
	}
	if got.MessageID != "<"+msg.MessageID+">" {
		t.Errorf("Message-ID %q, want <%s>", got.MessageID, msg.MessageID)
	}
	if msg.InReplyTo != "" && deref(got.InReplyTo) != strings.Join(msgIDTokens(msg.InReplyTo), " ") {
		t.Errorf("In-Reply-To %q", deref(got.InReplyTo))
	}
	if refs := msgIDTokens(msg.References...); len(refs) > 0 && deref(got.References) != strings.Join(refs, " ") {
		t.Errorf("References %q, want %q", deref(got.References), refs)
	}
	if date, err := time.Parse(time.RFC3339, got.Date); err != nil || !date.Equal(msg.Date.Truncate(time.Second)) {
		t.Errorf("date %q, want %v (%v)", got.Date, msg.Date, err)
	}
	if len(got.Texts) != 1 || got.Texts[0] != normalizeNewlines(msg.Body) {
		t.Errorf("text %q, want %q", got.Texts, normalizeNewlines(msg.Body))
	}
	if (len(got.HTMLs) == 1) != msg.Markdown {
		t.Errorf("%d HTML parts, Markdown %v", len(got.HTMLs), msg.Markdown)
	}
	if len(got.Attachments) != len(msg.Attachments) {
		t.Fatalf("%d attachments, want %d", len(got.Attachments), len(msg.Attachments))
	}
	for i, a := range msg.Attachments {
		r, err := a.open()
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		want.ReadFrom(r)
		r.Close()
		if f := got.Attachments[i]; f.Filename != a.fileName() || !bytes.Equal(f.Content, want.Bytes()) {
			t.Errorf("attachment %d: %q with %d bytes, want %q with %d", i, f.Filename, len(f.Content), a.fileName(), want.Len())
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}
