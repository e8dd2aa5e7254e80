package autoconfig

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxConfigSize caps how much of a clientConfig file is read. Real files are
// a few kilobytes; the cap stops a hostile or broken server from making
// Postie read without end.
const maxConfigSize = 1 << 20

var (
	errConfigTooLarge = errors.New("the settings file is larger than 1 MiB, so Postie did not read it")
	errOnlyPlain      = errors.New("it offers only unencrypted connections, which Postie never chooses by itself")
	errNoSMTP         = errors.New("it names no outgoing (SMTP) server")
)

// clientConfig is the part of Thunderbird's clientConfig format
// (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat)
// that sending needs. encoding/xml skips every other element.
type clientConfig struct {
	XMLName   xml.Name        `xml:"clientConfig"`
	Providers []emailProvider `xml:"emailProvider"`
	Enable    []enable        `xml:"enable"`
}

type emailProvider struct {
	ID          string           `xml:"id,attr"`
	Domains     []string         `xml:"domain"`
	DisplayName string           `xml:"displayName"`
	Outgoing    []outgoingServer `xml:"outgoingServer"`
	// Incoming are the incoming servers: IMAP, POP3 and others; only IMAP
	// is used, for the copy in the Sent folder.
	Incoming []outgoingServer `xml:"incomingServer"`
	Enable   []enable         `xml:"enable"`
}

type outgoingServer struct {
	Type       string   `xml:"type,attr"`
	Hostname   string   `xml:"hostname"`
	Port       string   `xml:"port"`
	SocketType string   `xml:"socketType"`
	Username   string   `xml:"username"`
	Auth       []string `xml:"authentication"`
}

// enable tells the user to switch something on first, such as IMAP and SMTP
// access in the provider's web settings.
type enable struct {
	VisitURL     string        `xml:"visiturl,attr"`
	Instructions []instruction `xml:"instruction"`
}

type instruction struct {
	Lang string `xml:"lang,attr"`
	Text string `xml:",chardata"`
}

// configAnswer is what one clientConfig file says about sending.
type configAnswer struct {
	settings Settings
	provider string
	domains  []string // the provider's domains, as the file lists them
	hint     Hint
	imap     *Settings // the first encrypted IMAP server, or nil
}

// parseClientConfig reads a clientConfig file from r and picks the first
// encrypted outgoing server in the file's order of preference, with the
// username placeholders expanded for addr.
//
// encoding/xml resolves only the five predefined entities and character
// references: a DTD is skipped as a directive, and a reference to any entity
// it declares makes decoding fail, so neither external entities nor entity expansion
// ("billion laughs") can do harm.
func parseClientConfig(r io.Reader, addr address) (*configAnswer, error) {
	limited := &io.LimitedReader{R: r, N: maxConfigSize + 1}
	dec := xml.NewDecoder(limited)
	dec.CharsetReader = charset.NewReaderLabel
	var cfg clientConfig
	err := dec.Decode(&cfg)
	if limited.N <= 0 {
		return nil, errConfigTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("the settings file is not valid: %v", err)
	}
	if len(cfg.Providers) == 0 {
		return nil, errNoSMTP
	}
	p := cfg.Providers[0]
	settings, err := chooseOutgoing(p.Outgoing, addr)
	if err != nil {
		return nil, err
	}
	return &configAnswer{
		settings: settings,
		imap:     chooseIMAP(p.Incoming, addr),
		provider: strings.TrimSpace(p.DisplayName),
		domains:  trimAll(append(p.Domains, p.ID)),
		hint:     enableHint(strings.TrimSpace(p.DisplayName), append(p.Enable, cfg.Enable...)),
	}, nil
}

// chooseOutgoing returns the first usable SMTP server. Servers without
// encryption are skipped; if nothing else is left, that is the error.
func chooseOutgoing(servers []outgoingServer, addr address) (Settings, error) {
	sawPlain := false
	for _, s := range servers {
		if t := strings.TrimSpace(s.Type); t != "" && !strings.EqualFold(t, "smtp") {
			continue
		}
		settings, ok := outgoingSettings(s, addr)
		if !ok {
			continue
		}
		if !encrypted(settings.Security) {
			sawPlain = true
			continue
		}
		return settings, nil
	}
	if sawPlain {
		return Settings{}, errOnlyPlain
	}
	return Settings{}, errNoSMTP
}

// chooseIMAP returns the first encrypted server of type "imap" in the
// file's order of preference (<incomingServer type="imap">), or nil.
func chooseIMAP(servers []outgoingServer, addr address) *Settings {
	for _, s := range servers {
		if !strings.EqualFold(strings.TrimSpace(s.Type), "imap") {
			continue
		}
		if settings, ok := outgoingSettings(s, addr); ok && encrypted(settings.Security) {
			return &settings
		}
	}
	return nil
}

// outgoingSettings reads one server element, outgoing or incoming: both
// have the same children.
func outgoingSettings(s outgoingServer, addr address) (Settings, bool) {
	host := strings.ToLower(strings.TrimSpace(expandPlaceholders(s.Hostname, addr)))
	port, err := strconv.Atoi(strings.TrimSpace(s.Port))
	if !validHostname(host) || err != nil || port < 1 || port > 65535 {
		return Settings{}, false
	}
	var sec Security
	switch strings.ToUpper(strings.TrimSpace(s.SocketType)) {
	case "SSL", "TLS":
		sec = TLS
	case "STARTTLS":
		sec = STARTTLS
	case "PLAIN":
		sec = None
	default:
		return Settings{}, false
	}
	username := strings.TrimSpace(expandPlaceholders(s.Username, addr))
	if username == "" {
		username = addr.full
	}
	return Settings{Host: host, Port: port, Security: sec, Username: username, Auth: trimAll(s.Auth)}, true
}

// validHostname accepts a DNS name of letters, digits, hyphens and dots
// (RFC 1123 section 2.1), which keeps placeholders, URLs and control
// characters out of the settings.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// enableHint keeps the English instruction of the first <enable> element,
// the provider's own words, and its page.
func enableHint(provider string, enables []enable) Hint {
	for _, e := range enables {
		for _, in := range e.Instructions {
			if in.Lang == "" || strings.HasPrefix(strings.ToLower(in.Lang), "en") {
				return Hint{Kind: HintProviderInstruction, Provider: provider,
					Instruction: strings.Join(strings.Fields(in.Text), " "), HelpURL: strings.TrimSpace(e.VisitURL)}
			}
		}
	}
	return Hint{}
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
