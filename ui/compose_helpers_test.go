package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSignature(t *testing.T) {
	const work, home = "\n\n-- \nAnna, Work Ltd", "\n\n-- \nAnna"
	for _, c := range []struct {
		name, body, old, new, want string
		ok                         bool
	}{
		{"swapped", "Hi" + work, work, home, "Hi" + home, true},
		{"to an account without one", "Hi" + work, work, "", "Hi", true},
		{"from an account without one", "Hi", "", home, "Hi" + home, true},
		{"edited: kept", "Hi" + work + " (edited)", work, home, "Hi" + work + " (edited)", false},
		{"removed: not added back", "Hi", work, home, "Hi", false},
	} {
		got, ok := replaceSignature(c.body, c.old, c.new)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: replaceSignature = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestRestoredAttachmentsAreMeasuredInTheBackground loads a draft with
// attachments: the composer lists them at once and reads their sizes
// through background work, never on the UI goroutine.
func TestRestoredAttachmentsAreMeasuredInTheBackground(t *testing.T) {
	w := openDemoWindow(t)
	dir := t.TempDir()
	present := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(present, make([]byte, 2600), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone.pdf")
	w.compose.load(composition{Subject: "Restored", Attachments: []string{present, gone}})
	for _, a := range w.compose.attachments {
		if a.size != sizeUnknown {
			t.Fatalf("%s was measured on the UI goroutine while loading", a.path)
		}
	}
	w.settle()
	got := []int64{w.compose.attachments[0].size, w.compose.attachments[1].size}
	if got[0] != 2600 || got[1] != 0 {
		t.Fatalf("sizes after loading = %v, want [2600 0]", got)
	}
	if !strings.Contains(w.compose.attachTotal.Text, "3 kB") {
		t.Errorf("total = %q, want 3 kB", w.compose.attachTotal.Text)
	}
	if w.compose.dirty {
		t.Error("measuring the attachments marked the message as edited")
	}
}
