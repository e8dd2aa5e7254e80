package mail

import (
	"errors"
	"strings"
	"testing"
)

// TestBccField checks the Bcc header of the copy filed in Sent: names
// encoded, folded within 78 characters, and no way for a name to start a
// header field of its own.
func TestBccField(t *testing.T) {
	if b, err := BccField(nil); b != nil || err != nil {
		t.Fatalf("no blind recipients: %q, %v; want nothing", b, err)
	}
	got, err := BccField([]Address{{Name: "Jörg Müller", Email: "joerg@example.org"}, {Email: "b@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Bcc: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>, <b@example.net>\r\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var many []Address
	for range 30 {
		many = append(many, Address{Name: "Someone With A Long Name", Email: "someone.with.a.long.name@example.org"})
	}
	got, err = BccField(many)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\r\n"), "\r\n")
	for i, l := range lines {
		if len(l) > 78 {
			t.Errorf("line %d is %d characters long: %q", i, len(l), l)
		}
		if i > 0 && !strings.HasPrefix(l, " ") {
			t.Errorf("line %d does not continue the field: %q", i, l)
		}
	}
	for _, evil := range []Address{
		{Name: "Eve\r\nX-Injected: yes", Email: "eve@example.org"},
		{Email: "eve@example.org\r\nX-Injected: yes"},
	} {
		b, err := BccField([]Address{evil})
		var input *InputError
		if !errors.As(err, &input) || b != nil {
			t.Errorf("%q: got %q, %v; want an InputError and no header", evil, b, err)
		}
	}
}
