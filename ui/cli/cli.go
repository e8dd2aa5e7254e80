// Package cli is Postie's command line: `postie send|accounts|autoconfig|
// outbox|log|version`. It drives the same mail and accounts packages as the
// window, so scripts get every capability and every capability can be tested
// end to end. Each subcommand lives in its own file and registers itself.
//
// Exit codes follow sysexits(3), as msmtp's do, so scripts can tell a bad
// address from a refused password from a server that is down for a moment.
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
	"sort"
	"strings"

	"github.com/postie-app/postie/mail/store"
	"github.com/postie-app/postie/resources"
)

// Exit codes, from sysexits(3).
const (
	ExitOK          = 0
	ExitUnknown     = 1  // the outcome is unknown, or nothing was found
	ExitUsage       = 64 // the command line is wrong
	ExitDataErr     = 65 // bad input: an address, a file, a body
	ExitUnavailable = 69 // the server refused for good
	ExitSoftware    = 70 // a fault in Postie itself
	ExitCantCreate  = 73 // a file could not be written
	ExitIOErr       = 74 // reading or writing local data failed
	ExitTempFail    = 75 // a temporary failure: try again later
	ExitNoPerm      = 77 // authentication was refused
	ExitConfig      = 78 // the configuration is wrong or missing
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

var commands = map[string]Command{}

// register adds a subcommand; each subcommand's file calls it from init.
func register(c Command) {
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

func init() {
	register(Command{Name: "version", Summary: "print Postie's version", Run: runVersion})
}

// WantsWindow reports whether the arguments ask for the desktop window
// rather than a subcommand: no arguments, a mailto: link (RFC 6068) handed
// over by the desktop, or window flags such as --demo.
func WantsWindow(args []string) bool {
	if len(args) == 0 {
		return true
	}
	first := args[0]
	return strings.HasPrefix(strings.ToLower(first), "mailto:") || first == "--demo" || first == "-demo"
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
	cmd, ok := commands[args[0]]
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
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-11s %s\n", name, commands[name].Summary)
	}
	fmt.Fprintln(w, "\nRun `postie COMMAND --help` for a command's options.")
}

func runVersion(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintf(env.Stdout, "postie %s\n", resources.Version)
	return ExitOK
}

// OpenStore opens the database in env's data directory.
func (env *Env) OpenStore() (*store.DB, error) {
	dir := env.DataDir
	if dir == "" {
		var err error
		if dir, err = store.DataDir(); err != nil {
			return nil, err
		}
	}
	return store.Open(dir)
}
