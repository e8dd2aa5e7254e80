package autoconfig

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestProviderTable checks the entries for the well-known providers
// against their published settings.
func TestProviderTable(t *testing.T) {
	for _, tc := range []struct {
		domain   string
		host     string
		port     int
		security Security
		username string // for anna@<domain>
		needs    []Need
	}{
		{"gmail.com", "smtp.gmail.com", 465, TLS, "anna@gmail.com", []Need{NeedAppPassword, NeedOAuth}},
		{"googlemail.com", "smtp.gmail.com", 465, TLS, "anna@googlemail.com", []Need{NeedAppPassword, NeedOAuth}},
		{"outlook.com", "smtp-mail.outlook.com", 587, STARTTLS, "anna@outlook.com", []Need{NeedOAuth}},
		{"hotmail.com", "smtp-mail.outlook.com", 587, STARTTLS, "anna@hotmail.com", []Need{NeedOAuth}},
		{"live.com", "smtp-mail.outlook.com", 587, STARTTLS, "anna@live.com", []Need{NeedOAuth}},
		{"msn.com", "smtp-mail.outlook.com", 587, STARTTLS, "anna@msn.com", []Need{NeedOAuth}},
		{"office365.com", "smtp.office365.com", 587, STARTTLS, "anna@office365.com", []Need{NeedEnableSMTP, NeedOAuth}},
		{"contoso.onmicrosoft.com", "smtp.office365.com", 587, STARTTLS, "anna@contoso.onmicrosoft.com", []Need{NeedEnableSMTP, NeedOAuth}},
		{"yahoo.com", "smtp.mail.yahoo.com", 465, TLS, "anna@yahoo.com", []Need{NeedAppPassword}},
		{"yahoo.co.uk", "smtp.mail.yahoo.com", 465, TLS, "anna@yahoo.co.uk", []Need{NeedAppPassword}},
		{"icloud.com", "smtp.mail.me.com", 587, STARTTLS, "anna@icloud.com", []Need{NeedAppPassword}},
		{"me.com", "smtp.mail.me.com", 587, STARTTLS, "anna@me.com", []Need{NeedAppPassword}},
		{"mac.com", "smtp.mail.me.com", 587, STARTTLS, "anna@mac.com", []Need{NeedAppPassword}},
		{"aol.com", "smtp.aol.com", 465, TLS, "anna@aol.com", []Need{NeedAppPassword}},
		{"gmx.de", "mail.gmx.net", 465, TLS, "anna@gmx.de", []Need{NeedEnableSMTP}},
		{"gmx.net", "mail.gmx.net", 465, TLS, "anna@gmx.net", []Need{NeedEnableSMTP}},
		{"gmx.com", "mail.gmx.com", 465, TLS, "anna@gmx.com", []Need{NeedEnableSMTP}},
		{"web.de", "smtp.web.de", 465, TLS, "anna@web.de", []Need{NeedEnableSMTP}},
		{"fastmail.com", "smtp.fastmail.com", 465, TLS, "anna@fastmail.com", []Need{NeedAppPassword}},
		{"zoho.com", "smtp.zoho.com", 465, TLS, "anna@zoho.com", []Need{NeedEnableSMTP}},
		{"zoho.eu", "smtp.zoho.eu", 465, TLS, "anna@zoho.eu", []Need{NeedEnableSMTP}},
		{"yandex.ru", "smtp.yandex.com", 465, TLS, "anna@yandex.ru", []Need{NeedEnableSMTP, NeedAppPassword}},
		{"ya.ru", "smtp.yandex.com", 465, TLS, "anna@ya.ru", []Need{NeedEnableSMTP, NeedAppPassword}},
		{"mail.ru", "smtp.mail.ru", 465, TLS, "anna@mail.ru", []Need{NeedAppPassword}},
		{"t-online.de", "securesmtp.t-online.de", 465, TLS, "anna@t-online.de", []Need{NeedAppPassword}},
		{"posteo.de", "posteo.de", 465, TLS, "anna@posteo.de", nil},
		{"posteo.net", "posteo.de", 465, TLS, "anna@posteo.net", nil},
		{"mailbox.org", "smtp.mailbox.org", 465, TLS, "anna@mailbox.org", nil},
		{"comcast.net", "smtp.comcast.net", 465, TLS, "anna@comcast.net", []Need{NeedEnableSMTP}},
		{"orange.fr", "smtp.orange.fr", 465, TLS, "anna@orange.fr", nil},
		{"wanadoo.fr", "smtp.orange.fr", 465, TLS, "anna@wanadoo.fr", nil},
		{"free.fr", "smtp.free.fr", 465, TLS, "anna", nil},
		{"libero.it", "smtp.libero.it", 465, TLS, "anna@libero.it", nil},
		{"qq.com", "smtp.qq.com", 465, TLS, "anna@qq.com", []Need{NeedEnableSMTP, NeedAppPassword}},
		{"163.com", "smtp.163.com", 465, TLS, "anna@163.com", []Need{NeedEnableSMTP, NeedAppPassword}},
		{"naver.com", "smtp.naver.com", 465, TLS, "anna@naver.com", []Need{NeedEnableSMTP}},
		{"seznam.cz", "smtp.seznam.cz", 465, TLS, "anna@seznam.cz", nil},
		{"wp.pl", "smtp.wp.pl", 465, TLS, "anna", []Need{NeedEnableSMTP}},
		{"att.net", "outbound.att.net", 465, TLS, "anna@att.net", []Need{NeedAppPassword}},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			p := providerForDomain(tc.domain)
			if p == nil {
				t.Fatalf("no entry for %s", tc.domain)
			}
			addr, err := parseAddress("anna@" + tc.domain)
			if err != nil {
				t.Fatal(err)
			}
			got := tableResult(p, addr)
			if got.Host != tc.host || got.Port != tc.port || got.Security != tc.security || got.Username != tc.username {
				t.Errorf("settings = %s:%d %s user %q, want %s:%d %s user %q",
					got.Host, got.Port, got.Security, got.Username, tc.host, tc.port, tc.security, tc.username)
			}
			if !slices.Equal(p.Needs, tc.needs) {
				t.Errorf("needs = %v, want %v", p.Needs, tc.needs)
			}
		})
	}
}

