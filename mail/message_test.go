package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// parsed is a message as go-message reads it back.
type parsed struct {
	from, to, cc, replyTo []Address
	subject, messageID    string
	inReplyTo, references []string
	date                  time.Time
	texts                 map[string]string // by media type
	attachments           []parsedAttachment
	header                gomail.Header
}

type parsedAttachment struct {
	name, mediaType string
	content         []byte
}

func parseBack(t *testing.T, data []byte) parsed {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("go-message cannot read the message: %v\n%s", err, data)
	}
	var p parsed
	p.header = r.Header
	for _, list := range []struct {
		key  string
		dest *[]Address
	}{{"From", &p.from}, {"To", &p.to}, {"Cc", &p.cc}, {"Reply-To", &p.replyTo}} {
		addrs, err := r.Header.AddressList(list.key)
		if err != nil {
			t.Fatalf("%s: %v", list.key, err)
		}
		for _, a := range addrs {
			*list.dest = append(*list.dest, Address{Name: a.Name, Email: a.Address})
		}
	}
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	p.subject, err = r.Header.Subject()
	must(err)
	p.messageID, err = r.Header.MessageID()
	must(err)
	p.inReplyTo, err = r.Header.MsgIDList("In-Reply-To")
	must(err)
	p.references, err = r.Header.MsgIDList("References")
	must(err)
	p.date, err = r.Header.Date()
	must(err)
	p.texts = map[string]string{}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if !gomessage.IsUnknownCharset(err) {
			must(err) // an attachment in another charset stays as it is
		}
		content, err := io.ReadAll(part.Body)
		must(err)
		switch h := part.Header.(type) {
		case *gomail.InlineHeader:
			mediaType, _, err := h.ContentType()
			must(err)
			p.texts[mediaType] = string(content)
		case *gomail.AttachmentHeader:
			name, err := h.Filename()
			must(err)
			mediaType, _, err := h.ContentType()
			must(err)
			p.attachments = append(p.attachments, parsedAttachment{name, mediaType, content})
		}
	}
	return p
}

// asciiAddrs is what a reader sees of addresses: A-label domains.
func asciiAddrs(t *testing.T, list []Address) []Address {
	var out []Address
	for _, a := range list {
		spec, p := a.addrSpec()
		if p.found() {
			t.Fatal(p.in("", a.Email))
		}
		out = append(out, Address{Name: a.Name, Email: spec})
	}
	return out
}

