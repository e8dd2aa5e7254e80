package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/ui/desktop"
)

// Signing in with a provider (OAuth) from the command line: `accounts add
// --oauth PROVIDER` and `accounts signin NAME`. The sign-in happens in the
// browser; the command prints the address to open, opens it unless told
// not to, and waits for the browser to come back to Postie's loopback
// listener.

// SignInPrompt starts the line that gives the sign-in address on standard
// error. It is a contract: scripts (and the tests) look for it.
const SignInPrompt = "Open this address to sign in: "

// signInOptions are the flags of a sign-in.
type signInOptions struct {
	provider, clientID, tenant string
	noBrowser                  bool
	timeout                    time.Duration
}

func (o *signInOptions) addFlags(fs *flag.FlagSet, adding bool) {
	if adding {
		fs.StringVar(&o.provider, "oauth", "", "sign in with the provider (google, microsoft, yahoo, aol) instead of a password")
		fs.StringVar(&o.clientID, "oauth-client-id", "", "your organisation's own client id for the provider (advanced)")
		fs.StringVar(&o.tenant, "oauth-tenant", "", "your organisation's Microsoft tenant (advanced)")
	}
	fs.BoolVar(&o.noBrowser, "no-browser", false, "print the sign-in address but do not open the browser")
	fs.DurationVar(&o.timeout, "sign-in-timeout", 0, "how long to wait for the sign-in in the browser (default 5m)")
}

// open is the sign-in's Open: the address on standard error, then the
// browser. A browser that cannot be opened is no failure: the address is
// there to open by hand.
func (o *signInOptions) open(env *Env) func(string) {
	return func(url string) {
		fmt.Fprintf(env.Stderr, "%s%s\n", SignInPrompt, url)
		if !o.noBrowser {
			if err := desktop.OpenBrowser(url); err != nil {
				fmt.Fprintln(env.Stderr, "(Postie could not open a browser; open the address yourself.)")
			}
		}
	}
}

// withSignInCore opens the data folder as withCore does, with the sign-in
// timeout the command asked for.
func (o *signInOptions) withCore(ctx context.Context, env *Env, fn func(*core.Core) int) int {
	if o.timeout < 0 {
		return usageError(env, accountsUsage, "postie accounts: --sign-in-timeout must be positive")
	}
	return withCoreOptions(ctx, env, core.Options{SecretsOncePerRun: true, SignInTimeout: o.timeout}, fn)
}

func accountsAddWithSignIn(ctx context.Context, env *Env, o *addOptions, positional []string) int {
	switch {
	case len(positional) > 0:
		return usageError(env, accountsUsage, "postie accounts add: unexpected argument %q", positional[0])
	case o.email == "":
		return usageError(env, accountsUsage, "postie accounts add: --email is required")
	case o.hostSet || o.portSet || o.secuSet || o.user != "" || o.passwordStdin || o.caFile != "" || o.pin != "":
		return usageError(env, accountsUsage,
			"postie accounts add: --oauth signs in with the provider's server; it takes no --host, --port, --security, --user, --password-stdin, --ca-file or --pin-sha256")
	case o.imapPasswordStdin:
		return usageError(env, accountsUsage,
			"postie accounts add: --oauth signs in to the IMAP server with the provider's sign-in too; it takes no --imap-password-stdin")
	case o.imapHost == "" && (o.imapPortSet || o.imapSecuSet):
		return usageError(env, accountsUsage, "postie accounts add: --imap-port and --imap-security need --imap-host")
	}
	// The IMAP server given, or else the provider's (core fills it in).
	var imap accounts.Account
	if o.imapHost != "" {
		if code, ok := manualIMAPServer(env, o, &imap); !ok {
			return code
		}
	}
	imap.IMAP.Username, imap.IMAP.PinSHA256 = o.imapUser, o.imapPin
	return o.signIn.withCore(ctx, env, func(c *core.Core) int {
		id := strings.ToLower(strings.TrimSpace(o.signIn.provider))
		p, err := c.OAuthProvider(id)
		var unknown *accounts.InvalidError
		switch {
		case errors.As(err, &unknown):
			return usageError(env, accountsUsage, "postie accounts add: unknown provider %q for --oauth; Postie knows %s",
				o.signIn.provider, providerIDs(c))
		case err != nil: // the POSTIE_OAUTH_PROVIDERS file is wrong
			fmt.Fprintln(env.Stderr, explain(err))
			fmt.Fprintln(env.Stderr, "Nothing was saved.")
			return exitCode(err)
		}
		fmt.Fprintf(env.Stdout, "Signing in with %s as %s...\n", p.Name, o.email)
		a, err := c.AddAccountWithSignIn(ctx, core.SignInRequest{
			Email: o.email, Name: o.name, DisplayName: o.displayName, Provider: id,
			ClientID: o.signIn.clientID, Tenant: o.signIn.tenant,
			Open: o.signIn.open(env), NoTest: o.noTest,
			IMAP: imap.IMAP, SentCopy: accounts.SentCopyMode(o.sentCopy),
		})
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			fmt.Fprintln(env.Stderr, "Nothing was saved.")
			if errors.As(err, new(*accounts.IMAPTestError)) {
				fmt.Fprintln(env.Stderr, "To save the account without the copy in Sent, add --sent-copy never.")
			}
			return exitCode(err)
		}
		fmt.Fprintf(env.Stdout, "Signed in with %s. Postie sends through %s:%d (%s).\n", p.Name, a.Host, a.Port, a.Security)
		printSaved(env.Stdout, &a, true)
		return ExitOK
	})
}

