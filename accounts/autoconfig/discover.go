package autoconfig

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const (
	// DefaultISPDBURL is Thunderbird's ISPDB; the domain is appended.
	DefaultISPDBURL = "https://autoconfig.thunderbird.net/v1.1/"
	// ISPDBURLEnv overrides the ISPDB base URL, so tests can use a local
	// server. Plain http is accepted only for a loopback address.
	ISPDBURLEnv = "POSTIE_ISPDB_URL"
	// DefaultBudget is how long a whole discovery may take.
	DefaultBudget = 10 * time.Second
	// DefaultIMAPGrace is how long discovery waits for the IMAP server
	// after the SMTP server was found. Without one, the account has no
	// IMAP server and files no copy in Sent until the user sets one.
	DefaultIMAPGrace = 3 * time.Second
)

// Discoverer finds outgoing server settings. The zero value uses the
// system's resolver, the system's trusted certificates and the real ISPDB;
// the fields let tests point every source at local servers.
type Discoverer struct {
	// HTTPClient fetches clientConfig files; nil means a default client.
	// Discovery adds its own redirect policy (HTTPS only) to a copy.
	HTTPClient *http.Client
	// ISPDBURL is the ISPDB base URL; empty means $POSTIE_ISPDB_URL, then
	// DefaultISPDBURL.
	ISPDBURL string
	// DNSServer is a "host:port" to send DNS queries to, for SRV, MX and the
	// guess's address lookups; empty means the system's resolver.
	DNSServer string
	// RootCAs verifies certificates found by the guess; nil means the
	// system's trusted certificates.
	RootCAs *x509.CertPool
	// ImplicitTLSPort and STARTTLSPort are the ports the guess tries;
	// zero means 465 and 587.
	ImplicitTLSPort, STARTTLSPort int
	// IMAPTLSPort and IMAPSTARTTLSPort are the ports the guess tries for
	// the IMAP server; zero means 993 and 143 (RFC 8314 section 7.3).
	IMAPTLSPort, IMAPSTARTTLSPort int
	// Budget bounds the whole discovery; zero means DefaultBudget.
	Budget time.Duration
	// IMAPGrace is how long discovery still waits for the IMAP server once
	// the SMTP server is settled; zero means DefaultIMAPGrace. A firewall
	// that silently drops ports 993 and 143 would otherwise hold the
	// wizard for the whole budget, although sending is ready.
	IMAPGrace time.Duration
}

// NotFoundError reports that no source gave usable settings.
type NotFoundError struct {
	Domain   string
	Attempts []Attempt
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no outgoing mail settings found for %s (%d sources tried)", e.Domain, len(e.Attempts))
}

// Discover finds the outgoing server settings for the email address.
// It returns a *NotFoundError when no source gives encrypted settings.
func (d *Discoverer) Discover(ctx context.Context, email string) (*Result, error) {
	addr, err := parseAddress(email)
	if err != nil {
		return nil, err
	}
	budget, cancel := context.WithTimeout(ctx, d.budget())
	defer cancel()

	if p := providerForDomain(addr.ascii); p != nil {
		res := tableResult(p, addr)
		res.Source, res.Detail = SourceProviderTable, addr.domain
		res.Attempts = []Attempt{{Source: SourceProviderTable, Detail: addr.domain, Outcome: outcomeFound}}
		markConfirmation(res, addr)
		d.completeIMAP(budget, res, addr, nil)
		return res, nil
	}
	table := Attempt{Source: SourceProviderTable, Detail: addr.domain, Outcome: "no entry for this domain"}

	// The IMAP server's own sources run alongside, in case the source that
	// wins for SMTP names no IMAP server.
	imap := d.startIMAPRace(budget, addr)
	defer imap.cancel()
	res, attempts := race(budget, d.sources(addr))
	attempts = append([]Attempt{table}, attempts...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if res == nil {
		return nil, &NotFoundError{Domain: addr.domain, Attempts: attempts}
	}
	res.Attempts = attempts
	markConfirmation(res, addr)
	d.completeIMAP(budget, res, addr, imap)
	return res, nil
}

// sources lists every network source in order of trust.
func (d *Discoverer) sources(addr address) []source {
	return []source{
		d.autoconfigSource(addr.ascii, addr, true),
		d.wellKnownSource(addr.ascii, addr),
		d.ispdbSource(addr.ascii, addr),
		d.srvSource(addr, "submissions", TLS),
		d.srvSource(addr, "submission", STARTTLS),
		d.mxSource(addr),
		d.guessSource(addr),
	}
}

func (d *Discoverer) imapGrace() time.Duration {
	if d.IMAPGrace > 0 {
		return d.IMAPGrace
	}
	return DefaultIMAPGrace
}

func (d *Discoverer) budget() time.Duration {
	if d.Budget > 0 {
		return d.Budget
	}
	return DefaultBudget
}

// resolver returns the resolver for SRV, MX and the guess's lookups.
func (d *Discoverer) resolver() *net.Resolver {
	if d.DNSServer == "" {
		return net.DefaultResolver
	}
	server := d.DNSServer
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, network, server)
		},
	}
}

