package accounts

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The IMAP server's accepted certificate is stored with the server it was
// accepted for, used for that host:port only, and dropped when the
// account moves to another IMAP server, as the SMTP pin is.
func TestIMAPPinIsKeptForItsServerOnly(t *testing.T) {
	s, _ := openTestStore(t)
	pin := strings.Repeat("c", 64)
	a := withIMAP(testAccount("Work", "anna@example.org"))
	a.IMAP.PinSHA256 = strings.ToUpper(pin) // given without its server: the one added with
	add(t, s, a, "secret")
	got, err := s.Get(background, "Work")
	if err != nil {
		t.Fatal(err)
	}
	if got.IMAP.PinSHA256 != pin || got.IMAP.PinFor != "imap.example.org:993" {
		t.Fatalf("saved IMAP pin %q for %q, want %q for imap.example.org:993", got.IMAP.PinSHA256, got.IMAP.PinFor, pin)
	}
	if cfg := got.IMAPConfig("x"); cfg.PinSHA256 != pin || cfg.PinFor != "imap.example.org:993" {
		t.Errorf("IMAPConfig pin %q for %q", cfg.PinSHA256, cfg.PinFor)
	}
	if cfg := got.SMTPConfig("x"); cfg.PinSHA256 != "" {
		t.Errorf("the IMAP pin is used for the SMTP server: %q", cfg.PinSHA256)
	}

	// An edit that keeps the IMAP server keeps the pin.
	got.Signature = "-- \nA."
	if err := s.Update(background, &got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(background, "Work"); again.IMAP.PinSHA256 != pin {
		t.Errorf("an edit of the signature dropped the IMAP pin")
	}

	// Another port is another server: the pin is dropped, in the store
	// and in the account edited, and not used meanwhile.
	got.IMAP.Port, got.IMAP.Security = 143, smtpclient.SecurityStartTLS
	if cfg := got.IMAPConfig("x"); cfg.PinSHA256 != "" {
		t.Errorf("the pin accepted for %s is used for %s", got.IMAP.PinFor, cfg.PinFor)
	}
	if err := s.Update(background, &got); err != nil {
		t.Fatal(err)
	}
	if got.IMAP.PinSHA256 != "" || got.IMAP.PinFor != "" {
		t.Errorf("after a change of port the account still has pin %q for %q", got.IMAP.PinSHA256, got.IMAP.PinFor)
	}
	if again, _ := s.Get(background, "Work"); again.IMAP.PinSHA256 != "" || again.IMAP.PinFor != "" {
		t.Errorf("after a change of port the store still has pin %q for %q", again.IMAP.PinSHA256, again.IMAP.PinFor)
	}

	// Accepted for the new server, then the host changes: dropped too.
	got.PinIMAPCertificate(pin)
	if err := s.Update(background, &got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(background, "Work"); again.IMAP.PinFor != "imap.example.org:143" {
		t.Errorf("pin accepted for %q, want imap.example.org:143", again.IMAP.PinFor)
	}
	got.IMAP.Host = "mail.example.org"
	if err := s.Update(background, &got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(background, "Work"); again.IMAP.PinSHA256 != "" {
		t.Errorf("after a change of host the store still has the IMAP pin for %q", again.IMAP.PinFor)
	}
}

// Against Dovecot whose certificate comes from an authority nobody trusts:
// the connection test refuses it and reports the certificate's facts, so
// that the user can accept it; accepted (pinned) for that host:port, it
// signs in; the same pin does not count for the other port of the same
// server, which was not accepted.
func TestTestAcceptsAnUntrustedIMAPCertificateOnlyPinnedForItsServer(t *testing.T) {
	trusted := testpeer.NewCA(t, "Postie accounts test CA")
	untrusted := testpeer.NewCA(t, "Company CA nobody trusts")
	dovecot := testpeer.StartDovecot(t, untrusted, "anna", "imap password")
	smtp := testpeer.Run(t, testpeer.Options{Security: testpeer.TLS, CA: trusted,
		Backend: &testpeer.Backend{User: "anna@example.org", Password: "imap password"}})

	s, _ := openTestStore(t)
	a := &Account{Email: "anna@example.org", Host: smtp.Host, Port: smtp.Port, Security: smtpclient.SecurityTLS,
		Username: "anna@example.org", CAFile: smtp.CAFile, SentCopy: SentCopyAlways,
		IMAP: IMAPServer{Host: dovecot.Host, Port: dovecot.TLSPort, Security: smtpclient.SecurityTLS, Username: "anna"}}

	result, err := s.Test(background, a, "imap password")
	var imapTest *IMAPTestError
	var imapErr *imapclient.Error
	if !errors.As(err, &imapTest) || !errors.As(err, &imapErr) || result == nil {
		t.Fatalf("untrusted IMAP certificate: Test = %v (result %+v), want an IMAPTestError and the SMTP result", err, result)
	}
	if imapErr.Reason != imapclient.ReasonCertificateNotTrusted || imapErr.CertProblem != smtpclient.CertUnknownAuthority ||
		imapErr.Certificate == nil || imapErr.Certificate.SHA256 != dovecot.Cert {
		t.Fatalf("untrusted IMAP certificate: %+v, want certificate-not-trusted, unknown-authority, with fingerprint %s", imapErr, dovecot.Cert)
	}

	a.PinIMAPCertificate(imapErr.Certificate.SHA256)
	if want := dovecot.Host + ":" + strconv.Itoa(dovecot.TLSPort); a.IMAP.PinFor != want {
		t.Fatalf("pinned for %q, want %q", a.IMAP.PinFor, want)
	}
	if _, err := s.Test(background, a, "imap password"); err != nil {
		t.Fatalf("with the IMAP certificate pinned: %v", err)
	}
	add(t, s, a, "imap password")
	if _, err := s.Test(background, a, ""); err != nil {
		t.Fatalf("the saved account, with its IMAP pin: %v", err)
	}
	cfg, err := s.IMAPConfig(background, a.ID)
	if err != nil || cfg.PinSHA256 != dovecot.Cert {
		t.Fatalf("Store.IMAPConfig: pin %q, %v; want %s", cfg.PinSHA256, err, dovecot.Cert)
	}

	// The other port of the same server, with the same certificate, was
	// not the one accepted.
	a.IMAP.Port, a.IMAP.Security = dovecot.StartTLSPort, smtpclient.SecurityStartTLS
	if _, err := s.Test(background, a, ""); !errors.As(err, &imapErr) || imapErr.Reason != imapclient.ReasonCertificateNotTrusted {
		t.Fatalf("with the pin accepted for port %d, on port %d: %v, want certificate-not-trusted", dovecot.TLSPort, dovecot.StartTLSPort, err)
	}
}
