// Package cli is Postie's command line: `postie send|accounts|autoconfig|
// outbox|log|version`. It drives the same application core (package core)
// as the window, so scripts get every capability and every capability can be
// tested end to end; this package only turns arguments into calls and
// results into text. Each subcommand lives in its own file and is listed in
// commands.
//
// Exit codes follow sysexits(3), as msmtp's do, so scripts can tell a bad
// address from a refused password from a server that is down for a moment;
// exitcodes.go maps every error to one.
//
// It never imports Fyne (scripts run without a display), never prints a
// password or token, and never reads a password from the command line, only
// from standard input.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/resources"
)

// Env is what a subcommand may touch: its standard streams and the data
// directory. Tests build one with buffers and a temporary directory.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// DataDir is the data directory; empty means store.DataDir().
	DataDir string
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string // one line for the usage text
	Run     func(ctx context.Context, env *Env, args []string) int
}

// commands are the subcommands, in the order `postie help` lists them.
var commands = []Command{
	{Name: "accounts", Summary: "add, list, test or remove sending accounts (SMTP, and IMAP for the copy in Sent); sign in again; choose the default", Run: runAccounts},
	{Name: "autoconfig", Summary: "find the outgoing (SMTP) and incoming (IMAP) server settings for an email address", Run: runAutoconfig},
	{Name: "log", Summary: "show, search and export the messages sent; save a copy in Sent again", Run: runLog},
	{Name: "outbox", Summary: "list, send, retry or discard waiting messages", Run: runOutbox},
	{Name: "send", Summary: "send a message now, or queue it for later", Run: runSend},
	{Name: "version", Summary: "print Postie's version", Run: runVersion},
}

// command finds the subcommand called name.
func command(name string) (Command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// WantsWindow reports whether the arguments ask for the desktop window
// rather than a subcommand: no arguments, a mailto: link (RFC 6068) handed
// over by the desktop, or window flags: --demo, or --background, with which
// the login session starts the window's process without showing the window.
func WantsWindow(args []string) bool {
	if len(args) == 0 {
		return true
	}
	first := args[0]
	return strings.HasPrefix(strings.ToLower(first), "mailto:") ||
		first == "--demo" || first == "-demo" || first == "--background" || first == "-background"
}

// Main runs the subcommand named by args[0] with the process's streams and
// returns the exit code. Ctrl+C cancels the command's context, so a send in
// progress stops cleanly rather than being killed mid-write.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	return Run(ctx, env, args)
}

// Run runs one subcommand in env.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		usage(env.Stdout)
		return ExitOK
	case "--version", "-version":
		return runVersion(ctx, env, nil)
	}
	cmd, ok := command(args[0])
	if !ok {
		fmt.Fprintf(env.Stderr, "postie: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return ExitUsage
	}
	return cmd.Run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: postie [COMMAND] [ARGUMENTS]")
	fmt.Fprintln(w, "\nWithout a command, Postie opens its window; `postie mailto:ADDRESS` opens a new message.")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w, "\nRun `postie COMMAND --help` for a command's options.")
	fmt.Fprintln(w, "\nExit codes (sysexits(3), as msmtp's):")
	for _, c := range exitCodes {
		fmt.Fprintf(w, "  %3d  %s\n", c.code, c.meaning)
	}
	fmt.Fprintln(w, "\nEnvironment:")
	fmt.Fprintf(w, "  %-22s the data folder (database, outbox, sent messages); it is made private to you\n", store.DataDirEnv)
	fmt.Fprintf(w, "  %-22s where `accounts add` and `autoconfig` look up Thunderbird's ISPDB (https, or http on this computer only)\n", autoconfig.ISPDBURLEnv)
	fmt.Fprintf(w, "  %-22s a JSON file of sign-in providers (OAuth) that adds to or replaces the built-in ones, for a private\n"+
		"  %-22s identity provider: {\"providers\":[{\"id\",\"name\",\"authorization_url\",\"token_url\",\"revocation_url\",\n"+
		"  %-22s \"client_id\",\"client_secret\",\"scopes\":[…],\"domains\":[…],\"smtp\":{\"host\",\"port\",\"security\"}}]};\n"+
		"  %-22s its addresses may be plain http only on this computer\n", oauth.EnvProviders, "", "", "")
}

func runVersion(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintf(env.Stdout, "postie %s\n", resources.Version)
	return ExitOK
}

// withCore opens env's data folder (see core.Open), runs fn with it and
// closes it again; when the folder cannot be opened it says why.
func withCore(ctx context.Context, env *Env, fn func(*core.Core) int) int {
	// One command asks the keyring once per account, however many
	// messages it sends.
	return withCoreOptions(ctx, env, core.Options{SecretsOncePerRun: true}, fn)
}

// withCoreOptions is withCore with the options of core.Open.
func withCoreOptions(ctx context.Context, env *Env, opts core.Options, fn func(*core.Core) int) int {
	dir := env.DataDir
	if dir == "" {
		var err error
		if dir, err = store.DataDir(); err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return ExitIOErr
		}
	}
	c, err := core.Open(ctx, dir, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, explain(err))
		return ExitIOErr
	}
	defer c.Close()
	return fn(c)
}