// tableResult turns a table entry into a result for addr.
func tableResult(p *Provider, addr address) *Result {
	res := &Result{
		Settings: Settings{
			Host: p.Host, Port: p.Port, Security: p.Security,
			Username: expandPlaceholders(p.Username, addr),
			Auth:     append([]string(nil), p.Auth...),
		},
		Provider: p.Name,
		Hint:     p.hint(),
		trusted:  append([]string{p.Host}, p.Domains...),
	}
	if p.IMAPHost != "" {
		res.IMAP = &IMAPSettings{Host: p.IMAPHost, Port: p.IMAPPort, Security: p.IMAPSecurity, Username: res.Username}
	}
	return res
}

// markConfirmation asks for the user's confirmation when the settings send
// mail through a host outside the user's domain and its provider's domains,
// or were found only through the domain's MX host: DNS answers and files
// from elsewhere can be forged, and the password would go to that host
// (RFC 6186 section 6).
func markConfirmation(res *Result, addr address) {
	hostDomain := registrableDomain(res.Host)
	own := hostDomain == registrableDomain(addr.ascii)
	if res.viaMX != "" && !own {
		res.Confirm = true
		res.Confirmation = Confirmation{Because: ConfirmFoundViaMX, Domain: addr.domain, MXHost: res.viaMX,
			Host: res.Host, Operator: providerName(res, hostDomain)}
		return
	}
	if own {
		return
	}
	for _, d := range res.trusted {
		if registrableDomain(d) == hostDomain {
			return
		}
	}
	res.Confirm = true
	res.Confirmation = Confirmation{Because: ConfirmHostOutsideDomain, Domain: addr.domain,
		Host: res.Host, Operator: providerName(res, hostDomain)}
}

func providerName(res *Result, hostDomain string) string {
	if res.Provider != "" {
		return res.Provider
	}
	return hostDomain
}

// source is one place discovery asks.
type source struct {
	name   Source
	detail string
	run    func(ctx context.Context) (*Result, error)
}

const (
	outcomeFound     = "found"
	outcomeNotNeeded = "not needed: a more trusted source answered"
	outcomeOutranked = "found, but a more trusted source answered"
	outcomeNoTime    = "no answer within the time limit"
)

// race runs all sources at once and returns the answer of the most trusted
// source that has one, as soon as every more trusted source has finished
// without one. Sources still running then are cancelled. When ctx ends
// first, the best answer among the finished sources wins.
func race(ctx context.Context, sources []source) (*Result, []Attempt) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		i   int
		res *Result
		err error
	}
	answers := make(chan answer, len(sources)) // buffered: late sources never block
	for i, s := range sources {
		go func() {
			res, err := s.run(ctx)
			answers <- answer{i, res, err}
		}()
	}

	results := make([]*Result, len(sources))
	errs := make([]error, len(sources))
	finished := make([]bool, len(sources))
	chosen := -1
wait:
	for pending := len(sources); pending > 0 && chosen < 0; pending-- {
		select {
		case a := <-answers:
			finished[a.i], results[a.i], errs[a.i] = true, a.res, a.err
			chosen = decided(finished, results)
		case <-ctx.Done():
			break wait
		}
	}
	if chosen < 0 {
		for i, r := range results {
			if r != nil {
				chosen = i
				break
			}
		}
	}

	attempts := make([]Attempt, len(sources))
	for i, s := range sources {
		a := Attempt{Source: s.name, Detail: s.detail}
		switch {
		case i == chosen:
			a.Outcome = outcomeFound
		case results[i] != nil:
			a.Outcome = outcomeOutranked
		case errs[i] != nil:
			a.Outcome = errs[i].Error()
		case chosen >= 0 && i > chosen:
			a.Outcome = outcomeNotNeeded
		default:
			a.Outcome = outcomeNoTime
		}
		attempts[i] = a
	}
	if chosen < 0 {
		return nil, attempts
	}
	res := results[chosen]
	res.Source = sources[chosen].name
	if res.Detail == "" {
		res.Detail = sources[chosen].detail
	}
	return res, attempts
}

// decided returns the index of the winning source once it is known: the
// first source with an answer, all sources before it finished. It returns
// -1 while a more trusted source may still answer.
func decided(finished []bool, results []*Result) int {
	for i := range finished {
		if !finished[i] {
			return -1
		}
		if results[i] != nil {
			return i
		}
	}
	return -1
}

// ispdbBase returns the ISPDB base URL ending in "/" and whether it is a
// loopback http URL, the only kind of plain http allowed.
func (d *Discoverer) ispdbBase() (string, bool, error) {
	raw := d.ISPDBURL
	if raw == "" {
		raw = os.Getenv(ISPDBURLEnv)
	}
	if raw == "" {
		raw = DefaultISPDBURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false, fmt.Errorf("the ISPDB address %q is not a valid URL", raw)
	}
	loopbackHTTP := false
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", false, fmt.Errorf("the ISPDB address %q uses plain http, which Postie allows only for a loopback address such as 127.0.0.1", raw)
		}
		loopbackHTTP = true
	default:
		return "", false, fmt.Errorf("the ISPDB address %q must start with https://", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, loopbackHTTP, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errNoFile is the outcome of a source whose server has no file for us.
var errNoFile = errors.New("no settings file there")
