// Package autoconfig finds the outgoing (SMTP submission) server for an
// email address, so that adding an account usually takes only the address
// and a password. It finds the incoming (IMAP) server too, for filing a
// copy of each sent message in the Sent folder (imap.go), and knows which
// providers file that copy themselves (FilesOwnSentCopy).
//
// It asks several sources at once, within one time budget, and trusts them
// in this order:
//
//  1. A built-in table of large providers (providers.go), with hints where a
//     provider needs something special: an app password, OAuth sign-in, or
//     SMTP access switched on in its web settings.
//  2. The provider's own autoconfig file in Thunderbird's clientConfig format
//     (https://wiki.mozilla.org/Thunderbird:Autoconfiguration), first at
//     https://autoconfig.<domain>/mail/config-v1.1.xml, then at
//     https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml.
//  3. Thunderbird's ISPDB, the curated collection of those files.
//  4. DNS: the SRV records of RFC 6186 (_submission._tcp) and RFC 8314
//     section 5.1 (_submissions._tcp, implicit TLS), and the domain's MX
//     host, whose registrable domain is tried against sources 1 to 3
//     (a domain whose mail goes to google.com gets Gmail's settings).
//  5. A guess: smtp.<domain> and mail.<domain> on ports 465 (implicit TLS,
//     preferred by RFC 8314 section 3.3) and 587 (STARTTLS, RFC 6409),
//     reading the AUTH mechanisms from EHLO.
//
// The result says which source supplied it. Settings without encryption are
// never chosen automatically, and settings that point outside the user's
// domain and its provider's domains are marked for the user to confirm,
// because DNS answers and third-party files can be forged (RFC 6186
// section 6).
//
// clientConfig files come from the network and are parsed defensively: at
// most 1 MiB is read, encoding/xml resolves no external or custom entities,
// and unknown elements are ignored.
//
// This package never imports Fyne or the ui packages, never sees a password,
// and never blocks the caller beyond the context it is given: everything it
// does is bounded by that context and by the discovery budget.
package autoconfig
