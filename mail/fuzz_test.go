package mail

import (
	"bytes"
	"errors"
	"io"
	netmail "net/mail"
	"strings"
	"testing"
)

// FuzzParseAddress: whatever is typed or pasted, parsing does not panic,
// a refusal is an *InputError, and an accepted address formats into a
// header that follows the wire rules and reads back as the same address.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"anna@example.org", "Anna Lind <anna@example.org>", `"Lind, Anna" <anna@example.org>`,
		"Lind, Anna <a@example.org>; b@example.org", "=?utf-8?q?=C3=85sa?= <asa@example.org>",
		"jörg@bücher.de", "info@例え.テスト", "a@[192.0.2.1]", "mailto:a@example.org",
		"bob@@example.org", "a@b", "<>", "\"unclosed <a@b.org>", "a@example.org (comment, with comma)",
		"a\r\nb@example.org", "a@xn--zz.de", "a@ＥＸＡＭＰＬＥ。org", strings.Repeat("x", 70) + "@example.org",
		"\xff@example.org", "a@example.org\x00", "Anna Lind anna@example.org",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		checkRefusal(t, err)
		if err == nil {
			checkAddress(t, a)
		}
		list, err := ParseAddressList(s)
		checkRefusal(t, err)
		for _, a := range list {
			checkAddress(t, a)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var input *InputError
	if err != nil && (!errors.As(err, &input) || strings.ContainsAny(err.Error(), "\r\n")) {
		t.Fatalf("refusal %q (%T) is not a one-line *InputError", err, err)
	}
}

func checkAddress(t *testing.T, a Address) {
	t.Helper()
	if err := a.check("To"); err != nil {
		t.Fatalf("parsed %+v fails its own check: %v", a, err)
	}
	tokens, err := addressListTokens([]Address{a})
	if err != nil {
		t.Fatalf("parsed %+v cannot be formatted: %v", a, err)
	}
	folded := field{"To", tokens}.fold()
	if err := wireProblem(folded); err != nil {
		t.Fatalf("%+v: %v in %q", a, err, folded)
	}
	unfolded := strings.ReplaceAll(strings.TrimSuffix(string(folded), "\r\n"), "\r\n", "")
	back, err := netmail.ParseAddress(strings.TrimPrefix(unfolded, "To: "))
	spec, _ := a.addrSpec()
	if err != nil || back.Address != spec || back.Name != a.Name {
		t.Fatalf("%+v formats as %q, which reads back as %+v, %v", a, unfolded, back, err)
	}
}

// FuzzBuildMessage: whatever the user writes, building does not panic; a
// refusal writes nothing; an accepted message follows the wire rules
// (CRLF only, lines within 998 octets, no lone dot), Size predicts it,
// and go-message reads back the subject, names, text and attachment.
func FuzzBuildMessage(f *testing.F) {
	f.Add("Hello", "Anna Lind", "Hi\n.\nBye", "report.pdf", []byte("%PDF-1.4"), false)
	f.Add("Grüße – 日本語 😀", "Åsa Öberg", "Zeile\rzwei\r\ndrei\n", "Übersicht März.txt", []byte("text\n"), true)
	f.Add(strings.Repeat("x", 1200), strings.Repeat("y", 200), strings.Repeat("z", 3000), strings.Repeat("ü", 300), []byte{}, false)
	f.Add("  two  spaces ", `"quoted" \ name`, "", "a;b=\"c\".txt", []byte{0, 0xff, '\r', '\n', '.'}, true)
	f.Add("=?utf-8?q?x?=", "=?utf-8?b?eA==?=", "From me\n..\n.\r.", "100%.csv", []byte("a,b\n"), false)
	f.Add("Sub\r\nBcc: x@y.org", "Name\n", "body", "file\r\nX: y", []byte("x"), false)
	f.Add("# Title", "", "# Title\n\n<script>x</script> **b** [l](javascript:x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "", []byte("\x89PNG\r\n\x1a\n"), true)
	f.Fuzz(func(t *testing.T, subject, name, body, fileName string, content []byte, markdown bool) {
		msg := &Message{
			From:     Address{Name: name, Email: "anna@example.org"},
			To:       []Address{{Name: name, Email: "bob@bücher.de"}},
			Cc:       []Address{{Email: "carl@example.net"}},
			Bcc:      []Address{{Email: "hidden@example.net"}},
			Subject:  subject,
			Body:     body,
			Markdown: markdown,
		}
		if fileName != "" {
			msg.Attachments = []Attachment{{Name: fileName, Open: func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(content)), nil
			}}}
		}
		if err := msg.Validate(); err != nil {
			checkRefusal(t, err)
			var buf bytes.Buffer
			if n, err := msg.WriteTo(&buf); err == nil || n != 0 || buf.Len() != 0 {
				t.Fatalf("refused message wrote %d bytes, %v", buf.Len(), err)
			}
			return
		}
		data := build(t, msg)
		if bytes.Contains(data, []byte("hidden@")) {
			t.Fatal("the Bcc recipient is in the message")
		}
		p := parseBack(t, data)
		if p.subject != subject {
			t.Fatalf("subject %q, want %q", p.subject, subject)
		}
		if len(p.from) != 1 || p.from[0].Name != name {
			t.Fatalf("From %+v, want name %q", p.from, name)
		}
		if p.texts["text/plain"] != normalizeNewlines(body) {
			t.Fatalf("text %q, want %q", p.texts["text/plain"], normalizeNewlines(body))
		}
		if fileName != "" && (len(p.attachments) != 1 || p.attachments[0].name != fileName || !bytes.Equal(p.attachments[0].content, content)) {
			t.Fatalf("attachments %+v, want %q", p.attachments, fileName)
		}
	})
}
