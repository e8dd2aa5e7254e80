package mail

import (
	"mime"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

var headerTexts = []string{
	"",
	"Hello",
	"Re: Re: Fwd: lunch?",
	"Grüße aus Köln",
	"  leading and trailing spaces  ",
	"two  spaces\tand a tab",
	"=?utf-8?q?looks_encoded?=",
	"日本語の件名はとても長いことがありますので、正しく折り返す必要があります。日本語の件名はとても長い",
	"😀🎉 emoji " + strings.Repeat("😀", 40),
	strings.Repeat("word ", 60),
	strings.Repeat("x", 200),
	strings.Repeat("a", 66) + " " + strings.Repeat("b", 67),
	"Ein sehr langer Betreff mit Umlauten: äöü ÄÖÜ ß – und noch viel mehr Text, der weit über die Grenze von 78 Zeichen geht",
	"control \x01 characters \x7f",
	"quotes \" and \\ backslashes, (comments) <angles> @ ; :",
}

// TestFoldLengths checks every line of every header field against the
// limits: 78 characters where a fold point exists, never 998.
func TestFoldLengths(t *testing.T) {
	for _, s := range headerTexts {
		for _, f := range []field{{"Subject", textTokens(s)}, {"To", mustTokens(t, s)}} {
			folded := string(f.fold())
			if err := wireProblem([]byte(folded)); err != nil {
				t.Errorf("%s %q: %v", f.name, s, err)
			}
			lines := strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n")
			for i, line := range lines {
				if len(line) > foldAt {
					t.Errorf("%s %q: line %d has %d characters: %q", f.name, s, i+1, len(line), line)
				}
				if i > 0 && !strings.HasPrefix(line, " ") {
					t.Errorf("%s %q: continuation line %q does not begin with a space", f.name, s, line)
				}
				if strings.TrimSpace(line) == "" && s != "" {
					t.Errorf("%s %q: line %d is only white space", f.name, s, i+1)
				}
			}
		}
	}
}

func mustTokens(t *testing.T, name string) []string {
	t.Helper()
	tokens, err := addressListTokens([]Address{{Name: name, Email: "a@example.org"}, {Name: name, Email: "b@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// TestEncodedWords decodes the unfolded Subject and checks that every
// encoded word is short and holds whole UTF-8 characters (RFC 2047 §5(3)).
func TestEncodedWords(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, s := range headerTexts {
		folded := string(field{"Subject", textTokens(s)}.fold())
		value := strings.TrimPrefix(strings.TrimSuffix(strings.ReplaceAll(folded, "\r\n ", " "), "\r\n"), "Subject:")
		value = strings.TrimPrefix(value, " ")
		got, err := dec.DecodeHeader(value)
		if err != nil || got != s {
			t.Errorf("%q: header %q decodes to %q, %v", s, folded, got, err)
		}
		for _, word := range strings.Fields(value) {
			if !strings.HasPrefix(word, "=?") {
				continue
			}
			if len(word) > 75 {
				t.Errorf("%q: encoded word of %d characters", s, len(word))
			}
			text, err := dec.Decode(word)
			if err != nil || !utf8.ValidString(text) {
				t.Errorf("%q: word %q decodes to %q, %v", s, word, text, err)
			}
		}
	}
	if got := strings.Join(textTokens("Plain subject"), " "); got != "Plain subject" {
		t.Errorf("a plain subject became %q", got)
	}
}

func TestPhrase(t *testing.T) {
	for name, want := range map[string]string{
		"Anna Lind":       "Anna Lind",
		"Lind, Anna":      `"Lind, Anna"`,
		"Anna B. Lind":    `"Anna B. Lind"`,
		`Say "hi"`:        `"Say \"hi\""`,
		"Åsa":             "=?utf-8?q?=C3=85sa?=",
		"=?utf-8?q?x?=":   "=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3F=3D?=",
		"Anna  Lind":      "=?utf-8?q?Anna__Lind?=",
		"Россия Москва":   "=?utf-8?b?0KDQvtGB0YHQuNGPINCc0L7RgdC60LLQsA==?=",
		"O'Brien & Sons!": "O'Brien & Sons!",
	} {
		if got := strings.Join(phraseTokens(name), " "); got != want {
			t.Errorf("phraseTokens(%q) = %s, want %s", name, got, want)
		}
	}
}

// TestFileNameParameter checks RFC 2231 names: they fold within 78
// characters and decode, with Go's reader, to the name.
func TestFileNameParameter(t *testing.T) {
	for _, name := range []string{
		"report.pdf",
		"Quarterly report 2024.pdf",
		"Übersicht März.pdf",
		"日本語のファイル名.txt",
		"100% \"quoted\" 'name'; a=b*c.txt",
		strings.Repeat("ü", 120) + ".txt",
		strings.Repeat("long-ascii-name-", 20) + ".zip",
		"tab\tand\x01control.bin",
	} {
		f := field{"Content-Disposition", joinParams("attachment", paramTokens("filename", name))}
		folded := string(f.fold())
		for _, line := range strings.Split(strings.TrimSuffix(folded, "\r\n"), "\r\n") {
			if len(line) > foldAt {
				t.Errorf("%q: line of %d characters: %q", name, len(line), line)
			}
		}
		for _, token := range paramTokens("filename", name) {
			_, encoded, extended := strings.Cut(token, "*=")
			segment, err := url.PathUnescape(strings.TrimPrefix(encoded, "utf-8''"))
			if extended && (err != nil || !utf8.ValidString(segment)) {
				t.Errorf("%q: segment %q is not whole characters", name, token)
			}
		}
		if strings.Contains(folded, "=?") {
			t.Errorf("%q: RFC 2047 inside a parameter: %s", name, folded)
		}
		value := strings.TrimPrefix(strings.ReplaceAll(strings.TrimSuffix(folded, "\r\n"), "\r\n", ""), "Content-Disposition:")
		_, params, err := mime.ParseMediaType(value)
		if err != nil || params["filename"] != name {
			t.Errorf("%q: %s reads as %q, %v", name, folded, params["filename"], err)
		}
	}
	if got := strings.Join(paramTokens("filename", "Ü.pdf"), " "); got != "filename*=utf-8''%C3%9C.pdf" {
		t.Errorf("got %s", got)
	}
}

// TestHeaderInjection puts a line break into every header input; each is
// refused with an error naming the field, and nothing is written.
func TestHeaderInjection(t *testing.T) {
	const evil = "x\r\nBcc: victim@example.com"
	for _, tc := range []struct {
		field string
		edit  func(*Message)
	}{
		{"Subject", func(m *Message) { m.Subject = evil }},
		{"Subject", func(m *Message) { m.Subject = "x\nBcc: victim@example.com" }},
		{"Subject", func(m *Message) { m.Subject = "x\rBcc: victim@example.com" }},
		{"From", func(m *Message) { m.From.Name = evil }},
		{"From", func(m *Message) { m.From.Email = "anna@example.org\r\nBcc: victim@example.com" }},
		{"To", func(m *Message) { m.To[0].Name = evil }},
		{"To", func(m *Message) { m.To[0].Email = "bob@example.net\nX: y" }},
		{"Cc", func(m *Message) { m.Cc = []Address{{Name: evil, Email: "c@example.net"}} }},
		{"Bcc", func(m *Message) { m.Bcc = []Address{{Name: evil, Email: "c@example.net"}} }},
		{"Reply-To", func(m *Message) { m.ReplyTo = []Address{{Name: evil, Email: "r@example.net"}} }},
		{"Message-ID", func(m *Message) { m.MessageID = "id@example.org" + evil }},
		{"In-Reply-To", func(m *Message) { m.InReplyTo = "<id@example.org>" + evil }},
		{"References", func(m *Message) { m.References = []string{"a@example.org", evil} }},
		{"attachment name", func(m *Message) {
			m.Attachments = []Attachment{{Name: "a.txt\r\nContent-Type: text/html", Open: openString("x")}}
		}},
		{"attachment type", func(m *Message) {
			m.Attachments = []Attachment{{Name: "a.txt", ContentType: "text/plain\r\nX: y", Open: openString("x")}}
		}},
	} {
		msg := simpleMessage()
		tc.edit(msg)
		err := msg.Validate()
		input := inputError(t, err, tc.field)
		if input.Problem != InputLineBreak && input.Problem != InputNotContentType {
			t.Errorf("%s: error does not say why: %v", tc.field, err)
		}
		var buf strings.Builder
		if n, err := msg.WriteTo(&buf); err == nil || n != 0 || buf.Len() != 0 {
			t.Errorf("%s: WriteTo wrote %d bytes, %v", tc.field, buf.Len(), err)
		}
		if _, err := msg.Size(); err == nil {
			t.Errorf("%s: Size succeeded", tc.field)
		}
	}
}
