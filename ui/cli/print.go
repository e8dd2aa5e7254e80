package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
)

// writeJSON prints v as indented JSON, for --json.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// printCertificate shows a server's certificate, so that the user can
// decide whether to accept it with --pin-sha256.
func printCertificate(w io.Writer, c *smtpclient.CertInfo) {
	printCertificateOf(w, "The server's certificate", c)
}

// printCertificateOf is printCertificate with its heading, such as "The
// IMAP server's certificate".
func printCertificateOf(w io.Writer, heading string, c *smtpclient.CertInfo) {
	fmt.Fprintf(w, "%s:\n  Subject:     %s\n  Issued by:   %s\n", heading, c.Subject, c.Issuer)
	if len(c.DNSNames) > 0 {
		fmt.Fprintf(w, "  For:         %s\n", strings.Join(c.DNSNames, ", "))
	}
	fmt.Fprintf(w, "  Valid:       %s to %s\n  SHA-256:     %s\n",
		c.NotBefore.Format("2 January 2006"), c.NotAfter.Format("2 January 2006"), c.SHA256)
}

// printDiscoveryFailure explains why discovery found nothing, listing what
// each source said.
func printDiscoveryFailure(w io.Writer, err error) {
	fmt.Fprintln(w, explain(err))
	var nf *autoconfig.NotFoundError
	if errors.As(err, &nf) {
		fmt.Fprintln(w, "What Postie tried:")
		for _, a := range nf.Attempts {
			fmt.Fprintf(w, "  %s (%s): %s\n", a.Source, a.Detail, a.Outcome)
		}
	}
}
