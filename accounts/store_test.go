package accounts

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

func openTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(db, &Secrets{Keyring: &testpeer.Keyring{}})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func testAccount(name, email string) *Account {
	return &Account{Name: name, DisplayName: "Anna Lind", Email: email, Host: "smtp.example.org", Port: 587,
		Security: smtpclient.SecurityStartTLS, Username: email, Mechanisms: []string{"plain"},
		Signature: "-- \nAnna"}
}

// add adds an account with a secret in the store's keyring.
func add(t *testing.T, s *Store, a *Account, secret string) {
	t.Helper()
	if err := s.Add(background, a, secret); err != nil {
		t.Fatalf("Add(%s): %v", a.Name, err)
	}
}

func TestAddGetListRoundTrip(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	add(t, s, a, "work password")
	if len(a.ID) != 32 || !a.Default || !a.HasSecret {
		t.Fatalf("after Add: id %q, default %v, has secret %v", a.ID, a.Default, a.HasSecret)
	}
	got, err := s.Get(background, "WORK")
	if err != nil {
		t.Fatal(err)
	}
	want := *a
	want.Mechanisms = []string{"PLAIN"}
	if got.ID != want.ID || got.Name != "Work" || got.DisplayName != want.DisplayName || got.Email != want.Email ||
		got.Host != want.Host || got.Port != 587 || got.Security != "starttls" || got.Username != want.Username ||
		!slices.Equal(got.Mechanisms, want.Mechanisms) || got.Signature != want.Signature || !got.Default || !got.HasSecret {
		t.Errorf("Get = %+v\nwant  %+v", got, want)
	}
	if byID, err := s.ByID(background, a.ID); err != nil || byID.Name != "Work" {
		t.Errorf("ByID = %+v, %v", byID, err)
	}
	if secret, err := s.Secret(background, got); err != nil || secret != "work password" {
		t.Errorf("Secret = %q, %v", secret, err)
	}
	var notFound *NotFoundError
	if _, err := s.Get(background, "Home"); !errors.As(err, &notFound) || notFound.Name != "Home" {
		t.Errorf("Get(missing) = %v", err)
	}
}

func TestNameDefaultsToEmailAndIsUnique(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("", "anna@example.org")
	add(t, s, a, "")
	if a.Name != "anna@example.org" || a.HasSecret {
		t.Fatalf("name %q, has secret %v", a.Name, a.HasSecret)
	}
	var dup *DuplicateError
	if err := s.Add(background, testAccount("ANNA@example.org", "anna@example.org"), "pw"); !errors.As(err, &dup) {
		t.Fatalf("second Add = %v, want DuplicateError", err)
	}
	if list, _ := s.List(background); len(list) != 1 {
		t.Fatalf("%d accounts after a refused duplicate", len(list))
	}
}

func defaults(t *testing.T, s *Store) []string {
	t.Helper()
	list, err := s.List(background)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		if a.Default {
			names = append(names, a.Name)
		}
	}
	return names
}

func TestExactlyOneDefault(t *testing.T) {
	s, _ := openTestStore(t)
	if _, err := s.Default(background); !errors.Is(err, ErrNoAccount) {
		t.Errorf("Default without accounts = %v", err)
	}
	for _, name := range []string{"b", "a", "c"} {
		add(t, s, testAccount(name, name+"@example.org"), "pw-"+name)
	}
	if got := defaults(t, s); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("defaults = %q, want the first account", got)
	}
	d := testAccount("d", "d@example.org")
	d.Default = true
	add(t, s, d, "pw-d")
	if got := defaults(t, s); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("defaults = %q after adding d as default", got)
	}
	if err := s.SetDefault(background, "C"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Default(background); err != nil || got.Name != "c" {
		t.Fatalf("Default = %+v, %v", got, err)
	}
	if err := s.Remove(background, "c"); err != nil {
		t.Fatal(err)
	}
	if got := defaults(t, s); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("defaults = %q after removing the default, want the first by name", got)
	}
	list, _ := s.List(background)
	var order []string
	for _, a := range list {
		order = append(order, a.Name)
	}
	if !slices.Equal(order, []string{"a", "b", "d"}) {
		t.Errorf("List order = %q, want the default first, then by name", order)
	}
	if err := s.SetDefault(background, "nobody"); err == nil {
		t.Error("SetDefault of a missing account succeeded")
	}
}

