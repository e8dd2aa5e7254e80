package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/ui/cli"
)

// The sign-in with a provider (OAuth), end to end through the
// real binary: a local authorization server (testpeer.StartOAuth) that
// rotates refresh tokens and refuses spent ones, a submission server that
// accepts only the access token that is valid now, a POSTIE_OAUTH_PROVIDERS
// file that points Postie at both, the session's real gnome-keyring, and a
// test browser that follows the address Postie prints.

const oauthEmail = "anna@oauth.test"

// oauthLab is one user's data folder with the fake provider and its mail
// server. Every token the provider issued passes through a recording
// proxy, so that the test can look for them where they must not be.
type oauthLab struct {
	t         *testing.T
	dir       string
	oauth     *testpeer.OAuthServer
	smtp      *testpeer.Server
	providers string // the POSTIE_OAUTH_PROVIDERS file

	mu      sync.Mutex
	tokens  []string // every access and refresh token issued
	output  bytes.Buffer
	running *os.Process // the postie that run waits for
}

func newOAuthLab(t *testing.T, opts testpeer.OAuthOptions) *oauthLab {
	t.Helper()
	testpeer.RequireSession(t) // the refresh token goes to the real keyring
	l := &oauthLab{t: t, dir: t.TempDir(), oauth: testpeer.StartOAuth(t, opts)}
	l.smtp = testpeer.Run(t, testpeer.Options{Backend: &testpeer.Backend{
		Mechanisms: []string{"OAUTHBEARER", "XOAUTH2"}, User: oauthEmail, RequireAuth: true,
		ValidToken: func(_, token string) bool { return l.oauth.Valid(token) },
	}})
	l.providers = l.writeProviders(opts)
	t.Cleanup(func() {
		// Out of the keyring, whatever the test left.
		l.run(nil, "", "accounts", "remove", oauthEmail)
	})
	return l
}

// writeProviders writes the providers file, with the token endpoint
// behind the recording proxy.
func (l *oauthLab) writeProviders(opts testpeer.OAuthOptions) string {
	target, err := url.Parse(l.oauth.URL)
	if err != nil {
		l.t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var answer struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if json.Unmarshal(body, &answer) == nil {
			l.mu.Lock()
			for _, tok := range []string{answer.Access, answer.Refresh} {
				if tok != "" {
					l.tokens = append(l.tokens, tok)
				}
			}
			l.mu.Unlock()
		}
		return nil
	}
	recorder := httptest.NewServer(proxy)
	l.t.Cleanup(recorder.Close)
	clientID := opts.ClientID
	if clientID == "" {
		clientID = "postie-test"
	}
	file := map[string]any{"providers": []map[string]any{{
		"id": "testmail", "name": "Test Mail",
		"authorization_url": l.oauth.AuthorizationURL(),
		"token_url":         recorder.URL + "/token",
		"revocation_url":    l.oauth.RevocationURL(),
		"client_id":         clientID, "client_secret": opts.ClientSecret,
		"scopes":  []string{"mail.send"},
		"domains": []string{"oauth.test"},
		"smtp":    map[string]any{"host": l.smtp.Host, "port": l.smtp.Port, "security": "none"},
	}}}
	data, err := json.Marshal(file)
	if err != nil {
		l.t.Fatal(err)
	}
	path := filepath.Join(l.t.TempDir(), "providers.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		l.t.Fatal(err)
	}
	return path
}

func (l *oauthLab) issued() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tokens...)
}

// command is postie on the lab's data folder and providers.
func (l *oauthLab) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := postieIn(ctx, l.dir, args...)
	cmd.Env = append(cmd.Env, "POSTIE_OAUTH_PROVIDERS="+l.providers)
	return cmd
}

// run runs postie to its end and returns its exit code and output; with
// browse set, it is called with the sign-in address Postie prints.
func (l *oauthLab) run(browse func(url string), stdin string, args ...string) (code int, stdout, stderr string) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := l.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.mu.Lock()
	l.running = cmd.Process
	l.mu.Unlock()
	var browsing sync.WaitGroup
	scanner := bufio.NewScanner(errPipe)
	scanner.Buffer(make([]byte, 64*1024), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		errOut.WriteString(line + "\n")
		if address, ok := strings.CutPrefix(line, cli.SignInPrompt); ok && browse != nil {
			browsing.Add(1)
			go func() {
				defer browsing.Done()
				browse(address)
			}()
		}
	}
	err = cmd.Wait()
	browsing.Wait()
	code = 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		l.t.Fatalf("postie %s: %v", strings.Join(args, " "), err)
	}
	l.mu.Lock()
	l.output.WriteString(out.String() + errOut.String())
	l.mu.Unlock()
	return code, out.String(), errOut.String()
}

