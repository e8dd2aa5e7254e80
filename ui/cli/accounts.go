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
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

const accountsUsage = `Usage:
  postie accounts add --email ADDRESS [--name NAME] [--display-name NAME]
                      [--host HOST --port PORT --security tls|starttls|none] [--user USER]
                      [--password-stdin] [--ca-file FILE | --pin-sha256 HEX] [--no-test]
                      [--imap-host HOST --imap-port PORT --imap-security tls|starttls|none]
                      [--imap-user USER] [--imap-password-stdin] [--imap-pin-sha256 HEX]
                      [--sent-copy auto|always|never]
  postie accounts add --email ADDRESS --oauth PROVIDER [--name NAME] [--display-name NAME]
                      [--no-browser] [--sign-in-timeout DURATION] [--no-test]
                      [--oauth-client-id ID] [--oauth-tenant TENANT]
                      [--imap-host HOST --imap-port PORT --imap-security tls|starttls|none]
                      [--imap-user USER] [--imap-pin-sha256 HEX] [--sent-copy auto|always|never]
  postie accounts signin NAME [--no-browser] [--sign-in-timeout DURATION]
  postie accounts list [--json]
  postie accounts test NAME
  postie accounts remove NAME
  postie accounts default NAME

Without --host, "add" finds the server settings from the address. It tests the
connection (connect, TLS, sign in) before saving, and saves nothing when the
test fails, unless --no-test is given. Passwords are kept only in the
computer's password store, never in a file.

The IMAP server (--imap-host) is where Postie saves a copy of each sent
message, in the Sent folder. Without --host, it is found with the SMTP server;
with --host, only the one given is used. --sent-copy auto (the default) saves
the copy unless the provider saves its own (Gmail, Google Workspace,
Outlook.com, Microsoft 365); never saves none. The IMAP server signs in with
the same user name and password, unless --imap-user or --imap-password-stdin
gives its own; with both --password-stdin and --imap-password-stdin, standard
input holds the password on its first line and the IMAP password on the next.
"list --json" shows the IMAP server as imap ({host, port, security, username,
own_secret}) and the choice as sent_copy.

A certificate accepted with --pin-sha256 is for the server (host and port)
the account is added with, and is used for no other. "list --json" shows it
as pin_sha256, with that server as pin_for ("host:port"); max_message_size is
the server's size limit in bytes as the last connection test found it (0:
unknown or none). --imap-pin-sha256 accepts the IMAP server's certificate in
the same way, for that IMAP server only; "list --json" shows it in imap as
pin_sha256 and pin_for. When the connection test finds a certificate that is
not trusted, it prints it, and the flag that accepts it.

With --oauth, the account signs in with its provider (google, microsoft,
yahoo, aol, or one from POSTIE_OAUTH_PROVIDERS) in the web browser instead of
a password. Postie prints "Open this address to sign in: URL" on standard
error and opens the browser (not with --no-browser: open the address
yourself, on this computer), then waits for the sign-in, 5 minutes unless
--sign-in-timeout says otherwise (such as 90s or 10m). It exits 77 when the
sign-in is refused or cancelled (Ctrl+C) and 75 when it times out. The
provider's refresh token is kept in the password store; the short-lived
access token only in memory. --oauth-client-id and --oauth-tenant are for an
organisation whose administrators registered their own app (the tenant is
Microsoft's). "signin" signs an account in again, when its sign-in expired
or was revoked; the messages waiting for it are queued again.

With --oauth, the IMAP server is the provider's unless --imap-host names
another; --imap-user, --imap-pin-sha256 and --sent-copy work as above.

"list" shows how each account signs in; with --json, sign_in is "password",
"oauth" or "none" (sends without signing in), and oauth_provider names the
provider of an "oauth" account. Removing an account that signs in with a
provider also asks the provider to end that sign-in, where it can.
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
	case "signin":
		return accountsSignIn(ctx, env, args[1:])
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

type addOptions struct {
	email, name, displayName  string
	host, security, user      string
	port                      int
	passwordStdin, noTest     bool
	caFile, pin               string
	hostSet, portSet, secuSet bool

	imapHost, imapSecurity, imapUser, sentCopy string
	imapPort                                   int
	imapPasswordStdin                          bool
	imapPin                                    string
	imapPortSet, imapSecuSet                   bool
	signIn                                     signInOptions
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
	fs.StringVar(&o.imapHost, "imap-host", "", "the incoming (IMAP) server, for the copy in Sent; without --host, Postie finds it")
	fs.IntVar(&o.imapPort, "imap-port", 0, "the IMAP server's port (default 993 for tls, 143 for starttls)")
	fs.StringVar(&o.imapSecurity, "imap-security", "", "tls, starttls or none, for the IMAP server")
	fs.StringVar(&o.imapUser, "imap-user", "", "the IMAP user name (default: the SMTP one)")
	fs.BoolVar(&o.imapPasswordStdin, "imap-password-stdin", false, "read the IMAP server's own password from standard input")
	fs.StringVar(&o.imapPin, "imap-pin-sha256", "", "the SHA-256 fingerprint of an IMAP server certificate you accept")
	fs.StringVar(&o.sentCopy, "sent-copy", "", "save a copy in Sent: auto, always or never (default auto)")
	o.signIn.addFlags(fs, true)
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
		case "imap-port":
			o.imapPortSet = true
		case "imap-security":
			o.imapSecuSet = true
		}
	})
	if o.signIn.provider != "" {
		return accountsAddWithSignIn(ctx, env, &o, positional)
	}
	if o.signIn.clientID != "" || o.signIn.tenant != "" || o.signIn.noBrowser || o.signIn.timeout != 0 {
		return usageError(env, accountsUsage, "postie accounts add: --no-browser, --sign-in-timeout, --oauth-client-id and --oauth-tenant need --oauth")
	}
	switch {
	case len(positional) > 0:
		return usageError(env, accountsUsage, "postie accounts add: unexpected argument %q", positional[0])
	case o.email == "":
		return usageError(env, accountsUsage, "postie accounts add: --email is required")
	case !o.hostSet && (o.portSet || o.secuSet):
		return usageError(env, accountsUsage, "postie accounts add: --port and --security need --host")
	case o.caFile != "" && o.pin != "":
		return usageError(env, accountsUsage, "postie accounts add: use either --ca-file or --pin-sha256, not both")
	case o.imapHost == "" && (o.imapPortSet || o.imapSecuSet):
		return usageError(env, accountsUsage, "postie accounts add: --imap-port and --imap-security need --imap-host")
	}

	secret, imapSecret, err := readSecrets(env.Stdin, o.passwordStdin, o.imapPasswordStdin)
	if err != nil {
		fmt.Fprintln(env.Stderr, explain(err))
		return ExitDataErr
	}
	a := &accounts.Account{Name: o.name, DisplayName: o.displayName, Email: o.email, Username: o.user,
		CAFile: o.caFile, SentCopy: accounts.SentCopyMode(o.sentCopy)}
	a.IMAP.Username = o.imapUser
	if o.imapHost != "" {
		if code, ok := manualIMAPServer(env, &o, a); !ok {
			return code
		}
	}
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
	if o.imapPin != "" {
		a.PinIMAPCertificate(o.imapPin) // likewise, for the IMAP server
	}
	if secret == "" && o.user == "" {
		// Nothing to sign in with: send without signing in (a local relay).
		a.Username = ""
	}
	if err := a.Validate(); err != nil {
		fmt.Fprintln(env.Stderr, explain(err))
		return ExitDataErr
	}

	return withCore(ctx, env, func(c *core.Core) int {
		if !o.noTest {
			if code, err := testConnection(ctx, env, c, a, secret, imapSecret); err != nil {
				fmt.Fprintln(env.Stderr, "Nothing was saved.")
				var imapErr *accounts.IMAPTestError
				if errors.As(err, &imapErr) {
					fmt.Fprintln(env.Stderr, "To save the account without the copy in Sent, add --sent-copy never.")
				}
				return code
			}
		}
		if err := c.SaveAccount(ctx, a, secret, false); err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			fmt.Fprintln(env.Stderr, "Nothing was saved.")
			return exitCode(err)
		}
		if imapSecret != "" {
			if err := c.SetIMAPPassword(ctx, a, imapSecret); err != nil {
				fmt.Fprintf(env.Stderr, "Saved the account %q, but not the IMAP server's own password: %s\n", a.Name, explain(err))
				return exitCode(err)
			}
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

// manualIMAPServer fills in the IMAP server the user named, with the usual
// port for the security or the usual security for the port (RFC 8314
// section 7.3: 993 for implicit TLS, 143 with STARTTLS).
func manualIMAPServer(env *Env, o *addOptions, a *accounts.Account) (int, bool) {
	a.IMAP.Host, a.IMAP.Port, a.IMAP.Security = o.imapHost, o.imapPort, smtpclient.Security(o.imapSecurity)
	switch {
	case !o.imapSecuSet && (o.imapPort == 0 || o.imapPort == 993):
		a.IMAP.Security = smtpclient.SecurityTLS
	case !o.imapSecuSet && o.imapPort == 143:
		a.IMAP.Security = smtpclient.SecurityStartTLS
	case !o.imapSecuSet:
		return usageError(env, accountsUsage, "postie accounts add: say which --imap-security port %d uses (tls, starttls or none)", o.imapPort), false
	}
	if a.IMAP.Port == 0 {
		switch a.IMAP.Security {
		case smtpclient.SecurityTLS:
			a.IMAP.Port = 993
		case smtpclient.SecurityStartTLS:
			a.IMAP.Port = 143
		default:
			return usageError(env, accountsUsage, "postie accounts add: --imap-security none needs an --imap-port"), false
		}
	}
	return ExitOK, true
}

// readSecrets reads the passwords the flags ask for from standard input:
// one, or, with both flags, the account's on the first line and the IMAP
// server's on the second.
func readSecrets(stdin io.Reader, password, imapPassword bool) (secret, imapSecret string, err error) {
	switch {
	case password && imapPassword:
		both, err := readPassword(stdin)
		if err != nil {
			return "", "", err
		}
		secret, imapSecret, _ = strings.Cut(both, "\n")
		secret = strings.TrimSuffix(secret, "\r")
		if secret == "" || imapSecret == "" {
			return "", "", errors.New("--password-stdin and --imap-password-stdin were given, but standard input does not hold two lines: the password, then the IMAP password")
		}
		return secret, imapSecret, nil
	case password:
		secret, err = readPassword(stdin)
		return secret, "", err
	case imapPassword:
		imapSecret, err = readPassword(stdin)
		return "", imapSecret, err
	}
	return "", "", nil
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
		return exitCode(err), false
	}
	printFound(env.Stdout, res)
	if res.Confirm {
		fmt.Fprintf(env.Stderr, "%s\nTo use these settings, run the command again with:\n  --host %s --port %d --security %s\n",
			explainConfirmation(res.Confirmation), res.Host, res.Port, res.Security)
		if m := res.IMAP; m != nil && o.imapHost == "" {
			fmt.Fprintf(env.Stderr, "  --imap-host %s --imap-port %d --imap-security %s\n", m.Host, m.Port, m.Security)
		}
		return ExitConfig, false
	}
	a.Host, a.Port, a.Security = res.Host, res.Port, res.Security
	if a.Username == "" {
		a.Username = res.Username
	}
	core.FillIMAP(a, res)
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
	if m := res.IMAP; m != nil {
		fmt.Fprintf(w, "Found the IMAP server %s:%d (%s) for the copy in Sent, from the %s.\n", m.Host, m.Port, m.Security, m.Source)
	}
	if !res.Hint.IsZero() {
		fmt.Fprintf(w, "Note: %s\n", explainHint(res.Hint))
	}
}

// testConnection signs in to the server without sending, recording what
// the server said in a (see accounts.Store.Test), and explains a failure,
// showing a certificate that is not trusted so that the user can accept it
// with --pin-sha256. An empty secret for a saved account means its saved one.
// A failure of the IMAP server alone is an *accounts.IMAPTestError.
func testConnection(ctx context.Context, env *Env, c *core.Core, a *accounts.Account, secret, imapSecret string) (int, error) {
	fmt.Fprintf(env.Stdout, "Testing the connection to %s:%d...\n", a.Host, a.Port)
	if a.HasIMAP() && a.SentCopy != accounts.SentCopyNever {
		fmt.Fprintf(env.Stdout, "Testing the IMAP server %s:%d for the copy in Sent...\n", a.IMAP.Host, a.IMAP.Port)
	}
	probe, err := c.TestAccountWithIMAPPassword(ctx, a, secret, imapSecret)
	var imapErr *accounts.IMAPTestError
	if errors.As(err, &imapErr) {
		// Sending works; only the copy in Sent does not.
		fmt.Fprintf(env.Stderr, "%s\n", explain(err))
		var ie *imapclient.Error
		if errors.As(err, &ie) && ie.Reason == imapclient.ReasonCertificateNotTrusted && ie.Certificate != nil {
			printCertificateOf(env.Stderr, "The IMAP server's certificate", ie.Certificate)
			fmt.Fprintf(env.Stderr, "If you trust this certificate, add --imap-pin-sha256 %s to accept it.\n", ie.Certificate.SHA256)
		}
		return exitCode(err), err
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "The connection test failed: %s\n", explain(err))
		var se *smtpclient.Error
		if errors.As(err, &se) && se.Certificate != nil {
			printCertificate(env.Stderr, se.Certificate)
			fmt.Fprintf(env.Stderr, "If you trust this certificate, add --pin-sha256 %s to accept it.\n", se.Certificate.SHA256)
		}
		return exitCode(err), err
	}
	switch {
	case probe.Mechanism != "":
		fmt.Fprintf(env.Stdout, "The connection works: signed in as %s with %s.\n", a.Username, probe.Mechanism)
	default:
		fmt.Fprintln(env.Stdout, "The connection works.")
	}
	if a.HasIMAP() && a.SentCopy != accounts.SentCopyNever {
		fmt.Fprintf(env.Stdout, "The IMAP server works: copies of sent messages can be saved in Sent.\n")
	}
	return ExitOK, nil
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
	return withCore(ctx, env, func(c *core.Core) int {
		list, err := c.ListAccounts(ctx)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		if *asJSON {
			writeJSON(env.Stdout, listedAccounts(list))
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
	fmt.Fprintln(tw, "DEFAULT\tNAME\tEMAIL\tSERVER\tIMAP SERVER\tSENT COPY\tSIGN-IN")
	for _, a := range list {
		mark := ""
		if a.Default {
			mark = "*"
		}
		imap := "none"
		if a.HasIMAP() {
			imap = fmt.Sprintf("%s:%d %s", a.IMAP.Host, a.IMAP.Port, a.IMAP.Security)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d %s\t%s\t%s\t%s\n", mark, a.Name, a.Email, a.Host, a.Port, a.Security, imap, a.SentCopy, describeSignIn(a))
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
	return withCore(ctx, env, func(c *core.Core) int {
		a, err := c.Account(ctx, name)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		code, _ := testConnection(ctx, env, c, &a, "", "")
		return code
	})
}

func accountsRemove(ctx context.Context, env *Env, args []string) int {
	name, code, ok := oneName(env, "remove", args)
	if !ok {
		return code
	}
	return withCore(ctx, env, func(c *core.Core) int {
		removal, err := c.RemoveAccountReporting(ctx, name)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		fmt.Fprintf(env.Stdout, "Removed the account %q and its saved password or sign-in.\n", name)
		if removal.RevokeErr != nil {
			// The account is gone all the same; the user may want to end
			// the sign-in at the provider.
			fmt.Fprintf(env.Stderr, "The provider could not be asked to end Postie's sign-in: %s\n", explain(removal.RevokeErr))
			fmt.Fprintln(env.Stderr, "It ends when it expires; you can also remove Postie's access in your account's security settings at the provider.")
		}
		return ExitOK
	})
}

func accountsDefault(ctx context.Context, env *Env, args []string) int {
	name, code, ok := oneName(env, "default", args)
	if !ok {
		return code
	}
	return withCore(ctx, env, func(c *core.Core) int {
		if err := c.SetDefaultAccount(ctx, name); err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		fmt.Fprintf(env.Stdout, "%q is now the default account.\n", name)
		return ExitOK
	})
}
