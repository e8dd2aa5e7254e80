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
		writeJSON(env.Stdout, resultJSON{res, explainHint(res.Hint), confirmReason(res)})
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
}

func confirmReason(res *autoconfig.Result) string {
	if !res.Confirm {
		return ""
	}
	return explainConfirmation(res.Confirmation)
}