// interruptRunning presses Ctrl+C in the postie that run waits for.
func (l *oauthLab) interruptRunning() {
	l.mu.Lock()
	p := l.running
	l.mu.Unlock()
	if err := p.Signal(os.Interrupt); err != nil {
		l.t.Errorf("Ctrl+C: %v", err)
	}
}

// expect runs postie and fails unless it exits with code.
func (l *oauthLab) expect(code int, browse func(string), stdin string, args ...string) string {
	l.t.Helper()
	got, stdout, stderr := l.run(browse, stdin, args...)
	if got != code {
		l.t.Fatalf("postie %s exited %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, stdout, stderr)
	}
	return stdout + stderr
}

// browser is the user in the browser: it follows the address to Postie's
// loopback redirect, and records the page Postie answered with.
func (l *oauthLab) browser(page *string) func(string) {
	return func(address string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		text, err := testpeer.Browse(ctx, address)
		if err != nil {
			l.t.Errorf("the test browser: %v", err)
		}
		if page != nil {
			*page = text
		}
	}
}

func (l *oauthLab) add(extra ...string) string {
	l.t.Helper()
	args := append([]string{"accounts", "add", "--email", oauthEmail, "--oauth", "testmail", "--no-browser"}, extra...)
	var page string
	out := l.expect(cli.ExitOK, l.browser(&page), "", args...)
	if !strings.Contains(page, "close this tab") {
		l.t.Errorf("the browser was answered with %q, want the page that says it can be closed", page)
	}
	return out
}

func (l *oauthLab) send(code int, subject string, extra ...string) string {
	l.t.Helper()
	args := append([]string{"send", "--to", "bo@example.org", "--subject", subject, "--body-file", "-"}, extra...)
	return l.expect(code, nil, "Hello from the OAuth test.\n", args...)
}

func (l *oauthLab) received(subject string) bool {
	for _, m := range l.smtp.Received() {
		if bytes.Contains(m.Data, []byte("Subject: "+subject)) {
			return true
		}
	}
	return false
}

// accountID is the id of the lab's account, as `accounts list --json` has it.
func (l *oauthLab) account() (id, signIn, provider string) {
	l.t.Helper()
	var list []struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		SignIn   string `json:"sign_in"`
		Provider string `json:"oauth_provider"`
	}
	out := l.expect(cli.ExitOK, nil, "", "accounts", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		l.t.Fatalf("accounts list --json: %v\n%s", err, out)
	}
	for _, a := range list {
		if a.Email == oauthEmail {
			return a.ID, a.SignIn, a.Provider
		}
	}
	return "", "", ""
}

// savedRefreshToken reads the account's refresh token from the session's
// keyring, as Postie does.
func (l *oauthLab) savedRefreshToken(id string) string {
	l.t.Helper()
	token, err := (&accounts.Secrets{}).Get(context.Background(), id)
	if err != nil {
		l.t.Fatalf("the keyring: %v", err)
	}
	return token
}

// checkNoTokenLeaked looks for every token the provider issued in every
// file under the data folder and HOME and in everything postie printed.
// (HOME holds gnome-keyring's file, which is encrypted.)
func (l *oauthLab) checkNoTokenLeaked() {
	l.t.Helper()
	tokens := l.issued()
	if len(tokens) == 0 {
		l.t.Fatal("the provider issued no token")
	}
	l.mu.Lock()
	output := l.output.String()
	l.mu.Unlock()
	for _, tok := range tokens {
		if strings.Contains(output, tok) {
			l.t.Errorf("postie printed a token")
		}
	}
	roots := []string{l.dir}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, home)
	}
	files := 0
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			files++
			for _, tok := range tokens {
				if bytes.Contains(data, []byte(tok)) {
					l.t.Errorf("%s holds a token", path)
				}
			}
			return nil
		})
	}
	if files == 0 {
		l.t.Fatal("no file was searched")
	}
}

