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
	// Hint tells the user, in plain words, what to do before Postie can log
	// in; empty when nothing special is needed.
	Hint string
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
		Hint: "Google does not accept your normal password in email programs. Turn on 2-Step Verification " +
			"in your Google Account, create an app password at https://myaccount.google.com/apppasswords " +
			"and use it here.",
	},
	{
		Name: "Outlook.com",
		Domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "windowslive.com",
			"hotmail.co.uk", "hotmail.de", "hotmail.fr", "hotmail.it", "hotmail.es",
			"live.co.uk", "live.de", "live.fr", "outlook.de", "outlook.fr", "outlook.es", "outlook.it"},
		MX:   []string{"olc.protection.outlook.com"},
		Host: "smtp-mail.outlook.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2},
		Needs: []Need{NeedOAuth},
		Hint: "Microsoft lets email programs send from Outlook.com, Hotmail and Live addresses only after " +
			"signing in with Microsoft (OAuth); your normal password is refused.",
	},
	{
		Name:    "Microsoft 365",
		Domains: []string{"office365.com", "onmicrosoft.com"},
		MX:      []string{"mail.protection.outlook.com"},
		Host:    "smtp.office365.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedEnableSMTP, NeedOAuth},
		Hint: "Your organisation's administrator must turn on \"Authenticated SMTP\" for your mailbox, " +
			"and many organisations allow only Microsoft sign-in (OAuth) instead of a password.",
	},
	{
		Name: "Yahoo Mail",
		Domains: []string{"yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr", "yahoo.it", "yahoo.es",
			"yahoo.ca", "yahoo.com.au", "yahoo.co.in", "yahoo.com.br", "ymail.com", "rocketmail.com", "myyahoo.com"},
		MX:   []string{"am0.yahoodns.net"},
		Host: "smtp.mail.yahoo.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "Yahoo needs an app password: open Account Security in your Yahoo account, choose " +
			"\"Generate app password\" and use it here instead of your normal password.",
	},
	{
		Name:    "iCloud Mail",
		Domains: []string{"icloud.com", "me.com", "mac.com"},
		MX:      []string{"mail.icloud.com"},
		Host:    "smtp.mail.me.com", Port: 587, Security: STARTTLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "Apple needs an app-specific password: sign in at https://account.apple.com, open " +
			"Sign-In and Security, choose App-Specific Passwords and use the one it creates here.",
	},
	{
		Name:    "AOL Mail",
		Domains: []string{"aol.com", "aim.com", "aol.co.uk", "aol.de", "aol.fr", "netscape.net"},
		MX:      []string{"gm0.yahoodns.net"},
		Host:    "smtp.aol.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "AOL needs an app password: open Account Security in your AOL account, choose " +
			"\"Generate app password\" and use it here instead of your normal password.",
	},
	{
		Name:    "GMX",
		Domains: []string{"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu"},
		MX:      []string{"gmx.net"},
		Host:    "mail.gmx.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "GMX blocks email programs until you allow them once: in GMX's web mail open " +
			"Settings, then POP3 & IMAP, and turn on access.",
	},
	{
		Name:    "GMX (international)",
		Domains: []string{"gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es"},
		MX:      []string{"gmx.com"},
		Host:    "mail.gmx.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "GMX blocks email programs until you allow them once: in GMX's web mail open " +
			"Settings, then POP3 & IMAP, and turn on access.",
	},
	{
		Name:    "WEB.DE",
		Domains: []string{"web.de"},
		MX:      []string{"web.de"},
		Host:    "smtp.web.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "WEB.DE blocks email programs until you allow them once: in WEB.DE's web mail open " +
			"Settings, then POP3/IMAP, and turn on access.",
	},
	{
		Name:    "Fastmail",
		Domains: []string{"fastmail.com", "fastmail.fm", "messagingengine.com"},
		MX:      []string{"messagingengine.com"},
		Host:    "smtp.fastmail.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "Fastmail needs an app password: open Settings, then Privacy & Security, choose " +
			"\"Manage app passwords\" and create one for sending mail.",
	},
	{
		Name:    "Zoho Mail",
		Domains: []string{"zoho.com", "zohomail.com"},
		MX:      []string{"zoho.com"},
		Host:    "smtp.zoho.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "Turn on IMAP access in Zoho Mail's settings (Mail Accounts, then IMAP) first. If you use " +
			"two-factor authentication, create an app-specific password and use it here.",
	},
	{
		Name:    "Zoho Mail (EU)",
		Domains: []string{"zoho.eu", "zohomail.eu"},
		MX:      []string{"zoho.eu"},
		Host:    "smtp.zoho.eu", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "Turn on IMAP access in Zoho Mail's settings (Mail Accounts, then IMAP) first. If you use " +
			"two-factor authentication, create an app-specific password and use it here.",
	},
	{
		Name:    "Yandex Mail",
		Domains: []string{"yandex.ru", "yandex.com", "ya.ru", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru"},
		MX:      []string{"yandex.net", "yandex.ru"},
		Host:    "smtp.yandex.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedEnableSMTP, NeedAppPassword},
		Hint: "Allow email programs in Yandex Mail's settings (Email clients), then create an app " +
			"password in Yandex ID (Security, then App passwords) and use it here.",
	},
	{
		Name:    "Mail.ru",
		Domains: []string{"mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"},
		MX:      []string{"mail.ru"},
		Host:    "smtp.mail.ru", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "Mail.ru needs a password for external applications: create one in your Mail.ru account's " +
			"security settings and use it here instead of your normal password.",
	},
	{
		Name:    "T-Online",
		Domains: []string{"t-online.de", "magenta.de"},
		MX:      []string{"t-online.de"},
		Host:    "securesmtp.t-online.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "T-Online needs a separate email password: set one up in the Telekom customer centre " +
			"(E-Mail-Passwort). Your normal login password does not work in email programs.",
	},
	{
		Name: "Posteo",
		Domains: []string{"posteo.de", "posteo.net", "posteo.at", "posteo.ch", "posteo.eu", "posteo.org",
			"posteo.com", "posteo.co.uk", "posteo.nl", "posteo.be"},
		MX:   []string{"posteo.de"},
		Host: "posteo.de", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
	},
	{
		Name:    "mailbox.org",
		Domains: []string{"mailbox.org"},
		MX:      []string{"mailbox.org"},
		Host:    "smtp.mailbox.org", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Hint: "If two-factor authentication is on for your mailbox.org account, create an application " +
			"password in its settings and use it here.",
	},
	{
		Name:    "Xfinity (Comcast)",
		Domains: []string{"comcast.net"},
		MX:      []string{"comcast.net"},
		Host:    "smtp.comcast.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "Turn on third-party email access in your Xfinity account's email security settings " +
			"before sending from an email program.",
	},
	{
		Name:    "AT&T Mail",
		Domains: []string{"att.net", "sbcglobal.net", "bellsouth.net", "pacbell.net", "prodigy.net", "swbell.net", "ameritech.net"},
		Host:    "outbound.att.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthOAuth2, AuthPassword},
		Needs: []Need{NeedAppPassword},
		Hint: "AT&T needs a secure mail key: create one in your AT&T account's sign-in settings and " +
			"use it here instead of your normal password.",
	},
	{
		Name:    "Orange",
		Domains: []string{"orange.fr", "wanadoo.fr"},
		MX:      []string{"orange.fr"},
		Host:    "smtp.orange.fr", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
	},
	{
		Name:    "Free",
		Domains: []string{"free.fr"},
		MX:      []string{"free.fr"},
		Host:    "smtp.free.fr", Port: 465, Security: TLS,
		Username: "%EMAILLOCALPART%", Auth: []string{AuthPassword},
	},
	{
		Name:    "Libero Mail",
		Domains: []string{"libero.it", "iol.it", "inwind.it", "blu.it", "giallo.it"},
		MX:      []string{"libero.it"},
		Host:    "smtp.libero.it", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
	},
	{
		Name:    "QQ Mail",
		Domains: []string{"qq.com", "vip.qq.com"},
		MX:      []string{"qq.com"},
		Host:    "smtp.qq.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP, NeedAppPassword},
		Hint: "Turn on the SMTP service in QQ Mail's web settings (Settings, then Account, then " +
			"POP3/IMAP/SMTP) and use the authorisation code it shows instead of your QQ password.",
	},
	{
		Name:    "NetEase 163 Mail",
		Domains: []string{"163.com"},
		MX:      []string{"netease.com"},
		Host:    "smtp.163.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP, NeedAppPassword},
		Hint: "Turn on SMTP in 163 Mail's web settings (Settings, then POP3/SMTP/IMAP) and use the " +
			"client authorisation code it gives you instead of your password.",
	},
	{
		Name:    "NetEase 126 Mail",
		Domains: []string{"126.com"},
		Host:    "smtp.126.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP, NeedAppPassword},
		Hint: "Turn on SMTP in 126 Mail's web settings (Settings, then POP3/SMTP/IMAP) and use the " +
			"client authorisation code it gives you instead of your password.",
	},
	{
		Name:    "Naver Mail",
		Domains: []string{"naver.com"},
		MX:      []string{"naver.com"},
		Host:    "smtp.naver.com", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "Turn on IMAP/SMTP in Naver Mail's settings (POP3/IMAP settings) first. With 2-step " +
			"verification, create an application password and use it here.",
	},
	{
		Name:    "Daum Mail",
		Domains: []string{"daum.net", "hanmail.net"},
		MX:      []string{"daum.net"},
		Host:    "smtp.daum.net", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint: "Turn on IMAP/SMTP in Daum Mail's settings (IMAP/POP3) first. With 2-step verification, " +
			"use the password issued on the 2-step verification page.",
	},
	{
		Name:    "Seznam Email",
		Domains: []string{"seznam.cz", "email.cz", "post.cz", "spoluzaci.cz"},
		MX:      []string{"seznam.cz"},
		Host:    "smtp.seznam.cz", Port: 465, Security: TLS,
		Username: "%EMAILADDRESS%", Auth: []string{AuthPassword},
	},
	{
		Name:    "WP Poczta",
		Domains: []string{"wp.pl"},
		MX:      []string{"wp.pl"},
		Host:    "smtp.wp.pl", Port: 465, Security: TLS,
		Username: "%EMAILLOCALPART%", Auth: []string{AuthPassword},
		Needs: []Need{NeedEnableSMTP},
		Hint:  "Turn on access for email programs (POP3/IMAP/SMTP) in WP Poczta's settings first.",
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
// (smtp.googlemail.com is Gmail's). It is empty when the provider needs
// nothing special or is unknown, so a company relay used with a Gmail
// address gets no Gmail advice. Sending code appends it to authentication
// failures.
func HintFor(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for i := range providers {
		if providers[i].Host == host {
			return providers[i].Hint
		}
	}
	if p := providerForDomain(host); p != nil {
		return p.Hint
	}
	return ""
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
