package smtpclient

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// withCert makes the test server present cert instead of a valid one.
func withCert(cert tls.Certificate) func(*smtp.Server) {
	return func(s *smtp.Server) { s.TLSConfig.Certificates = []tls.Certificate{cert} }
}

func TestCertificateRefusals(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	untrusted := testpeer.NewCA(t, "Untrusted Test CA")
	expired := time.Date(2020, time.January, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		cert    tls.Certificate
		problem CertProblem
	}{
		{"wrong host", ca.Issue(t, testpeer.Leaf{Names: []string{"mail.other.test", "smtp.other.test"}}),
			CertWrongHost},
		{"expired", ca.Issue(t, testpeer.Leaf{Names: testpeer.Loopback.Names, NotBefore: expired.AddDate(-1, 0, 0), NotAfter: expired}),
			CertExpired},
		{"self-signed", (*testpeer.CA)(nil).Issue(t, testpeer.Loopback),
			CertSelfSigned},
		{"untrusted issuer", untrusted.Issue(t, testpeer.Loopback),
			CertUnknownAuthority},
	}
	for _, security := range []Security{SecurityTLS, SecurityStartTLS} {
		for _, tc := range cases {
			t.Run(string(security)+"/"+tc.name, func(t *testing.T) {
				b := newBackend()
				cfg := withAuth(startServer(t, security, b, ca, withCert(tc.cert)))
				_, err := Probe(t.Context(), cfg)
				e := expectError(t, err, StageTLS, Permanent, ReasonCertificate)
				if e.CertProblem != tc.problem {
					t.Errorf("certificate problem %q, want %q", e.CertProblem, tc.problem)
				}
				if e.Certificate == nil || e.Certificate.SHA256 != testpeer.Fingerprint(tc.cert) {
					t.Errorf("certificate info %+v", e.Certificate)
				}
				if _, auth := b.Counts(); auth != 0 {
					t.Errorf("AUTH reached the server")
				}
			})
		}
	}
}

func TestCustomCAAndPin(t *testing.T) {
	ca := testpeer.NewCA(t, "Company CA")

	t.Run("custom CA needed and sufficient", func(t *testing.T) {
		cfg := withAuth(startServer(t, SecurityTLS, newBackend(), ca))
		if _, err := Probe(t.Context(), cfg); err != nil {
			t.Fatalf("with the CA file: %v", err)
		}
		cfg.CAFile = ""
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageTLS, Permanent, ReasonCertificate)
	})

	selfSigned := (*testpeer.CA)(nil).Issue(t, testpeer.Loopback)
	wrongHost := (*testpeer.CA)(nil).Issue(t, testpeer.Leaf{Names: []string{"mail.other.test"}})
	for name, cert := range map[string]tls.Certificate{"self-signed": selfSigned, "self-signed for another name": wrongHost} {
		t.Run("pinned "+name, func(t *testing.T) {
			cfg := withAuth(startServer(t, SecurityStartTLS, newBackend(), ca, withCert(cert)))
			cfg.CAFile = ""
			pin := testpeer.Fingerprint(cert)
			cfg.PinSHA256 = strings.ToUpper(pin[:2]) + ":" + pin[2:]
			res, err := Probe(t.Context(), cfg)
			if err != nil {
				t.Fatalf("pinned certificate refused: %v", err)
			}
			if res.Certificate.SHA256 != pin {
				t.Errorf("certificate %+v", res.Certificate)
			}
		})
	}

	t.Run("pin accepted for another server", func(t *testing.T) {
		cfg := withAuth(startServer(t, SecurityStartTLS, newBackend(), ca, withCert(selfSigned)))
		cfg.CAFile, cfg.PinSHA256 = "", testpeer.Fingerprint(selfSigned)
		port := strconv.Itoa(cfg.Port)
		for _, pinFor := range []string{"127.0.0.1:" + port, "[127.0.0.1]:" + port} {
			cfg.PinFor = pinFor
			if _, err := Probe(t.Context(), cfg); err != nil {
				t.Fatalf("certificate pinned for %s refused there: %v", pinFor, err)
			}
		}
		// The same server and certificate, but the pin was accepted for
		// another port or another name of it.
		for _, pinFor := range []string{"127.0.0.1:1", "localhost:" + port, "127.0.0.1", "garbage"} {
			cfg.PinFor = pinFor
			_, err := Probe(t.Context(), cfg)
			if e := expectError(t, err, StageTLS, Permanent, ReasonCertificate); e.Certificate == nil {
				t.Errorf("pin accepted for %s: the refused certificate is not described", pinFor)
			}
		}
	})

	t.Run("pin of another certificate", func(t *testing.T) {
		cfg := withAuth(startServer(t, SecurityTLS, newBackend(), ca, withCert(selfSigned)))
		cfg.CAFile, cfg.PinSHA256 = "", testpeer.Fingerprint(wrongHost)
		_, err := Probe(t.Context(), cfg)
		expectError(t, err, StageTLS, Permanent, ReasonCertificate)
	})
}

func TestTLS12Minimum(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	cfg := startServer(t, SecurityTLS, newBackend(), ca, func(s *smtp.Server) { s.TLSConfig.MaxVersion = tls.VersionTLS11 })
	_, err := Probe(t.Context(), cfg)
	expectError(t, err, StageTLS, Permanent, ReasonTLSFailed)

	cfg = startServer(t, SecurityTLS, newBackend(), ca, func(s *smtp.Server) { s.TLSConfig.MaxVersion = tls.VersionTLS12 })
	res, err := Probe(t.Context(), cfg)
	if err != nil || !strings.Contains(transcriptText(res.Transcript), "TLS 1.2 established") {
		t.Fatalf("TLS 1.2: %v", err)
	}
}

