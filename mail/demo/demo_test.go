package demo

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pinnedTLS trusts exactly the certificate whose fingerprint is pin, as the
// demo account does.
func pinnedTLS(pin string) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			sum := sha256.Sum256(raw[0])
			if hex.EncodeToString(sum[:]) != pin {
				return errors.New("certificate does not match the pin")
			}
			return nil
		},
	}
}

func dial(t *testing.T, s *Server) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(fmt.Sprintf("%s:%d", s.Host, s.Port), pinnedTLS(s.PinSHA256))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDemoServerStoresWhatItReceives(t *testing.T) {
	s := startServer(t)
	received := make(chan Received, 1)
	s.OnReceive(func(r Received) { received <- r })

	c := dial(t, s)
	if err := c.Auth(sasl.NewPlainClient("", Username, s.Password)); err != nil {
		t.Fatal(err)
	}
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello\r\n"
	if err := c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	got := <-received
	data, err := os.ReadFile(got.Path)
	if err != nil || string(data) != msg {
		t.Fatalf("stored %q, %v; want %q", data, err, msg)
	}
	if got.From != "a@example.org" || len(got.To) != 1 || got.To[0] != "b@example.org" {
		t.Fatalf("envelope = %q → %q", got.From, got.To)
	}
	inbox, err := s.Inbox()
	if err != nil || len(inbox) != 1 || inbox[0].Path != got.Path {
		t.Fatalf("Inbox() = %v, %v", inbox, err)
	}
	if inbox[0].Subject != "hi" || inbox[0].From != "a@example.org" {
		t.Fatalf("Inbox() summary = %q from %q", inbox[0].Subject, inbox[0].From)
	}
}

func TestDemoServerRequiresTheRightPassword(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	err := c.Auth(sasl.NewPlainClient("", Username, "wrong"))
	var smtpErr *smtp.SMTPError
	if !errors.As(err, &smtpErr) || smtpErr.Code != 535 {
		t.Fatalf("Auth with a wrong password = %v; want 535", err)
	}
	if err := c.Mail("a@example.org", nil); err == nil {
		t.Fatal("MAIL accepted without authentication")
	}
}

func TestDemoServerRefusesAuthBeforeTLS(t *testing.T) {
	s := startServer(t)
	c, err := smtp.Dial(fmt.Sprintf("%s:%d", s.Host, s.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", Username, s.Password)); err == nil {
		t.Fatal("the demo server accepted a password over an unencrypted connection")
	}
}

func TestDemoServerPlaysRefusals(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	if err := c.Auth(sasl.NewPlainClient("", Username, s.Password)); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for rcpt, code := range map[string]int{"bounce@example.org": 550, "busy@example.org": 451} {
		var smtpErr *smtp.SMTPError
		if err := c.Rcpt(rcpt, nil); !errors.As(err, &smtpErr) || smtpErr.Code != code {
			t.Errorf("RCPT %s = %v; want %d", rcpt, err, code)
		}
	}
}