func equalAddrs(a, b []Address) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestRoundTrip builds messages, reads them back with go-message and
// compares every field and every attachment byte for byte.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	binary := make([]byte, 100_000)
	for i := range binary {
		binary[i] = byte(i * 31 / 7)
	}
	for _, tc := range []struct {
		name string
		msg  Message
	}{
		{"plain", *simpleMessage()},
		{"everything", Message{
			From:       Address{Name: "Åsa Lindström", Email: "asa@exämple.org"},
			To:         []Address{{Name: "Lind, Anna", Email: "anna@example.org"}, {Email: "bob@example.net"}},
			Cc:         []Address{{Name: "日本 太郎", Email: "taro@例え.テスト"}},
			Bcc:        []Address{{Email: "hidden@example.net"}},
			ReplyTo:    []Address{{Name: "List", Email: "list@example.org"}},
			Subject:    "Grüße – " + strings.Repeat("a long subject ", 10),
			Body:       "Hallo\n.\n..dots\r\nFrom me\rtrailing  \n" + strings.Repeat("long line ", 100),
			Markdown:   true,
			MessageID:  "fixed.id@example.org",
			InReplyTo:  "<parent@example.net> <other@example.net>",
			References: []string{"root@example.net", "<a@example.net><b@example.net>, <parent@example.net>"},
			Date:       time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC),
			Attachments: []Attachment{
				{Path: writeFile(t, dir, "Übersicht März.png", png)},
				{Path: writeFile(t, dir, "data.bin", binary), Name: "日本語.dat"},
				{Name: "note.txt", ContentType: "text/plain; charset=iso-8859-1", Open: openString("caf\xe9\n")},
				{Path: writeFile(t, dir, "empty", nil)},
				{Path: writeFile(t, dir, "forwarded.eml", []byte("From: a@example.org\nSubject: x\n\nbody\n"))},
			},
		}},
		{"empty body and subject", Message{
			From: Address{Email: "a@example.org"},
			To:   []Address{{Email: "b@example.org"}},
		}},
		{"only Bcc", Message{
			From: Address{Email: "a@example.org"},
			Bcc:  []Address{{Email: "b@example.org"}, {Email: "c@example.org"}},
			Body: "x",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg
			data := build(t, &msg)
			p := parseBack(t, data)
			if want := asciiAddrs(t, []Address{msg.From}); !equalAddrs(p.from, want) {
				t.Errorf("From %v, want %v", p.from, want)
			}
			if want := asciiAddrs(t, msg.To); !equalAddrs(p.to, want) {
				t.Errorf("To %v, want %v", p.to, want)
			}
			if want := asciiAddrs(t, msg.Cc); !equalAddrs(p.cc, want) {
				t.Errorf("Cc %v, want %v", p.cc, want)
			}
			if want := asciiAddrs(t, msg.ReplyTo); !equalAddrs(p.replyTo, want) {
				t.Errorf("Reply-To %v, want %v", p.replyTo, want)
			}
			if p.subject != msg.Subject {
				t.Errorf("Subject %q, want %q", p.subject, msg.Subject)
			}
			if p.messageID != msg.MessageID {
				t.Errorf("Message-ID %q, want %q", p.messageID, msg.MessageID)
			}
			if want := splitMsgIDs(msg.InReplyTo); fmt.Sprint(p.inReplyTo) != fmt.Sprint(want) {
				t.Errorf("In-Reply-To %q, want %q", p.inReplyTo, want)
			}
			var refs []string
			for _, r := range msg.References {
				refs = append(refs, splitMsgIDs(r)...)
			}
			if fmt.Sprint(p.references) != fmt.Sprint(refs) {
				t.Errorf("References %q, want %q", p.references, refs)
			}
			if !p.date.Equal(msg.Date.Truncate(time.Second)) {
				t.Errorf("Date %v, want %v", p.date, msg.Date)
			}
			if p.texts["text/plain"] != normalizeNewlines(msg.Body) {
				t.Errorf("text %q, want %q", p.texts["text/plain"], normalizeNewlines(msg.Body))
			}
			if _, ok := p.texts["text/html"]; ok != msg.Markdown {
				t.Errorf("HTML part present %v, Markdown %v", ok, msg.Markdown)
			}
			if len(p.attachments) != len(msg.Attachments) {
				t.Fatalf("%d attachments, want %d", len(p.attachments), len(msg.Attachments))
			}
			for i, a := range msg.Attachments {
				r, err := a.open()
				if err != nil {
					t.Fatal(err)
				}
				want, _ := io.ReadAll(r)
				r.Close()
				got := p.attachments[i]
				if got.name != a.fileName() || !bytes.Equal(got.content, want) {
					t.Errorf("attachment %d: %q with %d bytes, want %q with %d", i, got.name, len(got.content), a.fileName(), len(want))
				}
			}
			if bccField.Match(data) || bytes.Contains(data, []byte("hidden@")) {
				t.Errorf("a Bcc leaked into the message:\n%s", data)
			}
		})
	}
}

// bccField matches a Bcc header field in any case.
var bccField = regexp.MustCompile(`(?im)^bcc:`)

// TestBcc checks that Bcc recipients are in the envelope and in no header,
// and that a message with only Bcc recipients says so in an empty group.
func TestBcc(t *testing.T) {
	msg := simpleMessage()
	msg.To = nil
	msg.Bcc = []Address{{Name: "Secret Santa", Email: "santa@example.net"}}
	_, rcpts, _, err := msg.Envelope()
	if err != nil || fmt.Sprint(rcpts) != "[santa@example.net]" {
		t.Errorf("envelope recipients %q, %v", rcpts, err)
	}
	data := build(t, msg)
	if bccField.Match(data) || bytes.Contains(bytes.ToLower(data), []byte("santa")) {
		t.Errorf("the Bcc recipient appears in the message:\n%s", data)
	}
	if head := headerSection(data); !strings.Contains(head, "\r\nTo: undisclosed-recipients:;\r\n") {
		t.Errorf("no empty To group:\n%s", head)
	}
	msg.To = []Address{{Email: "bob@example.net"}}
	if head := headerSection(build(t, msg)); strings.Contains(head, "undisclosed") {
		t.Errorf("empty group next to To:\n%s", head)
	}
}

