package oauth

import (
	"net"
	"strings"

	"github.com/postie-app/postie/mail/smtpclient"
)

// The client ids (and, where the provider issues one to installed apps,
// the client secrets) of Postie's own registrations. They are not secrets
// (RFC 8252 §8.5: a native app cannot keep one), but they are Postie's to
// register, so a distributor's build sets them, e.g.
//
//	go build -ldflags "-X github.com/postie-app/postie/accounts/oauth.googleClientID=…"
//
// A build without an id cannot sign in with that provider: Configured is
// false and SignIn returns ProblemNotConfigured.
var (
	googleClientID     string
	googleClientSecret string
	microsoftClientID  string
	yahooClientID      string
	yahooClientSecret  string
	aolClientID        string
	aolClientSecret    string
)

// Server is a provider's mail server for accounts that sign in with it.
type Server struct {
	Host     string              `json:"host"`
	Port     int                 `json:"port"`
	Security smtpclient.Security `json:"security"`
}

// Provider is one identity provider Postie can sign in with.
type Provider struct {
	ID   string // "google", "microsoft", "yahoo", "aol", or from POSTIE_OAUTH_PROVIDERS
	Name string // "Google", "Microsoft", …: for "Sign in with NAME"
	// AuthorizationURL and TokenURL may contain "{tenant}" (Microsoft).
	AuthorizationURL string
	TokenURL         string
	RevocationURL    string // "" when the provider has no revocation endpoint
	ClientID         string // "" when this build has none: Configured is false
	ClientSecret     string // not secret for installed apps (Google issues one)
	Scopes           []string
	// AuthParams are extra parameters of the authorization request, those
	// a provider needs to issue a refresh token (Google: access_type=offline
	// and prompt=consent).
	AuthParams map[string]string
	// Domains are email domains served by the provider ("hotmail.*" stands
	// for hotmail under any top-level domain); MX are suffixes of MX hosts
	// that identify a custom domain hosted there.
	Domains []string
	MX      []string
	SMTP    Server
	// OrgSMTP, when set, is the submission server of accounts on a custom
	// domain (found by MX, not by Domains): Microsoft 365 as opposed to
	// Outlook.com. See SMTPFor.
	OrgSMTP Server
	IMAP    Server
	// AppPasswordURL is the provider's page for an app password, for the
	// "use an app password instead" route; "" when it has none.
	AppPasswordURL string
}

// Configured reports whether this build (or the user's override) has a
// client id to sign in with.
func (p Provider) Configured() bool { return p.ClientID != "" }

// SMTPFor is the submission server for the address: OrgSMTP for an
// address outside the provider's own Domains when the provider has one
// (a Microsoft 365 custom domain), else SMTP.
func (p Provider) SMTPFor(email string) Server {
	if p.OrgSMTP.Host != "" && !p.servesDomain(domainOf(email)) {
		return p.OrgSMTP
	}
	return p.SMTP
}

// Providers is the provider table: built in, plus POSTIE_OAUTH_PROVIDERS.
type Providers []Provider

// EnvProviders is the environment variable naming a JSON file that adds or
// overrides providers.
const EnvProviders = "POSTIE_OAUTH_PROVIDERS"

