package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

func init() {
	register(Command{Name: "accounts", Summary: "add, list, test or remove sending accounts; choose the default", Run: runAccounts})
}

const accountsUsage = `Usage:
  postie accounts add --email ADDRESS [--name NAME] [--display-name NAME]
                      [--host HOST --port PORT --security tls|starttls|none] [--user USER]
                      [--password-stdin] [--ca-file FILE | --pin-sha256 HEX] [--no-test]
  postie accounts list [--json]
  postie accounts test NAME
  postie accounts remove NAME
  postie accounts default NAME

Without --host, "add" finds the server settings from the address. It tests the
connection (connect, TLS, sign in) before saving, and saves nothing when the
test fails, unless --no-test is given. Passwords are kept only in the
computer's password store, never in a file.

A certificate accepted with --pin-sha256 is for the server (host and port)
the account is added with, and is used for no other. "list --json" shows it
as pin_sha256, with that server as pin_for ("host:port"); max_message_size is
the server's size limit in bytes as the last connection test found it (0:
unknown or none).
`

func runAccounts(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, accountsUsage)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Stdout, accountsUsage)
		return ExitOK
	case "add":
		return accountsAdd(ctx, env, args[1:])
	case "list":
		return accountsList(ctx, env, args[1:])
	case "test":
		return accountsTest(ctx, env, args[1:])
	case "remove":
		return accountsRemove(ctx, env, args[1:])
	case "default":
		return accountsDefault(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "postie accounts: unknown command %q\n\n%s", args[0], accountsUsage)
	return ExitUsage
}

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

// withAccounts opens the account store of env's data directory, runs fn
// with it and closes it again.
func withAccounts(env *Env, fn func(*accounts.Store) int) int {
	db, s, ok := openAccounts(env)
	if !ok {
		return ExitIOErr
	}
	defer db.Close()
	return fn(s)
}

// openAccounts opens env's database and the accounts in it, saying why
// when it cannot. The caller closes the database.
func openAccounts(env *Env) (*store.DB, *accounts.Store, bool) {
	db, err := env.OpenStore()
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, nil, false
	}
	s, err := accounts.Open(db, &accounts.Secrets{})
	if err != nil {
		db.Close()
		fmt.Fprintln(env.Stderr, err)
		return nil, nil, false
	}
	return db, s, true
}

type addOptions struct {
	email, name, displayName  string
	host, security, user      string
	port                      int
	passwordStdin, noTest     bool
	caFile, pin               string
	hostSet, portSet, secuSet bool
}

