package autoconfig

import (
	"strings"
)

// Need is something a provider requires before an email program may send.
type Need string

const (
	// NeedAppPassword: the normal password is refused; the user must create
	// an app password (or authorisation code) in the provider's web settings.
	NeedAppPassword Need = "app password"
	// NeedOAuth: the provider wants its own sign-in (OAuth 2.0) rather than,
	// or in preference to, a password.
	NeedOAuth Need = "OAuth"
	// NeedEnableSMTP: access by email programs is off until the user turns
	// it on in the provider's web settings.
	NeedEnableSMTP Need = "enable SMTP"
)

// Provider is one entry of the built-in provider table: the SMTP submission
// settings the provider publishes for its customers.
type Provider struct {
	Name string
	// Domains are the email domains the provider serves.
	Domains []string
	// MX are suffixes of the provider's MX hosts, which identify it as the
	// mail host of other domains (RFC 5321 section 5).
	MX       []string
	Host     string
	Port     int
	Security Security
	// Username may hold clientConfig placeholders such as %EMAILADDRESS%.
	Username string
	Auth     []string
	Needs    []Need
	// Hint is what the user must do before Postie can log in; HintNone
	// when nothing special is needed. HelpURL is the provider's page for
	// it, when there is one to give.
	Hint    HintKind
	HelpURL string

	// IMAPHost, IMAPPort and IMAPSecurity are the incoming (IMAP) server,
	// for the copy in the Sent folder; it signs in with the same user name.
	IMAPHost     string
	IMAPPort     int
	IMAPSecurity Security
	// FilesSentCopy is set when the provider's SMTP server puts a copy of
	// every submitted message in the Sent folder itself, so that Postie's
	// automatic mode files none: it is where that is documented.
	FilesSentCopy string
}

// HintKind is what a provider wants the user to do before an email
// program may send. The front ends write the sentence.
type HintKind string

const (
	HintNone HintKind = ""
	// HintAppPassword: the normal password is refused; create an app
	// password (authorisation code, mail key) and use it instead.
	HintAppPassword HintKind = "app-password-required"
	// HintAppPasswordWithTwoFactor: an app password is needed only when
	// two-step verification is on.
	HintAppPasswordWithTwoFactor HintKind = "app-password-with-two-factor"
	// HintOAuthOnly: only the provider's own sign-in (OAuth) works.
	HintOAuthOnly HintKind = "oauth-only"
	// HintEnableSMTP: access by email programs is off until the user turns
	// it on in the provider's web settings.
	HintEnableSMTP HintKind = "enable-smtp"
	// HintEnableSMTPAndAppPassword: turn access on, then use the app
	// password or authorisation code the provider shows.
	HintEnableSMTPAndAppPassword HintKind = "enable-smtp-and-app-password"
	// HintAdminEnableSMTP: an administrator must allow authenticated SMTP
	// for the mailbox; many organisations allow only OAuth sign-in.
	HintAdminEnableSMTP HintKind = "admin-enable-smtp"
	// HintProviderInstruction: the provider's settings file gives its own
	// instruction, in Instruction.
	HintProviderInstruction HintKind = "provider-instruction"
)

// Hint says what a provider needs before Postie can log in, as facts: the
// front ends turn it into a sentence in the user's language.
type Hint struct {
	Kind     HintKind
	Provider string // the provider's name, e.g. "Gmail"
	HelpURL  string // the provider's page for it, or ""
	// Instruction is the provider's own text, for HintProviderInstruction.
	Instruction string
}

// IsZero reports whether there is nothing to tell.
func (h Hint) IsZero() bool { return h.Kind == HintNone }

// String describes the hint for logs.
func (h Hint) String() string {
	if h.IsZero() {
		return ""
	}
	s := strings.ToLower(h.Provider) + ": " + string(h.Kind)
	if h.HelpURL != "" {
		s += " (" + h.HelpURL + ")"
	}
	return s
}