func accountsSignIn(ctx context.Context, env *Env, args []string) int {
	var o signInOptions
	fs := flag.NewFlagSet("postie accounts signin", flag.ContinueOnError)
	o.addFlags(fs, false)
	positional, code, ok := parseFlags(env, fs, accountsUsage, args)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return usageError(env, accountsUsage, "postie accounts signin: give exactly one account name")
	}
	name := positional[0]
	return o.withCore(ctx, env, func(c *core.Core) int {
		a, err := c.Account(ctx, name)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		if a.OAuthProvider == "" {
			fmt.Fprintf(env.Stderr, "The account %q signs in with a password, not with a provider in the browser.\n", a.Name)
			return ExitDataErr
		}
		resumed, err := c.SignInAgainResuming(ctx, a.Name, o.open(env))
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		fmt.Fprintf(env.Stdout, "Signed in again: %q can send.\n", a.Name)
		if resumed > 0 {
			fmt.Fprintf(env.Stdout, "%d waiting message(s) are queued again; send them now with: postie outbox flush\n", resumed)
		}
		return ExitOK
	})
}

func providerIDs(c *core.Core) string {
	var ids []string
	for _, p := range c.OAuthProviders() {
		ids = append(ids, p.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// Sign-in methods as `accounts list --json` prints them in sign_in.
const (
	signInPassword = "password" // a password (or app password) in the keyring
	signInOAuth    = "oauth"    // a provider's sign-in in the browser
	signInNone     = "none"     // sends without signing in (a local relay)
)

func signInMethod(a accounts.Account) string {
	switch {
	case a.OAuthProvider != "":
		return signInOAuth
	case a.Username == "":
		return signInNone
	}
	return signInPassword
}

// describeSignIn is the SIGN-IN column of `accounts list`.
func describeSignIn(a accounts.Account) string {
	switch signInMethod(a) {
	case signInOAuth:
		return "with " + a.OAuthProvider + " in the browser"
	case signInNone:
		return "none"
	case signInPassword:
		if a.HasSecret {
			return "password in password store"
		}
	}
	return "password not saved"
}

// listedAccount is an account as `accounts list --json` prints it: its
// settings, and how it signs in.
type listedAccount struct {
	accounts.Account
	SignIn string `json:"sign_in"`
}

func listedAccounts(list []accounts.Account) []listedAccount {
	out := make([]listedAccount, 0, len(list))
	for _, a := range list {
		out = append(out, listedAccount{Account: a, SignIn: signInMethod(a)})
	}
	return out
}
