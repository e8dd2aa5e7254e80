package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
)

// runPostie runs the real postie binary on the data folder dir, feeding
// stdin, and returns its exit code and output.
func runPostie(t *testing.T, dir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// Not t.Context(): cleanups run postie too, after it is cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := postieIn(ctx, dir, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatalf("postie %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errOut.String()
}

// TestCommandLineAccountsLearnTheServersSizeLimit checks that an account
// added or tested from the command line records the SIZE limit the server
// announces, as the window does, so the composer can warn about a message
// too large for it.
func TestCommandLineAccountsLearnTheServersSizeLimit(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	server, err := demo.Start(filepath.Join(t.TempDir(), "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	dir := t.TempDir()
	add := func(name string, extra ...string) {
		t.Helper()
		args := append([]string{"accounts", "add", "--email", name + "@example.org", "--name", name,
			"--host", server.Host, "--port", strconv.Itoa(server.Port), "--security", "starttls",
			"--user", demo.Username, "--pin-sha256", server.PinSHA256, "--password-stdin"}, extra...)
		if code, out, errOut := runPostie(t, dir, server.Password, args...); code != 0 {
			t.Fatalf("postie %s = %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		t.Cleanup(func() { runPostie(t, dir, "", "accounts", "remove", name) }) // its keyring entry
	}
	sizes := func() map[string]int64 {
		t.Helper()
		code, out, errOut := runPostie(t, dir, "", "accounts", "list", "--json")
		var list []accounts.Account
		if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
			t.Fatalf("accounts list --json = %d, %v\n%s%s", code, err, out, errOut)
		}
		m := map[string]int64{}
		for _, a := range list {
			m[a.Name] = a.MaxMessageSize
		}
		return m
	}

	add("tested")
	add("untested", "--no-test")
	if got := sizes(); got["tested"] != demo.MaxMessageBytes || got["untested"] != 0 {
		t.Fatalf("after add, max_message_size = %v; want %d for the tested account, 0 for the untested", got, demo.MaxMessageBytes)
	}
	if code, out, errOut := runPostie(t, dir, "", "accounts", "test", "untested"); code != 0 || !strings.Contains(out, "The connection works") {
		t.Fatalf("accounts test = %d\n%s%s", code, out, errOut)
	}
	if got := sizes()["untested"]; got != demo.MaxMessageBytes {
		t.Fatalf("after accounts test, max_message_size = %d, want %d", got, demo.MaxMessageBytes)
	}
}