func (p *Provider) hint() Hint {
	if p == nil || p.Hint == HintNone {
		return Hint{}
	}
	return Hint{Kind: p.Hint, Provider: p.Name, HelpURL: p.HelpURL}
}

// providers is the built-in table. Each entry follows the provider's
// published settings for email programs, cross-checked against Thunderbird's
// ISPDB; where a provider offers both, implicit TLS on 465 is chosen over
// STARTTLS on 587, as RFC 8314 section 3.3 recommends.
var providers = []Provider{
	{
		Name:    "Gmail",
		Domains: []string{"gmail.com", "googlemail.com", "google.com"},
		MX:      []string{"google.com", "googlemail.com"},
		Host:    "smtp.gmail.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword, NeedOAuth},
		Hint:  HintAppPassword, HelpURL: "https://myaccount.google.com/apppasswords",
		IMAPHost: "imap.gmail.com", IMAPPort: 993, IMAPSecurity: TLS,
		// Google's recommended IMAP client settings: "Do NOT save sent
		// messages on the server … your sent messages will be
		// automatically copied to the [Gmail]/Sent Mail folder."
		FilesSentCopy: "https://support.google.com/mail/answer/78892",
	},
	{
		Name: "Outlook.com",
		Domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "windowslive.com",
			"hotmail.co.uk", "hotmail.de", "hotmail.fr", "hotmail.it", "hotmail.es",
			"live.co.uk", "live.de", "live.fr", "outlook.de", "outlook.fr", "outlook.es", "outlook.it"},
		MX:   []string{"olc.protection.outlook.com"},
		Host: "smtp-mail.outlook.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2},
		Needs:    []Need{NeedOAuth},
		Hint:     HintOAuthOnly,
		IMAPHost: "outlook.office365.com", IMAPPort: 993, IMAPSecurity: TLS,
		// Exchange Online saves a copy of what is sent through it in Sent
		// Items (Nextcloud Mail's admin manual, "Avoid duplicate sent
		// messages (Exchange / Office 365)").
		FilesSentCopy: "https://github.com/nextcloud/documentation/pull/15015",
	},
	{
		Name:    "Microsoft 365",
		Domains: []string{"office365.com", "onmicrosoft.com"},
		MX:      []string{"mail.protection.outlook.com"},
		Host:    "smtp.office365.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs:    []Need{NeedEnableSMTP, NeedOAuth},
		Hint:     HintAdminEnableSMTP,
		IMAPHost: "outlook.office365.com", IMAPPort: 993, IMAPSecurity: TLS,
		// Exchange Online saves a copy of what is sent through it in Sent
		// Items (Nextcloud Mail's admin manual, "Avoid duplicate sent
		// messages (Exchange / Office 365)").
		FilesSentCopy: "https://github.com/nextcloud/documentation/pull/15015",
	},
	{
		Name: "Yahoo Mail",
		Domains: []string{"yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr", "yahoo.it", "yahoo.es",
			"yahoo.ca", "yahoo.com.au", "yahoo.co.in", "yahoo.com.br", "ymail.com", "rocketmail.com", "myyahoo.com"},
		MX:   []string{"am0.yahoodns.net"},
		Host: "smtp.mail.yahoo.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint:  HintAppPassword, HelpURL: "https://login.yahoo.com/account/security",
		IMAPHost: "imap.mail.yahoo.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "iCloud Mail",
		Domains: []string{"icloud.com", "me.com", "mac.com"},
		MX:      []string{"mail.icloud.com"},
		Host:    "smtp.mail.me.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint:  HintAppPassword, HelpURL: "https://account.apple.com",
		IMAPHost: "imap.mail.me.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "AOL Mail",
		Domains: []string{"aol.com", "aim.com", "aol.co.uk", "aol.de", "aol.fr", "netscape.net"},
		MX:      []string{"gm0.yahoodns.net"},
		Host:    "smtp.aol.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint:  HintAppPassword, HelpURL: "https://login.aol.com/account/security",
		IMAPHost: "imap.aol.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "GMX",
		Domains: []string{"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu"},
		MX:      []string{"gmx.net"},
		Host:    "mail.gmx.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.gmx.net", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "GMX (international)",
		Domains: []string{"gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es"},
		MX:      []string{"gmx.com"},
		Host:    "mail.gmx.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.gmx.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "WEB.DE",
		Domains: []string{"web.de"},
		MX:      []string{"web.de"},
		Host:    "smtp.web.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.web.de", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Fastmail",
		Domains: []string{"fastmail.com", "fastmail.fm", "messagingengine.com"},
		MX:      []string{"messagingengine.com"},
		Host:    "smtp.fastmail.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedAppPassword},
		Hint:     HintAppPassword,
		IMAPHost: "imap.fastmail.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Zoho Mail",
		Domains: []string{"zoho.com", "zohomail.com"},
		MX:      []string{"zoho.com"},
		Host:    "smtp.zoho.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.zoho.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Zoho Mail (EU)",
		Domains: []string{"zoho.eu", "zohomail.eu"},
		MX:      []string{"zoho.eu"},
		Host:    "smtp.zoho.eu", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.zoho.eu", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Yandex Mail",
		Domains: []string{"yandex.ru", "yandex.com", "ya.ru", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru"},
		MX:      []string{"yandex.net", "yandex.ru"},
		Host:    "smtp.yandex.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs:    []Need{NeedEnableSMTP, NeedAppPassword},
		Hint:     HintEnableSMTPAndAppPassword,
		IMAPHost: "imap.yandex.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Mail.ru",
		Domains: []string{"mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"},
		MX:      []string{"mail.ru"},
		Host:    "smtp.mail.ru", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedAppPassword},
		Hint:     HintAppPassword,
		IMAPHost: "imap.mail.ru", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "T-Online",
		Domains: []string{"t-online.de", "magenta.de"},
		MX:      []string{"t-online.de"},
		Host:    "securesmtp.t-online.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedAppPassword},
		Hint:     HintAppPassword,
		IMAPHost: "secureimap.t-online.de", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name: "Posteo",
		Domains: []string{"posteo.de", "posteo.net", "posteo.at", "posteo.ch", "posteo.eu", "posteo.org",
			"posteo.com", "posteo.co.uk", "posteo.nl", "posteo.be"},
		MX:   []string{"posteo.de"},
		Host: "posteo.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		IMAPHost: "posteo.de", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "mailbox.org",
		Domains: []string{"mailbox.org"},
		MX:      []string{"mailbox.org"},
		Host:    "smtp.mailbox.org", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Hint:     HintAppPasswordWithTwoFactor,
		IMAPHost: "imap.mailbox.org", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Xfinity (Comcast)",
		Domains: []string{"comcast.net"},
		MX:      []string{"comcast.net"},
		Host:    "smtp.comcast.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.comcast.net", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "AT&T Mail",
		Domains: []string{"att.net", "sbcglobal.net", "bellsouth.net", "pacbell.net", "prodigy.net", "swbell.net", "ameritech.net"},
		Host:    "outbound.att.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs:    []Need{NeedAppPassword},
		Hint:     HintAppPassword,
		IMAPHost: "imap.mail.att.net", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Orange",
		Domains: []string{"orange.fr", "wanadoo.fr"},
		MX:      []string{"orange.fr"},
		Host:    "smtp.orange.fr", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		IMAPHost: "imap.orange.fr", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Free",
		Domains: []string{"free.fr"},
		MX:      []string{"free.fr"},
		Host:    "smtp.free.fr", Port: 465, Security: TLS,
		Username: "%EMAILLOCALPART%", Auth: []string{AuthPassword},
		IMAPHost: "imap.free.fr", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Libero Mail",
		Domains: []string{"libero.it", "iol.it", "inwind.it", "blu.it", "giallo.it"},
		MX:      []string{"libero.it"},
		Host:    "smtp.libero.it", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		IMAPHost: "imapmail.libero.it", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "QQ Mail",
		Domains: []string{"qq.com", "vip.qq.com"},
		MX:      []string{"qq.com"},
		Host:    "smtp.qq.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP, NeedAppPassword},
		Hint:     HintEnableSMTPAndAppPassword,
		IMAPHost: "imap.qq.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "NetEase 163 Mail",
		Domains: []string{"163.com"},
		MX:      []string{"netease.com"},
		Host:    "smtp.163.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP, NeedAppPassword},
		Hint:     HintEnableSMTPAndAppPassword,
		IMAPHost: "imap.163.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "NetEase 126 Mail",
		Domains: []string{"126.com"},
		Host:    "smtp.126.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP, NeedAppPassword},
		Hint:     HintEnableSMTPAndAppPassword,
		IMAPHost: "imap.126.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Naver Mail",
		Domains: []string{"naver.com"},
		MX:      []string{"naver.com"},
		Host:    "smtp.naver.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.naver.com", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Daum Mail",
		Domains: []string{"daum.net", "hanmail.net"},
		MX:      []string{"daum.net"},
		Host:    "smtp.daum.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.daum.net", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "Seznam Email",
		Domains: []string{"seznam.cz", "email.cz", "post.cz", "spoluzaci.cz"},
		MX:      []string{"seznam.cz"},
		Host:    "smtp.seznam.cz", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		IMAPHost: "imap.seznam.cz", IMAPPort: 993, IMAPSecurity: TLS,
	},
	{
		Name:    "WP Poczta",
		Domains: []string{"wp.pl"},
		MX:      []string{"wp.pl"},
		Host:    "smtp.wp.pl", Port: 465, Security: TLS,
		Username: "%EMAILLOCALPART%", Auth: []string{AuthPassword},
		Needs:    []Need{NeedEnableSMTP},
		Hint:     HintEnableSMTP,
		IMAPHost: "imap.wp.pl", IMAPPort: 993, IMAPSecurity: TLS,
	},
}

