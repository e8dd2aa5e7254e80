package smtpclient

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

func TestInspectReportsUntrustedCertificate(t *testing.T) {
	ca := testpeer.NewCA(t, "Test CA")
	untrusted := testpeer.NewCA(t, "Untrusted Test CA")
	cases := []struct {
		name    string
		cert    tls.Certificate
		problem string // "" for a certificate that verifies
	}{
		{"verified", ca.Issue(t, testpeer.Loopback), ""},
		{"self-signed", (*testpeer.CA)(nil).Issue(t, testpeer.Loopback), "x509: certificate signed by unknown authority"},
		{"untrusted issuer", untrusted.Issue(t, testpeer.Loopback), "x509: certificate signed by unknown authority"},
		{"wrong host", ca.Issue(t, testpeer.Leaf{Names: []string{"mail.other.test"}}), "x509: cannot validate certificate for 127.0.0.1"},
	}
	for _, security := range []Security{SecurityTLS, SecurityStartTLS} {
		for _, tc := range cases {
			t.Run(string(security)+"/"+tc.name, func(t *testing.T) {
				b := newBackend()
				b.Mechanisms = []string{"PLAIN", "LOGIN"}
				cfg := withAuth(startServer(t, security, b, ca, withCert(tc.cert), func(s *smtp.Server) { s.MaxMessageBytes = 5 << 20 }))
				res, err := Inspect(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if res.Certificate == nil || res.Certificate.SHA256 != testpeer.Fingerprint(tc.cert) {
					t.Errorf("certificate %+v", res.Certificate)
				}
				if res.CertificateProblem != tc.problem && (tc.problem == "" || !strings.HasPrefix(res.CertificateProblem, tc.problem)) {
					t.Errorf("problem %q, want %q", res.CertificateProblem, tc.problem)
				}
				if !slices.Equal(res.Mechanisms, []string{"PLAIN", "LOGIN"}) || res.Mechanism != "" || res.MaxSize != 5<<20 {
					t.Errorf("probe %+v", res)
				}
				waitLogout(t, b)
				if mail, auth := b.Counts(); mail != 0 || auth != 0 {
					t.Errorf("the server received %d MAIL and %d AUTH", mail, auth)
				}
				log := transcriptText(res.Transcript)
				if !strings.Contains(log, "C: QUIT") || strings.Contains(log, "C: AUTH") || strings.Contains(log, testSecret) {
					t.Errorf("transcript:\n%s", log)
				}
				if tc.problem != "" && !strings.Contains(log, "the certificate does not verify") {
					t.Errorf("transcript lacks the refusal:\n%s", log)
				}
			})
		}
	}
}

func TestInspectStillRequiresStartTLS(t *testing.T) {
	cases := []struct {
		name   string
		script fakeScript
		class  Class
		reason Reason
	}{
		{"not offered", fakeScript{extensions: []string{"AUTH PLAIN LOGIN"}}, Permanent, ReasonNoStartTLS},
		{"refused", fakeScript{extensions: []string{"STARTTLS", "AUTH PLAIN"}, replies: map[string]string{"STARTTLS": "454 4.7.0 TLS not available"}},
			Temporary, ReasonStartTLSRefused},
		{"injected reply", fakeScript{extensions: []string{"STARTTLS", "AUTH PLAIN"}, afterStartTLS: "250-injected\r\n250 AUTH PLAIN\r\n"},
			Permanent, ReasonStartTLSInjection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, cfg := startFake(t, tc.script)
			cfg.Security = SecurityStartTLS
			_, err := Inspect(t.Context(), withAuth(cfg))
			expectError(t, err, StageTLS, tc.class, tc.reason)
			lines, _ := f.finished(t)
			assertNoAuthNoMail(t, lines)
		})
	}
}

// TestInspectNeverSignsIn uses the one server Probe would sign in to
// without TLS (loopback, as TestLoginWithPlainTextPrompts shows).
func TestInspectNeverSignsIn(t *testing.T) {
	f, cfg := startFake(t, fakeScript{extensions: []string{"AUTH LOGIN", "SIZE 1000"}})
	res, err := Inspect(t.Context(), withAuth(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Mechanisms, []string{"LOGIN"}) || res.MaxSize != 1000 || res.Mechanism != "" || res.Certificate != nil {
		t.Errorf("probe %+v", res)
	}
	lines, _ := f.finished(t)
	if want := []string{"EHLO localhost", "QUIT"}; !slices.Equal(lines, want) {
		t.Errorf("the server received %q, want %q", lines, want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.login) != 0 {
		t.Errorf("the server received a login: %q", f.login)
	}
}
