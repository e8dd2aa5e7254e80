package autoconfig

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// lab is a small internet on loopback: one HTTPS server for every test
// domain, a DNS server and a certificate authority.
type lab struct {
	ca  *testpeer.CA
	web *webServer
	dns *dnsServer
}

func newLab(t testing.TB) *lab {
	ca := testpeer.NewCA(t, "Postie Test CA")
	return &lab{ca: ca, web: newWebServer(t, ca), dns: newDNSServer(t)}
}

// discoverer points every source at the lab; the guess finds nothing
// unless a test starts SMTP listeners and sets the ports.
func (l *lab) discoverer(t testing.TB) *Discoverer {
	return &Discoverer{
		HTTPClient:       l.web.client(),
		ISPDBURL:         "https://ispdb.test/v1.1/",
		DNSServer:        l.dns.addr,
		RootCAs:          l.ca.Pool(),
		ImplicitTLSPort:  testpeer.FreePort(t),
		STARTTLSPort:     testpeer.FreePort(t),
		IMAPTLSPort:      testpeer.FreePort(t),
		IMAPSTARTTLSPort: testpeer.FreePort(t),
		Budget:           5 * time.Second,
	}
}

// config is a clientConfig file with one outgoing server per entry, each
// entry "host port socketType".
func config(servers ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><clientConfig version="1.1"><emailProvider id="lab">` +
		`<domain>lab.test</domain><displayName>Lab Mail</displayName>`)
	for _, s := range servers {
		f := strings.Fields(s)
		fmt.Fprintf(&b, `<outgoingServer type="smtp"><hostname>%s</hostname><port>%s</port><socketType>%s</socketType>`+
			`<username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></outgoingServer>`,
			f[0], f[1], f[2])
	}
	b.WriteString(`</emailProvider></clientConfig>`)
	return b.String()
}

func discover(t *testing.T, d *Discoverer, email string) *Result {
	t.Helper()
	res, err := d.Discover(context.Background(), email)
	if err != nil {
		t.Fatalf("Discover(%s): %v", email, err)
	}
	return res
}

func wantSettings(t *testing.T, res *Result, source Source, host string, port int, sec Security) {
	t.Helper()
	if res.Source != source || res.Host != host || res.Port != port || res.Security != sec {
		t.Fatalf("got %s:%d %s from %q, want %s:%d %s from %q (attempts %+v)",
			res.Host, res.Port, res.Security, res.Source, host, port, sec, source, res.Attempts)
	}
}

func attempt(t *testing.T, res []Attempt, source Source) Attempt {
	t.Helper()
	for _, a := range res {
		if a.Source == source {
			return a
		}
	}
	t.Fatalf("no attempt by %s in %+v", source, res)
	return Attempt{}
}

func TestDiscoverProviderAutoconfig(t *testing.T) {
	l := newLab(t)
	l.web.serveXML("autoconfig.good.test/mail/config-v1.1.xml",
		config("smtp.good.test 25 plain", "smtp.good.test 465 SSL", "smtp.good.test 587 STARTTLS"))
	l.web.serveXML("good.test/.well-known/autoconfig/mail/config-v1.1.xml", config("other.good.test 587 STARTTLS"))

	res := discover(t, l.discoverer(t), "anna@good.test")
	wantSettings(t, res, SourceAutoconfig, "smtp.good.test", 465, TLS)
	if res.Username != "anna@good.test" || res.Provider != "Lab Mail" || res.Confirm {
		t.Errorf("username %q, provider %q, confirm %v", res.Username, res.Provider, res.Confirm)
	}
	want := "https://autoconfig.good.test/mail/config-v1.1.xml?emailaddress=anna%40good.test"
	if res.Detail != want {
		t.Errorf("detail = %q, want %q", res.Detail, want)
	}
	if !slices.Contains(l.web.requests(), "autoconfig.good.test/mail/config-v1.1.xml?emailaddress=anna%40good.test") {
		t.Errorf("requests %q lack the address parameter", l.web.requests())
	}
}

func TestDiscoverWellKnown(t *testing.T) {
	l := newLab(t)
	l.web.serveXML("wk.test/.well-known/autoconfig/mail/config-v1.1.xml", config("smtp.wk.test 587 STARTTLS"))
	res := discover(t, l.discoverer(t), "bo@wk.test")
	wantSettings(t, res, SourceWellKnown, "smtp.wk.test", 587, STARTTLS)
	if a := attempt(t, res.Attempts, SourceAutoconfig); a.Outcome != errNoFile.Error() {
		t.Errorf("autoconfig attempt = %+v", a)
	}
}

// TestDiscoverWaitsForMoreTrustedSources makes the provider's autoconfig
// answer only after the ISPDB has been asked: its answer still wins.
func TestDiscoverWaitsForMoreTrustedSources(t *testing.T) {
	l := newLab(t)
	ispdbAsked := make(chan struct{})
	l.web.handle("ispdb.test/v1.1/both.test", func(rw http.ResponseWriter, _ *http.Request) {
		close(ispdbAsked)
		io.WriteString(rw, config("isp.both.test 465 SSL"))
	})
	l.web.handle("autoconfig.both.test/mail/config-v1.1.xml", func(rw http.ResponseWriter, _ *http.Request) {
		<-ispdbAsked
		io.WriteString(rw, config("own.both.test 465 SSL"))
	})
	l.dns.add(t, "_submissions._tcp.both.test. 60 IN SRV 0 1 465 srv.both.test.")
	res := discover(t, l.discoverer(t), "anna@both.test")
	wantSettings(t, res, SourceAutoconfig, "own.both.test", 465, TLS)
	// Whether the ISPDB's answer was read before the autoconfig's depends
	// on scheduling; either way it must not win.
	if a := attempt(t, res.Attempts, SourceISPDB); a.Outcome != outcomeOutranked && a.Outcome != outcomeNotNeeded {
		t.Errorf("ISPDB attempt = %+v", a)
	}
}

func TestDiscoverISPDB(t *testing.T) {
	l := newLab(t)
	l.web.serveXML("ispdb.test/v1.1/isp.test", config("mail.isp.test 587 STARTTLS"))
	res := discover(t, l.discoverer(t), "anna@isp.test")
	wantSettings(t, res, SourceISPDB, "mail.isp.test", 587, STARTTLS)
	if res.Detail != "https://ispdb.test/v1.1/isp.test" {
		t.Errorf("detail = %q", res.Detail)
	}
}

func TestDiscoverISPDBFromEnvironmentOverLoopbackHTTP(t *testing.T) {
	l := newLab(t)
	plain := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.1/isp.test" {
			http.NotFound(rw, r)
			return
		}
		io.WriteString(rw, config("mail.isp.test 465 SSL"))
	}))
	defer plain.Close()
	t.Setenv(ISPDBURLEnv, plain.URL+"/v1.1")
	d := l.discoverer(t)
	d.ISPDBURL = ""
	res := discover(t, d, "anna@isp.test")
	wantSettings(t, res, SourceISPDB, "mail.isp.test", 465, TLS)
	if res.Detail != plain.URL+"/v1.1/isp.test" {
		t.Errorf("detail = %q", res.Detail)
	}
}

func TestISPDBBaseAllowsPlainHTTPOnlyOnLoopback(t *testing.T) {
	for raw, ok := range map[string]bool{
		"":                            true, // the default
		"https://ispdb.example/v1.1/": true,
		"http://127.0.0.1:8080/v1.1":  true,
		"http://[::1]:8080/v1.1/":     true,
		"http://localhost:8080/":      true,
		"http://ispdb.example/v1.1/":  false,
		"http://192.0.2.1/v1.1/":      false,
		"ftp://127.0.0.1/v1.1/":       false,
		"not a url":                   false,
	} {
		t.Setenv(ISPDBURLEnv, "")
		base, _, err := (&Discoverer{ISPDBURL: raw}).ispdbBase()
		if (err == nil) != ok {
			t.Errorf("ispdbBase(%q) = %q, %v", raw, base, err)
		}
		if err == nil && !strings.HasSuffix(base, "/") {
			t.Errorf("ispdbBase(%q) = %q, want a trailing slash", raw, base)
		}
	}
}

func TestDiscoverRefusesPlainHTTPISPDBElsewhere(t *testing.T) {
	l := newLab(t)
	l.web.serveXML("ispdb.test/v1.1/isp.test", config("mail.isp.test 587 STARTTLS"))
	d := l.discoverer(t)
	d.ISPDBURL = "http://ispdb.test/v1.1/"
	_, err := d.Discover(context.Background(), "anna@isp.test")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want NotFoundError", err)
	}
	if a := attempt(t, nf.Attempts, SourceISPDB); !strings.Contains(a.Outcome, "loopback") {
		t.Errorf("ISPDB attempt = %+v", a)
	}
	for _, r := range l.web.requests() {
		if strings.HasPrefix(r, "ispdb.test") {
			t.Errorf("asked the ISPDB over plain http: %s", r)
		}
	}
}

// TestDiscoverSkipsHostileFiles serves a broken or hostile file as the
// provider's autoconfig; discovery must say why it skipped it and go on to
// the ISPDB.
func TestDiscoverSkipsHostileFiles(t *testing.T) {
	for _, tc := range []struct {
		domain string
		serve  http.HandlerFunc
		reason string
	}{
		{"malformed.test", func(rw http.ResponseWriter, _ *http.Request) {
			io.WriteString(rw, `<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>evil`)
		}, "not valid"},
		{"huge.test", func(rw http.ResponseWriter, _ *http.Request) {
			io.WriteString(rw, `<clientConfig><emailProvider id="x"><displayName>`)
			io.Copy(rw, io.LimitReader(repeatReader('a'), 10<<20))
		}, errConfigTooLarge.Error()},
		{"laughs.test", func(rw http.ResponseWriter, _ *http.Request) {
			io.WriteString(rw, billionLaughs)
		}, "entity"},
		{"plain.test", func(rw http.ResponseWriter, _ *http.Request) {
			io.WriteString(rw, config("smtp.plain.test 25 plain", "smtp.plain.test 587 plain"))
		}, errOnlyPlain.Error()},
		{"redirect.test", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "http://autoconfig.redirect.test/elsewhere.xml", http.StatusFound)
		}, "not protected by HTTPS"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			l := newLab(t)
			l.web.handle("autoconfig."+tc.domain+"/mail/config-v1.1.xml", tc.serve)
			l.web.serveXML("ispdb.test/v1.1/"+tc.domain, config("smtp.isp.test 465 SSL"))
			res := discover(t, l.discoverer(t), "anna@"+tc.domain)
			wantSettings(t, res, SourceISPDB, "smtp.isp.test", 465, TLS)
			if a := attempt(t, res.Attempts, SourceAutoconfig); !strings.Contains(a.Outcome, tc.reason) {
				t.Errorf("autoconfig attempt = %+v, want it to say %q", a, tc.reason)
			}
		})
	}
}

func TestDiscoverNeverChoosesPlainSettings(t *testing.T) {
	l := newLab(t)
	plainOnly := config("smtp.plain.test 25 plain", "smtp.plain.test 587 plain")
	l.web.serveXML("autoconfig.plain.test/mail/config-v1.1.xml", plainOnly)
	l.web.serveXML("plain.test/.well-known/autoconfig/mail/config-v1.1.xml", plainOnly)
	l.web.serveXML("ispdb.test/v1.1/plain.test", plainOnly)
	res, err := l.discoverer(t).Discover(context.Background(), "anna@plain.test")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("got %+v, %v; want NotFoundError", res, err)
	}
	if nf.Domain != "plain.test" {
		t.Errorf("error is not plain language: %v", err)
	}
	for _, s := range []Source{SourceAutoconfig, SourceWellKnown, SourceISPDB} {
		if a := attempt(t, nf.Attempts, s); a.Outcome != errOnlyPlain.Error() {
			t.Errorf("%s attempt = %+v", s, a)
		}
	}
}

func TestDiscoverSRV(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"_submissions._tcp.srv.test. 60 IN SRV 10 1 465 smtp.srv.test.",
		"_submissions._tcp.srv.test. 60 IN SRV 0 1 1465 primary.srv.test.",
		"_submission._tcp.srv.test. 60 IN SRV 0 1 587 smtp.srv.test.",
		"_submission._tcp.starttls.test. 60 IN SRV 0 1 587 smtp.starttls.test.",
		"_submissions._tcp.outside.test. 60 IN SRV 0 1 465 smtp.hoster.test.",
		"_submissions._tcp.nullsrv.test. 60 IN SRV 0 0 0 .",
	)
	d := l.discoverer(t)

	res := discover(t, d, "anna@srv.test")
	wantSettings(t, res, SourceSRV, "primary.srv.test", 1465, TLS)
	if res.Confirm || res.Username != "anna@srv.test" {
		t.Errorf("confirm %v, username %q", res.Confirm, res.Username)
	}

	res = discover(t, d, "anna@starttls.test")
	wantSettings(t, res, SourceSRV, "smtp.starttls.test", 587, STARTTLS)

	res = discover(t, d, "anna@outside.test")
	wantSettings(t, res, SourceSRV, "smtp.hoster.test", 465, TLS)
	if want := (Confirmation{Because: ConfirmHostOutsideDomain, Domain: "outside.test", Host: "smtp.hoster.test", Operator: "hoster.test"}); !res.Confirm || res.Confirmation != want {
		t.Errorf("confirm %v: %+v, want %+v", res.Confirm, res.Confirmation, want)
	}

	_, err := d.Discover(context.Background(), "anna@nullsrv.test")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
	if a := nf.Attempts[4]; a.Source != SourceSRV || !strings.Contains(a.Outcome, "no such service") {
		t.Errorf("SRV attempt = %+v", a)
	}
}

func TestDiscoverMX(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"workspace.test. 60 IN MX 20 alt1.aspmx.l.google.com.",
		"workspace.test. 60 IN MX 10 aspmx.l.google.com.",
		"hosted.test. 60 IN MX 10 mx1.hoster.test.",
		"selfmx.test. 60 IN MX 10 mx.selfmx.test.",
	)
	l.web.serveXML("autoconfig.hoster.test/mail/config-v1.1.xml", config("smtp.hoster.test 465 SSL"))
	d := l.discoverer(t)

	res := discover(t, d, "anna@workspace.test")
	wantSettings(t, res, SourceMX, "smtp.gmail.com", 465, TLS)
	if res.Provider != "Gmail" || res.Username != "anna@workspace.test" || res.Hint.Kind != HintAppPassword || res.Hint.Provider != "Gmail" {
		t.Errorf("provider %q, username %q, hint %q", res.Provider, res.Username, res.Hint)
	}
	if !strings.Contains(res.Detail, "aspmx.l.google.com") {
		t.Errorf("detail = %q", res.Detail)
	}
	if c := res.Confirmation; !res.Confirm || c.Because != ConfirmFoundViaMX || c.MXHost != "aspmx.l.google.com" ||
		c.Domain != "workspace.test" || c.Operator != "Gmail" {
		t.Errorf("confirm %v: %+v", res.Confirm, c)
	}

	res = discover(t, d, "anna@hosted.test")
	wantSettings(t, res, SourceMX, "smtp.hoster.test", 465, TLS)
	if !res.Confirm || !strings.Contains(res.Detail, "mx1.hoster.test") || !strings.Contains(res.Detail, string(SourceAutoconfig)) {
		t.Errorf("confirm %v, detail %q", res.Confirm, res.Detail)
	}
	for _, r := range l.web.requests() {
		if strings.HasPrefix(r, "autoconfig.hoster.test") && strings.Contains(r, "emailaddress") {
			t.Errorf("sent the address to the MX host's domain: %s", r)
		}
	}

	_, err := d.Discover(context.Background(), "anna@selfmx.test")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
	if a := attempt(t, nf.Attempts, SourceMX); !strings.Contains(a.Outcome, "in the domain itself") {
		t.Errorf("MX attempt = %+v", a)
	}
}

func TestDiscoverGuess(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"smtp.guess.test. 60 IN A 127.0.0.1",
		"mail.guess.test. 60 IN A 127.0.0.1",
	)
	cert := l.ca.Issue(t, testpeer.Leaf{Names: []string{"smtp.guess.test", "mail.guess.test"}})

	t.Run("implicit TLS preferred", func(t *testing.T) {
		d := l.discoverer(t)
		d.ImplicitTLSPort = startSMTP(t, cert, true)
		d.STARTTLSPort = startSMTP(t, cert, false)
		res := discover(t, d, "anna@guess.test")
		wantSettings(t, res, SourceGuess, "smtp.guess.test", d.ImplicitTLSPort, TLS)
		if res.UntrustedCertificate != nil || !slices.Equal(res.Auth, []string{"PLAIN", "LOGIN"}) {
			t.Errorf("certificate %+v, auth %q", res.UntrustedCertificate, res.Auth)
		}
	})
	t.Run("STARTTLS only", func(t *testing.T) {
		d := l.discoverer(t)
		d.STARTTLSPort = startSMTP(t, cert, false)
		res := discover(t, d, "anna@guess.test")
		wantSettings(t, res, SourceGuess, "smtp.guess.test", d.STARTTLSPort, STARTTLS)
		if !slices.Equal(res.Auth, []string{"PLAIN", "LOGIN"}) {
			t.Errorf("auth %q", res.Auth)
		}
	})
	t.Run("untrusted certificate is flagged", func(t *testing.T) {
		self := (*testpeer.CA)(nil).Issue(t, testpeer.Leaf{Names: []string{"smtp.guess.test", "mail.guess.test"}})
		d := l.discoverer(t)
		d.ImplicitTLSPort = startSMTP(t, self, true)
		res := discover(t, d, "anna@guess.test")
		wantSettings(t, res, SourceGuess, "smtp.guess.test", d.ImplicitTLSPort, TLS)
		sum := sha256.Sum256(self.Certificate[0])
		c := res.UntrustedCertificate
		if c == nil || c.SHA256 != hex.EncodeToString(sum[:]) || c.Subject != "CN=smtp.guess.test" || res.CertificateProblem == "" {
			t.Errorf("certificate = %+v, problem %q", c, res.CertificateProblem)
		}
	})
	t.Run("verified certificate beats unverified", func(t *testing.T) {
		mailOnly := l.ca.Issue(t, testpeer.Leaf{Names: []string{"mail.guess.test"}})
		d := l.discoverer(t)
		d.STARTTLSPort = startSMTP(t, mailOnly, false)
		res := discover(t, d, "anna@guess.test")
		wantSettings(t, res, SourceGuess, "mail.guess.test", d.STARTTLSPort, STARTTLS)
		if res.UntrustedCertificate != nil {
			t.Errorf("certificate = %+v", res.UntrustedCertificate)
		}
	})
}

func TestDiscoverNothingFound(t *testing.T) {
	l := newLab(t)
	_, err := l.discoverer(t).Discover(context.Background(), "anna@nothing.test")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
	var sources []Source
	for _, a := range nf.Attempts {
		sources = append(sources, a.Source)
		if a.Outcome == "" || a.Outcome == outcomeFound {
			t.Errorf("attempt %+v", a)
		}
	}
	want := []Source{SourceProviderTable, SourceAutoconfig, SourceWellKnown, SourceISPDB, SourceSRV, SourceSRV, SourceMX, SourceGuess}
	if !slices.Equal(sources, want) {
		t.Errorf("attempts by %q, want %q", sources, want)
	}
}

// TestDiscoverBudget: the provider's autoconfig server never answers, so
// discovery waits for it only until the budget ends, then takes the best
// answer it has.
func TestDiscoverBudget(t *testing.T) {
	l := newLab(t)
	l.web.handle("autoconfig.slow.test/mail/config-v1.1.xml", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	l.dns.add(t, "_submissions._tcp.slow.test. 60 IN SRV 0 1 465 smtp.slow.test.")
	d := l.discoverer(t)
	d.Budget = 500 * time.Millisecond
	res := discover(t, d, "anna@slow.test")
	wantSettings(t, res, SourceSRV, "smtp.slow.test", 465, TLS)
	if a := attempt(t, res.Attempts, SourceAutoconfig); a.Outcome != outcomeNoTime {
		t.Errorf("autoconfig attempt = %+v", a)
	}
}

func TestDiscoverStopsWhenCancelled(t *testing.T) {
	l := newLab(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.discoverer(t).Discover(ctx, "anna@nothing.test"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDiscoverRejectsBadAddresses(t *testing.T) {
	for in, want := range map[string]AddressProblem{
		"":                       AddressEmpty,
		"anna":                   AddressNoAtOrParts,
		"anna@":                  AddressNoAtOrParts,
		"@example.org":           AddressNoAtOrParts,
		"anna@localhost":         AddressBadDomain,
		"anna smith@example.org": AddressForbiddenChar,
		"anna@exa mple.org":      AddressForbiddenChar,
	} {
		_, err := (&Discoverer{}).Discover(context.Background(), in)
		var ae *AddressError
		if !errors.As(err, &ae) || ae.Problem != want {
			t.Errorf("Discover(%q) err = %v, want AddressError %s", in, err, want)
		}
	}
}

func TestParseAddressUsesALabels(t *testing.T) {
	a, err := parseAddress("  Jörg@Bücher.Example ")
	if err != nil {
		t.Fatal(err)
	}
	if a.full != "Jörg@Bücher.Example" || a.local != "Jörg" || a.domain != "bücher.example" || a.ascii != "xn--bcher-kva.example" {
		t.Errorf("parseAddress = %+v", a)
	}
}

func TestDecidedWaitsForMoreTrustedSources(t *testing.T) {
	found := &Result{}
	for _, tc := range []struct {
		finished []bool
		results  []*Result
		want     int
	}{
		{[]bool{false, true}, []*Result{nil, found}, -1},
		{[]bool{true, true}, []*Result{nil, found}, 1},
		{[]bool{true, false}, []*Result{found, nil}, 0},
		{[]bool{true, true, false}, []*Result{nil, nil, nil}, -1},
	} {
		if got := decided(tc.finished, tc.results); got != tc.want {
			t.Errorf("decided(%v, %v) = %d, want %d", tc.finished, tc.results, got, tc.want)
		}
	}
}
