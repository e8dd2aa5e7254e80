package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
)

func TestNormalizeNewlines(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"a":                "a",
		"a\nb":             "a\r\nb",
		"a\rb":             "a\r\nb",
		"a\r\nb":           "a\r\nb",
		"a\n\rb":           "a\r\n\r\nb",
		"a\r\r\nb\n\n":     "a\r\n\r\nb\r\n\r\n",
		"\r\n\r\r\n\n\r\r": "\r\n\r\n\r\n\r\n\r\n\r\n",
	} {
		if got := normalizeNewlines(in); got != want {
			t.Errorf("normalizeNewlines(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestQuotedPrintable decodes what writeQuotedPrintable wrote and checks
// the encoded lines: at most 76 characters, CRLF only, no lone dot.
func TestQuotedPrintable(t *testing.T) {
	inputs := []string{
		"",
		"plain",
		"line\n",
		"bare LF\nbare CR\rCRLF\r\nend",
		".",
		".\n..\n.x\n",
		"From here\nFrom\nFrom: x\n",
		"trailing space \ntrailing tab\t\n  \n",
		"= equals =3D",
		"Grüße, Köln – 日本語 😀",
		"\x00\x01\x7f",
		strings.Repeat("a", 75) + ".",
		strings.Repeat("a", 74) + ".b",
		strings.Repeat("é", 100),
		strings.Repeat("x", 2000) + "\n" + strings.Repeat(" ", 300),
		strings.Repeat("ab ", 500),
	}
	for i := 0; i < 80; i++ {
		// Every position of a dot and a space relative to a soft break.
		inputs = append(inputs, strings.Repeat("x", i)+"."+strings.Repeat("y", i%7)+" .")
	}
	for _, in := range inputs {
		var buf bytes.Buffer
		if err := writeQuotedPrintable(&buf, in); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		decoded, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(out)))
		if err != nil || string(decoded) != normalizeNewlines(in) {
			t.Errorf("%q: encoded %q decodes to %q, %v", in, out, decoded, err)
		}
		if out == "" {
			if in != "" {
				t.Errorf("%q: nothing written", in)
			}
			continue
		}
		if err := wireProblem(buf.Bytes()); err != nil {
			t.Errorf("%q: %v in %q", in, err, out)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 76 {
				t.Errorf("%q: line of %d characters: %q", in, len(line), line)
			}
			if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "From ") {
				t.Errorf("%q: line begins with a dot or From: %q", in, line)
			}
			if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
				t.Errorf("%q: line ends in white space: %q", in, line)
			}
		}
	}
}

func TestQuotedPrintableExact(t *testing.T) {
	for in, want := range map[string]string{
		"a\n.\nb":  "a\r\n=2E\r\nb=\r\n",
		"x \n":     "x=20\r\n",
		"From me":  "=46rom me=\r\n",
		"a=b\r\n":  "a=3Db\r\n",
		"Köln\r\n": "K=C3=B6ln\r\n",
	} {
		var buf bytes.Buffer
		writeQuotedPrintable(&buf, in)
		if buf.String() != want {
			t.Errorf("writeQuotedPrintable(%q) = %q, want %q", in, buf.String(), want)
		}
	}
}

// TestBase64 checks base64Len against writeBase64 around every line and
// chunk boundary, and that the lines decode to the content.
func TestBase64(t *testing.T) {
	chunk := base64LineBytes * 512
	var sizes []int
	for n := 0; n <= 3*base64LineBytes+3; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, chunk-1, chunk, chunk+1, 2*chunk+56, 3*chunk+57)
	for _, n := range sizes {
		content := make([]byte, n)
		for i := range content {
			content[i] = byte(i*7 + n)
		}
		var buf bytes.Buffer
		readErr, writeErr := writeBase64(&buf, bytes.NewReader(content))
		if readErr != nil || writeErr != nil {
			t.Fatal(readErr, writeErr)
		}
		if int64(buf.Len()) != base64Len(int64(n)) {
			t.Errorf("%d bytes: wrote %d, base64Len says %d", n, buf.Len(), base64Len(int64(n)))
		}
		if n > 0 {
			if err := wireProblem(buf.Bytes()); err != nil {
				t.Errorf("%d bytes: %v", n, err)
			}
		}
		var joined strings.Builder
		for _, line := range strings.SplitAfter(buf.String(), "\r\n") {
			if line == "" {
				continue
			}
			if len(line) > 78 {
				t.Errorf("%d bytes: line of %d characters", n, len(line))
			}
			joined.WriteString(strings.TrimSuffix(line, "\r\n"))
		}
		decoded, err := base64.StdEncoding.DecodeString(joined.String())
		if err != nil || !bytes.Equal(decoded, content) {
			t.Errorf("%d bytes: decoding gives %d bytes, %v", n, len(decoded), err)
		}
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestBase64Errors(t *testing.T) {
	readErr, writeErr := writeBase64(io.Discard, io.MultiReader(strings.NewReader("abc"), failingReader{io.ErrClosedPipe}))
	if readErr != io.ErrClosedPipe || writeErr != nil {
		t.Errorf("read failure: %v, %v", readErr, writeErr)
	}
	readErr, writeErr = writeBase64(failingWriter{}, strings.NewReader("abc"))
	if readErr != nil || writeErr != io.ErrShortWrite {
		t.Errorf("write failure: %v, %v", readErr, writeErr)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }
