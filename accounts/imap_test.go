package accounts

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/imapclient"

	"github.com/zalando/go-keyring"

	"github.com/postie-app/postie/mail/smtpclient"
)

func withIMAP(a *Account) *Account {
	a.IMAP = IMAPServer{Host: "imap.example.org", Port: 993, Security: smtpclient.SecurityTLS}
	return a
}

func TestValidateIMAPAndSentCopy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		field   string
		problem InvalidProblem
		change  func(*Account)
	}{
		{"port without host", "IMAP host", InvalidIMAPNoHost, func(a *Account) { a.IMAP = IMAPServer{Port: 993} }},
		{"user without host", "IMAP host", InvalidIMAPNoHost, func(a *Account) { a.IMAP = IMAPServer{Username: "anna"} }},
		{"bad host", "IMAP host", InvalidIMAPHost, func(a *Account) { a.IMAP.Host = "imap example org" }},
		{"port 0", "IMAP port", InvalidIMAPPort, func(a *Account) { a.IMAP.Port = 0 }},
		{"port 65536", "IMAP port", InvalidIMAPPort, func(a *Account) { a.IMAP.Port = 65536 }},
		{"security ssl", "IMAP security", InvalidIMAPSecurity, func(a *Account) { a.IMAP.Security = "ssl" }},
		{"security empty", "IMAP security", InvalidIMAPSecurity, func(a *Account) { a.IMAP.Security = "" }},
		{"user two lines", "IMAP username", InvalidIMAPUsername, func(a *Account) { a.IMAP.Username = "anna\nx" }},
		{"pin without host", "IMAP host", InvalidIMAPNoHost, func(a *Account) { a.IMAP = IMAPServer{PinSHA256: strings.Repeat("ab", 32)} }},
		{"pin of 63 digits", "IMAP pin", InvalidIMAPPin, func(a *Account) { a.IMAP.PinSHA256 = strings.Repeat("a", 63) }},
		{"pin of 65 digits", "IMAP pin", InvalidIMAPPin, func(a *Account) { a.IMAP.PinSHA256 = strings.Repeat("a", 65) }},
		{"pin not hex", "IMAP pin", InvalidIMAPPin, func(a *Account) { a.IMAP.PinSHA256 = strings.Repeat("g", 64) }},
		{"sent copy", "sent copy", InvalidSentCopy, func(a *Account) { a.SentCopy = "sometimes" }},
		{"always without IMAP", "sent copy", InvalidSentCopyNoIMAP, func(a *Account) { a.IMAP, a.SentCopy = IMAPServer{}, SentCopyAlways }},
	} {
		a := withIMAP(testAccount("Work", "anna@example.org"))
		tc.change(a)
		var ie *InvalidError
		if err := a.Validate(); !errors.As(err, &ie) || ie.Field != tc.field || ie.Problem != tc.problem {
			t.Errorf("%s: Validate = %v, want %s about the %s", tc.name, err, tc.problem, tc.field)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Account)
	}{
		{"no IMAP server, automatic", func(a *Account) { a.IMAP = IMAPServer{} }},
		{"no IMAP server, never", func(a *Account) { a.IMAP, a.SentCopy = IMAPServer{}, SentCopyNever }},
		{"port 1", func(a *Account) { a.IMAP.Port = 1 }},
		{"port 65535, STARTTLS", func(a *Account) { a.IMAP.Port, a.IMAP.Security = 65535, smtpclient.SecurityStartTLS }},
		{"always", func(a *Account) { a.SentCopy = SentCopyAlways }},
		{"upper case host with a dot", func(a *Account) { a.IMAP.Host = " IMAP.Example.org. " }},
		{"pin with colons, upper case", func(a *Account) { a.IMAP.PinSHA256 = strings.Repeat("AB:", 31) + "AB" }},
	} {
		a := withIMAP(testAccount("Work", "anna@example.org"))
		tc.change(a)
		if err := a.Validate(); err != nil {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
	a := withIMAP(testAccount("Work", "anna@example.org"))
	a.IMAP.Host, a.SentCopy = " IMAP.Example.org. ", ""
	a.Validate()
	if a.IMAP.Host != "imap.example.org" || a.SentCopy != SentCopyAuto {
		t.Errorf("normalized: host %q, sent copy %q", a.IMAP.Host, a.SentCopy)
	}
}

func TestIMAPPasswordGoesUnencryptedOnlyToThisComputer(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":        false,
		"127.0.0.1":        false,
		"[::1]":            false,
		"imap.example.org": true,
		"192.0.2.1":        true,
	} {
		a := Account{IMAP: IMAPServer{Host: host, Port: 143, Security: smtpclient.SecurityNone}}
		if got := a.imapSendsPasswordInClear(); got != want {
			t.Errorf("unencrypted IMAP to %s sends the password in clear = %v, want %v", host, got, want)
		}
	}
	if (Account{IMAP: IMAPServer{Host: "imap.example.org", Security: smtpclient.SecurityStartTLS}}).imapSendsPasswordInClear() {
		t.Error("STARTTLS counted as clear text")
	}
	if (Account{}).imapSendsPasswordInClear() {
		t.Error("no IMAP server counted as clear text")
	}

	s, _ := openTestStore(t)
	plain := withIMAP(testAccount("Plain", "anna@example.org"))
	plain.IMAP.Port, plain.IMAP.Security = 143, smtpclient.SecurityNone
	if err := s.Add(background, plain, "pw"); !errors.Is(err, ErrIMAPCleartextPassword) {
		t.Fatalf("Add with unencrypted remote IMAP = %v, want ErrIMAPCleartextPassword", err)
	}
	add(t, s, plain, "") // without a password it is allowed
	if err := s.SetSecret(background, plain, "pw"); !errors.Is(err, ErrIMAPCleartextPassword) {
		t.Errorf("SetSecret with unencrypted remote IMAP = %v", err)
	}
	if err := s.SetIMAPSecret(background, plain, "imap pw"); !errors.Is(err, ErrIMAPCleartextPassword) {
		t.Errorf("SetIMAPSecret with unencrypted remote IMAP = %v", err)
	}

	secured := withIMAP(testAccount("Secured", "anna@example.org"))
	add(t, s, secured, "pw")
	secured.IMAP.Port, secured.IMAP.Security = 143, smtpclient.SecurityNone
	if err := s.Update(background, secured); !errors.Is(err, ErrIMAPCleartextPassword) {
		t.Errorf("Update to unencrypted remote IMAP with a saved password = %v", err)
	}
	secured.IMAP.Host = "127.0.0.1" // a local bridge
	if err := s.Update(background, secured); err != nil {
		t.Errorf("Update to unencrypted loopback IMAP = %v", err)
	}
}