// TestOAuthAddSendRotateRevokeSignInAgain is a user's life with an account
// that signs in with its provider, through the binary: sign in and add,
// send (a new process: refreshed, the rotated refresh token saved), send
// again in another process (which only works with the rotated token, as
// the provider refuses the spent one), test, revocation at the provider
// (the message waits for a sign-in, exit 77), sign in again (it goes out),
// and remove (revoked at the provider). No token is ever in a file or in
// the output.
func TestOAuthAddSendRotateRevokeSignInAgain(t *testing.T) {
	l := newOAuthLab(t, testpeer.OAuthOptions{})
	out := l.add()
	if !strings.Contains(out, "Saved the account") {
		t.Fatalf("add: %s", out)
	}
	id, signIn, provider := l.account()
	if id == "" || signIn != "oauth" || provider != "testmail" {
		t.Fatalf("accounts list --json: id %q, sign_in %q, oauth_provider %q", id, signIn, provider)
	}
	list := l.expect(cli.ExitOK, nil, "", "accounts", "list")
	if !strings.Contains(list, "with testmail in the browser") {
		t.Errorf("accounts list does not say how the account signs in:\n%s", list)
	}
	firstRefresh := l.savedRefreshToken(id)
	if !l.oauth.ValidRefresh(firstRefresh) {
		t.Fatal("the keyring does not hold the refresh token the sign-in gave")
	}

	// A new process has no access token: it refreshes, and saves the
	// rotated refresh token before it uses the new access token.
	l.send(cli.ExitOK, "First")
	if !l.received("First") {
		t.Fatal("the first message did not arrive")
	}
	second := l.savedRefreshToken(id)
	if second == firstRefresh || !l.oauth.ValidRefresh(second) || l.oauth.ValidRefresh(firstRefresh) {
		t.Fatal("after a refresh with rotation, the keyring does not hold the new refresh token")
	}
	// Across a restart: the provider refuses the spent token, so this
	// works only with the saved rotation.
	l.send(cli.ExitOK, "Second")
	if !l.received("Second") {
		t.Fatal("the second message did not arrive")
	}
	if c := l.oauth.Counts(); c.Refreshes != 2 || c.Refused != 0 {
		t.Fatalf("provider counts %+v, want 2 refreshes and none refused", c)
	}
	if out := l.expect(cli.ExitOK, nil, "", "accounts", "test", oauthEmail); !strings.Contains(out, "The connection works") {
		t.Fatalf("accounts test: %s", out)
	}

	// The user withdraws Postie's access at the provider.
	l.oauth.RevokeAll()
	l.send(cli.ExitOK, "Waiting", "--queue")
	if out := l.expect(cli.ExitNoPerm, nil, "", "outbox", "flush"); !strings.Contains(out, "postie accounts signin NAME") {
		t.Fatalf("the flush does not say how to sign in again: %s", out)
	}
	if l.received("Waiting") {
		t.Fatal("a message was sent without a valid sign-in")
	}
	if state := l.outboxState("Waiting"); state != "waiting-for-sign-in" {
		t.Fatalf("the message is %q, want waiting-for-sign-in", state)
	}
	// Sent now, it waits too, and the command to sign in names the account.
	if out := l.send(cli.ExitNoPerm, "Also waiting"); !strings.Contains(out, "postie accounts signin "+oauthEmail) {
		t.Fatalf("send now does not say how to sign in again: %s", out)
	}
	out = l.expect(cli.ExitOK, l.browser(nil), "", "accounts", "signin", oauthEmail, "--no-browser")
	if !strings.Contains(out, "queued again") {
		t.Errorf("signin does not say that the waiting message is queued again:\n%s", out)
	}
	l.expect(cli.ExitOK, nil, "", "outbox", "flush")
	if !l.received("Waiting") || !l.received("Also waiting") {
		t.Fatal("the messages that waited for the sign-in did not go out after it")
	}

	// The transcripts of the attempts, with their AUTH lines, are in the
	// output that checkNoTokenLeaked searches.
	for _, msg := range []string{"1", "3"} {
		if out := l.expect(cli.ExitOK, nil, "", "log", "show", msg); !strings.Contains(out, "AUTH") {
			t.Errorf("log show %s has no transcript with AUTH:\n%s", msg, out)
		}
	}
	l.checkNoTokenLeaked()
	last := l.savedRefreshToken(id)
	l.expect(cli.ExitOK, nil, "", "accounts", "remove", oauthEmail)
	if l.oauth.ValidRefresh(last) || l.oauth.Counts().Revocations == 0 {
		t.Fatal("removing the account did not revoke its refresh token at the provider")
	}
	if _, err := (&accounts.Secrets{}).Get(context.Background(), id); err != accounts.ErrNoSecret {
		t.Fatalf("after remove, the keyring still answers %v", err)
	}
}

