package autoconfig

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// The IMAP server's own sources run while the SMTP sources are still
// being asked, within the same budget, so that discovery takes as long as
// the slower of the two, not both added up. The proof is an order of
// events, not a clock: the provider's autoconfig file (the SMTP source,
// naming no IMAP server) is answered only once the IMAP guess has
// connected to imap.DOMAIN. Were the IMAP guess started only after SMTP
// was found, the file would never be answered before the budget ran out.
func TestDiscoverAsksForTheIMAPServerWhileFindingSMTP(t *testing.T) {
	l := newLab(t)
	l.dns.add(t, "imap.slow.test. 60 IN A 127.0.0.1")
	cert := l.ca.Issue(t, testpeer.Leaf{Names: []string{"imap.slow.test"}})
	imapConnected := make(chan struct{})
	d := l.discoverer(t)
	d.IMAPTLSPort = startIMAPSignalling(t, cert, imapConnected, 0)

	answeredAfterIMAP := false
	l.web.handle("autoconfig.slow.test/mail/config-v1.1.xml", func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-imapConnected:
			answeredAfterIMAP = true // read after Discover returned: the source's answer happens before
		case <-r.Context().Done():
			return // the budget ran out, or discovery gave up on the file
		}
		rw.Header().Set("Content-Type", "text/xml")
		rw.Write([]byte(config("smtp.slow.test 465 SSL")))
	})

	res := discover(t, d, "anna@slow.test")
	wantSettings(t, res, SourceAutoconfig, "smtp.slow.test", 465, TLS)
	wantIMAP(t, res, SourceGuess, "imap.slow.test", d.IMAPTLSPort, TLS)
	if !answeredAfterIMAP {
		t.Error("the autoconfig file was answered before the IMAP guess connected")
	}
}

// startIMAPSignalling is startIMAP with implicit TLS that closes connected
// when the first connection arrives, and greets each connection after
// delay.
func startIMAPSignalling(t testing.TB, cert tls.Certificate, connected chan struct{}, delay time.Duration) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	g := &imapGreeter{}
	config := &tls.Config{Certificates: []tls.Certificate{cert}}
	var once sync.Once
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			once.Do(func() { close(connected) })
			go func() {
				time.Sleep(delay)
				g.serve(tls.Server(conn, config), config, false)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// BenchmarkDiscoverWithSlowSMTPAndIMAPSources reports how long discovery
// takes when the SMTP source (the provider's autoconfig file, without an
// IMAP server) and the IMAP guess each take 300 ms to answer: about 300 ms
// (the slower of the two), not 600 ms (both in a row).
func BenchmarkDiscoverWithSlowSMTPAndIMAPSources(b *testing.B) {
	const delay = 300 * time.Millisecond
	l := newLab(b)
	l.dns.add(b, "imap.slow.test. 60 IN A 127.0.0.1")
	cert := l.ca.Issue(b, testpeer.Leaf{Names: []string{"imap.slow.test"}})
	d := l.discoverer(b)
	d.IMAPTLSPort = startIMAPSignalling(b, cert, make(chan struct{}), delay)
	l.web.handle("autoconfig.slow.test/mail/config-v1.1.xml", func(rw http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		rw.Header().Set("Content-Type", "text/xml")
		rw.Write([]byte(config("smtp.slow.test 465 SSL")))
	})
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := d.Discover(b.Context(), "anna@slow.test")
		if err != nil || res.IMAP == nil {
			b.Fatalf("Discover: %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/discovery")
}