func TestRemoveDeletesTheKeyringEntry(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	add(t, s, a, "doomed password")
	if err := s.Remove(background, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.secrets.Keyring.Get(KeyringService, a.ID); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("keyring entry after Remove: %v", err)
	}
	if _, err := s.Get(background, "Work"); err == nil {
		t.Fatal("the account is still there")
	}
	var nf *NotFoundError
	if err := s.Remove(background, "work"); !errors.As(err, &nf) {
		t.Fatalf("second Remove = %v", err)
	}
}

// TestRemoveDeletesTheIMAPServersOwnSecret: an account whose incoming
// server has a password of its own leaves neither secret in the keyring.
func TestRemoveDeletesTheIMAPServersOwnSecret(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	a.IMAP = IMAPServer{Host: "imap.example.org", Port: 993, Security: smtpclient.SecurityTLS,
		Username: "anna"}
	add(t, s, a, "smtp password")
	if err := s.SetIMAPSecret(background, a, "imap password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(background, "Work"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.secrets.Keyring.Get(KeyringService, a.IMAPSecretID()); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("the IMAP server's password is still in the keyring: %v", err)
	}
	// One whose IMAP secret was never saved is removed all the same.
	b := testAccount("Home", "anna@example.net")
	b.IMAP = a.IMAP
	add(t, s, b, "smtp password")
	if err := s.Remove(background, "Home"); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateAndSetSecret(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	add(t, s, a, "old password")
	a.Host, a.Port, a.Security = "mail.example.org", 465, smtpclient.SecurityTLS
	a.PinCertificate(strings.Repeat("AB:", 31) + "AB")
	if err := s.Update(background, a); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(background, "Work")
	if got.Host != "mail.example.org" || got.Port != 465 || got.PinSHA256 != strings.Repeat("ab", 32) ||
		got.PinFor != "mail.example.org:465" || !got.Default {
		t.Errorf("after Update: %+v", got)
	}
	if err := s.SetSecret(background, &got, "new password"); err != nil {
		t.Fatal(err)
	}
	if secret, _ := s.Secret(background, got); secret != "new password" {
		t.Errorf("Secret = %q", secret)
	}
	a.Security, a.Port = smtpclient.SecurityNone, 25
	if err := s.Update(background, a); !errors.Is(err, ErrCleartextPassword) {
		t.Errorf("Update to an unencrypted remote server with a saved password = %v", err)
	}
}

func TestNoPasswordOverUnencryptedConnections(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Plain", "anna@example.org")
	a.Security, a.Port = smtpclient.SecurityNone, 25
	if err := s.Add(background, a, "pw"); !errors.Is(err, ErrCleartextPassword) {
		t.Fatalf("Add = %v, want ErrCleartextPassword", err)
	}
	if ErrCleartextPassword.Field != "security" || ErrCleartextPassword.Problem != InvalidCleartextAuth {
		t.Errorf("ErrCleartextPassword = %+v", ErrCleartextPassword)
	}
	add(t, s, a, "") // without a password it is allowed
	local := testAccount("Bridge", "anna@example.org")
	local.Host, local.Security, local.Port = "127.0.0.1", smtpclient.SecurityNone, 1025
	add(t, s, local, "bridge password") // loopback: a local bridge
}

func TestValidate(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		field   string
		problem InvalidProblem
		change  func(*Account)
	}{
		{"name", InvalidName, func(a *Account) { a.Name = "two\nlines" }},
		{"display name", InvalidDisplayName, func(a *Account) { a.DisplayName = "Anna\r\nBcc: x@example.org" }},
		{"email", InvalidEmail, func(a *Account) { a.Email = "anna" }},
		{"email", InvalidEmail, func(a *Account) { a.Email = "anna@example" }},
		{"email", InvalidEmail, func(a *Account) { a.Email = "Anna <anna@example.org>" }},
		{"host", InvalidHost, func(a *Account) { a.Host = "" }},
		{"host", InvalidHost, func(a *Account) { a.Host = "smtp example org" }},
		{"port", InvalidPort, func(a *Account) { a.Port = 0 }},
		{"port", InvalidPort, func(a *Account) { a.Port = 70000 }},
		{"security", InvalidSecurity, func(a *Account) { a.Security = "ssl" }},
		{"username", InvalidUsername, func(a *Account) { a.Username = "anna\x00" }},
		{"mechanisms", InvalidMechanism, func(a *Account) { a.Mechanisms = []string{"PLAIN LOGIN"} }},
		{"pin", InvalidPin, func(a *Account) { a.PinSHA256 = "abcd" }},
		{"certificate", InvalidCAAndPin, func(a *Account) { a.CAFile, a.PinSHA256 = caFile, strings.Repeat("a", 64) }},
		{"CA file", InvalidCAFileNoCert, func(a *Account) { a.CAFile = caFile }},
		{"CA file", InvalidCAFileRead, func(a *Account) { a.CAFile = filepath.Join(t.TempDir(), "missing.pem") }},
	} {
		a := testAccount("Work", "anna@example.org")
		tc.change(a)
		var ie *InvalidError
		if err := a.Validate(); !errors.As(err, &ie) || ie.Field != tc.field || ie.Problem != tc.problem {
			t.Errorf("%s: Validate = %v, want %s about the %s", tc.field, err, tc.problem, tc.field)
		}
	}
	good := testAccount("Work", "jörg@bücher.example")
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(internationalized address) = %v", err)
	}
}

