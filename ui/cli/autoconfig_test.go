package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/postie-app/postie/accounts/autoconfig"
)

func TestAutoconfigPrintsSettingsAndSource(t *testing.T) {
	code, out, errOut := runIn(t, t.TempDir(), "", "autoconfig", "anna@gmx.de")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Host:         mail.gmx.net\n", "Port:         465\n", "Security:     tls\n",
		"Username:     anna@gmx.de\n", "Auth:         password-cleartext\n", "Source:       built-in provider table (gmx.de)\n",
		"Hint:         GMX blocks email programs"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAutoconfigJSON(t *testing.T) {
	// The flag may follow the address.
	code, out, _ := runIn(t, t.TempDir(), "", "autoconfig", "anna@icloud.com", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var res autoconfig.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if res.Host != "smtp.mail.me.com" || res.Port != 587 || res.Security != autoconfig.STARTTLS ||
		res.Username != "anna@icloud.com" || res.Source != autoconfig.SourceProviderTable || len(res.Auth) == 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestAutoconfigFromISPDBAndNothingFound(t *testing.T) {
	labDiscoverer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.1/isp.test" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`<clientConfig><emailProvider id="isp.test"><domain>isp.test</domain>
			<outgoingServer type="smtp"><hostname>smtp.isp.test</hostname><port>587</port>
			<socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username>
			<authentication>password-cleartext</authentication></outgoingServer></emailProvider></clientConfig>`))
	})
	code, out, errOut := runIn(t, t.TempDir(), "", "autoconfig", "anna@isp.test")
	if code != ExitOK || !strings.Contains(out, "Host:         smtp.isp.test") || !strings.Contains(out, "Username:     anna\n") ||
		!strings.Contains(out, "Source:       Thunderbird ISPDB (http://127.0.0.1:") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}

	code, out, errOut = runIn(t, t.TempDir(), "", "autoconfig", "anna@nothing.test")
	if code != ExitUnknown || out != "" {
		t.Errorf("nothing found: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"could not find the outgoing mail settings for nothing.test", "What Postie tried:",
		"Thunderbird ISPDB (http://127.0.0.1:", "guess (smtp.nothing.test and mail.nothing.test"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	code, out, _ = runIn(t, t.TempDir(), "", "autoconfig", "--json", "anna@nothing.test")
	var failure struct {
		Error    string               `json:"error"`
		Attempts []autoconfig.Attempt `json:"attempts"`
	}
	if code != ExitUnknown || json.Unmarshal([]byte(out), &failure) != nil || failure.Error == "" || len(failure.Attempts) != 8 {
		t.Errorf("--json nothing found: exit %d:\n%s", code, out)
	}
}

func TestAutoconfigUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"autoconfig"}, ExitUsage, "exactly one email address"},
		{[]string{"autoconfig", "a@example.org", "b@example.org"}, ExitUsage, "exactly one email address"},
		{[]string{"autoconfig", "--jsn", "a@example.org"}, ExitUsage, "flag provided but not defined"},
		{[]string{"autoconfig", "not-an-address"}, ExitDataErr, "is not an email address"},
		{[]string{"autoconfig", "--help"}, ExitOK, "Usage: postie autoconfig ADDRESS [--json]"},
	} {
		code, out, errOut := runIn(t, t.TempDir(), "", tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("postie %s = %d, want %d and %q\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}
