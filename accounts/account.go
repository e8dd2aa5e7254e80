package accounts

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Account is one sending account. It holds no secret: the password or token
// lives in the keyring under ID.
type Account struct {
	// ID is random and never changes; the keyring entry is filed under it.
	ID string `json:"id"`
	// Name is what the user calls the account; unique, ignoring case.
	Name        string `json:"name"`
	DisplayName string `json:"display_name"` // the name shown in From, e.g. "Anna Lind"
	Email       string `json:"email"`

	Host     string              `json:"host"`
	Port     int                 `json:"port"`
	Security smtpclient.Security `json:"security"`
	Username string              `json:"username"`
	// Mechanisms are the allowed SASL mechanisms, upper case; empty means
	// automatic. Only OAuth mechanisms (XOAUTH2, OAUTHBEARER) means the
	// secret is an OAuth token.
	Mechanisms []string `json:"mechanisms"`
	CAFile     string   `json:"ca_file"`    // optional PEM file of extra trusted authorities
	PinSHA256  string   `json:"pin_sha256"` // optional accepted certificate fingerprint, lower-case hex
	// PinFor is the server, "host:port", that the user accepted the pinned
	// certificate for. The pin is used for that server only, and is
	// dropped when the account moves to another one (see Store.Update).
	PinFor string `json:"pin_for"`

	Signature string `json:"signature"`
	Default   bool   `json:"default"`
	// HasSecret says that a password or token is saved in the keyring.
	HasSecret bool `json:"has_password"`
	// MaxMessageSize is the server's SIZE limit in bytes (RFC 1870) as the
	// last connection test found it; 0 while unknown or unlimited.
	MaxMessageSize int64 `json:"max_message_size"`

	// OAuthProvider is the id of the provider the account signs in with
	// ("google", "microsoft", "yahoo", "aol" or one from
	// POSTIE_OAUTH_PROVIDERS); "" for an account with a password. The
	// keyring then holds the refresh token, never the access token.
	OAuthProvider string `json:"oauth_provider,omitempty"`
	// OAuthClientID replaces the provider's client id, for an organisation
	// whose administrators require their own app registration; "" uses
	// the one built into Postie.
	OAuthClientID string `json:"oauth_client_id,omitempty"`
	// OAuthTenant is the Microsoft Entra tenant; "" means "common".
	OAuthTenant string `json:"oauth_tenant,omitempty"`

	// IMAP is the incoming server, used to file a copy of each sent
	// message in the mailbox's Sent folder.
	IMAP IMAPServer `json:"imap"`
	// SentCopy says when a copy is filed in the Sent folder.
	SentCopy SentCopyMode `json:"sent_copy"`
	// SentFolder is the Sent folder as last found on the IMAP server, ""
	// until one was found.
	SentFolder string `json:"sent_folder"`
}

// IMAPServer is an account's incoming (IMAP) server. A zero Host means
// none is known.
type IMAPServer struct {
	Host     string              `json:"host"`
	Port     int                 `json:"port"`
	Security smtpclient.Security `json:"security"`
	// Username signs in to the IMAP server; "" means the SMTP user name.
	Username string `json:"username"`
	// OwnSecret says the IMAP server has its own password in the keyring
	// (under IMAPSecretID); otherwise it uses the account's secret.
	OwnSecret bool `json:"own_secret"`
	// PinSHA256 is the fingerprint (lower-case hex) of the IMAP server's
	// certificate that the user accepted, for a server whose certificate
	// is not signed by an authority the system trusts.
	PinSHA256 string `json:"pin_sha256"`
	// PinFor is the IMAP server, "host:port" as IMAPAddress writes it,
	// that PinSHA256 was accepted for: the pin is used for that server
	// only, and dropped when the account moves to another one.
	PinFor string `json:"pin_for"`
}

// SentCopyMode is the choice "Save a copy in Sent".
type SentCopyMode string

const (
	// SentCopyAuto files a copy unless the provider files its own.
	SentCopyAuto SentCopyMode = "auto"
	// SentCopyAlways files a copy whatever the provider does.
	SentCopyAlways SentCopyMode = "always"
	// SentCopyNever files no copy.
	SentCopyNever SentCopyMode = "never"
)