func TestSMTPConfig(t *testing.T) {
	a := Account{Email: "anna@gmail.com", Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS,
		Username: "anna@gmail.com", Mechanisms: []string{"XOAUTH2"}}
	a.PinCertificate(strings.Repeat("a", 64))
	cfg := a.SMTPConfig("token")
	if cfg.Host != a.Host || cfg.Port != 465 || cfg.Security != smtpclient.SecurityTLS || cfg.Username != a.Username ||
		cfg.Secret != "token" || !cfg.OAuth || !slices.Equal(cfg.Mechanisms, a.Mechanisms) || cfg.PinSHA256 != a.PinSHA256 {
		t.Errorf("SMTPConfig = %+v", cfg)
	}
	for _, other := range []Account{{Host: "smtp.gmail.com", Port: 587}, {Host: "smtp2.gmail.com", Port: 465}} {
		moved := a
		moved.Host, moved.Port = other.Host, other.Port
		if cfg := moved.SMTPConfig("token"); cfg.PinSHA256 != "" {
			t.Errorf("the pin accepted for %s is used for %s", a.PinFor, moved.ServerAddress())
		}
	}
	a.Mechanisms = []string{"PLAIN", "XOAUTH2"}
	if a.SMTPConfig("pw").OAuth {
		t.Error("a password account is treated as OAuth")
	}
}

// TestSecretIsNeverWrittenToDisk adds accounts with a password and searches
// every file of the data directory (the database and its WAL) for it.
func TestSecretIsNeverWrittenToDisk(t *testing.T) {
	s, dir := openTestStore(t)
	secret := "disk-canary-" + newID()
	a := testAccount("Work", "anna@example.org")
	add(t, s, a, secret)
	a.Signature = "changed"
	if err := s.Update(background, a); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSecret(background, a, secret+"-2"); err != nil {
		t.Fatal(err)
	}
	session := testAccount("Session", "bo@example.org")
	if err := s.AddWithSessionSecret(background, session, secret+"-3"); err != nil {
		t.Fatal(err)
	}
	files := grepTree(t, dir, secret)
	if len(files) > 0 {
		t.Fatalf("the password is in %q", files)
	}
}

