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

// AddressProblem names what is wrong with an email address given to
// discovery.
type AddressProblem string

const (
	AddressEmpty         AddressProblem = "empty"
	AddressForbiddenChar AddressProblem = "space-or-forbidden-punctuation"
	AddressNoAtOrParts   AddressProblem = "needs-local-part-at-and-domain"
	AddressBadDomain     AddressProblem = "invalid-domain"
)

// AddressError says what is wrong with an email address. Its Error is for
// logs; front ends write the sentence from Problem.
type AddressError struct {
	Address string
	Problem AddressProblem
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("cannot look up %q: %s", e.Address, e.Problem)
}

func parseAddress(s string) (address, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	switch {
	case s == "":
		return address{}, &AddressError{s, AddressEmpty}
	case strings.ContainsAny(s, " \t\r\n<>,;"):
		return address{}, &AddressError{s, AddressForbiddenChar}
	case at <= 0 || at == len(s)-1:
		return address{}, &AddressError{s, AddressNoAtOrParts}
	}
	domain := strings.TrimSuffix(strings.ToLower(s[at+1:]), ".")
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") {
		return address{}, &AddressError{s, AddressBadDomain}
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
