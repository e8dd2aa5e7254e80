package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/ui/cli"
)

// `postie accounts add --oauth` takes the IMAP server, its user name and
// accepted certificate, and the choice "Save a copy in Sent", as the
// password path does: the IMAP server given is tested with the sign-in
// (so one that refuses the connection saves nothing), and saved.
func TestOAuthAddTakesTheIMAPServerAndSentCopy(t *testing.T) {
	l := newOAuthLab(t, testpeer.OAuthOptions{})
	refused := strconv.Itoa(testpeer.FreePort(t))
	pin := strings.Repeat("5e", 32)

	out := l.expect(cli.ExitConfig, l.browser(nil), "", "accounts", "add", "--email", oauthEmail, "--oauth", "testmail", "--no-browser",
		"--imap-host", "127.0.0.1", "--imap-port", refused, "--imap-security", "tls", "--sent-copy", "always")
	for _, want := range []string{"saving copies to Sent does not (IMAP server 127.0.0.1:" + refused + ")",
		"Nothing was saved.", "--sent-copy never"} {
		if !strings.Contains(out, want) {
			t.Errorf("an unreachable IMAP server given with --oauth: output lacks %q:\n%s", want, out)
		}
	}

	l.add("--imap-host", "imap.oauth.test", "--imap-port", "1143", "--imap-security", "starttls",
		"--imap-user", "anna.box", "--imap-pin-sha256", pin, "--sent-copy", "never")
	var list []accounts.Account
	if err := json.Unmarshal([]byte(l.expect(cli.ExitOK, nil, "", "accounts", "list", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("accounts list --json: %v %+v", err, list)
	}
	want := accounts.IMAPServer{Host: "imap.oauth.test", Port: 1143, Security: "starttls", Username: "anna.box",
		PinSHA256: pin, PinFor: "imap.oauth.test:1143"}
	if got := list[0]; got.IMAP != want || got.SentCopy != accounts.SentCopyNever || got.OAuthProvider != "testmail" {
		t.Errorf("saved IMAP %+v, sent copy %q, provider %q; want %+v, never, testmail", got.IMAP, got.SentCopy, got.OAuthProvider, want)
	}
}
