package accounts

import (
	"errors"
	"strings"
	"testing"

	"github.com/postie-app/postie/mail/smtpclient"
)

// TestIMAPConfig: the IMAP server signs in with the account's secret, or
// its own; the user name defaults to SMTP's; a pinned certificate is used
// only for the host:port it was accepted for; an account without an IMAP
// server, or signing in with a provider, says so.
func TestIMAPConfig(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	a.IMAP = IMAPServer{Host: "IMAP.Example.org.", Port: 993, Security: smtpclient.SecurityTLS}
	a.CAFile = ""
	add(t, s, a, "account-secret")

	cfg, err := s.IMAPConfig(background, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "imap.example.org" || cfg.Port != 993 || cfg.Security != smtpclient.SecurityTLS ||
		cfg.Username != "anna@example.org" || cfg.Secret != "account-secret" || cfg.OAuth || cfg.PinSHA256 != "" ||
		cfg.PinFor != "imap.example.org:993" {
		t.Errorf("IMAPConfig = %+v", cfg)
	}

	// The SMTP server's pin is not the IMAP server's.
	a.PinCertificate(strings.Repeat("b", 64))
	if cfg := a.IMAPConfig("x"); cfg.PinSHA256 != "" {
		t.Errorf("the pin accepted for %s is used for the IMAP server %s", a.PinFor, cfg.PinFor)
	}
	a.PinFor = "imap.example.org:993"
	if cfg := a.IMAPConfig("x"); cfg.PinSHA256 != a.PinSHA256 {
		t.Errorf("the pin accepted for the IMAP server is not used for it: %+v", cfg)
	}

	// Its own user name and password (the flag OwnSecret follows the
	// keyring: SetIMAPSecret sets it, Update keeps it).
	a.IMAP.Username = "anna.imap"
	a.PinSHA256, a.PinFor = "", ""
	if err := s.Update(background, a); err != nil {
		t.Fatal(err)
	}
	if err := s.SetIMAPSecret(background, a, "imap-secret"); err != nil {
		t.Fatal(err)
	}
	if cfg, err := s.IMAPConfig(background, a.ID); err != nil || cfg.Username != "anna.imap" || cfg.Secret != "imap-secret" {
		t.Errorf("own secret: %+v, %v", cfg, err)
	}
	// Gone from the keyring behind Postie's back, it is missing, and the
	// account's password is not used instead.
	if err := s.secrets.Keyring.Delete(KeyringService, a.IMAPSecretID()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IMAPConfig(background, a.ID); !errors.Is(err, ErrNoSecret) {
		t.Errorf("without its own password saved: %v, want ErrNoSecret", err)
	}

	// A port left at 0 is the usual one.
	a.IMAP.Port, a.IMAP.Security = 0, smtpclient.SecurityStartTLS
	if cfg := a.IMAPConfig("x"); cfg.Port != 143 {
		t.Errorf("STARTTLS without a port: %d, want 143", cfg.Port)
	}

	// No IMAP server; a provider's sign-in.
	b := testAccount("Other", "ben@example.org")
	add(t, s, b, "pw")
	if _, err := s.IMAPConfig(background, b.ID); !errors.Is(err, ErrNoIMAPServer) {
		t.Errorf("no IMAP server: %v", err)
	}
	b.IMAP = IMAPServer{Host: "imap.gmail.com", Port: 993, Security: smtpclient.SecurityTLS}
	s.SetProviders(testProviders, nil)
	b.OAuthProvider, b.Mechanisms = "test", nil
	if err := s.Update(background, b); err != nil {
		t.Fatal(err)
	}
	if cfg, err := s.IMAPConfig(background, b.ID); err != nil || !cfg.OAuth || cfg.Tokens == nil || cfg.Secret != "" || cfg.Username != "ben@example.org" {
		t.Errorf("OAuth account: %+v, %v; want the token source and the address as user name", cfg, err)
	}

	// The Sent folder found is remembered, and nothing else changes.
	if err := s.SetSentFolder(background, a.ID, "INBOX.Gesendet"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ByID(background, a.ID); err != nil || got.SentFolder != "INBOX.Gesendet" || got.IMAP.Username != "anna.imap" {
		t.Errorf("after SetSentFolder: %+v, %v", got, err)
	}
	// An edit made from an older copy of the account keeps it; moving to
	// another IMAP server forgets it.
	stale, err := s.ByID(background, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	stale.SentFolder, stale.Signature = "", "-- \nAnna L."
	if err := s.Update(background, &stale); err != nil || stale.SentFolder != "INBOX.Gesendet" {
		t.Fatalf("edit: %q, %v", stale.SentFolder, err)
	}
	if got, _ := s.ByID(background, a.ID); got.SentFolder != "INBOX.Gesendet" {
		t.Errorf("an edit dropped the Sent folder found: %q", got.SentFolder)
	}
	stale.IMAP.Host = "mail.example.net"
	if err := s.Update(background, &stale); err != nil || stale.SentFolder != "" {
		t.Fatalf("move: %q, %v", stale.SentFolder, err)
	}
	if got, _ := s.ByID(background, a.ID); got.SentFolder != "" {
		t.Errorf("the Sent folder of another server is kept: %q", got.SentFolder)
	}
}
