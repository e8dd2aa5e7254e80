package imapclient_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// peakRSSLimit is the bound for filing a 25 MiB copy: 64 MiB.
const peakRSSLimit = 64 << 20

// writeSpoolFile writes a message of about size bytes, a text part and a
// base64 attachment as the outbox spools it, piece by piece: the benchmark
// must not hold it in memory either.
func writeSpoolFile(b *testing.B, size int64) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "copy.eml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "From: Anna <anna@example.test>\r\nTo: Ben <ben@example.test>\r\nSubject: Fotos\r\n"+
		"Message-ID: <bench-25mib@postie.test>\r\nDate: Sun, 29 Nov 2026 14:05:00 +0100\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nDie Fotos.\r\n"+
		"--b1\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	raw := make([]byte, 57)
	line := make([]byte, 76)
	for i, written := int64(0), int64(400); written < size-10; i++ {
		for j := range raw {
			raw[j] = byte(i*31 + int64(j)*7)
		}
		base64.StdEncoding.Encode(line, raw)
		w.Write(line)
		w.WriteString("\r\n")
		written += int64(len(line)) + 2
	}
	w.WriteString("--b1--\r\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, info.Size()
}

// peakRSS is this process's high-water mark of resident memory (VmHWM).
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppend25MiBToDovecot files a 25 MiB copy from its spool file in
// Dovecot's folder marked \Sent over implicit TLS, as the outbox does, and
// reports the throughput (MB/s), the CPU share of this process and its peak
// RSS, which must stay under 64 MiB (make bench-imap).
func BenchmarkAppend25MiBToDovecot(b *testing.B) {
	ca := testpeer.NewCA(b, "Dovecot bench CA")
	d := testpeer.StartDovecot(b, ca, dovecotUser, dovecotPassword)
	path, size := writeSpoolFile(b, 25<<20)
	ctx := context.Background()
	c, err := imapclient.Dial(ctx, imapclient.Config{
		Host: d.Host, Port: d.TLSPort, Security: smtpclient.SecurityTLS, Username: d.User, Secret: d.Password, RootCAs: ca.Pool(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	folder, err := c.SentFolder(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	b.SetBytes(size)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Append(ctx, folder, size, f, time.Now()); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	peak := peakRSS(b)
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "CPU-%")
	if peak > peakRSSLimit {
		b.Fatalf("peak RSS %.1f MiB, above the %d MiB allowed", float64(peak)/(1<<20), peakRSSLimit>>20)
	}
}
