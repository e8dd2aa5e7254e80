package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ss "github.com/zalando/go-keyring/secret_service"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/internal/testpeer"
)

// runIn runs postie with args in dataDir, feeding stdin.
func runIn(t *testing.T, dataDir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, DataDir: dataDir}
	code = Run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// startSubmissionServer is a local implicit-TLS submission server that
// accepts user and password, with a certificate for names from the
// "Postie CLI Test CA".
func startSubmissionServer(t *testing.T, user, password string, names ...string) *testpeer.Server {
	t.Helper()
	return testpeer.Run(t, testpeer.Options{Security: testpeer.TLS, Backend: &testpeer.Backend{User: user, Password: password},
		CA: testpeer.NewCA(t, "Postie CLI Test CA"), Leaf: testpeer.Leaf{Names: names}})
}

// keyringHolds reports whether any Postie entry in the session's keyring
// (gnome-keyring under .ci/with-session) holds secret.
func keyringHolds(t *testing.T, secret string) bool {
	t.Helper()
	svc, err := ss.NewSecretService()
	if err != nil {
		t.Fatalf("no Secret Service (run the tests under .ci/with-session): %v", err)
	}
	session, err := svc.OpenSession()
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(session)
	collection := svc.GetLoginCollection()
	items, err := svc.SearchItems(collection, map[string]string{"service": accounts.KeyringService})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range items {
		// Other packages' tests add and remove entries meanwhile; an entry
		// gone before it is read is simply not ours.
		if s, err := svc.GetSecret(item, session.Path()); err == nil && string(s.Value) == secret {
			return true
		}
	}
	return false
}