// IMAPSecretID is the keyring user of the IMAP server's own password.
func (a Account) IMAPSecretID() string { return a.ID + "/imap" }

// InvalidProblem names what is wrong with an account setting. The window
// and the command line each turn it into a sentence.
type InvalidProblem string

const (
	InvalidName          InvalidProblem = "name-not-one-short-line"
	InvalidDisplayName   InvalidProblem = "display-name-not-one-line"
	InvalidEmail         InvalidProblem = "email-not-an-address"
	InvalidHost          InvalidProblem = "host-not-a-server-name"
	InvalidPort          InvalidProblem = "port-out-of-range"
	InvalidSecurity      InvalidProblem = "security-unknown"
	InvalidUsername      InvalidProblem = "username-not-one-line"
	InvalidCAAndPin      InvalidProblem = "ca-file-and-pin-both-set"
	InvalidPin           InvalidProblem = "pin-not-sha256-hex"
	InvalidMechanism     InvalidProblem = "mechanism-not-a-name"
	InvalidCAFileRead    InvalidProblem = "ca-file-unreadable"
	InvalidCAFileNoCert  InvalidProblem = "ca-file-holds-no-certificate"
	InvalidCleartextAuth InvalidProblem = "password-over-unencrypted-connection"

	// The incoming (IMAP) server, used for the copy in the Sent folder.
	InvalidIMAPHost     InvalidProblem = "imap-host-not-a-server-name"
	InvalidIMAPNoHost   InvalidProblem = "imap-settings-without-host"
	InvalidIMAPPort     InvalidProblem = "imap-port-out-of-range"
	InvalidIMAPSecurity InvalidProblem = "imap-security-unknown"
	InvalidIMAPUsername InvalidProblem = "imap-username-not-one-line"
	// InvalidIMAPPin: the accepted IMAP certificate is not a SHA-256
	// fingerprint in hex.
	InvalidIMAPPin InvalidProblem = "imap-pin-not-sha256-hex"
	// InvalidIMAPCleartextAuth: signing in to the IMAP server would send a
	// password over an unencrypted connection to another computer.
	InvalidIMAPCleartextAuth InvalidProblem = "imap-password-over-unencrypted-connection"
	// InvalidSentCopy: "Save a copy in Sent" is not auto, always or never.
	InvalidSentCopy InvalidProblem = "sent-copy-unknown"
	// InvalidSentCopyNoIMAP: "always" needs an IMAP server to file the copy on.
	InvalidSentCopyNoIMAP InvalidProblem = "sent-copy-always-without-imap-server"
	// InvalidOAuthProvider: the account names a provider that the provider
	// table (built in, and POSTIE_OAUTH_PROVIDERS) does not know.
	InvalidOAuthProvider InvalidProblem = "oauth-provider-unknown"
)

// InvalidError says which setting of an account is wrong and why. Its
// Error is for logs; a front end writes the sentence from Problem.
type InvalidError struct {
	Field   string // the setting: "name", "email", "host", "CA file", …
	Problem InvalidProblem
	Value   string // the offending value when it helps to show it, else ""
	Err     error  // the underlying failure, for InvalidCAFileRead
}

