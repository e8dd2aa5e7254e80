package smtpclient

import (
	"context"
	"crypto/x509"
	"net"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Security says how the connection to the server is protected.
type Security string

const (
	// SecurityTLS is implicit TLS from the first byte (RFC 8314 §3.3, port 465).
	SecurityTLS Security = "tls"
	// SecurityStartTLS upgrades a plain connection with STARTTLS (RFC 3207,
	// port 587). The upgrade is mandatory.
	SecurityStartTLS Security = "starttls"
	// SecurityNone is unencrypted. It exists only as an explicit account
	// setting; passwords are then sent only to loopback servers.
	SecurityNone Security = "none"
)

// TokenSource gives the current OAuth access token of an account. With
// renew set it must get a new one from the provider even if the one it has
// looks valid. An error whose NeedsSignIn method returns true means that
// only a new sign-in by the user can help: smtpclient reports it as
// ReasonSignInNeeded.
type TokenSource interface {
	AccessToken(ctx context.Context, renew bool) (string, error)
}

// Config describes one account's submission server.
type Config struct {
	Host     string
	Port     int
	Security Security

	Username string
	// Secret is the password, or the OAuth access token when OAuth is set.
	// It is never logged, never put in a transcript, never in an error.
	Secret string
	// OAuth says that Secret is an OAuth 2.0 bearer token, to be used with
	// OAUTHBEARER (RFC 7628) or XOAUTH2 instead of a password mechanism.
	OAuth bool
	// Tokens, when set with OAuth, supplies the access token instead of
	// Secret: the token is asked for just before AUTH (once the connection
	// is known to be encrypted, or to loopback), and once more with renew
	// set when the server refuses a token believed valid (535 / 5.7.8),
	// after which AUTH is tried once again on the same connection. Its
	// errors become ReasonSignInNeeded (NeedsSignIn) or
	// ReasonTokenUnavailable, wrapping the TokenSource's error. Every token
	// it gives is scrubbed from transcripts and errors like Secret.
	Tokens TokenSource
	// Mechanisms lists the SASL mechanisms the account allows (upper case,
	// e.g. "PLAIN"). Empty means automatic: see chooseMechanism.
	Mechanisms []string

	// CAFile is an optional PEM file of certificate authorities trusted in
	// addition to the system roots (company servers).
	CAFile string
	// RootCAs, when set, replaces the system roots, for a caller that holds
	// its trusted authorities in memory; CAFile is added to it.
	RootCAs *x509.CertPool
	// PinSHA256 is the optional SHA-256 fingerprint (hex, colons allowed) of
	// a server certificate the user accepted. See verifyPeer for what a pin
	// allows.
	PinSHA256 string
	// PinFor, when set, is the server ("host:port") the pin was accepted
	// for. The pin is then used only when Host and Port are that server;
	// for any other, it is ignored and the certificate must verify like
	// any other. A caller that keeps pins should always set it.
	PinFor string

	// LocalName is the name sent with EHLO; default "localhost".
	LocalName string

	// Timeouts overrides the default timeouts; zero fields keep defaults.
	Timeouts Timeouts

	// Dialer opens the TCP connection to addr, "host:port" with Host in its
	// A-label form, for a caller that must resolve names itself (account
	// discovery asks its own DNS server). nil means a net.Dialer. ctx
	// carries the connect timeout. Whatever address the Dialer reaches,
	// Host is the name sent for SNI and the name the certificate must be
	// valid for.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Timeouts bounds each wait on the network. Zero fields mean the defaults,
// which follow RFC 5321 §4.5.3.2.
type Timeouts struct {
	Connect    time.Duration // TCP connect, and the TLS handshake: 30 s
	Command    time.Duration // each command's reply, and the greeting: 5 min
	FinalReply time.Duration // the reply after the final dot: 10 min
	BodyWrite  time.Duration // each write of the message body: 3 min
}

func (t Timeouts) withDefaults() Timeouts {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&t.Connect, 30*time.Second)
	set(&t.Command, 5*time.Minute)
	set(&t.FinalReply, 10*time.Minute)
	set(&t.BodyWrite, 3*time.Minute)
	return t
}

// Envelope is the SMTP envelope of one message (RFC 5321 §2.3.1): the
// addresses given to MAIL and RCPT, already in their A-label form.
type Envelope struct {
	From string
	To   []string
	// SMTPUTF8 says that an address or header needs SMTPUTF8 (RFC 6531).
	SMTPUTF8 bool
	// EightBit says that the body contains 8-bit data and needs 8BITMIME
	// (RFC 6152). A body without it must be pure 7-bit.
	EightBit bool
}

// Options adjust one send.
type Options struct {
	// PartialRecipients sends to the accepted recipients when some are
	// refused, instead of sending nothing.
	PartialRecipients bool
	// Progress is called after each write of the body with the bytes
	// written so far and the total, from the sending goroutine.
	Progress func(written, total int64)
}

// Result is what a successful send reports.
type Result struct {
	// Reply is the server's final reply, e.g. "250 2.0.0 Ok: queued as X".
	Reply    string
	Accepted []string
	Refused  []RecipientError
	// Transcript is the redacted dialogue, for the sent log.
	Transcript []TranscriptLine
}

// ProbeResult is what "test connection" learns about the server.
type ProbeResult struct {
	// MaxSize is the SIZE limit in bytes, 0 when the server announces none.
	MaxSize int64
	// Mechanisms are the SASL mechanisms the server offers.
	Mechanisms []string
	// Mechanism is the one Postie chose and signed in with ("" without user
	// name, and always "" for Inspect).
	Mechanism string
	// Certificate is the server's certificate, nil without TLS. It verified
	// unless CertificateProblem says why not, which only Inspect allows.
	Certificate        *CertInfo
	CertificateProblem string
	Transcript         []TranscriptLine
}

// validate checks everything about cfg that can be checked without the
// network, so a mistyped setting fails with an error naming it.
func (cfg Config) validate() error {
	switch {
	case strings.TrimSpace(cfg.Host) == "" || strings.ContainsAny(cfg.Host, " \t\r\n/") || cfg.dialHost() == "":
		e := configError(ReasonInvalidHost)
		e.Host = cfg.Host
		return e
	case cfg.Port < 1 || cfg.Port > 65535:
		e := configError(ReasonInvalidPort)
		e.Port = cfg.Port
		return e
	}
	switch cfg.Security {
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		e := configError(ReasonUnknownSecurity)
		e.Setting = string(cfg.Security)
		return e
	}
	if strings.ContainsAny(cfg.Username, "\r\n") || strings.ContainsAny(cfg.LocalName, "\r\n ") {
		return configError(ReasonLineBreak)
	}
	for _, m := range cfg.Mechanisms {
		if _, ok := mechanisms[strings.ToUpper(m)]; !ok {
			e := configError(ReasonUnknownMechanism)
			e.Setting = m
			return e
		}
	}
	if cfg.PinSHA256 != "" {
		if _, err := parsePin(cfg.PinSHA256); err != nil {
			return configError(ReasonInvalidPin)
		}
	}
	return nil
}

// dialHost is Host as DNS and certificates know it: an international name
// in its A-label form (RFC 5890), "" if it cannot be converted.
func (cfg Config) dialHost() string {
	if isASCII(cfg.Host) {
		return cfg.Host
	}
	host, err := idna.Lookup.ToASCII(cfg.Host)
	if err != nil {
		return ""
	}
	return host
}

func (cfg Config) localName() string {
	if cfg.LocalName == "" {
		return "localhost"
	}
	return cfg.LocalName
}
