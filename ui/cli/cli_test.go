package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/postie-app/postie/resources"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, DataDir: t.TempDir()}
	code = Run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestVersionPrintsTheOneVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != ExitOK || out != "postie "+resources.Version+"\n" {
		t.Fatalf("postie version = %d, %q", code, out)
	}
}

func TestUnknownCommandPrintsUsageAndExits64(t *testing.T) {
	code, out, errOut := run(t, "frobnicate")
	if code != ExitUsage {
		t.Fatalf("exit code = %d, want %d", code, ExitUsage)
	}
	if out != "" || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "Usage: postie") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	code, out, _ := run(t, "help")
	if code != ExitOK {
		t.Fatalf("exit code = %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(out, "  "+c.Name+" ") {
			t.Errorf("help does not list %q:\n%s", c.Name, out)
		}
	}
	for _, c := range exitCodes {
		if !strings.Contains(out, fmt.Sprintf("%3d  %s\n", c.code, c.meaning)) {
			t.Errorf("help does not explain exit code %d:\n%s", c.code, out)
		}
	}
	for _, name := range []string{"POSTIE_DATA_DIR", "POSTIE_ISPDB_URL", "POSTIE_OAUTH_PROVIDERS"} {
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("help does not explain the environment variable %s:\n%s", name, out)
		}
	}
}

func TestWantsWindow(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"mailto:a@example.org"}, true},
		{[]string{"MAILTO:a@example.org?subject=Hi"}, true},
		{[]string{"--demo"}, true},
		{[]string{"--background"}, true},
		{[]string{"--background", "--demo"}, true},
		{[]string{"version"}, false},
		{[]string{"send", "--to", "a@example.org"}, false},
	} {
		if got := WantsWindow(tc.args); got != tc.want {
			t.Errorf("WantsWindow(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
