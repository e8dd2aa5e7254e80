package oauth

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/postie-app/postie/mail/smtpclient"
)

func TestForAddressFindsTheProviderByDomainAndMX(t *testing.T) {
	ps := BuiltIn()
	for _, tc := range []struct {
		email, want, smtp string
		mx                []string
	}{
		{"ann@gmail.com", "google", "smtp.gmail.com", nil},
		{"Ann@GoogleMail.com", "google", "smtp.gmail.com", nil},
		{"ann@outlook.com", "microsoft", "smtp-mail.outlook.com", nil},
		{"ann@hotmail.co.uk", "microsoft", "smtp-mail.outlook.com", nil},
		{"ann@live.fr", "microsoft", "smtp-mail.outlook.com", nil},
		{"ann@msn.com", "microsoft", "smtp-mail.outlook.com", nil},
		{"ann@yahoo.co.uk", "yahoo", "smtp.mail.yahoo.com", nil},
		{"ann@aol.com", "aol", "smtp.aol.com", nil},
		// Custom domains, by their MX hosts (as DNS gives them, final dot).
		{"ann@contoso.example", "microsoft", "smtp.office365.com", []string{"contoso-example.mail.protection.outlook.com."}},
		{"ann@workspace.example", "google", "smtp.gmail.com", []string{"alt1.aspmx.l.google.com.", "aspmx.l.google.com."}},
		{"ann@shop.example", "google", "smtp.gmail.com", []string{"smtp.google.com"}},
		{"ann@small.example", "yahoo", "smtp.mail.yahoo.com", []string{"mta5.am0.yahoodns.net"}},
		{"ann@aolmx.example", "aol", "smtp.aol.com", []string{"mx-aol.mail.gm0.yahoodns.net"}},
	} {
		p, ok := ps.ForAddress(tc.email, tc.mx)
		if !ok || p.ID != tc.want {
			t.Errorf("%s %v: %q %v, want %q", tc.email, tc.mx, p.ID, ok, tc.want)
			continue
		}
		if got := p.SMTPFor(tc.email); got.Host != tc.smtp {
			t.Errorf("%s: SMTP %s, want %s", tc.email, got.Host, tc.smtp)
		}
	}
	for _, tc := range []struct {
		email string
		mx    []string
	}{
		{"ann@example.com", []string{"mail.example.com"}},
		{"ann@yahoo.co.jp", nil}, // Yahoo Japan is another company
		{"ann@notgoogle.com", []string{"evilgoogle.com"}},
		{"no-at-sign", nil},
	} {
		if p, ok := ps.ForAddress(tc.email, tc.mx); ok {
			t.Errorf("%s %v: %q, want none", tc.email, tc.mx, p.ID)
		}
	}
}

func TestBuiltInProvidersTable(t *testing.T) {
	ps := BuiltIn()
	microsoft, _ := ps.Find("microsoft")
	if got := microsoft.SMTPFor("ann@outlook.com"); got != (Server{"smtp-mail.outlook.com", 587, smtpclient.SecurityStartTLS}) {
		t.Errorf("Outlook.com SMTP %+v", got)
	}
	if got := microsoft.SMTPFor("ann@contoso.example"); got != (Server{"smtp.office365.com", 587, smtpclient.SecurityStartTLS}) {
		t.Errorf("Microsoft 365 SMTP %+v", got)
	}
	for _, p := range ps {
		for _, endpoint := range []string{p.AuthorizationURL, p.TokenURL, p.RevocationURL, p.AppPasswordURL} {
			if endpoint != "" && !secureEndpoint(endpoint) {
				t.Errorf("%s: %s is not https", p.ID, endpoint)
			}
		}
		if p.SMTP.Host == "" || p.IMAP.Host == "" || len(p.Scopes) == 0 || p.Name == "" {
			t.Errorf("%s is incomplete: %+v", p.ID, p)
		}
		if p.Configured() {
			t.Errorf("%s is configured in a test build without -ldflags -X", p.ID)
		}
	}
	for _, id := range []string{"google", "yahoo", "aol"} {
		if p, _ := ps.Find(id); p.AppPasswordURL == "" {
			t.Errorf("%s has no app password page", id)
		}
	}
}

// load runs Load with a providers file holding text.
func load(t *testing.T, text string) (Providers, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "providers.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(func(k string) string {
		if k == EnvProviders {
			return path
		}
		return ""
	})
}

const goodProvider = `"id":"corp","name":"Corp","authorization_url":"%s","token_url":"https://id.corp.example/token",
	"client_id":"postie","scopes":["smtp"],"domains":["corp.example"],"smtp":{"host":"smtp.corp.example","port":465,"security":"tls"}`