func (e *InvalidError) Error() string {
	msg := "invalid account " + e.Field + ": " + string(e.Problem)
	if e.Value != "" {
		msg += fmt.Sprintf(" (%q)", e.Value)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *InvalidError) Unwrap() error { return e.Err }

func invalid(field string, problem InvalidProblem, value string) error {
	return &InvalidError{Field: field, Problem: problem, Value: value}
}

// newID returns a random 128-bit id in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// normalize trims the settings and brings them to their stored form.
func (a *Account) normalize() {
	a.Name = strings.TrimSpace(a.Name)
	a.DisplayName = strings.TrimSpace(a.DisplayName)
	a.Email = strings.TrimSpace(a.Email)
	a.Host = normalizeHost(a.Host)
	a.Username = strings.TrimSpace(a.Username)
	a.CAFile = strings.TrimSpace(a.CAFile)
	a.PinSHA256 = NormalizePin(a.PinSHA256)
	a.OAuthProvider = strings.ToLower(strings.TrimSpace(a.OAuthProvider))
	a.OAuthClientID = strings.TrimSpace(a.OAuthClientID)
	a.OAuthTenant = strings.TrimSpace(a.OAuthTenant)
	a.IMAP.Host = normalizeHost(a.IMAP.Host)
	a.IMAP.Username = strings.TrimSpace(a.IMAP.Username)
	a.IMAP.PinSHA256 = NormalizePin(a.IMAP.PinSHA256)
	if a.SentCopy == "" {
		a.SentCopy = SentCopyAuto
	}
	for i, m := range a.Mechanisms {
		a.Mechanisms[i] = strings.ToUpper(strings.TrimSpace(m))
	}
	if a.Name == "" {
		a.Name = a.Email
	}
}

func normalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}

// ServerAddress is the account's server as "host:port", in the form PinFor
// holds: host as normalize stores it, an IPv6 address in brackets.
func (a Account) ServerAddress() string {
	return net.JoinHostPort(strings.Trim(normalizeHost(a.Host), "[]"), strconv.Itoa(a.Port))
}

// PinCertificate accepts the certificate with the SHA-256 fingerprint for
// the account's current server, and for no other.
func (a *Account) PinCertificate(fingerprint string) {
	a.PinSHA256, a.PinFor = NormalizePin(fingerprint), a.ServerAddress()
}

// pinHere returns the pinned fingerprint if it was accepted for the
// account's current server, and "" otherwise.
func (a Account) pinHere() string {
	if a.PinSHA256 == "" || a.PinFor != a.ServerAddress() {
		return ""
	}
	return a.PinSHA256
}

// DropPinOfOtherServer forgets a pinned certificate unless it was accepted
// for the account's current server: a certificate the user accepted for
// one server says nothing about another.
func (a *Account) DropPinOfOtherServer() {
	if a.pinHere() == "" {
		a.PinSHA256, a.PinFor = "", ""
	}
}

// NormalizePin turns a fingerprint as people copy it ("AB:CD:…", with
// spaces) into lower-case hex.
func NormalizePin(pin string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "", "\t", "").Replace(strings.TrimSpace(pin)))
}

// Validate checks every setting and returns an *InvalidError for the
// first bad one.
func (a *Account) Validate() error {
	a.normalize()
	switch {
	case a.Name == "" || hasControl(a.Name) || len(a.Name) > 200:
		return invalid("name", InvalidName, "")
	case hasControl(a.DisplayName):
		return invalid("display name", InvalidDisplayName, "")
	case !validEmail(a.Email):
		return invalid("email", InvalidEmail, a.Email)
	case !validHost(a.Host):
		return invalid("host", InvalidHost, a.Host)
	case a.Port < 1 || a.Port > 65535:
		return invalid("port", InvalidPort, strconv.Itoa(a.Port))
	case a.Security != smtpclient.SecurityTLS && a.Security != smtpclient.SecurityStartTLS && a.Security != smtpclient.SecurityNone:
		return invalid("security", InvalidSecurity, string(a.Security))
	case hasControl(a.Username):
		return invalid("username", InvalidUsername, "")
	case a.CAFile != "" && a.PinSHA256 != "":
		return invalid("certificate", InvalidCAAndPin, "")
	case a.PinSHA256 != "" && !validPin(a.PinSHA256):
		return invalid("pin", InvalidPin, a.PinSHA256)
	}
	for _, m := range a.Mechanisms {
		if !validMechanism(m) {
			return invalid("mechanisms", InvalidMechanism, m)
		}
	}
	if err := a.validateSentCopy(); err != nil {
		return err
	}
	if a.CAFile != "" {
		return checkCAFile(a.CAFile)
	}
	return nil
}