func TestIMAPServersOwnSecret(t *testing.T) {
	s, _ := openTestStore(t)
	kr := s.secrets.Keyring
	a := withIMAP(testAccount("Work", "anna@example.org"))
	a.IMAP.OwnSecret = true // claimed, but nothing is in the keyring yet
	add(t, s, a, "smtp pw")
	if a.IMAP.OwnSecret {
		t.Fatal("a new account claims an IMAP password it was not given")
	}
	if secret, err := s.IMAPSecret(background, *a); err != nil || secret != "smtp pw" {
		t.Errorf("IMAPSecret without its own = %q, %v; want the account's", secret, err)
	}

	if err := s.SetIMAPSecret(background, a, "imap pw"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(background, "Work")
	if !got.IMAP.OwnSecret {
		t.Error("OwnSecret not saved")
	}
	if secret, err := s.IMAPSecret(background, got); err != nil || secret != "imap pw" {
		t.Errorf("IMAPSecret = %q, %v", secret, err)
	}
	if secret, _ := s.Secret(background, got); secret != "smtp pw" {
		t.Errorf("the account's secret became %q", secret)
	}
	if v, _ := kr.Get(KeyringService, a.ID+"/imap"); v != "imap pw" {
		t.Errorf("keyring entry %s/imap = %q", a.ID, v)
	}

	// Editing the account keeps the flag, whatever the edited copy says.
	got.IMAP.OwnSecret = false
	got.IMAP.Port = 1993
	if err := s.Update(background, &got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(background, "Work"); !again.IMAP.OwnSecret || !got.IMAP.OwnSecret {
		t.Error("Update dropped the IMAP server's own password flag")
	}

	if err := s.DeleteIMAPSecret(background, &got); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(KeyringService, a.ID+"/imap"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("IMAP keyring entry after DeleteIMAPSecret: %v", err)
	}
	again, _ := s.Get(background, "Work")
	if again.IMAP.OwnSecret {
		t.Error("OwnSecret still set after DeleteIMAPSecret")
	}

	if err := s.SetIMAPSecret(background, &again, "imap pw 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(background, "Work"); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{a.ID, a.ID + "/imap"} {
		if _, err := kr.Get(KeyringService, user); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("keyring entry %s after Remove: %v", user, err)
		}
	}
}

// The connection test reports an IMAP failure apart from SMTP's: the SMTP
// result comes back, with an *IMAPTestError naming the IMAP server.
func TestTestReportsIMAPApartFromSMTP(t *testing.T) {
	server, err := demo.Start(filepath.Join(t.TempDir(), "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	s, _ := openTestStore(t)
	a := &Account{Email: "anna@example.org", Host: server.Host, Port: server.Port, Security: smtpclient.SecurityStartTLS}
	a.PinCertificate(server.PinSHA256)
	add(t, s, a, "")
	if _, err := s.Test(background, a, ""); err != nil {
		t.Fatalf("without an IMAP server: %v", err)
	}

	refused := testpeer.FreePort(t)
	a.IMAP = IMAPServer{Host: "127.0.0.1", Port: refused, Security: smtpclient.SecurityTLS}
	result, err := s.Test(background, a, "")
	var imapErr *IMAPTestError
	if !errors.As(err, &imapErr) || imapErr.Host != "127.0.0.1" || imapErr.Port != refused || imapErr.Err == nil {
		t.Fatalf("IMAP server refusing: Test = %v, want an *IMAPTestError", err)
	}
	if result == nil || a.MaxMessageSize != demo.MaxMessageBytes {
		t.Errorf("the SMTP result was lost: %+v, size limit %d", result, a.MaxMessageSize)
	}
}

// Against Dovecot: the test signs in to the IMAP server with the account's
// password, or with the IMAP server's own, and a refused sign-in is an
// *IMAPTestError with imapclient's facts, apart from SMTP's result.
func TestTestSignsInToDovecot(t *testing.T) {
	ca := testpeer.NewCA(t, "Postie accounts test CA")
	dovecot := testpeer.StartDovecot(t, ca, "anna", "imap password")
	smtp := testpeer.Run(t, testpeer.Options{Security: testpeer.TLS, CA: ca,
		Backend: &testpeer.Backend{User: "anna@example.org", Password: "smtp password"}})

	s, _ := openTestStore(t)
	a := &Account{Email: "anna@example.org", Host: smtp.Host, Port: smtp.Port, Security: smtpclient.SecurityTLS,
		Username: "anna@example.org", CAFile: smtp.CAFile,
		IMAP: IMAPServer{Host: dovecot.Host, Port: dovecot.TLSPort, Security: smtpclient.SecurityTLS, Username: "anna"}}
	add(t, s, a, "smtp password")
	// The account's password is not Dovecot's.
	if _, err := s.Test(background, a, ""); !errors.As(err, new(*IMAPTestError)) {
		t.Fatalf("with the account's password: %v, want an IMAPTestError", err)
	}
	if _, err := s.TestWithIMAPSecret(background, a, "", "imap password"); err != nil {
		t.Fatalf("with the IMAP password: %v", err)
	}
	a.IMAP.Port, a.IMAP.Security = dovecot.StartTLSPort, smtpclient.SecurityStartTLS
	if _, err := s.TestWithIMAPSecret(background, a, "", "imap password"); err != nil {
		t.Fatalf("with STARTTLS: %v", err)
	}

	result, err := s.TestWithIMAPSecret(background, a, "", "wrong password")
	var imapTest *IMAPTestError
	var imapErr *imapclient.Error
	if !errors.As(err, &imapTest) || !errors.As(err, &imapErr) || imapErr.Reason != imapclient.ReasonLoginRefused || result == nil {
		t.Fatalf("wrong IMAP password: %v (result %+v), want an IMAPTestError with login-refused", err, result)
	}

	// Saved as the IMAP server's own password, the test uses it.
	if err := s.Update(background, a); err != nil {
		t.Fatal(err)
	}
	if err := s.SetIMAPSecret(background, a, "imap password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Test(background, a, ""); err != nil {
		t.Fatalf("with the saved IMAP password: %v", err)
	}
	// "Never" files no copy, so the IMAP server is not asked.
	a.IMAP.Port, a.SentCopy = testpeer.FreePort(t), SentCopyNever
	if _, err := s.Test(background, a, ""); err != nil {
		t.Fatalf("with sent copy never: %v", err)
	}
}

// Where "Automatic" files no copy because the provider files its own, the
// IMAP server is not used, so the connection test leaves it alone; asked
// to always file one, it tests it.
func TestTestLeavesTheIMAPServerAloneWhereTheProviderFilesItsCopy(t *testing.T) {
	s, _ := openTestStore(t)
	a := &Account{Email: "anna@gmail.com", Host: "smtp.gmail.com", SentCopy: SentCopyAuto,
		IMAP: IMAPServer{Host: "127.0.0.1", Port: testpeer.FreePort(t), Security: smtpclient.SecurityTLS}}
	if err := s.testIMAP(background, a, "pw", "", false); err != nil {
		t.Errorf("automatic at Gmail: %v, want no IMAP test", err)
	}
	a.SentCopy = SentCopyAlways
	if err := s.testIMAP(background, a, "pw", "", false); !errors.As(err, new(*IMAPTestError)) {
		t.Errorf("always at Gmail: %v, want the IMAP server tested", err)
	}
}