// providerForDomain returns the table entry serving the email domain, also
// for subdomains of a listed domain (tenant.onmicrosoft.com).
func providerForDomain(domain string) *Provider {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for d := domain; d != ""; d = parentDomain(d) {
		for i := range providers {
			for _, pd := range providers[i].Domains {
				if pd == d {
					return &providers[i]
				}
			}
		}
	}
	return nil
}

// providerForMX returns the table entry whose MX hosts include mxHost,
// preferring the longest matching suffix, so mail.protection.outlook.com
// (Microsoft 365) wins over a shorter outlook.com entry.
func providerForMX(mxHost string) *Provider {
	mxHost = strings.TrimSuffix(strings.ToLower(mxHost), ".")
	var best *Provider
	bestLen := 0
	for i := range providers {
		for _, suffix := range providers[i].MX {
			if (mxHost == suffix || strings.HasSuffix(mxHost, "."+suffix)) && len(suffix) > bestLen {
				best, bestLen = &providers[i], len(suffix)
			}
		}
	}
	return best
}

// HintFor returns the table's hint for an SMTP host: that of the entry
// with this host, or else of the entry serving the host's domain
// (smtp.googlemail.com is Gmail's). It is zero when the provider needs
// nothing special or is unknown, so a company relay used with a Gmail
// address gets no Gmail advice. Front ends show it with authentication
// failures.
func HintFor(host string) Hint {
	return providerForHost(strings.TrimSuffix(strings.ToLower(host), ".")).hint()
}

// Providers returns a copy of the built-in table.
func Providers() []Provider {
	out := make([]Provider, len(providers))
	copy(out, providers)
	return out
}

func parentDomain(d string) string {
	if i := strings.IndexByte(d, '.'); i >= 0 {
		return d[i+1:]
	}
	return ""
}
