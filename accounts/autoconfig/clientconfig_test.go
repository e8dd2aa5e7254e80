package autoconfig

import (
	"errors"
	"io"
	"strings"
	"testing"
)

var anna = address{full: "Anna.Lind@Example.org", local: "Anna.Lind", domain: "example.org", ascii: "example.org"}

const goodConfig = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <domain>example.net</domain>
    <displayName>Example Mail</displayName>
    <futureElement answer="42"><nested>ignored</nested></futureElement>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>plain.example.org</hostname><port>25</port><socketType>plain</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>
    </outgoingServer>
    <enable visiturl="https://example.org/settings">
      <instruction lang="de">Bitte einschalten.</instruction>
      <instruction>Turn on   access for
        email programs.</instruction>
    </enable>
  </emailProvider>
</clientConfig>`

func TestParseClientConfigTakesFirstEncryptedServerAndExpandsPlaceholders(t *testing.T) {
	got, err := parseClientConfig(strings.NewReader(goodConfig), anna)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Host: "smtp.example.org", Port: 587, Security: STARTTLS, Username: "Anna.Lind",
		Auth: []string{AuthOAuth2, AuthPassword}}
	if got.settings.Host != want.Host || got.settings.Port != want.Port || got.settings.Security != want.Security ||
		got.settings.Username != want.Username || strings.Join(got.settings.Auth, ",") != strings.Join(want.Auth, ",") {
		t.Errorf("settings = %+v, want %+v", got.settings, want)
	}
	if got.provider != "Example Mail" {
		t.Errorf("provider = %q", got.provider)
	}
	if strings.Join(got.domains, ",") != "example.org,example.net,example.org" {
		t.Errorf("domains = %q", got.domains)
	}
	wantHint := Hint{Kind: HintProviderInstruction, Provider: "Example Mail",
		Instruction: "Turn on access for email programs.", HelpURL: "https://example.org/settings"}
	if got.hint != wantHint {
		t.Errorf("hint = %+v, want %+v", got.hint, wantHint)
	}
}

func TestExpandPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		"%EMAILADDRESS%":                   "Anna.Lind@Example.org",
		"%EMAILLOCALPART%":                 "Anna.Lind",
		"%EMAILDOMAIN%":                    "example.org",
		"x-%EMAILLOCALPART%-%EMAILDOMAIN%": "x-Anna.Lind-example.org",
		"fixed":                            "fixed",
	} {
		if got := expandPlaceholders(in, anna); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseClientConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		want      string
	}{
		{"malformed", `<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>smtp.example.org`, "not valid"},
		{"not xml", `{"smtp": "smtp.example.org"}`, "not valid"},
		{"wrong root", `<html><body>Not here</body></html>`, "not valid"},
		{"no provider", `<clientConfig version="1.1"></clientConfig>`, errNoSMTP.Error()},
		{"no smtp", `<clientConfig><emailProvider id="x"><incomingServer type="imap"><hostname>imap.x.org</hostname></incomingServer></emailProvider></clientConfig>`, errNoSMTP.Error()},
		{"only plain", `<clientConfig><emailProvider id="x">
			<outgoingServer type="smtp"><hostname>smtp.x.org</hostname><port>25</port><socketType>plain</socketType></outgoingServer>
			<outgoingServer type="smtp"><hostname>smtp.x.org</hostname><port>587</port><socketType>plain</socketType></outgoingServer>
			</emailProvider></clientConfig>`, errOnlyPlain.Error()},
		{"bad host and port", `<clientConfig><emailProvider id="x">
			<outgoingServer type="smtp"><hostname>smtp.x.org/evil</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>
			<outgoingServer type="smtp"><hostname>smtp.x.org</hostname><port>99999</port><socketType>SSL</socketType></outgoingServer>
			<outgoingServer type="smtp"><hostname>smtp.x.org</hostname><port>465</port><socketType>carrier-pigeon</socketType></outgoingServer>
			</emailProvider></clientConfig>`, errNoSMTP.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseClientConfig(strings.NewReader(tc.xml), anna)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// billionLaughs declares entities that would expand to 10^9 "lol"s.
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE clientConfig [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clientConfig version="1.1"><emailProvider id="x"><outgoingServer type="smtp">
  <hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>
  <username>&lol9;</username>
</outgoingServer></emailProvider></clientConfig>`

const externalEntity = `<?xml version="1.0"?>
<!DOCTYPE clientConfig [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<clientConfig version="1.1"><emailProvider id="x"><outgoingServer type="smtp">
  <hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>
  <username>&secret;</username>
</outgoingServer></emailProvider></clientConfig>`

func TestParseClientConfigResolvesNoEntities(t *testing.T) {
	for name, doc := range map[string]string{"billion laughs": billionLaughs, "external entity": externalEntity} {
		t.Run(name, func(t *testing.T) {
			got, err := parseClientConfig(strings.NewReader(doc), anna)
			if err == nil {
				t.Fatalf("parsed without error: %+v", got.settings)
			}
			if !strings.Contains(err.Error(), "entity") {
				t.Errorf("err = %v, want it to name the entity", err)
			}
		})
	}
}

// countingReader counts the bytes read from an endless stream.
type countingReader struct {
	n int64
	r io.Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestParseClientConfigStopsAfterOneMiB(t *testing.T) {
	// A valid start, then 10 MiB of character data inside one element.
	start := `<clientConfig><emailProvider id="x"><displayName>`
	body := &countingReader{r: io.MultiReader(strings.NewReader(start), io.LimitReader(repeatReader('a'), 10<<20))}
	_, err := parseClientConfig(body, anna)
	if !errors.Is(err, errConfigTooLarge) {
		t.Fatalf("err = %v, want %v", err, errConfigTooLarge)
	}
	if body.n > maxConfigSize+64<<10 {
		t.Errorf("read %d bytes of a 10 MiB file, want about 1 MiB", body.n)
	}
}

func TestParseClientConfigAcceptsLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<clientConfig><emailProvider id=\"x\">" +
		"<displayName>M\xe9l Mail</displayName><outgoingServer type=\"smtp\"><hostname>smtp.example.org</hostname>" +
		"<port>465</port><socketType>SSL</socketType></outgoingServer></emailProvider></clientConfig>"
	got, err := parseClientConfig(strings.NewReader(doc), anna)
	if err != nil {
		t.Fatal(err)
	}
	if got.provider != "Mél Mail" || got.settings.Username != anna.full {
		t.Errorf("provider %q, username %q", got.provider, got.settings.Username)
	}
}
