package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build writes msg and checks what every message must satisfy: Size
// predicts the length exactly and the bytes follow the wire rules.
func build(t testing.TB, msg *Message) []byte {
	t.Helper()
	size, err := msg.Size()
	if err != nil {
		t.Fatalf("Size: %v", err)
	}
	var buf bytes.Buffer
	n, err := msg.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) || size != n {
		t.Fatalf("Size() = %d, WriteTo returned %d and wrote %d bytes", size, n, buf.Len())
	}
	if err := wireProblem(buf.Bytes()); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	return buf.Bytes()
}

// wireProblem checks the rules for bytes that go to an SMTP server: every
// line ends in CRLF, there is no other CR or LF, no line is longer than
// 998 octets (RFC 5322 §2.1.1) and no line is a lone "." (RFC 5321
// §4.5.2).
func wireProblem(data []byte) error {
	if len(data) == 0 {
		return errors.New("the message is empty")
	}
	for i, line := range bytes.SplitAfter(data, []byte("\r\n")) {
		if len(line) == 0 {
			continue // after the final CRLF
		}
		body, ok := bytes.CutSuffix(line, []byte("\r\n"))
		switch {
		case !ok:
			return fmt.Errorf("line %d does not end in CRLF: %q", i+1, line)
		case bytes.ContainsAny(body, "\r\n"):
			return fmt.Errorf("line %d holds a bare CR or LF: %q", i+1, line)
		case len(body) > 998:
			return fmt.Errorf("line %d is %d octets long", i+1, len(body))
		case string(body) == ".":
			return fmt.Errorf("line %d is a lone dot", i+1)
		}
	}
	return nil
}

// headerLines returns the top-level header section, up to the blank line.
func headerSection(data []byte) string {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	return string(head) + "\r\n"
}

func writeFile(t testing.TB, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// inputError asserts that err is an *InputError for field and returns it.
func inputError(t *testing.T, err error, field string) *InputError {
	t.Helper()
	var input *InputError
	if !errors.As(err, &input) {
		t.Fatalf("error %v (%T), want an *InputError", err, err)
	}
	if input.Field != field {
		t.Errorf("error field %q, want %q (%v)", input.Field, field, err)
	}
	return input
}

// wantInput asserts that err is an *InputError with exactly the facts of
// want (its Err aside), and that its log text is one line.
func wantInput(t *testing.T, err error, want InputError) {
	t.Helper()
	got := *inputError(t, err, want.Field)
	got.Err = nil
	if got != want {
		t.Errorf("error\n %+v\nwant\n %+v", got, want)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("log text %q is not one line", err)
	}
}

// simpleMessage is a valid message to vary in tests.
func simpleMessage() *Message {
	return &Message{
		From:    Address{Name: "Anna Lind", Email: "anna@example.org"},
		To:      []Address{{Name: "Bob", Email: "bob@example.net"}},
		Subject: "Hello",
		Body:    "Hi Bob,\nsee you.\n",
	}
}

// openString is an Attachment.Open that streams s.
func openString(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}