// grepTree returns the files under root that contain needle.
func grepTree(t *testing.T, root, needle string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil // sockets and files that come and go
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
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

func TestAccountsAddTestsSavesAndHidesThePassword(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	password := "cli-canary-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	srv := startSubmissionServer(t, "anna@example.org", password, "127.0.0.1")
	dir := t.TempDir()
	var outputs []string
	step := func(stdin string, wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := runIn(t, dir, stdin, args...)
		outputs = append(outputs, out, errOut)
		if code != wantCode {
			t.Fatalf("postie %s = %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		return out
	}

	out := step(password+"\n", ExitOK, "accounts", "add", "--email", "anna@example.org", "--name", "Work",
		"--display-name", "Anna Lind", "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port), "--security", "tls",
		"--ca-file", srv.CAFile, "--password-stdin")
	if !strings.Contains(out, "signed in as anna@example.org with PLAIN") || !strings.Contains(out, `Saved the account "Work" as the default account.`) {
		t.Errorf("add said:\n%s", out)
	}
	if !keyringHolds(t, password) {
		t.Fatal("the password is not in the keyring")
	}

	out = step("", ExitOK, "accounts", "list")
	if !strings.Contains(out, "Work") || !strings.Contains(out, "127.0.0.1:"+strconv.Itoa(srv.Port)+" tls") ||
		!strings.Contains(out, "in password store") {
		t.Errorf("list said:\n%s", out)
	}
	var list []accounts.Account
	if err := json.Unmarshal([]byte(step("", ExitOK, "accounts", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "Work" || list[0].DisplayName != "Anna Lind" || !list[0].Default ||
		!list[0].HasSecret || list[0].CAFile != srv.CAFile {
		t.Errorf("list --json = %+v", list)
	}
	if out := step("", ExitOK, "accounts", "test", "work"); !strings.Contains(out, "The connection works") {
		t.Errorf("test said:\n%s", out)
	}

	for _, root := range []string{dir, os.Getenv("HOME")} {
		if files := grepTree(t, root, password); len(files) > 0 {
			t.Errorf("the password is in %q", files)
		}
	}
	step("", ExitOK, "accounts", "remove", "Work")
	if keyringHolds(t, password) {
		t.Error("the password is still in the keyring after remove")
	}
	for _, o := range outputs {
		if strings.Contains(o, password) {
			t.Errorf("the password appears in the output:\n%s", o)
		}
	}
}

func TestAccountsAddWithWrongPasswordSavesNothing(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	srv := startSubmissionServer(t, "anna@example.org", "right password", "127.0.0.1")
	dir := t.TempDir()
	wrong := "wrong-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	code, out, errOut := runIn(t, dir, wrong, "accounts", "add", "--email", "anna@example.org",
		"--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port), "--security", "tls", "--ca-file", srv.CAFile, "--password-stdin")
	if code != ExitNoPerm {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitNoPerm, out, errOut)
	}
	if !strings.Contains(errOut, "The connection test failed: The server rejected your user name or password.") ||
		!strings.Contains(errOut, "Nothing was saved.") ||
		strings.Contains(out+errOut, wrong) {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, list, _ := runIn(t, dir, "", "accounts", "list"); !strings.Contains(list, "no accounts yet") {
		t.Errorf("list after a failed add:\n%s", list)
	}
	if keyringHolds(t, wrong) {
		t.Error("a failed add left the password in the keyring")
	}
}

func TestAccountsAddShowsUntrustedCertificateAndAcceptsItsPin(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	srv := startSubmissionServer(t, "anna@example.org", "pin password", "127.0.0.1")
	dir := t.TempDir()
	args := []string{"accounts", "add", "--email", "anna@example.org", "--host", "127.0.0.1",
		"--port", strconv.Itoa(srv.Port), "--security", "tls", "--password-stdin"}
	code, out, errOut := runIn(t, dir, "pin password", args...)
	if code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitConfig, out, errOut)
	}
	for _, want := range []string{"Subject:", "CN=127.0.0.1", "Issued by:", "Postie CLI Test CA", "Valid:",
		"SHA-256:     " + testpeer.Fingerprint(srv.Cert), "--pin-sha256 " + testpeer.Fingerprint(srv.Cert), "Nothing was saved."} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, out, errOut = runIn(t, dir, "pin password", append(args, "--pin-sha256", testpeer.Fingerprint(srv.Cert))...)
	if code != ExitOK {
		t.Fatalf("with the pin: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { runIn(t, dir, "", "accounts", "remove", "anna@example.org") })
	if _, out, _ := runIn(t, dir, "", "accounts", "list", "--json"); !strings.Contains(out, `"pin_sha256": "`+testpeer.Fingerprint(srv.Cert)+`"`) ||
		!strings.Contains(out, `"pin_for": "127.0.0.1:`+strconv.Itoa(srv.Port)+`"`) {
		t.Errorf("the pin was not saved:\n%s", out)
	}
}

// labDiscoverer points discovery at loopback only: an ISPDB on a local
// HTTP server, and DNS and HTTPS that fail at once.
func labDiscoverer(t *testing.T, ispdb http.HandlerFunc) {
	t.Helper()
	srv := httptest.NewServer(ispdb)
	t.Cleanup(srv.Close)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadDNS := udp.LocalAddr().String()
	udp.Close()
	old := newDiscoverer
	newDiscoverer = func() *autoconfig.Discoverer {
		return &autoconfig.Discoverer{
			ISPDBURL:  srv.URL + "/v1.1/",
			DNSServer: deadDNS,
			HTTPClient: &http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
						return nil, errors.New("no network in tests")
					}
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				},
			}},
			Budget: 5 * time.Second,
		}
	}
	t.Cleanup(func() { newDiscoverer = old })
}

func TestAccountsAddAsksToConfirmSettingsOutsideTheDomain(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	srv := startSubmissionServer(t, "anna@lab.test", "lab password", "localhost")
	labDiscoverer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.1/lab.test" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `<clientConfig version="1.1"><emailProvider id="hoster"><domain>lab.test</domain>
			<outgoingServer type="smtp"><hostname>localhost</hostname><port>`+strconv.Itoa(srv.Port)+`</port>
			<socketType>SSL</socketType><username>%EMAILADDRESS%</username></outgoingServer></emailProvider></clientConfig>`)
	})
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "lab password", "accounts", "add", "--email", "anna@lab.test",
		"--ca-file", srv.CAFile, "--password-stdin")
	if code != ExitConfig {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitConfig, out, errOut)
	}
	if !strings.Contains(out, "from the Thunderbird ISPDB") {
		t.Errorf("stdout does not name the source:\n%s", out)
	}
	suggestion := "--host localhost --port " + strconv.Itoa(srv.Port) + " --security tls"
	if !strings.Contains(errOut, "does not belong to lab.test") || !strings.Contains(errOut, suggestion) {
		t.Errorf("stderr:\n%s", errOut)
	}
	// The user confirms by giving the settings.
	args := append([]string{"accounts", "add", "--email", "anna@lab.test", "--ca-file", srv.CAFile, "--password-stdin"},
		strings.Fields(suggestion)...)
	if code, out, errOut := runIn(t, dir, "lab password", args...); code != ExitOK {
		t.Fatalf("confirmed add: exit %d\n%s%s", code, out, errOut)
	}
	runIn(t, dir, "", "accounts", "remove", "anna@lab.test")
}

func TestAccountsAddFromProviderTable(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runIn(t, dir, "", "accounts", "add", "--email", "anna@gmail.com", "--no-test")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Found smtp.gmail.com:465 (tls) for user anna@gmail.com, from the built-in provider table (Gmail).",
		"Note: Gmail does not accept your normal password", "without signing in"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runIn(t, dir, "", "accounts", "add", "--email", "bo@posteo.de", "--name", "Posteo", "--no-test")
	if code != ExitOK {
		t.Fatalf("second add: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ = runIn(t, dir, "", "accounts", "default", "posteo"); code != ExitOK {
		t.Fatalf("default: exit %d: %s", code, out)
	}
	_, out, _ = runIn(t, dir, "", "accounts", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "*") || !strings.Contains(lines[1], "Posteo") ||
		!strings.Contains(lines[2], "smtp.gmail.com:465 tls") || !strings.HasSuffix(lines[2], "  none") {
		t.Errorf("list:\n%s", out)
	}
	if code, _, errOut := runIn(t, dir, "", "accounts", "remove", "nobody"); code != ExitDataErr || !strings.Contains(errOut, `no account named "nobody"`) {
		t.Errorf("remove nobody: %d %s", code, errOut)
	}
}

func TestAccountsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout for 0, in stderr otherwise
	}{
		{[]string{"accounts"}, ExitUsage, "Usage:"},
		{[]string{"accounts", "--help"}, ExitOK, "postie accounts add --email"},
		{[]string{"accounts", "add", "--help"}, ExitOK, "--pin-sha256"},
		{[]string{"accounts", "frob"}, ExitUsage, `unknown command "frob"`},
		{[]string{"accounts", "add"}, ExitUsage, "--email is required"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--port", "25"}, ExitUsage, "need --host"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--host", "h.example.org", "--port", "2525"}, ExitUsage, "--security"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--host", "h.example.org", "--security", "none"}, ExitUsage, "needs a --port"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--ca-file", "x", "--pin-sha256", "y"}, ExitUsage, "not both"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--bogus"}, ExitUsage, "flag provided but not defined: -bogus"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--port", "many"}, ExitUsage, "invalid value"},
		{[]string{"accounts", "add", "--email", "a@example.org", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"accounts", "add", "--email", "a@example.org", "--host", "h.example.org", "--password-stdin"}, ExitDataErr, "holds no password"},
		{[]string{"accounts", "add", "--email", "not-an-address", "--host", "h.example.org", "--no-test"}, ExitDataErr, "is not an email address"},
		{[]string{"accounts", "add", "--email", "a@example.org", "--host", "h.example.org", "--security", "ssl", "--port", "1"}, ExitDataErr, "tls, starttls or none"},
		{[]string{"accounts", "list", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"accounts", "test"}, ExitUsage, "exactly one account name"},
		{[]string{"accounts", "remove", "a", "b"}, ExitUsage, "exactly one account name"},
		{[]string{"accounts", "default", "--help"}, ExitOK, "postie accounts default NAME"},
	} {
		code, out, errOut := runIn(t, t.TempDir(), "", tc.args...)
		where := errOut
		if tc.code == ExitOK {
			where = out
		}
		if code != tc.code || !strings.Contains(where, tc.want) {
			t.Errorf("postie %s = %d, want %d and %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}