// pipeListener hands one end of an in-memory pipe to a go-smtp server.
// A pipe has no IP address, so it stands for a remote, non-loopback server
// without any traffic leaving this machine.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *pipeListener) Close() error   { close(l.closed); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func TestNoPasswordOverPlainConnection(t *testing.T) {
	b := newBackend()
	s := smtp.NewServer(b)
	s.AllowInsecureAuth = true // this server would take the password
	s.ErrorLog = log.New(io.Discard, "", 0)
	l := &pipeListener{conns: make(chan net.Conn, 1), closed: make(chan struct{})}
	go s.Serve(l)
	defer s.Close()

	cfg := withAuth(Config{Host: "smtp.example.test", Port: 25, Security: SecurityNone})
	c := newConn(cfg)
	c.dial = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		l.conns <- server
		return client, nil
	}
	_, err := dialConn(t.Context(), c)
	e := expectError(t, err, StageAuth, Permanent, ReasonUnencryptedPassword)
	if _, auth := b.Counts(); auth != 0 {
		t.Errorf("AUTH reached the server")
	}
	if log := transcriptText(e.Transcript); !strings.Contains(log, "AUTH PLAIN") || strings.Contains(log, "C: AUTH") {
		t.Errorf("transcript:\n%s", log)
	}
}

func TestSecretsNeverInTranscriptOrErrors(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	const marker = "BODY-MARKER-7f3a"
	msg := "Subject: redaction\r\n\r\n" + marker + "\r\n"
	cramDigest := hmac.New(md5.New, []byte(testSecret))
	cramDigest.Write([]byte(testpeer.CRAMChallenge))
	secretForms := []string{
		testSecret, testToken,
		base64.StdEncoding.EncodeToString([]byte(testSecret)),
		base64.StdEncoding.EncodeToString([]byte(testToken)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testSecret)),
		base64.StdEncoding.EncodeToString([]byte("user=" + testUser + "\x01auth=Bearer " + testToken + "\x01\x01")),
		hex.EncodeToString(cramDigest.Sum(nil)),
	}
	// A server that echoes the password in its refusal.
	echo := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad password " + testSecret + " / " + base64.StdEncoding.EncodeToString([]byte(testSecret))}
	cases := []struct {
		mech    string
		oauth   bool
		authErr error
	}{
		{"PLAIN", false, nil}, {"LOGIN", false, nil}, {"CRAM-MD5", false, nil},
		{"XOAUTH2", true, nil}, {"OAUTHBEARER", true, nil},
		{"PLAIN", false, echo}, {"LOGIN", false, echo},
	}
	for _, tc := range cases {
		t.Run(tc.mech, func(t *testing.T) {
			b := newBackend()
			b.AuthErr = tc.authErr
			cfg := withAuth(startServer(t, SecurityStartTLS, b, ca))
			cfg.Mechanisms, cfg.OAuth = []string{tc.mech}, tc.oauth
			if tc.oauth {
				cfg.Secret = testToken
			}
			res, err := send(t, cfg, simpleEnvelope(), msg, Options{})
			if (err != nil) != (tc.authErr != nil) {
				t.Fatalf("error %v", err)
			}
			texts := []string{transcriptText(res.Transcript)}
			if err != nil {
				e := asError(t, err)
				texts = append(texts, err.Error(), e.ServerText, transcriptText(e.Transcript))
			} else if !strings.Contains(texts[0], "[message body: "+itoa(len(msg))+" bytes]") {
				t.Errorf("no body size in transcript:\n%s", texts[0])
			}
			if !strings.Contains(texts[0], "C: AUTH "+tc.mech) {
				t.Errorf("no AUTH line in transcript:\n%s", texts[0])
			}
			for _, text := range texts {
				for _, secret := range append(secretForms, marker) {
					if strings.Contains(text, secret) {
						t.Errorf("%q appears in:\n%s", secret, text)
					}
				}
			}
		})
	}
}

func TestScrubberCoversEveryBase64Offset(t *testing.T) {
	scrub := secretScrubber(testSecret)
	for prefix := range 3 {
		blob := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("u", prefix) + testSecret + "tail"))
		if got := scrub.Replace(blob); got == blob {
			t.Errorf("offset %d: %q not scrubbed", prefix, blob)
		}
	}
}

func TestErrorFactsWithoutNetwork(t *testing.T) {
	c := newConn(Config{Host: "smtp.example.test", Port: 587})
	c.stage = StageConnect
	dnsErr := &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "smtp.example.test", IsNotFound: true}}
	e := c.fail(context.Background(), dnsErr)
	if e.Stage != StageDNS || e.Class != Temporary || e.Reason != ReasonDNSNotFound || e.Host != "smtp.example.test" {
		t.Errorf("DNS: %s %s %s %s", e.Stage, e.Class, e.Reason, e.Host)
	}
	timeout := &net.OpError{Op: "dial", Err: context.DeadlineExceeded}
	e = c.fail(context.Background(), timeout)
	if e.Class != Temporary || e.Reason != ReasonConnectTimeout || e.Timeout != 30*time.Second || e.Port != 587 {
		t.Errorf("timeout: %s %s %s %d", e.Class, e.Reason, e.Timeout, e.Port)
	}
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("cause lost")
	}
}

func TestInternationalServerName(t *testing.T) {
	cfg := Config{Host: "smtp.bücher.example", Port: 587, Security: SecurityStartTLS}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.dialHost(); got != "smtp.xn--bcher-kva.example" {
		t.Errorf("dial host %q", got)
	}
	cfg.Host = "smtp.bad\u200d-name.example"
	expectError(t, cfg.validate(), StageConfig, Permanent, ReasonInvalidHost)
}
