package autoconfig

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/miekg/dns"

	"github.com/postie-app/postie/internal/testpeer"
)

// webServer is one local HTTPS server that answers for every test domain:
// its client dials it whatever host a URL names.
type webServer struct {
	srv   *httptest.Server
	ca    *testpeer.CA
	mu    sync.Mutex
	pages map[string]http.HandlerFunc // "host/path" → handler
	seen  []string                    // "host/path?query" of every request
}

func newWebServer(t testing.TB, ca *testpeer.CA) *webServer {
	t.Helper()
	w := &webServer{ca: ca, pages: map[string]http.HandlerFunc{}}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	// Every host name gets a certificate from the test CA, issued when a
	// client asks for it.
	w.srv.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := ca.Make(testpeer.Leaf{Names: []string{hello.ServerName}})
		return &cert, err
	}}
	w.srv.StartTLS()
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webServer) serve(rw http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	w.mu.Lock()
	w.seen = append(w.seen, host+r.URL.RequestURI())
	h := w.pages[host+r.URL.Path]
	w.mu.Unlock()
	if h == nil {
		http.NotFound(rw, r)
		return
	}
	h(rw, r)
}

func (w *webServer) handle(hostPath string, h http.HandlerFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pages[hostPath] = h
}

func (w *webServer) serveXML(hostPath, body string) {
	w.handle(hostPath, func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/xml")
		io.WriteString(rw, body)
	})
}

func (w *webServer) requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// client returns an HTTP client that reaches this server for any host name
// (other loopback servers by their address) and trusts only the test CA.
func (w *webServer) client() *http.Client {
	addr := w.srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, hostPort string) (net.Conn, error) {
			target := addr
			if host, _, _ := net.SplitHostPort(hostPort); isLoopback(host) {
				target = hostPort
			}
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
		TLSClientConfig: &tls.Config{RootCAs: w.ca.Pool()},
	}}
}

// dnsServer is an authoritative DNS server on loopback for the test zone.
type dnsServer struct {
	addr    string
	mu      sync.Mutex
	records map[string][]dns.RR // lower-case owner name with trailing dot
}

func newDNSServer(t testing.TB) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{addr: pc.LocalAddr().String(), records: map[string][]dns.RR{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

// add adds records in zone file syntax, e.g. "x.test. 60 IN MX 10 mx.y.test.".
func (s *dnsServer) add(t testing.TB, lines ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range lines {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
}

func (s *dnsServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		s.mu.Lock()
		rrs, exists := s.records[strings.ToLower(q.Name)]
		s.mu.Unlock()
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	w.WriteMsg(m)
}

// startSMTP starts a local submission server with cert, speaking implicit
// TLS or offering STARTTLS, and returns its port. It offers PLAIN and
// LOGIN, as most providers do.
func startSMTP(t *testing.T, cert tls.Certificate, implicitTLS bool) int {
	t.Helper()
	security := testpeer.StartTLS
	if implicitTLS {
		security = testpeer.TLS
	}
	return testpeer.Run(t, testpeer.Options{Security: security, Cert: &cert,
		Backend: &testpeer.Backend{Mechanisms: []string{sasl.Plain, sasl.Login}}}).Port
}