// grepTree returns the files under root that contain needle.
func grepTree(t *testing.T, root, needle string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(needle)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestPinIsKeptOnlyForTheServerItWasAcceptedFor(t *testing.T) {
	s, _ := openTestStore(t)
	a := testAccount("Work", "anna@example.org")
	a.PinSHA256 = strings.Repeat("ab", 32) // given with a new account: for its server
	add(t, s, a, "")
	if a.PinFor != "smtp.example.org:587" {
		t.Fatalf("a pin given with a new account is bound to %q", a.PinFor)
	}
	pinned := func() Account {
		t.Helper()
		got, err := s.ByID(background, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	a.DisplayName, a.Host, a.Signature = "Anna L.", "SMTP.Example.org.", "Anna" // the same server, written differently
	if err := s.Update(background, a); err != nil {
		t.Fatal(err)
	}
	if got := pinned(); got.PinSHA256 != strings.Repeat("ab", 32) || got.PinFor != "smtp.example.org:587" || got.DisplayName != "Anna L." {
		t.Fatalf("an edit that keeps the server lost the pin: %+v", got)
	}

	for _, move := range []struct {
		what  string
		apply func(*Account)
	}{
		{"another port", func(a *Account) { a.Port = 465 }},
		{"another host", func(a *Account) { a.Host = "mail.example.org" }},
		{"another host, by a caller that does not set PinFor", func(a *Account) { a.Host, a.PinFor = "other.example.org", "" }},
	} {
		b := pinned()
		b.PinCertificate(strings.Repeat("cd", 32))
		if err := s.Update(background, &b); err != nil || pinned().PinSHA256 != strings.Repeat("cd", 32) {
			t.Fatalf("a pin accepted for the server was not saved: %v %+v", err, pinned())
		}
		move.apply(&b)
		if err := s.Update(background, &b); err != nil {
			t.Fatal(err)
		}
		if b.PinSHA256 != "" || b.PinFor != "" {
			t.Errorf("moving to %s left the caller's account pinned: %q for %q", move.what, b.PinSHA256, b.PinFor)
		}
		if got := pinned(); got.PinSHA256 != "" || got.PinFor != "" || got.ServerAddress() != b.ServerAddress() {
			t.Errorf("after moving to %s the saved account is %+v", move.what, got)
		}
	}
}

// TestPinsSavedBeforeTheirServerWasRecorded opens a database whose accounts
// table predates pin_for: each saved pin is bound to its account's server.
func TestPinsSavedBeforeTheirServerWasRecorded(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate("accounts", migrations[:3]); err != nil {
		t.Fatal(err)
	}
	pin := strings.Repeat("ef", 32)
	for i, row := range []struct{ name, host, pin string }{
		{"named", "smtp.example.org", pin},
		{"ipv6", "::1", pin},
		{"bracketed", "[::1]", pin},
		{"unpinned", "smtp.example.org", ""},
	} {
		_, err := db.Exec(`INSERT INTO accounts(id, name, email, host, port, security, pin_sha256, is_default, created_at)
			VALUES(?, ?, 'a@example.org', ?, 465, 'tls', ?, ?, '2026-01-01T00:00:00Z')`, row.name, row.name, row.host, row.pin, i == 0)
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(db, &Secrets{Keyring: &testpeer.Keyring{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"named": "smtp.example.org:465", "ipv6": "[::1]:465", "bracketed": "[::1]:465", "unpinned": ""}
	for name, pinFor := range want {
		a, err := s.ByID(background, name)
		if err != nil {
			t.Fatal(err)
		}
		if a.PinFor != pinFor || a.PinFor != "" && (a.PinFor != a.ServerAddress() || a.SMTPConfig("").PinSHA256 != pin) {
			t.Errorf("%s: pin for %q, server %s, config pin %q", name, a.PinFor, a.ServerAddress(), a.SMTPConfig("").PinSHA256)
		}
	}
}

// TestPinIsNotUsedForAnotherServer connects to a real TLS server with a
// self-signed certificate: pinned for that host and port it is accepted;
// the same certificate reached under another name or through a pin
// accepted for another port is refused, and shown for a decision.
func TestPinIsNotUsedForAnotherServer(t *testing.T) {
	server, err := demo.Start(filepath.Join(t.TempDir(), "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	s, _ := openTestStore(t)
	account := func(host string, port int) *Account {
		return &Account{Email: "anna@example.org", Host: host, Port: port, Security: smtpclient.SecurityStartTLS}
	}
	pinnedHere := account(server.Host, server.Port)
	pinnedHere.PinCertificate(server.PinSHA256)
	if _, err := s.Test(background, pinnedHere, ""); err != nil {
		t.Fatalf("the certificate pinned for %s was refused there: %v", pinnedHere.PinFor, err)
	}

	otherPort := *pinnedHere // as if the pin had been accepted on another port of the same host
	otherPort.PinFor = net.JoinHostPort(server.Host, "1")
	otherName := *pinnedHere // the same server under another name
	otherName.Host = "localhost"
	for _, a := range []*Account{&otherPort, &otherName} {
		_, err := s.Test(background, a, "")
		var se *smtpclient.Error
		if !errors.As(err, &se) || se.Stage != smtpclient.StageTLS || se.Certificate == nil || se.Certificate.SHA256 != server.PinSHA256 {
			t.Errorf("%s with a pin accepted for %s: %v", a.ServerAddress(), a.PinFor, err)
		}
		// smtpclient refuses it too, should a pin for another server reach it.
		cfg := a.SMTPConfig("")
		cfg.PinSHA256 = a.PinSHA256
		if _, err := smtpclient.Probe(background, cfg); !errors.As(err, &se) || se.Stage != smtpclient.StageTLS {
			t.Errorf("smtpclient used the pin accepted for %s at %s: %v", a.PinFor, a.ServerAddress(), err)
		}
	}
}

// TestTestRecordsTheSizeLimit checks that Store.Test keeps the SIZE limit
// the server announces: in the account it tested, and in the store while
// the saved account names the server tested, not for edited settings that
// are not saved yet.
func TestTestRecordsTheSizeLimit(t *testing.T) {
	var servers [2]*demo.Server
	for i := range servers {
		server, err := demo.Start(filepath.Join(t.TempDir(), "inbox"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { server.Close() })
		servers[i] = server
	}
	s, _ := openTestStore(t)
	a := &Account{Email: "anna@example.org", Host: servers[0].Host, Port: servers[0].Port, Security: smtpclient.SecurityStartTLS}
	a.PinCertificate(servers[0].PinSHA256)
	add(t, s, a, "")
	stored := func() int64 {
		t.Helper()
		got, err := s.ByID(background, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.MaxMessageSize
	}

	edited := *a // moved to the other server, not saved yet
	edited.Port = servers[1].Port
	edited.PinCertificate(servers[1].PinSHA256)
	if _, err := s.Test(background, &edited, ""); err != nil {
		t.Fatal(err)
	}
	if edited.MaxMessageSize != demo.MaxMessageBytes || stored() != 0 {
		t.Fatalf("after testing unsaved settings, their size limit is %d, the stored one %d", edited.MaxMessageSize, stored())
	}
	if _, err := s.Test(background, a, ""); err != nil {
		t.Fatal(err)
	}
	if a.MaxMessageSize != demo.MaxMessageBytes || stored() != demo.MaxMessageBytes {
		t.Fatalf("after a test, the account's size limit is %d, the stored one %d; want %d", a.MaxMessageSize, stored(), demo.MaxMessageBytes)
	}
}