// IsOAuth reports whether the account signs in with an OAuth token rather
// than a password: it names an OAuth provider, or its mechanisms are all
// OAuth mechanisms (a token given by hand).
func (a Account) IsOAuth() bool {
	if a.OAuthProvider != "" {
		return true
	}
	if len(a.Mechanisms) == 0 {
		return false
	}
	for _, m := range a.Mechanisms {
		if m != "XOAUTH2" && m != "OAUTHBEARER" {
			return false
		}
	}
	return true
}

// sendsPasswordInClear reports whether signing in would send the secret
// over an unencrypted connection to another machine, which Postie refuses.
func (a Account) sendsPasswordInClear() bool {
	return a.Security == smtpclient.SecurityNone && !isLoopbackHost(a.Host)
}

// validateSentCopy checks the incoming server and the choice "Save a copy
// in Sent". No IMAP server at all (a zero IMAPServer) is valid: the copy
// is then not filed, unless the user asked for it always.
func (a *Account) validateSentCopy() error {
	m := a.IMAP
	switch {
	case m.Host == "" && (m.Port != 0 || m.Security != "" || m.Username != "" || m.PinSHA256 != ""):
		return invalid("IMAP host", InvalidIMAPNoHost, "")
	case m.Host != "" && !validHost(m.Host):
		return invalid("IMAP host", InvalidIMAPHost, m.Host)
	case m.Host != "" && (m.Port < 1 || m.Port > 65535):
		return invalid("IMAP port", InvalidIMAPPort, strconv.Itoa(m.Port))
	case m.Host != "" && m.Security != smtpclient.SecurityTLS && m.Security != smtpclient.SecurityStartTLS && m.Security != smtpclient.SecurityNone:
		return invalid("IMAP security", InvalidIMAPSecurity, string(m.Security))
	case hasControl(m.Username):
		return invalid("IMAP username", InvalidIMAPUsername, "")
	case m.PinSHA256 != "" && !validPin(m.PinSHA256):
		return invalid("IMAP pin", InvalidIMAPPin, m.PinSHA256)
	case a.SentCopy != SentCopyAuto && a.SentCopy != SentCopyAlways && a.SentCopy != SentCopyNever:
		return invalid("sent copy", InvalidSentCopy, string(a.SentCopy))
	case a.SentCopy == SentCopyAlways && m.Host == "":
		return invalid("sent copy", InvalidSentCopyNoIMAP, "")
	}
	return nil
}

// HasIMAP reports whether the account names an incoming (IMAP) server.
func (a Account) HasIMAP() bool { return a.IMAP.Host != "" }

// IMAPUsername is the user name that signs in to the IMAP server: its own,
// or else the SMTP one.
func (a Account) IMAPUsername() string {
	if a.IMAP.Username != "" {
		return a.IMAP.Username
	}
	return a.Username
}

// imapSendsPasswordInClear reports whether signing in to the IMAP server
// would send a secret over an unencrypted connection to another machine:
// the same rule as for SMTP (sendsPasswordInClear), and LOGIN before TLS
// is what RFC 9051 section 6.2.3 warns against.
func (a Account) imapSendsPasswordInClear() bool {
	return a.HasIMAP() && a.IMAP.Security == smtpclient.SecurityNone && !isLoopbackHost(a.IMAP.Host)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	// An IPv6 literal may be written in brackets, as in [::1].
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || hasControl(s) || strings.ContainsAny(s, " <>,;") {
		return false
	}
	ascii, err := idna.Lookup.ToASCII(s[at+1:])
	return err == nil && strings.Contains(ascii, ".")
}

func validHost(h string) bool {
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	ascii, err := idna.Lookup.ToASCII(h)
	return err == nil && ascii != ""
}

func validPin(p string) bool {
	if len(p) != 64 {
		return false
	}
	_, err := hex.DecodeString(p)
	return err == nil
}

func validMechanism(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkCAFile makes sure the file can be read and holds a certificate, so a
// typo is caught when the account is saved, not when mail is sent.
func checkCAFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &InvalidError{Field: "CA file", Problem: InvalidCAFileRead, Value: path, Err: err}
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return invalid("CA file", InvalidCAFileNoCert, path)
		}
		if block.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(block.Bytes); err == nil {
				return nil
			}
		}
	}
}
