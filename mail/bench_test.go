package mail

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchmarkBuild writes a message with one attachment of size bytes. The
// bytes allocated per operation must not depend on size: attachments are
// streamed, never held.
func benchmarkBuild(b *testing.B, size int64) {
	path := filepath.Join(b.TempDir(), "attachment.bin")
	writeRandomFile(b, path, size)
	msg := &Message{
		From:        Address{Name: "Åsa", Email: "asa@example.org"},
		To:          []Address{{Email: "bob@example.net"}},
		Subject:     "Benchmark",
		Body:        "See the attachment.\n",
		Attachments: []Attachment{{Path: path}},
	}
	if err := msg.Prepare(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msg.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuild1MiB(b *testing.B)  { benchmarkBuild(b, 1<<20) }
func BenchmarkBuild25MiB(b *testing.B) { benchmarkBuild(b, 25<<20) }

// BenchmarkSize25MiB measures Size, which must not read the attachment.
func BenchmarkSize25MiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "attachment.bin")
	writeRandomFile(b, path, 25<<20)
	msg := &Message{From: Address{Email: "asa@example.org"}, To: []Address{{Email: "bob@example.net"}}, Attachments: []Attachment{{Path: path}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msg.Size(); err != nil {
			b.Fatal(err)
		}
	}
}

// writeRandomFile writes size pseudo-random bytes to path, a chunk at a time.
func writeRandomFile(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	src := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, src, size); err != nil {
		tb.Fatal(err)
	}
}