// outboxState is the state of the pending message with the subject.
func (l *oauthLab) outboxState(subject string) string {
	l.t.Helper()
	var pending []struct {
		Subject string `json:"subject"`
		Status  string `json:"status"`
	}
	out := l.expect(cli.ExitOK, nil, "", "outbox", "list", "--json")
	if err := json.Unmarshal([]byte(out), &pending); err != nil {
		l.t.Fatalf("outbox list --json: %v\n%s", err, out)
	}
	for _, p := range pending {
		if p.Subject == subject {
			return p.Status
		}
	}
	return ""
}

// Microsoft's refresh tokens can be longer than one Windows Credential
// Manager entry holds (2,560 bytes): a 6,000-byte one goes through the
// real keyring and comes back whole, as the provider accepts it in the
// next process.
func TestOAuthSixThousandByteTokenRoundTripsThroughTheKeyring(t *testing.T) {
	l := newOAuthLab(t, testpeer.OAuthOptions{RefreshSize: 6000})
	l.add()
	id, _, _ := l.account()
	saved := l.savedRefreshToken(id)
	if len(saved) != 6000 || !l.oauth.ValidRefresh(saved) {
		t.Fatalf("the keyring gave back %d bytes, valid %v; want the 6,000-byte token", len(saved), l.oauth.ValidRefresh(saved))
	}
	l.send(cli.ExitOK, "Long tokens")
	if !l.received("Long tokens") {
		t.Fatal("the message did not arrive")
	}
	if c := l.oauth.Counts(); c.Refreshes != 1 || c.Refused != 0 {
		t.Fatalf("provider counts %+v: the token read back was not the one saved", c)
	}
	l.checkNoTokenLeaked()
}

// A sign-in that goes wrong saves nothing, with the exit code a script
// can act on: 77 refused or cancelled, 75 timed out.
func TestOAuthSignInFailuresSaveNothing(t *testing.T) {
	l := newOAuthLab(t, testpeer.OAuthOptions{})
	add := []string{"accounts", "add", "--email", oauthEmail, "--oauth", "testmail", "--no-browser", "--sign-in-timeout", "20s"}
	nothingSaved := func(what string) {
		t.Helper()
		if id, _, _ := l.account(); id != "" {
			t.Fatalf("%s: an account was saved", what)
		}
	}

	l.oauth.SetMode(testpeer.OAuthDeny)
	l.expect(cli.ExitNoPerm, l.browser(nil), "", add...)
	nothingSaved("consent denied")

	// A redirect with another state is not the answer to Postie's
	// request: its code is never exchanged, and Postie waits on for the
	// right one (here until a short timeout).
	l.oauth.SetMode(testpeer.OAuthWrongState)
	shortWait := append(add[:len(add)-1:len(add)-1], "2s")
	if code, _, stderr := l.run(l.browser(nil), "", shortWait...); code == cli.ExitOK {
		t.Fatalf("a wrong state was accepted: %s", stderr)
	}
	if c := l.oauth.Counts(); c.Exchanges != 0 {
		t.Fatalf("the code of a redirect with a wrong state was exchanged: %+v", c)
	}
	nothingSaved("wrong state")

	// Nobody comes back from the browser.
	l.oauth.SetMode(testpeer.OAuthAllow)
	l.expect(cli.ExitTempFail, nil, "", append(add[:len(add)-1:len(add)-1], "1s")...)
	nothingSaved("timed out")

	// Ctrl+C while Postie waits for the browser.
	l.expect(cli.ExitNoPerm, func(string) { l.interruptRunning() }, "", add...)
	nothingSaved("cancelled")
	if c := l.oauth.Counts(); c.Exchanges != 0 {
		t.Fatalf("a failed sign-in exchanged a code: %+v", c)
	}
}

// Without --no-browser and with no program to open one, the address that
// Postie printed is enough.
func TestOAuthSignInWithoutABrowserToOpen(t *testing.T) {
	l := newOAuthLab(t, testpeer.OAuthOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := l.command(ctx, "accounts", "add", "--email", oauthEmail, "--oauth", "testmail")
	cmd.Env = append(cmd.Env, "PATH="+t.TempDir()) // no xdg-open, no open
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	scanner := bufio.NewScanner(errPipe)
	for scanner.Scan() {
		stderr.WriteString(scanner.Text() + "\n")
		if address, ok := strings.CutPrefix(scanner.Text(), cli.SignInPrompt); ok {
			go l.browser(nil)(address)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("accounts add without a browser to open: %v\n%s%s", err, &out, &stderr)
	}
	if !strings.Contains(stderr.String(), "could not open a browser") {
		t.Errorf("stderr does not say that no browser opened:\n%s", &stderr)
	}
}