func accountsAdd(ctx context.Context, env *Env, args []string) int {
	var o addOptions
	fs := flag.NewFlagSet("postie accounts add", flag.ContinueOnError)
	fs.StringVar(&o.email, "email", "", "the account's email address (required)")
	fs.StringVar(&o.name, "name", "", "what to call the account (default: the address)")
	fs.StringVar(&o.displayName, "display-name", "", "your name as recipients see it")
	fs.StringVar(&o.host, "host", "", "the outgoing (SMTP) server; without it, Postie finds it")
	fs.IntVar(&o.port, "port", 0, "the server's port (default 465 for tls, 587 for starttls)")
	fs.StringVar(&o.security, "security", "", "tls, starttls or none")
	fs.StringVar(&o.user, "user", "", "the user name for signing in (default: the address)")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password (or app password) from standard input")
	fs.StringVar(&o.caFile, "ca-file", "", "a PEM file of certificate authorities to trust for this server")
	fs.StringVar(&o.pin, "pin-sha256", "", "the SHA-256 fingerprint of a server certificate you accept")
	fs.BoolVar(&o.noTest, "no-test", false, "save without testing the connection")
	positional, code, ok := parseFlags(env, fs, accountsUsage, args)
	if !ok {
		return code
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "host":
			o.hostSet = true
		case "port":
			o.portSet = true
		case "security":
			o.secuSet = true
		}
	})
	switch {
	case len(positional) > 0:
		return usageError(env, accountsUsage, "postie accounts add: unexpected argument %q", positional[0])
	case o.email == "":
		return usageError(env, accountsUsage, "postie accounts add: --email is required")
	case !o.hostSet && (o.portSet || o.secuSet):
		return usageError(env, accountsUsage, "postie accounts add: --port and --security need --host")
	case o.caFile != "" && o.pin != "":
		return usageError(env, accountsUsage, "postie accounts add: use either --ca-file or --pin-sha256, not both")
	}

	secret := ""
	if o.passwordStdin {
		var err error
		if secret, err = readPassword(env.Stdin); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitDataErr
		}
	}
	a := &accounts.Account{Name: o.name, DisplayName: o.displayName, Email: o.email, Username: o.user,
		CAFile: o.caFile}
	if o.hostSet {
		if code, ok := manualServer(env, &o, a); !ok {
			return code
		}
	} else if code, ok := discoverServer(ctx, env, &o, a); !ok {
		return code
	}
	if o.pin != "" {
		a.PinCertificate(o.pin) // for the server just chosen, and no other
	}
	if secret == "" && o.user == "" {
		// Nothing to sign in with: send without signing in (a local relay).
		a.Username = ""
	}
	if err := a.Validate(); err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitDataErr
	}

	return withAccounts(env, func(s *accounts.Store) int {
		if !o.noTest {
			if code, ok := testConnection(ctx, env, s, a, secret); !ok {
				fmt.Fprintln(env.Stderr, "Nothing was saved.")
				return code
			}
		}
		if err := s.Add(ctx, a, secret); err != nil {
			fmt.Fprintln(env.Stderr, err)
			fmt.Fprintln(env.Stderr, "Nothing was saved.")
			return exitCodeFor(err)
		}
		printSaved(env.Stdout, a, secret != "")
		return ExitOK
	})
}

func printSaved(w io.Writer, a *accounts.Account, hasSecret bool) {
	fmt.Fprintf(w, "Saved the account %q", a.Name)
	if a.Default {
		fmt.Fprint(w, " as the default account")
	}
	fmt.Fprintln(w, ".")
	if !hasSecret {
		fmt.Fprintln(w, "No password was given, so Postie will send from it without signing in.")
	}
}

// readPassword reads the password from standard input, dropping one
// trailing line ending so that `echo secret |` works.
func readPassword(r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("cannot read the password from standard input: %v", err)
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if secret == "" {
		return "", errors.New("--password-stdin was given, but standard input holds no password")
	}
	return secret, nil
}

// manualServer fills in the server the user named, with the usual port for
// the security or the usual security for the port.
func manualServer(env *Env, o *addOptions, a *accounts.Account) (int, bool) {
	a.Host, a.Port, a.Security = o.host, o.port, smtpclient.Security(o.security)
	switch {
	case !o.secuSet && (o.port == 0 || o.port == 465):
		a.Security = smtpclient.SecurityTLS
	case !o.secuSet && o.port == 587:
		a.Security = smtpclient.SecurityStartTLS
	case !o.secuSet:
		return usageError(env, accountsUsage, "postie accounts add: say which --security port %d uses (tls, starttls or none)", o.port), false
	}
	if a.Port == 0 {
		switch a.Security {
		case smtpclient.SecurityTLS:
			a.Port = 465
		case smtpclient.SecurityStartTLS:
			a.Port = 587
		default:
			return usageError(env, accountsUsage, "postie accounts add: --security none needs a --port"), false
		}
	}
	if a.Username == "" {
		a.Username = a.Email
	}
	return ExitOK, true
}