func TestRequiredHeaders(t *testing.T) {
	old := UserAgent
	defer func() { UserAgent = old }()
	UserAgent = "Postie/9.8.7"
	msg := simpleMessage()
	msg.Date = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	head := headerSection(build(t, msg))
	local := msg.Date.In(time.Local).Format("Mon, 02 Jan 2006 15:04:05 -0700")
	for _, want := range []string{
		"Date: " + local + "\r\n",
		"From: Anna Lind <anna@example.org>\r\n",
		"To: Bob <bob@example.net>\r\n",
		"Subject: Hello\r\n",
		"Message-ID: <" + msg.MessageID + ">\r\n",
		"User-Agent: Postie/9.8.7\r\n",
		"MIME-Version: 1.0\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n",
		"Content-Transfer-Encoding: quoted-printable\r\n",
	} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}@example\.org$`).MatchString(msg.MessageID) {
		t.Errorf("generated Message-ID %q", msg.MessageID)
	}
}

// TestPrepareFixes checks that Size and WriteTo see the same message:
// once prepared, the date, the Message-ID and the boundaries stay, and a
// Message-ID set from outside is kept.
func TestPrepareFixes(t *testing.T) {
	msg := simpleMessage()
	msg.Markdown = true
	msg.Attachments = []Attachment{{Name: "a.txt", Open: openString("hello")}}
	first := build(t, msg)
	second := build(t, msg)
	if !bytes.Equal(first, second) {
		t.Errorf("two writes differ:\n%s\n----\n%s", first, second)
	}
	resend := simpleMessage()
	resend.MessageID = msg.MessageID
	if err := resend.Prepare(); err != nil || resend.MessageID != msg.MessageID {
		t.Errorf("Prepare changed a given Message-ID to %q, %v", resend.MessageID, err)
	}
	other := simpleMessage()
	other.Prepare()
	if other.MessageID == msg.MessageID || other.mixedBoundary == msg.mixedBoundary {
		t.Error("two messages share a Message-ID or boundary")
	}
}

// TestSize checks Size against WriteTo for attachments of many sizes, from
// files and from streams.
func TestSize(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 2, 3, 56, 57, 58, 511, 512, 513, 57*512 - 1, 57 * 512, 57*512 + 1, 200_003} {
		content := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), n/18+1)[:n]
		path := writeFile(t, dir, fmt.Sprintf("f%d.bin", n), content)
		msg := simpleMessage()
		msg.Markdown = n%2 == 0
		msg.Attachments = []Attachment{{Path: path}, {Name: "stream.bin", Open: openString(string(content))}}
		build(t, msg) // compares Size with WriteTo
	}
}

func TestContentType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	zip := []byte("PK\x03\x04\x14\x00\x06\x00")
	for _, tc := range []struct {
		a    Attachment
		want string
	}{
		{Attachment{Name: "picture.bin", Open: openString(string(png))}, "image/png"},
		{Attachment{Name: "report.pdf", Open: openString("%PDF-1.7\n")}, "application/pdf"},
		{Attachment{Name: "page.html", Open: openString("hello")}, "text/html"},
		{Attachment{Name: "notes.txt", Open: openString("hello\n")}, "text/plain"},
		{Attachment{Name: "noext", Open: openString("plain words\n")}, "text/plain"},
		{Attachment{Name: "latin1", Open: openString("caf\xe9\n")}, "text/plain"},
		{Attachment{Name: "blob", Open: openString("\x00\x01\x02\x03")}, "application/octet-stream"},
		{Attachment{Name: "archive", Open: openString(string(zip))}, "application/zip"},
		{Attachment{Name: "given.bin", ContentType: "application/x-custom; name=wrong.bin; level=1", Open: openString("x")}, "application/x-custom"},
		// message/* and multipart/* cannot be base64 (RFC 2045 §6.4).
		{Attachment{Name: "saved.eml", ContentType: "message/rfc822", Open: openString("Subject: x\n\nbody")}, "application/octet-stream"},
		{Attachment{Name: "parts.mime", ContentType: "multipart/mixed; boundary=zz", Open: openString("--zz\n")}, "application/octet-stream"},
	} {
		msg := simpleMessage()
		msg.Attachments = []Attachment{tc.a}
		data := build(t, msg)
		p := parseBack(t, data)
		if len(p.attachments) != 1 || p.attachments[0].mediaType != tc.want {
			t.Errorf("%s: content type %v, want %s", tc.a.Name, p.attachments, tc.want)
		}
	}
	msg := simpleMessage()
	msg.Attachments = []Attachment{{Name: "given.bin", ContentType: "application/x-custom; name=wrong.bin; level=1", Open: openString("x")}}
	data := string(build(t, msg))
	if !strings.Contains(data, "Content-Type: application/x-custom; level=1; name=given.bin\r\n") || strings.Contains(data, "wrong") {
		t.Errorf("given content type not kept with its parameters:\n%s", data)
	}
	plain := mustDetect("notes.txt", []byte("hello\n"))
	if !strings.HasPrefix(plain, "text/plain") {
		t.Errorf("detectContentType(notes.txt) = %q", plain)
	}
	if got := mustDetect("short", []byte("abc\xc3")); got != "text/plain" {
		t.Errorf("text ending in half a character detected as %q", got)
	}
	if got := mustDetect("latin1", []byte("caf\xe9")); got != "text/plain" {
		t.Errorf("Latin-1 text detected as %q; it must not claim UTF-8", got)
	}
	if got := mustDetect("cut", []byte(strings.Repeat("a", sniffLen-1)+"\xc3")); got != "text/plain; charset=utf-8" {
		t.Errorf("UTF-8 cut by the sniffing window detected as %q", got)
	}
}

func mustDetect(name string, head []byte) string { return detectContentType(name, head) }

func TestMarkdown(t *testing.T) {
	msg := simpleMessage()
	msg.Subject = "Plan <b>"
	msg.Markdown = true
	msg.Body = "# Plan\n\nThis is **bold** and a [link](https://example.org).\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n"
	p := parseBack(t, build(t, msg))
	html := p.texts["text/html"]
	for _, want := range []string{"<h1>Plan</h1>", "<strong>bold</strong>", `<a href="https://example.org">link</a>`, "<title>Plan &lt;b&gt;</title>", `<body style="`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML passes %q through:\n%s", bad, html)
		}
	}
	if p.texts["text/plain"] != normalizeNewlines(msg.Body) {
		t.Errorf("the plain alternative is not the text as written: %q", p.texts["text/plain"])
	}
	if !strings.Contains(p.header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type %q", p.header.Get("Content-Type"))
	}
}

