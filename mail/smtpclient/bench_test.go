package smtpclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// writeMessageFile generates a message of size bytes on disk, so that the
// benchmark streams it like an attachment instead of holding it in memory.
func writeMessageFile(b *testing.B, size int64) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "message.eml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := (generatedBody{size: size}).WriteTo(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchmarkSubmit(b *testing.B, size int64) {
	backend := newBackend()
	backend.Discard = true
	cfg := withAuth(startServer(b, SecurityTLS, backend, testpeer.NewCA(b, "Bench CA")))
	path := writeMessageFile(b, size)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		_, err = Submit(b.Context(), cfg, simpleEnvelope(), size, f, Options{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubmit1MiB(b *testing.B)  { benchmarkSubmit(b, 1<<20) }
func BenchmarkSubmit25MiB(b *testing.B) { benchmarkSubmit(b, 25<<20) }

func BenchmarkSession1000Small(b *testing.B) {
	backend := newBackend()
	backend.Discard = true
	cfg := withAuth(startServer(b, SecurityStartTLS, backend, testpeer.NewCA(b, "Bench CA")))
	env := simpleEnvelope()
	msg := testMessage(env.From, env.To, "small")
	const messages = 1000
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		s, err := Dial(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		for range messages {
			if _, err := s.Send(b.Context(), env, int64(len(msg)), strings.NewReader(msg), Options{}); err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
	b.ReportMetric(float64(messages*b.N)/time.Since(start).Seconds(), "msgs/s")
}