// discoverServer finds the server for the address and explains where the
// settings came from. Settings that need the user's confirmation are not
// used: the user confirms by giving them explicitly.
func discoverServer(ctx context.Context, env *Env, o *addOptions, a *accounts.Account) (int, bool) {
	fmt.Fprintf(env.Stdout, "Looking up the settings for %s...\n", o.email)
	res, err := newDiscoverer().Discover(ctx, o.email)
	if err != nil {
		printDiscoveryFailure(env.Stderr, err)
		fmt.Fprintln(env.Stderr, "Give the server with --host, --port and --security.")
		return discoveryExitCode(err), false
	}
	printFound(env.Stdout, res)
	if res.Confirm {
		fmt.Fprintf(env.Stderr, "%s\nTo use these settings, run the command again with:\n  --host %s --port %d --security %s\n",
			res.ConfirmReason, res.Host, res.Port, res.Security)
		return ExitConfig, false
	}
	a.Host, a.Port, a.Security = res.Host, res.Port, res.Security
	if a.Username == "" {
		a.Username = res.Username
	}
	if o.pin == "" && a.CAFile == "" && res.UntrustedCertificate != nil {
		fmt.Fprintf(env.Stdout, "Warning: the server's certificate is not trusted (%s).\n", res.CertificateProblem)
	}
	return ExitOK, true
}

func printFound(w io.Writer, res *autoconfig.Result) {
	fmt.Fprintf(w, "Found %s:%d (%s) for user %s, from the %s", res.Host, res.Port, res.Security, res.Username, res.Source)
	if res.Provider != "" {
		fmt.Fprintf(w, " (%s)", res.Provider)
	}
	fmt.Fprintln(w, ".")
	if res.Hint != "" {
		fmt.Fprintf(w, "Note: %s\n", res.Hint)
	}
}

// testConnection signs in to the server without sending, recording what
// the server said in a (see accounts.Store.Test), and explains a failure,
// showing a certificate that is not trusted so that the user can accept it
// with --pin-sha256. An empty secret for a saved account means its saved one.
func testConnection(ctx context.Context, env *Env, s *accounts.Store, a *accounts.Account, secret string) (int, bool) {
	fmt.Fprintf(env.Stdout, "Testing the connection to %s:%d...\n", a.Host, a.Port)
	probe, err := s.Test(ctx, a, secret)
	if err != nil {
		fmt.Fprintf(env.Stderr, "The connection test failed: %s\n", explain(err))
		var se *smtpclient.Error
		if errors.As(err, &se) && se.Certificate != nil {
			printCertificate(env.Stderr, se.Certificate)
			fmt.Fprintf(env.Stderr, "If you trust this certificate, add --pin-sha256 %s to accept it.\n", se.Certificate.SHA256)
		}
		return exitCodeFor(err), false
	}
	switch {
	case probe.Mechanism != "":
		fmt.Fprintf(env.Stdout, "The connection works: signed in as %s with %s.\n", a.Username, probe.Mechanism)
	default:
		fmt.Fprintln(env.Stdout, "The connection works.")
	}
	return ExitOK, true
}

func printCertificate(w io.Writer, c *smtpclient.CertInfo) {
	fmt.Fprintf(w, "The server's certificate:\n  Subject:     %s\n  Issued by:   %s\n", c.Subject, c.Issuer)
	if len(c.DNSNames) > 0 {
		fmt.Fprintf(w, "  For:         %s\n", strings.Join(c.DNSNames, ", "))
	}
	fmt.Fprintf(w, "  Valid:       %s to %s\n  SHA-256:     %s\n",
		c.NotBefore.Format("2 January 2006"), c.NotAfter.Format("2 January 2006"), c.SHA256)
}