// TestValidateErrors checks each problem that stops a message before a
// byte is written, and the facts the front ends write their sentences from.
func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "report.pdf")
	for _, tc := range []struct {
		name string
		want InputError
		edit func(*Message)
	}{
		{"no recipient", InputError{Field: "To", Problem: InputNoRecipient}, func(m *Message) { m.To = nil }},
		{"no sender", InputError{Field: "From", Problem: InputMissing}, func(m *Message) { m.From = Address{} }},
		{"invalid To", InputError{Field: "To", Value: "bob@@example.org", Problem: InputSeveralAt}, func(m *Message) { m.To = []Address{{Email: "bob@@example.org"}} }},
		{"invalid Cc with name", InputError{Field: "Cc", Value: "Carl <carl@example>", Problem: InputDomainIncomplete, Detail: "example"}, func(m *Message) { m.Cc = []Address{{Name: "Carl", Email: "carl@example"}} }},
		{"name with line break", InputError{Field: "To", Value: "Bob\nBcc: x <bob@example.org>", Problem: InputLineBreak, InName: true}, func(m *Message) { m.To = []Address{{Name: "Bob\nBcc: x", Email: "bob@example.org"}} }},
		{"name only", InputError{Field: "To", Value: "Bob <>", Problem: InputOnlyName}, func(m *Message) { m.To = []Address{{Name: "Bob"}} }},
		{"empty Bcc", InputError{Field: "Bcc", Problem: InputMissing}, func(m *Message) { m.Bcc = []Address{{}} }},
		{"missing file", InputError{Field: "attachment", Value: missing, Problem: InputFileMissing}, func(m *Message) { m.Attachments = []Attachment{{Path: missing}} }},
		{"folder", InputError{Field: "attachment", Value: dir, Problem: InputIsFolder}, func(m *Message) { m.Attachments = []Attachment{{Path: dir}} }},
		{"device", InputError{Field: "attachment", Value: "/dev/null", Problem: InputNotRegular}, func(m *Message) { m.Attachments = []Attachment{{Path: "/dev/null"}} }},
		{"no file", InputError{Field: "attachment", Value: "attachment", Problem: InputNoFileChosen}, func(m *Message) { m.Attachments = []Attachment{{}} }},
		{"bad type", InputError{Field: "attachment type", Value: "pdf", Problem: InputNotContentType}, func(m *Message) {
			m.Attachments = []Attachment{{Name: "a.pdf", ContentType: "pdf", Open: openString("")}}
		}},
		{"bad Message-ID", InputError{Field: "Message-ID", Value: "no at sign", Problem: InputNotIdentifier}, func(m *Message) { m.MessageID = "no at sign" }},
		{"long type", InputError{Field: "attachment type", Value: "application/" + strings.Repeat("a", 1200), Problem: InputNotContentType}, func(m *Message) {
			m.Attachments = []Attachment{{Name: "a", ContentType: "application/" + strings.Repeat("a", 1200), Open: openString("")}}
		}},
		{"long parameter name", InputError{Field: "attachment type", Value: "text/plain; " + strings.Repeat("a", 1200) + "=b", Problem: InputNotContentType}, func(m *Message) {
			m.Attachments = []Attachment{{Name: "a", ContentType: "text/plain; " + strings.Repeat("a", 1200) + "=b", Open: openString("")}}
		}},
		{"trailing dot", InputError{Field: "To", Value: "bob@example.org.", Problem: InputDomainTrailingDot, Detail: "example.org."}, func(m *Message) { m.To = []Address{{Email: "bob@example.org."}} }},
		{"ideographic trailing dot", InputError{Field: "To", Value: "bob@例え。テスト。", Problem: InputDomainTrailingDot, Detail: "例え。テスト。"}, func(m *Message) { m.To = []Address{{Email: "bob@例え。テスト。"}} }},
		{"bad In-Reply-To", InputError{Field: "In-Reply-To", Value: "<a@example.org> <b@exa<mple.org>", Problem: InputNotIdentifier}, func(m *Message) { m.InReplyTo = "<a@example.org> <b@exa<mple.org>" }},
		{"Message-ID without domain", InputError{Field: "Message-ID", Value: "abc", Problem: InputIdentifierForm}, func(m *Message) { m.MessageID = "abc" }},
		{"text not UTF-8", InputError{Field: "text", Problem: InputTextNotUTF8}, func(m *Message) { m.Body = "caf\xe9" }},
		{"subject not UTF-8", InputError{Field: "Subject", Value: "caf\xe9", Problem: InputInvalidText}, func(m *Message) { m.Subject = "caf\xe9" }},
	} {
		msg := simpleMessage()
		tc.edit(msg)
		err := msg.Validate()
		if err == nil {
			t.Errorf("%s: Validate succeeded", tc.name)
			continue
		}
		wantInput(t, err, tc.want)
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err == nil || buf.Len() != 0 {
			t.Errorf("%s: WriteTo wrote %d bytes, %v", tc.name, buf.Len(), err)
		}
	}
	// A reference copied from a sloppy mailer must not stop a reply.
	msg := simpleMessage()
	msg.InReplyTo = "no-domain-id"
	msg.References = []string{"$weird/id%"}
	if err := msg.Validate(); err != nil {
		t.Errorf("lenient references refused: %v", err)
	}
}

