package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/postie-app/postie/accounts/autoconfig"
)

const autoconfigUsage = `Usage: postie autoconfig ADDRESS [--json]

Finds the outgoing (SMTP) server for ADDRESS from Postie's provider table, the
provider's own settings file, Thunderbird's ISPDB, DNS, and finally by trying
the usual server names. Prints the host, port, security, user name,
authentication and where the settings came from. Exits 1 when nothing is
found. POSTIE_ISPDB_URL replaces the ISPDB's address.

It finds the incoming (IMAP) server too, where Postie saves the copy of each
sent message in Sent: from the same table or settings file, else from the DNS
records _imaps._tcp and _imap._tcp (RFC 6186), else by trying imap.DOMAIN on
ports 993 and 143. --json shows it as "imap": {"host", "port", "security",
"username", "source", "detail"}, absent when none was found, and what its own
sources answered as "imap_attempts". Where the provider saves the copy itself
(so "accounts add --sent-copy auto" saves none), "provider_files_sent_copy"
names the page that says so.
`

// newDiscoverer makes the discoverer for autoconfig and accounts add; tests
// point it at local servers.
var newDiscoverer = func() *autoconfig.Discoverer { return &autoconfig.Discoverer{} }

func runAutoconfig(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("postie autoconfig", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	positional, code, ok := parseFlags(env, fs, autoconfigUsage, args)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return usageError(env, autoconfigUsage, "postie autoconfig: give exactly one email address")
	}
	res, err := newDiscoverer().Discover(ctx, positional[0])
	if err != nil {
		if *asJSON {
			writeJSON(env.Stdout, discoveryFailureJSON(err))
		}
		printDiscoveryFailure(env.Stderr, err)
		return exitCode(err)
	}
	if *asJSON {
		_, filesSentCopy := autoconfig.FilesOwnSentCopy("", res.Host)
		writeJSON(env.Stdout, resultJSON{res, explainHint(res.Hint), confirmReason(res), filesSentCopy})
		return ExitOK
	}
	printResult(env.Stdout, res)
	return ExitOK
}

func printResult(w io.Writer, res *autoconfig.Result) {
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-13s %s\n", label+":", value)
		}
	}
	row("Host", res.Host)
	row("Port", fmt.Sprint(res.Port))
	row("Security", string(res.Security))
	row("Username", res.Username)
	row("Auth", strings.Join(res.Auth, ", "))
	row("Source", fmt.Sprintf("%s (%s)", res.Source, res.Detail))
	row("Provider", res.Provider)
	if m := res.IMAP; m != nil {
		row("IMAP", fmt.Sprintf("%s:%d (%s) for user %s, from the %s (%s)", m.Host, m.Port, m.Security, m.Username, m.Source, m.Detail))
	} else {
		row("IMAP", "none found")
	}
	if files, source := autoconfig.FilesOwnSentCopy("", res.Host); files {
		row("Sent copy", "the provider saves its own copy in Sent ("+source+")")
	}
	row("Hint", explainHint(res.Hint))
	if res.Confirm {
		row("Confirm", explainConfirmation(res.Confirmation))
	}
	if c := res.UntrustedCertificate; c != nil {
		row("Certificate", "NOT TRUSTED: "+res.CertificateProblem)
		printCertificate(w, c)
	}
}

func discoveryFailureJSON(err error) any {
	out := struct {
		Error    string               `json:"error"`
		Attempts []autoconfig.Attempt `json:"attempts,omitempty"`
	}{Error: explain(err)}
	var nf *autoconfig.NotFoundError
	if errors.As(err, &nf) {
		out.Attempts = nf.Attempts
	}
	return out
}

// resultJSON is a discovery result as `postie autoconfig --json` prints
// it: the result's facts, with its hint and confirmation written out as
// the sentences the output has always had.
type resultJSON struct {
	*autoconfig.Result
	Hint          string `json:"hint,omitempty"`
	ConfirmReason string `json:"confirm_reason,omitempty"`
	// ProviderFilesSentCopy is where it is documented that the provider
	// saves a copy of each sent message in Sent itself, so that
	// --sent-copy auto saves none; absent otherwise.
	ProviderFilesSentCopy string `json:"provider_files_sent_copy,omitempty"`
}

func confirmReason(res *autoconfig.Result) string {
	if !res.Confirm {
		return ""
	}
	return explainConfirmation(res.Confirmation)
}