// exitCodeFor maps an error of the accounts or smtpclient packages to a
// sysexits code.
func exitCodeFor(err error) int {
	var se *smtpclient.Error
	var ke *accounts.KeyringError
	var invalid *accounts.InvalidError
	var dup *accounts.DuplicateError
	var notFound *accounts.NotFoundError
	switch {
	case errors.As(err, &se):
		switch {
		case se.Stage == smtpclient.StageConfig || se.Certificate != nil:
			return ExitConfig
		case se.Stage == smtpclient.StageAuth && se.Class == smtpclient.Permanent:
			return ExitNoPerm
		case se.Class == smtpclient.Temporary:
			return ExitTempFail
		case se.Class == smtpclient.Permanent:
			return ExitUnavailable
		}
		return ExitUnknown
	case errors.As(err, &ke):
		switch ke.Problem {
		case accounts.KeyringUnavailable:
			return ExitConfig
		case accounts.KeyringLocked, accounts.KeyringTimedOut:
			return ExitTempFail
		}
		return ExitIOErr
	case errors.As(err, &invalid), errors.As(err, &dup), errors.As(err, &notFound):
		return ExitDataErr
	case errors.Is(err, accounts.ErrNoSecret):
		return ExitConfig
	case errors.Is(err, context.Canceled):
		return ExitTempFail
	}
	return ExitIOErr
}

func accountsList(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("postie accounts list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the accounts as JSON")
	positional, code, ok := parseFlags(env, fs, accountsUsage, args)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(env, accountsUsage, "postie accounts list: unexpected argument %q", positional[0])
	}
	return withAccounts(env, func(s *accounts.Store) int {
		list, err := s.List(ctx)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitIOErr
		}
		if *asJSON {
			if list == nil {
				list = []accounts.Account{}
			}
			writeJSON(env.Stdout, list)
			return ExitOK
		}
		printAccounts(env.Stdout, list)
		return ExitOK
	})
}

func printAccounts(w io.Writer, list []accounts.Account) {
	if len(list) == 0 {
		fmt.Fprintln(w, "There are no accounts yet. Add one with: postie accounts add --email ADDRESS --password-stdin")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEFAULT\tNAME\tEMAIL\tSERVER\tPASSWORD")
	for _, a := range list {
		mark, password := "", "not saved"
		if a.Default {
			mark = "*"
		}
		if a.HasSecret {
			password = "in password store"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d %s\t%s\n", mark, a.Name, a.Email, a.Host, a.Port, a.Security, password)
	}
	tw.Flush()
}

// oneName parses a subcommand that takes exactly one account name.
func oneName(env *Env, sub string, args []string) (string, int, bool) {
	fs := flag.NewFlagSet("postie accounts "+sub, flag.ContinueOnError)
	positional, code, ok := parseFlags(env, fs, accountsUsage, args)
	if !ok {
		return "", code, false
	}
	if len(positional) != 1 {
		return "", usageError(env, accountsUsage, "postie accounts %s: give exactly one account name", sub), false
	}
	return positional[0], ExitOK, true
}

func accountsTest(ctx context.Context, env *Env, args []string) int {
	name, code, ok := oneName(env, "test", args)
	if !ok {
		return code
	}
	return withAccounts(env, func(s *accounts.Store) int {
		a, err := s.Get(ctx, name)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return exitCodeFor(err)
		}
		code, _ := testConnection(ctx, env, s, &a, "")
		return code
	})
}

func accountsRemove(ctx context.Context, env *Env, args []string) int {
	name, code, ok := oneName(env, "remove", args)
	if !ok {
		return code
	}
	return withAccounts(env, func(s *accounts.Store) int {
		if err := s.Remove(ctx, name); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return exitCodeFor(err)
		}
		fmt.Fprintf(env.Stdout, "Removed the account %q and its saved password.\n", name)
		return ExitOK
	})
}

func accountsDefault(ctx context.Context, env *Env, args []string) int {
	name, code, ok := oneName(env, "default", args)
	if !ok {
		return code
	}
	return withAccounts(env, func(s *accounts.Store) int {
		if err := s.SetDefault(ctx, name); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return exitCodeFor(err)
		}
		fmt.Fprintf(env.Stdout, "%q is now the default account.\n", name)
		return ExitOK
	})
}
