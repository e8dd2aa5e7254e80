package autoconfig

import (
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// address is an email address split the ways discovery needs it.
type address struct {
	full   string // as typed, trimmed
	local  string
	domain string // lower case, as typed (may hold U-labels)
	ascii  string // the domain in A-labels, for DNS and URLs (RFC 5891)
}

// AddressError says what is wrong with an email address, in plain words.
type AddressError struct {
	Address string
	Reason  string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("%q is not an email address Postie can look up: %s", e.Address, e.Reason)
}

func parseAddress(s string) (address, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	switch {
	case s == "":
		return address{}, &AddressError{s, "it is empty"}
	case strings.ContainsAny(s, " \t\r\n<>,;"):
		return address{}, &AddressError{s, "it contains spaces or punctuation that an address cannot hold"}
	case at <= 0 || at == len(s)-1:
		return address{}, &AddressError{s, "it needs a name, an @ and a domain, like anna@example.org"}
	}
	domain := strings.TrimSuffix(strings.ToLower(s[at+1:]), ".")
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") {
		return address{}, &AddressError{s, "the part after the @ is not a valid domain name"}
	}
	return address{full: s, local: s[:at], domain: domain, ascii: ascii}, nil
}

// registrableDomain returns the part of host that its owner registered
// (example.co.uk for smtp.example.co.uk), using the Public Suffix List; an
// IP address, a host that is itself a public suffix, or an unparsable one
// is returned unchanged.
func registrableDomain(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}
