package outbox

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail"
)

// BenchmarkFileCopy25MiB sends a message with a 25 MiB attachment, then
// files its copy in Dovecot's Sent folder the way the copy worker does
// (FlushCopies: Bcc header and spool file streamed, one connection), and
// reports the throughput of filing, the peak RSS while filing and how much
// that peak lies above the resident memory before it (the SMTP test server
// in this process keeps the message it received). The copy must not read
// the message into memory: the extra stays far below 25 MiB.
//
//	go test -run '^$' -bench FileCopy25MiB -benchtime 3x ./mail/outbox/
func BenchmarkFileCopy25MiB(b *testing.B) {
	ca := testpeer.NewCA(b, "Dovecot bench CA")
	d := testpeer.StartDovecot(b, ca, imapUser, imapPassword)
	smtpServer := startSink(b)
	accts := &accountsMap{}
	accts.set("a", smtpServer.config())
	copier := &imapCopier{}
	copier.set("a", dovecotIMAP(d))
	o := openDir(b, b.TempDir(), accts, WithSentCopier(copier))
	attachment := writeBigFile(b, 25<<20)
	ctx := context.Background()
	var size int64
	var ids []int64
	for i := 0; i < b.N; i++ {
		msg := &mail.Message{
			From:        mail.Address{Name: "Anna", Email: "anna@example.test"},
			To:          []mail.Address{{Email: "ben@example.test"}},
			Bcc:         []mail.Address{{Email: "carl@example.test"}},
			Subject:     "Fotos " + strconv.Itoa(i),
			Body:        "Die Fotos.",
			Attachments: []mail.Attachment{{Path: attachment}},
		}
		id, err := o.Enqueue(ctx, "a", msg, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if sum, err := o.Flush(ctx); err != nil || sum.Sent != b.N {
		b.Fatalf("sent %+v, %v", sum, err)
	}
	size = mustGet(b, o, ids[0]).Size
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(b)
	before := residentRSS(b, "VmRSS:")
	b.SetBytes(size)
	b.ResetTimer()
	copies, err := o.FlushCopies(ctx)
	b.StopTimer()
	if err != nil || copies.Filed != b.N {
		b.Fatalf("copies %+v, %v", copies, err)
	}
	peak := residentRSS(b, "VmHWM:")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(peak-before)/(1<<20), "extra-RSS-MiB")
	if extra := peak - before; extra > 16<<20 {
		b.Fatalf("filing a %d MiB copy raised resident memory by %.1f MiB: is it read into memory?", size>>20, float64(extra)/(1<<20))
	}
}

// writeBigFile writes an attachment of size bytes that does not compress.
func writeBigFile(b *testing.B, size int) string {
	path := filepath.Join(b.TempDir(), "fotos.jpg")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	x := uint32(2463534242)
	for range size {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		w.WriteByte(byte(x))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// resetPeakRSS starts the high-water mark of resident memory again from
// the current value (Linux: 5 to /proc/self/clear_refs).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatal(err)
	}
}

// residentRSS reads a memory figure of /proc/self/status, in bytes.
func residentRSS(b *testing.B, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
