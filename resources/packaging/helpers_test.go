//go:build linux

package packaging

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/resources"
)

// buildTimeout bounds one package build. A cold build compiles Fyne and its
// C parts from scratch, about four minutes on two cores, and may share them
// with the race-enabled build of every other package.
const buildTimeout = 30 * time.Minute

// repoRoot is the module's root folder, which holds the Makefile.
const repoRoot = "../.."

// makeTarget runs `make TARGET PACKAGE_DIR=dir` in the repository, as a person
// packaging Postie does.
func makeTarget(t *testing.T, target, dir string) {
	t.Helper()
	testpeer.Slow(t, "builds a package")
	statSources(t)
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", target, "PACKAGE_DIR="+dir)
	cmd.Dir = repoRoot
	cmd.Env = environment()
	// On timeout, stop make and the builds it started, not only make.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", target, err, out)
	}
	t.Logf("make %s took %s", target, time.Since(start).Round(time.Second))
}

// statSources looks at every file of the source tree. The go command caches a
// passing test's result and reuses it until a file the test itself opened or
// looked at changes; what make and fyne read does not count, so without this
// a change to main.go, say, would replay an old result.
func statSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// environment is this process's environment without make's own variables,
// which an enclosing `make test` sets and which would change what the makes
// the tests run do.
func environment() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// run runs a program, with env added to the environment, that must succeed
// and returns its standard output.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(environment(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// validateDesktopEntry and validateMetainfo run the desktop's own
// validators, which fail on every issue that is not merely pedantic.
func validateDesktopEntry(t *testing.T, path string) {
	t.Helper()
	run(t, nil, testpeer.RequireProgram(t, "desktop-file-validate"), path)
}

func validateMetainfo(t *testing.T, path string) {
	t.Helper()
	run(t, nil, testpeer.RequireProgram(t, "appstreamcli"), "validate", "--no-net", "--strict", path)
}

// desktopEntry reads the [Desktop Entry] group of a .desktop file.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entry := map[string]string{}
	group := ""
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]" && strings.Contains(line, "="):
			key, value, _ := strings.Cut(line, "=")
			entry[key] = value
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return entry
}

// fyneApp is the part of FyneApp.toml the packages are checked against.
type fyneApp struct {
	Details struct {
		ID, Name, Version string
		Build             int
	}
	LinuxAndBSD struct {
		GenericName, Comment, ExecParams string
		Categories, Keywords             []string
	}
}

func readFyneApp(t *testing.T) fyneApp {
	t.Helper()
	var app fyneApp
	if _, err := toml.DecodeFile(filepath.Join(repoRoot, "FyneApp.toml"), &app); err != nil {
		t.Fatalf("reading FyneApp.toml: %v", err)
	}
	return app
}

// Names of the installed files, all derived from the app ID.
var (
	desktopName  = resources.AppID + ".desktop"
	metainfoName = resources.AppID + ".metainfo.xml"
)
