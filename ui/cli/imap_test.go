package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/internal/testpeer"
)

func listJSON(t *testing.T, dir string) []accounts.Account {
	t.Helper()
	code, out, errOut := runIn(t, dir, "", "accounts", "list", "--json")
	if code != ExitOK {
		t.Fatalf("list --json: exit %d: %s", code, errOut)
	}
	var list []accounts.Account
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return list
}

func TestAccountsAddTakesTheIMAPServerAndSentCopy(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "", "accounts", "add", "--email", "anna@example.org", "--host", "smtp.example.org",
		"--imap-host", "imap.example.org", "--imap-security", "starttls", "--imap-user", "anna.box", "--sent-copy", "always", "--no-test")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, dir, "", "accounts", "add", "--email", "bo@example.org", "--host", "smtp.example.org",
		"--imap-host", "imap.example.org", "--imap-port", "1143", "--imap-security", "tls", "--sent-copy", "never", "--no-test")
	if code != ExitOK {
		t.Fatalf("second add: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, dir, "", "accounts", "add", "--email", "cy@example.org", "--host", "smtp.example.org", "--no-test")
	if code != ExitOK {
		t.Fatalf("third add: exit %d\n%s%s", code, out, errOut)
	}
	list := listJSON(t, dir)
	if len(list) != 3 {
		t.Fatalf("list = %+v", list)
	}
	want := map[string]struct {
		imap accounts.IMAPServer
		copy accounts.SentCopyMode
	}{
		"anna@example.org": {accounts.IMAPServer{Host: "imap.example.org", Port: 143, Security: "starttls", Username: "anna.box"}, accounts.SentCopyAlways},
		"bo@example.org":   {accounts.IMAPServer{Host: "imap.example.org", Port: 1143, Security: "tls"}, accounts.SentCopyNever},
		"cy@example.org":   {accounts.IMAPServer{}, accounts.SentCopyAuto},
	}
	for _, a := range list {
		if w := want[a.Email]; a.IMAP != w.imap || a.SentCopy != w.copy {
			t.Errorf("%s: IMAP %+v, sent copy %q; want %+v, %q", a.Email, a.IMAP, a.SentCopy, w.imap, w.copy)
		}
	}
	// The JSON field names are the contract.
	_, out, _ = runIn(t, dir, "", "accounts", "list", "--json")
	for _, field := range []string{`"imap": {`, `"host": "imap.example.org"`, `"sent_copy": "always"`, `"own_secret": false`} {
		if !strings.Contains(out, field) {
			t.Errorf("list --json lacks %s:\n%s", field, out)
		}
	}
	_, out, _ = runIn(t, dir, "", "accounts", "list")
	for _, row := range []string{"IMAP SERVER", "SENT COPY", "imap.example.org:143 starttls  always", "imap.example.org:1143 tls", "none"} {
		if !strings.Contains(out, row) {
			t.Errorf("list lacks %q:\n%s", row, out)
		}
	}
}

func TestAccountsAddFillsTheIMAPServerFromAutoconfig(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "", "accounts", "add", "--email", "anna@gmx.de", "--no-test")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if want := "Found the IMAP server imap.gmx.net:993 (tls) for the copy in Sent, from the built-in provider table."; !strings.Contains(out, want) {
		t.Errorf("stdout lacks %q:\n%s", want, out)
	}
	// Given, it wins over the discovered one.
	code, out, errOut = runIn(t, dir, "", "accounts", "add", "--email", "bo@gmx.de", "--imap-host", "imap.example.org", "--no-test")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	got := map[string]accounts.IMAPServer{}
	for _, a := range listJSON(t, dir) {
		got[a.Email] = a.IMAP
	}
	if want := (accounts.IMAPServer{Host: "imap.gmx.net", Port: 993, Security: "tls"}); got["anna@gmx.de"] != want {
		t.Errorf("discovered IMAP = %+v, want %+v", got["anna@gmx.de"], want)
	}
	if want := (accounts.IMAPServer{Host: "imap.example.org", Port: 993, Security: "tls"}); got["bo@gmx.de"] != want {
		t.Errorf("given IMAP = %+v, want %+v", got["bo@gmx.de"], want)
	}
}

func TestAccountsAddRefusesBadIMAPSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--imap-port", "993"}, ExitUsage, "--imap-port and --imap-security need --imap-host"},
		{[]string{"--imap-security", "tls"}, ExitUsage, "--imap-port and --imap-security need --imap-host"},
		{[]string{"--imap-host", "imap.example.org", "--imap-port", "1143"}, ExitUsage, "say which --imap-security port 1143 uses"},
		{[]string{"--imap-host", "imap.example.org", "--imap-security", "none"}, ExitUsage, "--imap-security none needs an --imap-port"},
		{[]string{"--imap-host", "imap.example.org", "--imap-security", "ssl", "--imap-port", "993"}, ExitDataErr, `The IMAP security must be tls, starttls or none, not "ssl".`},
		{[]string{"--imap-host", "imap.example.org", "--imap-port", "70000", "--imap-security", "tls"}, ExitDataErr, "The IMAP server port must be a number from 1 to 65535"},
		{[]string{"--imap-host", "imap example", "--no-test"}, ExitDataErr, `"imap example" is not a server name.`},
		{[]string{"--sent-copy", "sometimes", "--no-test"}, ExitDataErr, `--sent-copy must be auto, always or never, not "sometimes".`},
		{[]string{"--sent-copy", "always", "--no-test"}, ExitDataErr, "--sent-copy always needs the IMAP server (--imap-host)"},
		{[]string{"--imap-user", "box", "--no-test"}, ExitDataErr, "need --imap-host"},
		{[]string{"--imap-host", "imap.example.org", "--imap-port", "143", "--imap-security", "none", "--password-stdin", "--no-test"},
			ExitDataErr, "will not send your password to the IMAP server over an unencrypted connection"},
		{[]string{"--password-stdin", "--imap-password-stdin", "--imap-host", "imap.example.org", "--no-test"}, ExitDataErr, "does not hold two lines"},
	} {
		args := append([]string{"accounts", "add", "--email", "a@example.org", "--host", "smtp.example.org"}, tc.args...)
		code, out, errOut := runIn(t, t.TempDir(), "only one line\n", args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("postie %s = %d, want %d and %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}

// The connection test checks the IMAP sign-in too: when sending works but
// the IMAP server does not, it says so apart, and nothing is saved.
func TestAccountsAddExplainsAnIMAPFailureApartFromSMTP(t *testing.T) {
	srv := startSubmissionServer(t, "anna@example.org", "smtp password", "localhost")
	refused := testpeer.FreePort(t)
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "smtp password", "accounts", "add", "--email", "anna@example.org",
		"--host", "localhost", "--port", strconv.Itoa(srv.Port), "--security", "tls", "--ca-file", srv.CAFile, "--password-stdin",
		"--imap-host", "127.0.0.1", "--imap-port", strconv.Itoa(refused), "--imap-security", "tls")
	if code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitConfig, out, errOut)
	}
	for _, want := range []string{"Testing the IMAP server 127.0.0.1:" + strconv.Itoa(refused),
		"Sending works; saving copies to Sent does not (IMAP server 127.0.0.1:" + strconv.Itoa(refused) + "): the incoming (IMAP) server refused the connection.",
		"Nothing was saved.", "--sent-copy never"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("output lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if strings.Contains(errOut, "The connection test failed") {
		t.Errorf("an IMAP failure was told as SMTP's:\n%s", errOut)
	}
	if list := listJSON(t, dir); len(list) != 0 {
		t.Errorf("saved %+v", list)
	}
}

func TestAutoconfigReportsTheIMAPServer(t *testing.T) {
	code, out, errOut := runIn(t, t.TempDir(), "", "autoconfig", "anna@gmx.de")
	if code != ExitOK || !strings.Contains(out, "IMAP:         imap.gmx.net:993 (tls) for user anna@gmx.de, from the built-in provider table (gmx.de)\n") ||
		strings.Contains(out, "Sent copy:") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = runIn(t, t.TempDir(), "", "autoconfig", "--json", "anna@gmail.com")
	var res struct {
		IMAP                  *autoconfig.IMAPSettings `json:"imap"`
		ProviderFilesSentCopy string                   `json:"provider_files_sent_copy"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != ExitOK || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if m := res.IMAP; m == nil || m.Host != "imap.gmail.com" || m.Port != 993 || m.Security != autoconfig.TLS ||
		m.Source != autoconfig.SourceProviderTable || !strings.HasPrefix(res.ProviderFilesSentCopy, "https://support.google.com/") {
		t.Errorf("--json = %s", out)
	}
	for _, field := range []string{`"imap": {`, `"host": "imap.gmail.com"`, `"port": 993`, `"security": "tls"`, `"source": "built-in provider table"`} {
		if !strings.Contains(out, field) {
			t.Errorf("--json lacks %s:\n%s", field, out)
		}
	}
}

// The flag names are a contract; `postie accounts --help` and `postie
// autoconfig --help` document them.
func TestHelpDocumentsTheIMAPFlags(t *testing.T) {
	_, out, _ := runIn(t, t.TempDir(), "", "accounts", "--help")
	for _, flag := range []string{"--imap-host HOST", "--imap-port PORT", "--imap-security tls|starttls|none",
		"[--imap-user USER]", "--imap-password-stdin", "[--sent-copy auto|always|never]", "sent_copy", "[--imap-pin-sha256 HEX]",
		"With --oauth, the IMAP server is the provider's unless --imap-host names"} {
		if !strings.Contains(out, flag) {
			t.Errorf("accounts --help lacks %q:\n%s", flag, out)
		}
	}
	_, out, _ = runIn(t, t.TempDir(), "", "autoconfig", "--help")
	for _, want := range []string{`"imap"`, "_imaps._tcp", "imap.DOMAIN", "provider_files_sent_copy"} {
		if !strings.Contains(out, want) {
			t.Errorf("autoconfig --help lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runIn(t, t.TempDir(), "", "help")
	if !strings.Contains(out, "IMAP") {
		t.Errorf("help does not mention IMAP:\n%s", out)
	}
}

// With Dovecot and the keyring: the IMAP server's own password is read
// from standard input after the account's, tested, kept in the keyring
// apart, used by `accounts test`, and deleted with the account.
func TestAccountsAddWithTheIMAPServersOwnPassword(t *testing.T) {
	testpeer.RequireSession(t) // the passwords go to the keyring
	ca := testpeer.NewCA(t, "Postie CLI IMAP CA")
	dovecot := testpeer.StartDovecot(t, ca, "anna", "own imap password 7f3")
	smtp := testpeer.Run(t, testpeer.Options{Security: testpeer.TLS, CA: ca,
		Backend: &testpeer.Backend{User: "anna@example.org", Password: "smtp password 7f3"}})
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "smtp password 7f3\nown imap password 7f3\n", "accounts", "add", "--email", "anna@example.org",
		"--host", smtp.Host, "--port", strconv.Itoa(smtp.Port), "--security", "tls", "--ca-file", smtp.CAFile, "--password-stdin",
		"--imap-host", dovecot.Host, "--imap-port", strconv.Itoa(dovecot.TLSPort), "--imap-security", "tls", "--imap-user", "anna", "--imap-password-stdin")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { runIn(t, dir, "", "accounts", "remove", "anna@example.org") })
	if !strings.Contains(out, "The IMAP server works") {
		t.Errorf("stdout:\n%s", out)
	}
	if list := listJSON(t, dir); len(list) != 1 || !list[0].IMAP.OwnSecret || !list[0].HasSecret {
		t.Fatalf("list = %+v", list)
	}
	if !keyringHolds(t, "own imap password 7f3") || !keyringHolds(t, "smtp password 7f3") {
		t.Fatal("the passwords are not both in the keyring")
	}
	if code, out, errOut := runIn(t, dir, "", "accounts", "test", "anna@example.org"); code != ExitOK || !strings.Contains(out, "The IMAP server works") {
		t.Errorf("accounts test: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runIn(t, dir, "", "accounts", "remove", "anna@example.org"); code != ExitOK {
		t.Fatalf("remove: %d %s", code, errOut)
	}
	if keyringHolds(t, "own imap password 7f3") {
		t.Error("the IMAP server's own password outlived its account")
	}
}

// An IMAP server whose certificate comes from an authority this computer
// does not trust: the connection test shows the certificate and the flag
// that accepts it, and saves nothing; with --imap-pin-sha256 the account
// is tested and saved with the pin for that IMAP server.
func TestAccountsAddAcceptsAnUntrustedIMAPCertificateWithItsPin(t *testing.T) {
	testpeer.RequireSession(t) // the password goes to the keyring
	trusted := testpeer.NewCA(t, "Postie CLI CA")
	dovecot := testpeer.StartDovecot(t, testpeer.NewCA(t, "Company CA nobody trusts"), "anna", "pin password 5c1")
	smtp := testpeer.Run(t, testpeer.Options{Security: testpeer.TLS, CA: trusted,
		Backend: &testpeer.Backend{User: "anna", Password: "pin password 5c1"}})
	dir := t.TempDir()
	args := []string{"accounts", "add", "--email", "anna@example.org", "--user", "anna",
		"--host", smtp.Host, "--port", strconv.Itoa(smtp.Port), "--security", "tls", "--ca-file", smtp.CAFile, "--password-stdin",
		"--imap-host", dovecot.Host, "--imap-port", strconv.Itoa(dovecot.TLSPort), "--imap-security", "tls", "--sent-copy", "always"}
	code, out, errOut := runIn(t, dir, "pin password 5c1\n", args...)
	if code == ExitOK {
		t.Fatalf("an untrusted IMAP certificate was accepted without a pin:\n%s%s", out, errOut)
	}
	for _, want := range []string{"The IMAP server's certificate:", "SHA-256:     " + dovecot.Cert,
		"If you trust this certificate, add --imap-pin-sha256 " + dovecot.Cert + " to accept it.", "Nothing was saved."} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if list := listJSON(t, dir); len(list) != 0 {
		t.Fatalf("saved %+v", list)
	}

	code, out, errOut = runIn(t, dir, "pin password 5c1\n", append(args, "--imap-pin-sha256", strings.ToUpper(dovecot.Cert))...)
	if code != ExitOK || !strings.Contains(out, "The IMAP server works") {
		t.Fatalf("with --imap-pin-sha256: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { runIn(t, dir, "", "accounts", "remove", "anna@example.org") })
	list := listJSON(t, dir)
	if want := dovecot.Host + ":" + strconv.Itoa(dovecot.TLSPort); len(list) != 1 || list[0].IMAP.PinSHA256 != dovecot.Cert ||
		list[0].IMAP.PinFor != want || list[0].PinSHA256 != "" {
		t.Fatalf("list = %+v; want the IMAP pin for %s only", list, want)
	}
	_, out, _ = runIn(t, dir, "", "accounts", "list", "--json")
	if !strings.Contains(out, `"pin_sha256": "`+dovecot.Cert+`"`) || !strings.Contains(out, `"pin_for": "`+dovecot.Host+":") {
		t.Errorf("list --json lacks the IMAP pin:\n%s", out)
	}
	if code, out, errOut := runIn(t, dir, "", "accounts", "test", "anna@example.org"); code != ExitOK || !strings.Contains(out, "The IMAP server works") {
		t.Errorf("accounts test: exit %d\n%s%s", code, out, errOut)
	}
}

func TestAccountsAddRefusesABadIMAPPin(t *testing.T) {
	code, _, errOut := runIn(t, t.TempDir(), "", "accounts", "add", "--email", "anna@example.org", "--host", "smtp.example.org",
		"--imap-host", "imap.example.org", "--imap-pin-sha256", strings.Repeat("ab", 31), "--no-test")
	if code != ExitDataErr || !strings.Contains(errOut, "--imap-pin-sha256 must be 64 hexadecimal digits") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