// BuiltIn returns the providers Postie knows without a file, with the
// client ids this build embeds.
//
// Sources of the endpoint facts (checked November 2026):
//   - Google: "OAuth 2.0 for Mobile & Desktop Apps" (developers.google.com/
//     identity/protocols/oauth2/native-app): authorization
//     https://accounts.google.com/o/oauth2/v2/auth, token
//     https://oauth2.googleapis.com/token, revocation
//     https://oauth2.googleapis.com/revoke (POST, RFC 7009), loopback
//     redirect on any port, access_type=offline for a refresh token and
//     prompt=consent so a second sign-in gets one again; scope
//     https://mail.google.com/ is the one Gmail's SMTP accepts
//     (developers.google.com/gmail/imap/xoauth2-protocol). Thunderbird's
//     OAuth2Providers.sys.mjs uses the same endpoints and scope.
//   - Microsoft: identity platform v2.0 endpoints
//     https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize and
//     …/token (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow);
//     "Authenticate an IMAP, POP or SMTP connection using OAuth"
//     (learn.microsoft.com/exchange/client-developer/legacy-protocols/
//     how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth):
//     scopes https://outlook.office.com/SMTP.Send and IMAP.AccessAsUser.All,
//     offline_access for a refresh token, SMTP smtp.office365.com:587 STARTTLS for Microsoft 365
//     and smtp-mail.outlook.com:587 STARTTLS for Outlook.com (Microsoft
//     support "POP, IMAP, and SMTP settings for Outlook.com"), IMAP
//     outlook.office365.com:993. Microsoft publishes no RFC 7009
//     revocation endpoint for these tokens (a user or admin revokes them in
//     the account or Entra portal), so RevocationURL is empty and Revoke
//     does nothing for Microsoft.
//   - Yahoo and AOL (both Yahoo Inc.): developer.yahoo.com/oauth2/guide/
//     and Thunderbird's OAuth2Providers.sys.mjs: authorization
//     https://api.login.yahoo.com/oauth2/request_auth and token
//     …/oauth2/get_token (api.login.aol.com for AOL), scope mail-w, client
//     secret required at the token endpoint; SMTP smtp.mail.yahoo.com and
//     smtp.aol.com on 465 with implicit TLS, IMAP imap.mail.yahoo.com and
//     imap.aol.com on 993 (their help pages and Thunderbird's ISP database).
//     Neither documents a revocation endpoint for installed apps.
func BuiltIn() Providers {
	return Providers{
		{
			ID:               "google",
			Name:             "Google",
			AuthorizationURL: "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:         "https://oauth2.googleapis.com/token",
			RevocationURL:    "https://oauth2.googleapis.com/revoke",
			ClientID:         googleClientID,
			ClientSecret:     googleClientSecret,
			Scopes:           []string{"https://mail.google.com/"},
			AuthParams:       map[string]string{"access_type": "offline", "prompt": "consent"},
			Domains:          []string{"gmail.com", "googlemail.com"},
			// Google Workspace MX: aspmx.l.google.com and altN.aspmx.l.google.com,
			// the older *.googlemail.com, and since 2023 smtp.google.com.
			MX:             []string{"google.com", "googlemail.com"},
			SMTP:           Server{Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS},
			IMAP:           Server{Host: "imap.gmail.com", Port: 993, Security: smtpclient.SecurityTLS},
			AppPasswordURL: "https://myaccount.google.com/apppasswords",
		},
		{
			ID:               "microsoft",
			Name:             "Microsoft",
			AuthorizationURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
			TokenURL:         "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			RevocationURL:    "", // Microsoft has no public RFC 7009 endpoint
			ClientID:         microsoftClientID,
			// IMAP.AccessAsUser.All lets "Save a copy in Sent: always" file
			// the copy over IMAP with the same sign-in (Thunderbird asks
			// for the same three).
			Scopes: []string{"https://outlook.office.com/SMTP.Send", "https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"},
			// Outlook.com's consumer domains (Microsoft support, "Outlook.com
			// addresses"): outlook.*, hotmail.*, live.* under many country
			// domains, and msn.com, passport.com, windowslive.com.
			Domains: []string{"outlook.*", "hotmail.*", "live.*", "msn.com", "passport.com", "passport.net", "windowslive.com"},
			// Microsoft 365 (Exchange Online) custom domains:
			// DOMAIN.mail.protection.outlook.com; Outlook.com's own domains
			// use *.olc.protection.outlook.com.
			MX:      []string{"mail.protection.outlook.com", "olc.protection.outlook.com"},
			SMTP:    Server{Host: "smtp-mail.outlook.com", Port: 587, Security: smtpclient.SecurityStartTLS},
			OrgSMTP: Server{Host: "smtp.office365.com", Port: 587, Security: smtpclient.SecurityStartTLS},
			IMAP:    Server{Host: "outlook.office365.com", Port: 993, Security: smtpclient.SecurityTLS},
		},
		{
			ID:               "yahoo",
			Name:             "Yahoo",
			AuthorizationURL: "https://api.login.yahoo.com/oauth2/request_auth",
			TokenURL:         "https://api.login.yahoo.com/oauth2/get_token",
			ClientID:         yahooClientID,
			ClientSecret:     yahooClientSecret,
			Scopes:           []string{"mail-w"},
			// Not "yahoo.*": yahoo.co.jp is Yahoo Japan, another company.
			Domains: []string{"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
				"yahoo.es", "yahoo.it", "yahoo.ca", "yahoo.com.au", "yahoo.com.br", "yahoo.com.mx", "yahoo.co.in",
				"yahoo.in", "yahoo.ie", "yahoo.gr", "yahoo.se", "yahoo.dk", "yahoo.no", "yahoo.fi", "yahoo.com.ar",
				"yahoo.com.sg", "yahoo.com.tw", "yahoo.com.hk", "yahoo.com.ph", "yahoo.co.nz", "yahoo.co.id"},
			MX:             []string{"yahoodns.net"}, // mta5.am0.yahoodns.net
			SMTP:           Server{Host: "smtp.mail.yahoo.com", Port: 465, Security: smtpclient.SecurityTLS},
			IMAP:           Server{Host: "imap.mail.yahoo.com", Port: 993, Security: smtpclient.SecurityTLS},
			AppPasswordURL: "https://login.yahoo.com/account/security",
		},
		{
			ID:               "aol",
			Name:             "AOL",
			AuthorizationURL: "https://api.login.aol.com/oauth2/request_auth",
			TokenURL:         "https://api.login.aol.com/oauth2/get_token",
			ClientID:         aolClientID,
			ClientSecret:     aolClientSecret,
			Scopes:           []string{"mail-w"},
			Domains:          []string{"aol.com", "aim.com", "aol.co.uk", "aol.fr", "aol.de", "aol.it", "aol.es", "love.com", "games.com", "wow.com", "ygm.com"},
			// mx-aol.mail.gm0.yahoodns.net: more specific than Yahoo's suffix,
			// so it wins (ForAddress takes the longest match).
			MX:             []string{"mx-aol.mail.gm0.yahoodns.net"},
			SMTP:           Server{Host: "smtp.aol.com", Port: 465, Security: smtpclient.SecurityTLS},
			IMAP:           Server{Host: "imap.aol.com", Port: 993, Security: smtpclient.SecurityTLS},
			AppPasswordURL: "https://login.aol.com/account/security",
		},
	}
}