// TestAttachmentReadErrors checks failures that only show while reading.
func TestAttachmentReadErrors(t *testing.T) {
	denied := &fs.PathError{Op: "open", Path: "/secret/plan.pdf", Err: fs.ErrPermission}
	msg := simpleMessage()
	msg.Attachments = []Attachment{{Name: "plan.pdf", Open: func() (io.ReadCloser, error) { return nil, denied }}}
	_, err := msg.WriteTo(io.Discard)
	wantInput(t, err, InputError{Field: "attachment", Value: "plan.pdf", Problem: InputNoPermission})
	_, err = msg.Size()
	inputError(t, err, "attachment")

	msg.Attachments = []Attachment{{Name: "disk.img", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(strings.NewReader(strings.Repeat("x", 5000)), failingReader{errors.New("input/output error")})), nil
	}}}
	_, err = msg.WriteTo(io.Discard)
	wantInput(t, err, InputError{Field: "attachment", Value: "disk.img", Problem: InputReadFailed})
	if input := inputError(t, err, "attachment"); input.Err == nil || input.Err.Error() != "input/output error" {
		t.Errorf("read error %v, want the reader's error", input.Err)
	}

	_, err = simpleMessage().WriteTo(failingWriter{})
	if !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("write error %v, want io.ErrShortWrite", err)
	}
}

