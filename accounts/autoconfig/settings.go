package autoconfig

import (
	"strings"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Security is how a connection to the submission server is protected; it
// is smtpclient's type, so discovered settings feed sending unchanged.
type Security = smtpclient.Security

const (
	// TLS is implicit TLS from the first byte, usually on port 465 (RFC 8314).
	TLS = smtpclient.SecurityTLS
	// STARTTLS upgrades a plain connection, usually on port 587 (RFC 3207).
	STARTTLS = smtpclient.SecurityStartTLS
	// None is an unencrypted connection. Discovery never chooses it.
	None = smtpclient.SecurityNone
)

// encrypted reports whether s protects the connection.
func encrypted(s Security) bool { return s == TLS || s == STARTTLS }

// Authentication methods as clientConfig files name them.
const (
	AuthPassword = "password-cleartext" // PLAIN or LOGIN inside TLS
	AuthOAuth2   = "OAuth2"             // XOAUTH2 or OAUTHBEARER
)

// Settings are the outgoing server settings for one address.
type Settings struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security Security `json:"security"`
	Username string   `json:"username"`
	// Auth lists the authentication methods the source names, most
	// preferred first: clientConfig names (AuthPassword, AuthOAuth2, ...) or,
	// for a guess, the SASL mechanisms the server announced.
	Auth []string `json:"auth"`
}

// IMAPSettings are the incoming (IMAP) server settings for one address.
type IMAPSettings struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security Security `json:"security"`
	Username string   `json:"username"`
	// Source and Detail say where they came from, as for the Result.
	Source Source `json:"source"`
	Detail string `json:"detail"`
}

// Source names where discovered settings came from.
type Source string

const (
	SourceProviderTable Source = "built-in provider table"
	SourceAutoconfig    Source = "provider autoconfig"
	SourceWellKnown     Source = "provider autoconfig (.well-known)"
	SourceISPDB         Source = "Thunderbird ISPDB"
	SourceSRV           Source = "DNS SRV"
	SourceMX            Source = "DNS MX"
	SourceGuess         Source = "guess"
)

// Result is the answer of a discovery.
type Result struct {
	Settings
	Source Source `json:"source"`
	// Detail says exactly where the answer came from: a URL, a DNS name, an
	// MX host, or the server that answered a guess.
	Detail string `json:"detail"`
	// Provider is the provider's name when a table entry or a clientConfig
	// file gives one.
	Provider string `json:"provider,omitempty"`
	// Hint says what the provider needs before Postie can log in, such as
	// an app password. The front ends write it out (the CLI's JSON as
	// "hint").
	Hint Hint `json:"-"`
	// Confirm is set when the settings point outside the user's domain and
	// its provider's domains; Confirmation says why, as facts (the CLI's
	// JSON writes it out as "confirm_reason"). The user must agree before
	// the settings are used.
	Confirm      bool         `json:"confirm"`
	Confirmation Confirmation `json:"-"`
	// UntrustedCertificate is set by a guess whose server presented a
	// certificate that does not verify for its name; CertificateProblem
	// says why.
	UntrustedCertificate *smtpclient.CertInfo `json:"untrusted_certificate,omitempty"`
	CertificateProblem   string               `json:"certificate_problem,omitempty"`
	// Attempts records what every source answered, in order of trust.
	Attempts []Attempt `json:"attempts"`

	// IMAP is the incoming (IMAP) server, for filing a copy of each sent
	// message in the Sent folder; nil when none was found. It comes from
	// the source that gave the SMTP server when that source names one (the
	// table, a clientConfig file), else from its own sources (RFC 6186 SRV
	// records, then a guess), whose answers are in IMAPAttempts.
	IMAP         *IMAPSettings `json:"imap,omitempty"`
	IMAPAttempts []Attempt     `json:"imap_attempts,omitempty"`

	trusted []string // domains that belong to the provider the source named
	viaMX   string   // the MX host that led to these settings, if any
}

// Attempt is what one source answered.
type Attempt struct {
	Source Source `json:"source"`
	Detail string `json:"detail"`
	// Outcome is "found", "not needed" (a more trusted source answered
	// first), or a plain-language reason why the source gave nothing usable.
	Outcome string `json:"outcome"`
}

// expandPlaceholders replaces clientConfig's username placeholders
// (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%) with parts of address.
func expandPlaceholders(s string, a address) string {
	return strings.NewReplacer(
		"%EMAILADDRESS%", a.full,
		"%EMAILLOCALPART%", a.local,
		"%EMAILDOMAIN%", a.domain,
	).Replace(s)
}

// ConfirmBecause says why found settings need the user's confirmation.
type ConfirmBecause string

const (
	// ConfirmFoundViaMX: the settings were found only because the domain's
	// mail is received by MXHost, which is not the user's domain.
	ConfirmFoundViaMX ConfirmBecause = "found-via-mx"
	// ConfirmHostOutsideDomain: the SMTP host belongs neither to the
	// user's domain nor to its provider.
	ConfirmHostOutsideDomain ConfirmBecause = "host-outside-domain"
)

// Confirmation holds the facts a front end shows when asking the user to
// confirm settings that send mail through someone else's server.
type Confirmation struct {
	Because ConfirmBecause
	Domain  string // the user's email domain
	MXHost  string // the MX host, for ConfirmFoundViaMX
	Host    string // the SMTP host the settings use
	// Operator is who runs Host: the provider's name, or else the host's
	// registered domain.
	Operator string
}