// TestProviderTableIsConsistent checks invariants of every entry.
func TestProviderTableIsConsistent(t *testing.T) {
	seen := map[string]string{}
	domains := 0
	for _, p := range Providers() {
		t.Run(p.Name, func(t *testing.T) {
			if !validHostname(p.Host) {
				t.Errorf("host %q is not a host name", p.Host)
			}
			// RFC 8314 section 3.3 (465, implicit TLS) and RFC 6409 (587, STARTTLS).
			if !(p.Port == 465 && p.Security == TLS || p.Port == 587 && p.Security == STARTTLS) {
				t.Errorf("port %d with security %q", p.Port, p.Security)
			}
			if p.Username != "%EMAILADDRESS%" && p.Username != "%EMAILLOCALPART%" {
				t.Errorf("username template %q", p.Username)
			}
			if len(p.Needs) > 0 && p.Hint == HintNone {
				t.Errorf("needs %v but has no hint", p.Needs)
			}
			if len(p.Auth) == 0 {
				t.Error("no authentication method")
			}
			for _, d := range p.Domains {
				if d != strings.ToLower(d) || !validHostname(d) {
					t.Errorf("domain %q is not a lower-case domain", d)
				}
				if other, dup := seen[d]; dup {
					t.Errorf("domain %s is also listed under %s", d, other)
				}
				seen[d] = p.Name
			}
		})
		domains += len(p.Domains)
	}
	if domains < 30 {
		t.Errorf("the table lists %d domains, want at least 30", domains)
	}
}

// TestDiscoverUsesTableWithoutNetwork checks that every domain in the table
// is answered from it alone, trusted, and without asking anyone.
func TestDiscoverUsesTableWithoutNetwork(t *testing.T) {
	d := &Discoverer{
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			t.Errorf("table lookup fetched %s", r.URL)
			return nil, errors.New("no network in this test")
		})},
		DNSServer: "127.0.0.1:1", // nothing listens there
	}
	for _, p := range Providers() {
		for _, domain := range p.Domains {
			res, err := d.Discover(context.Background(), "anna@"+domain)
			if err != nil {
				t.Fatalf("%s: %v", domain, err)
			}
			if res.Source != SourceProviderTable || res.Host != p.Host || res.Provider != p.Name || res.Hint != p.hint() {
				t.Errorf("%s: got %s from %s (%s)", domain, res.Host, res.Source, res.Provider)
			}
			if res.Confirm {
				t.Errorf("%s: asks for confirmation: %+v", domain, res.Confirmation)
			}
		}
	}
}

func TestProviderForMXPrefersLongestSuffix(t *testing.T) {
	for mx, want := range map[string]string{
		"aspmx.l.google.com.":                     "Gmail",
		"smtp.google.com":                         "Gmail",
		"contoso-com.mail.protection.outlook.com": "Microsoft 365",
		"eur.olc.protection.outlook.com":          "Outlook.com",
		"in1-smtp.messagingengine.com":            "Fastmail",
		"mx01.mail.icloud.com":                    "iCloud Mail",
		"mx.zoho.eu":                              "Zoho Mail (EU)",
		"mta5.am0.yahoodns.net":                   "Yahoo Mail",
		"mx-aol.mail.gm0.yahoodns.net":            "AOL Mail",
		"mail.example.org":                        "",
		"notgoogle.com":                           "",
	} {
		got := ""
		if p := providerForMX(mx); p != nil {
			got = p.Name
		}
		if got != want {
			t.Errorf("providerForMX(%q) = %q, want %q", mx, got, want)
		}
	}
}

func TestHintFor(t *testing.T) {
	for host, want := range map[string]Hint{
		"smtp.gmail.com":        {Kind: HintAppPassword, Provider: "Gmail", HelpURL: "https://myaccount.google.com/apppasswords"},
		"SMTP.googlemail.com.":  {Kind: HintAppPassword, Provider: "Gmail", HelpURL: "https://myaccount.google.com/apppasswords"},
		"smtp.mail.me.com":      {Kind: HintAppPassword, Provider: "iCloud Mail", HelpURL: "https://account.apple.com"},
		"smtp-mail.outlook.com": {Kind: HintOAuthOnly, Provider: "Outlook.com"},
		"smtp.office365.com":    {Kind: HintAdminEnableSMTP, Provider: "Microsoft 365"},
		"mail.gmx.net":          {Kind: HintEnableSMTP, Provider: "GMX"},
		"smtp.qq.com":           {Kind: HintEnableSMTPAndAppPassword, Provider: "QQ Mail"},
		"smtp.mailbox.org":      {Kind: HintAppPasswordWithTwoFactor, Provider: "mailbox.org"},
		"posteo.de":             {},
		"smtp.example.org":      {},
		"127.0.0.1":             {},
	} {
		if got := HintFor(host); got != want {
			t.Errorf("HintFor(%q) = %+v, want %+v", host, got, want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
