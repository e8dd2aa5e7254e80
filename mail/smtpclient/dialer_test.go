package smtpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// redirect is a Config.Dialer that records what it was asked for and
// connects to the loopback server at target instead, as a Dialer with its
// own resolver would.
func redirect(t *testing.T, target string, asked *[]string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the Dialer's context carries no connect timeout")
		}
		*asked = append(*asked, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}
}

// forbidDNS fails the test if anything asks the default resolver, so a
// Dialer that is not used shows up as a failure, not as a query that
// leaves the machine.
func forbidDNS(t *testing.T) {
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		t.Error("a name was looked up through the system's resolver")
		return nil, errors.New("no DNS in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = old })
}

func TestDialerKeepsHostForTLS(t *testing.T) {
	forbidDNS(t)
	const host = "smtp.example.test"
	ca := testpeer.NewCA(t, "Test CA")
	named := ca.Issue(t, testpeer.Leaf{Names: []string{host}})
	for _, security := range []Security{SecurityTLS, SecurityStartTLS} {
		t.Run(string(security), func(t *testing.T) {
			sni := make(chan string, 1)
			b := newBackend()
			cfg := withAuth(startServer(t, security, b, ca, withCert(named), func(s *smtp.Server) {
				s.TLSConfig.VerifyConnection = func(cs tls.ConnectionState) error { sni <- cs.ServerName; return nil }
			}))
			target := net.JoinHostPort(cfg.Host, itoa(cfg.Port))
			cfg.Host = host
			var asked []string
			cfg.Dialer = redirect(t, target, &asked)
			res, err := Probe(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"tcp " + host + ":" + itoa(cfg.Port)}; !slices.Equal(asked, want) {
				t.Errorf("Dialer asked for %q, want %q", asked, want)
			}
			if got := <-sni; got != host {
				t.Errorf("SNI %q, want %q", got, host)
			}
			if res.Mechanism != "PLAIN" || res.Certificate.SHA256 != testpeer.Fingerprint(named) {
				t.Errorf("probe %+v", res)
			}
		})
	}

	t.Run("certificate for the dialed address only", func(t *testing.T) {
		b := newBackend()
		cfg := withAuth(startServer(t, SecurityTLS, b, ca)) // valid for 127.0.0.1, not for host
		target := net.JoinHostPort(cfg.Host, itoa(cfg.Port))
		cfg.Host = host
		var asked []string
		cfg.Dialer = redirect(t, target, &asked)
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageTLS, Permanent, ReasonCertificate)
		if _, auth := b.Counts(); auth != 0 || len(asked) != 1 {
			t.Errorf("%d AUTH, dialed %q", auth, asked)
		}
	})
}

func TestDialerFailure(t *testing.T) {
	forbidDNS(t)
	var asked string
	cfg := Config{Host: "smtp.bücher.example", Port: 587, Security: SecurityStartTLS}
	cfg.Dialer = func(_ context.Context, _, addr string) (net.Conn, error) {
		asked = addr
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "smtp.xn--bcher-kva.example", IsNotFound: true}}
	}
	_, err := Probe(t.Context(), cfg)
	expectError(t, err, StageDNS, Temporary, ReasonDNSNotFound)
	if asked != "smtp.xn--bcher-kva.example:587" {
		t.Errorf("Dialer asked for %q", asked)
	}
}

func TestRootCAs(t *testing.T) {
	ca := testpeer.NewCA(t, "Company CA")
	other := testpeer.NewCA(t, "Other CA")
	pool := func(cas ...*testpeer.CA) *x509.CertPool {
		p := x509.NewCertPool()
		for _, ca := range cas {
			p.AddCert(ca.Cert)
		}
		return p
	}
	cfg := startServer(t, SecurityTLS, newBackend(), ca)
	caFile := cfg.CAFile

	cfg.CAFile, cfg.RootCAs = "", pool(ca)
	if _, err := Probe(t.Context(), cfg); err != nil {
		t.Errorf("with the CA in RootCAs: %v", err)
	}

	cfg.RootCAs = pool(other)
	_, err := Probe(t.Context(), cfg)
	expectError(t, err, StageTLS, Permanent, ReasonCertificate)

	cfg.CAFile = caFile
	if _, err := Probe(t.Context(), cfg); err != nil {
		t.Errorf("with RootCAs and the CA file: %v", err)
	}
	if !cfg.RootCAs.Equal(pool(other)) {
		t.Error("the CA file was added to the caller's RootCAs")
	}
}
