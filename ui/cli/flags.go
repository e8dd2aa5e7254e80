package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseFlags parses flags that may come before, between or after the
// positional arguments ("postie autoconfig ADDRESS --json") and returns the
// positional ones. It prints usage for --help (exit 0) and for mistakes
// (exit 64); ok is false when the command should stop with code.
func parseFlags(env *Env, fs *flag.FlagSet, usage string, args []string) (positional []string, code int, ok bool) {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return nil, ExitOK, false
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n\n%s", fs.Name(), err, usage)
			return nil, ExitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, ExitOK, true
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), ExitOK, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError prints a command line mistake with the usage.
func usageError(env *Env, usage, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, format+"\n\n%s", append(args, usage)...)
	return ExitUsage
}

// listFlag collects a flag given several times; each value may itself be a
// comma-separated list, which the address parser splits.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