// TestAttachmentStreamed checks that a file is read while it is written:
// the reader sees small reads interleaved with output, never one read of
// the whole file.
func TestAttachmentStreamed(t *testing.T) {
	const size = 4 << 20
	var maxRead int
	msg := simpleMessage()
	msg.Attachments = []Attachment{{Name: "big.bin", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(&readSpy{r: io.LimitReader(zeros{}, size), max: &maxRead}), nil
	}}}
	var out countingWriter
	out.w = io.Discard
	if _, err := msg.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if maxRead == 0 || maxRead > 256<<10 || out.n < size {
		t.Errorf("largest read %d bytes, %d written", maxRead, out.n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type readSpy struct {
	r   io.Reader
	max *int
}

func (s *readSpy) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	*s.max = max(*s.max, n)
	return n, err
}

func TestDateInLocalZone(t *testing.T) {
	msg := simpleMessage()
	msg.Date = time.Date(2024, 1, 15, 8, 30, 0, 0, time.FixedZone("X", 5*3600))
	p := parseBack(t, build(t, msg))
	_, wantOffset := msg.Date.In(time.Local).Zone()
	if _, offset := p.date.Zone(); !p.date.Equal(msg.Date) || offset != wantOffset {
		t.Errorf("Date %v, want %v in the local zone", p.date, msg.Date)
	}
}

func TestWriteToFile(t *testing.T) {
	// The outbox writes to a file; check the count matches the file.
	path := filepath.Join(t.TempDir(), "m.eml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := simpleMessage().WriteTo(f)
	f.Close()
	info, _ := os.Stat(path)
	if err != nil || info.Size() != n {
		t.Errorf("wrote %d, file has %d, %v", n, info.Size(), err)
	}
}

// TestMemoryIndependentOfSize measures the heap allocated while writing
// attachments of 1 and 8 MiB: streaming means the same few buffers either
// way (the benchmarks report the figures).
func TestMemoryIndependentOfSize(t *testing.T) {
	allocated := func(size int64) uint64 {
		msg := simpleMessage()
		msg.Attachments = []Attachment{{Name: "big.bin", Open: func() (io.ReadCloser, error) {
			return io.NopCloser(io.LimitReader(zeros{}, size)), nil
		}}}
		if err := msg.Prepare(); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := msg.WriteTo(io.Discard); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(1<<20), allocated(8<<20)
	t.Logf("allocated %d bytes for 1 MiB, %d for 8 MiB", small, large)
	if large > 1<<20 || large > 2*small+64<<10 {
		t.Errorf("allocated %d bytes for 1 MiB and %d for 8 MiB", small, large)
	}
}
