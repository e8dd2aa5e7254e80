package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sign-in with a provider through the binary is proven in the root
// package (oauth_cli_test.go); these are the command line's own checks.

func TestAccountsHelpDocumentsTheSignInWithAProvider(t *testing.T) {
	code, out, _ := run(t, "accounts", "--help")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--oauth PROVIDER", "--no-browser", "--sign-in-timeout", "--oauth-client-id",
		"--oauth-tenant", "postie accounts signin NAME", `"Open this address to sign in: URL"`, "sign_in", "oauth_provider",
		"POSTIE_OAUTH_PROVIDERS"} {
		if !strings.Contains(out, want) {
			t.Errorf("accounts --help does not mention %s", want)
		}
	}
	if SignInPrompt != "Open this address to sign in: " {
		t.Errorf("the sign-in prompt, a contract, changed: %q", SignInPrompt)
	}
}

func TestAccountsAddWithSignInRefusesPasswordOptions(t *testing.T) {
	for _, args := range [][]string{
		{"--oauth", "google", "--host", "smtp.example.org"},
		{"--oauth", "google", "--password-stdin"},
		{"--oauth", "google", "--user", "anna"},
		{"--oauth", "google", "--pin-sha256", strings.Repeat("ab", 32)},
		{"--oauth", "google", "--imap-password-stdin"},
		{"--oauth", "google", "--imap-port", "993"},
		{"--no-browser"},
		{"--oauth-tenant", "contoso.onmicrosoft.com"},
		{"--oauth", "no-such-provider"},
	} {
		code, _, errOut := run(t, append([]string{"accounts", "add", "--email", "anna@gmail.com"}, args...)...)
		if code != ExitUsage {
			t.Errorf("accounts add %q: exit %d, want %d\n%s", args, code, ExitUsage, errOut)
		}
	}
	code, _, errOut := run(t, "accounts", "add", "--email", "anna@gmail.com", "--oauth", "no-such-provider")
	if code != ExitUsage || !strings.Contains(errOut, `unknown provider "no-such-provider"`) {
		t.Errorf("unknown provider: exit %d\n%s", code, errOut)
	}
}

func TestAccountsSignInNeedsAnAccountThatSignsInWithAProvider(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runIn(t, dir, "", "accounts", "add", "--email", "sam@example.org", "--host", "127.0.0.1",
		"--port", "2525", "--security", "none", "--no-test"); code != ExitOK {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := runIn(t, dir, "", "accounts", "signin", "sam@example.org", "--no-browser")
	if code != ExitDataErr || !strings.Contains(errOut, "signs in with a password") {
		t.Errorf("signin of a password account: exit %d\n%s", code, errOut)
	}
	if code, _, _ := runIn(t, dir, "", "accounts", "signin", "nobody"); code != ExitDataErr {
		t.Errorf("signin of no account: exit %d", code)
	}
	if code, _, _ := runIn(t, dir, "", "accounts", "signin"); code != ExitUsage {
		t.Errorf("signin without a name: exit %d", code)
	}
	_, out, _ := runIn(t, dir, "", "accounts", "list", "--json")
	if !strings.Contains(out, `"sign_in": "none"`) {
		t.Errorf("accounts list --json lacks sign_in:\n%s", out)
	}
}

// A wrong POSTIE_OAUTH_PROVIDERS file is a configuration error for the
// sign-in with a provider (78), and keeps nobody from using passwords.
func TestBadProvidersFileStopsOnlyTheSignIn(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "providers.json")
	if err := os.WriteFile(bad, []byte(`{"providers": [{"id": "corp"`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POSTIE_OAUTH_PROVIDERS", bad)
	dir := t.TempDir()
	code, _, errOut := runIn(t, dir, "", "accounts", "add", "--email", "anna@gmail.com", "--oauth", "google", "--no-browser")
	if code != ExitConfig || !strings.Contains(errOut, "Nothing was saved.") {
		t.Errorf("sign-in with a bad providers file: exit %d, want %d\n%s", code, ExitConfig, errOut)
	}
	if code, out, errOut := runIn(t, dir, "", "accounts", "add", "--email", "sam@example.org", "--host", "127.0.0.1",
		"--port", "2525", "--security", "none", "--no-test"); code != ExitOK {
		t.Fatalf("a password account with a bad providers file: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runIn(t, dir, "", "accounts", "list"); code != ExitOK || !strings.Contains(out, "sam@example.org") {
		t.Errorf("accounts list with a bad providers file: exit %d\n%s", code, out)
	}
}