func TestLoadAddsAndOverridesProvidersByID(t *testing.T) {
	ps, err := load(t, `{"providers":[
	 {"id":"google","name":"Google (test)","authorization_url":"http://127.0.0.1:8080/auth","token_url":"http://localhost:8080/token",
	  "revocation_url":"http://[::1]:8080/revoke","client_id":"test-google","scopes":["s"],"domains":["gmail.com"],
	  "smtp":{"host":"127.0.0.1","port":2525,"security":"none"}},
	 {"id":"corp","name":"Corp","authorization_url":"https://id.corp.example/auth","token_url":"https://id.corp.example/token",
	  "client_id":"postie","scopes":["smtp"],"domains":["corp.example"],"mx":["mx.corp.example"],
	  "authorization_params":{"prompt":"login"},
	  "smtp":{"host":"smtp.corp.example","port":465,"security":"tls"},"imap":{"host":"imap.corp.example","port":993,"security":"tls"},
	  "org_smtp":{"host":"smtp.org.corp.example","port":587,"security":"starttls"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(BuiltIn())+1 {
		t.Errorf("%d providers, want the built-in ones plus one", len(ps))
	}
	google, _ := ps.Find("google")
	if google.Name != "Google (test)" || google.SMTP.Port != 2525 || !google.Configured() || google.RevocationURL != "http://[::1]:8080/revoke" {
		t.Errorf("google not overridden: %+v", google)
	}
	corp, ok := ps.ForAddress("ann@sub.example", []string{"mx.corp.example"})
	if !ok || corp.ID != "corp" || corp.IMAP.Host != "imap.corp.example" || corp.AuthParams["prompt"] != "login" {
		t.Errorf("corp by MX: %+v %v", corp, ok)
	}
	if got := corp.SMTPFor("ann@sub.example").Host; got != "smtp.org.corp.example" {
		t.Errorf("corp's custom-domain SMTP is %s", got)
	}
	if ps, err := Load(func(string) string { return "" }); err != nil || len(ps) != len(BuiltIn()) {
		t.Errorf("without the variable: %d providers, %v", len(ps), err)
	}
}

func TestLoadRefusesABadProvidersFile(t *testing.T) {
	good := func(authURL string) string { return `{"providers":[{` + sprintf(goodProvider, authURL) + `}]}` }
	for _, tc := range []struct {
		name, text, code, field, value string
	}{
		{"http on a public host", good("http://id.corp.example/auth"), DefInsecureURL, "providers[0].authorization_url", "http://id.corp.example/auth"},
		{"http on a private address", good("http://192.168.1.2/auth"), DefInsecureURL, "providers[0].authorization_url", "http://192.168.1.2/auth"},
		{"http on a name that starts like loopback", good("http://127.0.0.1.evil.example/auth"), DefInsecureURL, "providers[0].authorization_url", "http://127.0.0.1.evil.example/auth"},
		{"ftp", good("ftp://id.corp.example/auth"), DefInsecureURL, "providers[0].authorization_url", "ftp://id.corp.example/auth"},
		{"unknown field", `{"providers":[{"id":"x","tokn_url":"https://a"}]}`, DefUnknownField, "tokn_url", ""},
		{"bad JSON", `{"providers":[`, DefBadJSON, "", ""},
		{"wrong type", `{"providers":[{"id":7}]}`, DefBadJSON, "", ""},
		{"no providers", `{}`, DefMissing, "providers", ""},
		{"missing token_url", `{"providers":[{"id":"x","name":"X","authorization_url":"https://a/"}]}`, DefMissing, "providers[0].token_url", ""},
		{"missing smtp", `{"providers":[{"id":"x","name":"X","authorization_url":"https://a/","token_url":"https://a/t"}]}`, DefMissing, "providers[0].smtp", ""},
		{"bad security", `{"providers":[{"id":"x","name":"X","authorization_url":"https://a/","token_url":"https://a/t","smtp":{"host":"h","port":25,"security":"ssl"}}]}`, DefBadValue, "providers[0].smtp.security", "ssl"},
		{"bad port", `{"providers":[{"id":"x","name":"X","authorization_url":"https://a/","token_url":"https://a/t","smtp":{"host":"h","port":70000,"security":"tls"}}]}`, DefBadValue, "providers[0].smtp.port", "70000"},
		{"bad imap", `{"providers":[{"id":"x","name":"X","authorization_url":"https://a/","token_url":"https://a/t","smtp":{"host":"h","port":25,"security":"tls"},"imap":{"host":"","port":993,"security":"tls"}}]}`, DefMissing, "providers[0].imap.host", ""},
		{"duplicate id", `{"providers":[{` + sprintf(goodProvider, "https://a/") + `},{` + sprintf(goodProvider, "https://a/") + `}]}`, DefDuplicateID, "providers[1].id", "corp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := load(t, tc.text)
			e := problemOf(t, err)
			if e.Problem != ProblemBadProviderDef || e.Code != tc.code || e.Field != tc.field || e.Value != tc.value || e.File == "" || ps != nil {
				t.Errorf("got %+v, want %s at %q = %q", e, tc.code, tc.field, tc.value)
			}
		})
	}
	_, err := Load(func(string) string { return filepath.Join(t.TempDir(), "absent.json") })
	if e := problemOf(t, err); e.Problem != ProblemBadProviderDef || e.Code != DefUnreadable {
		t.Errorf("an absent file got %+v", e)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