// Find returns the provider with the id.
func (ps Providers) Find(id string) (Provider, bool) {
	for _, p := range ps {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// ForAddress returns the provider that serves the email address, from its
// domain or, for a custom domain, its MX hosts (mx may be nil). The domain
// decides first; among MX matches the longest suffix wins, so AOL's MX
// under yahoodns.net is AOL, not Yahoo. Later providers (those of the
// file) win over earlier ones.
func (ps Providers) ForAddress(email string, mx []string) (Provider, bool) {
	domain := domainOf(email)
	if domain == "" {
		return Provider{}, false
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].servesDomain(domain) {
			return ps[i], true
		}
	}
	best, bestLen := -1, 0
	for _, host := range mx {
		host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
		for i := len(ps) - 1; i >= 0; i-- {
			for _, suffix := range ps[i].MX {
				suffix = strings.Trim(strings.ToLower(suffix), ".")
				if suffix != "" && (host == suffix || strings.HasSuffix(host, "."+suffix)) && len(suffix) > bestLen {
					best, bestLen = i, len(suffix)
				}
			}
		}
	}
	if best < 0 {
		return Provider{}, false
	}
	return ps[best], true
}

// servesDomain reports whether domain is one of p.Domains; a pattern
// "name.*" matches name under any suffix ("hotmail.co.uk").
func (p Provider) servesDomain(domain string) bool {
	for _, d := range p.Domains {
		d = strings.ToLower(d)
		if stem, ok := strings.CutSuffix(d, ".*"); ok {
			if strings.HasPrefix(domain, stem+".") {
				return true
			}
		} else if domain == d {
			return true
		}
	}
	return false
}

// domainOf is the lower-case domain of an address, "" if it has none.
func domainOf(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(email[at+1:])), ".")
}

// withTenant puts the Microsoft tenant into an endpoint: "common" when
// tenant is empty. A tenant is a GUID or a domain name; anything else
// could change the URL and is refused.
func withTenant(provider, endpoint, tenant string) (string, error) {
	if tenant == "" {
		tenant = "common"
	}
	for _, r := range tenant {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "", &Error{Problem: ProblemBadProviderDef, Provider: provider, Code: DefBadValue, Field: "tenant", Value: tenant}
		}
	}
	return strings.ReplaceAll(endpoint, "{tenant}", tenant), nil
}

// isLoopbackHost reports whether host (no port) is loopback: 127.0.0.0/8,
// ::1 or localhost (RFC 8252 §8.3 allows plain http only there).
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
