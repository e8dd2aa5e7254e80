package autoconfig

import "strings"

// FilesOwnSentCopy reports whether the provider of the address (or of the
// SMTP host) puts a copy of every submitted message in the Sent folder
// itself, so Postie's automatic mode files none; source names where that
// fact is documented.
//
// The SMTP host decides when it is given: the copy is made by the server
// that accepted the message, so a Gmail address sent through a company's
// server gets no copy from Google, and a company domain hosted by Google
// Workspace or Microsoft 365 (smtp.gmail.com, smtp.office365.com) does.
// Only the provider's submission server counts (the table's host, or one
// of submissionAliases): its relays and MX hosts (smtp-relay.gmail.com,
// aspmx.l.google.com, *.mail.protection.outlook.com) accept mail without
// filing any copy, so a host that merely lies in the provider's domain
// gets the copy. Without a host, the address's domain decides.
func FilesOwnSentCopy(email, smtpHost string) (files bool, source string) {
	var p *Provider
	if host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(smtpHost)), "."); host != "" {
		p = submissionProvider(host)
	} else if at := strings.LastIndexByte(email, '@'); at >= 0 {
		p = providerForDomain(email[at+1:])
	}
	if p == nil || p.FilesSentCopy == "" {
		return false, ""
	}
	return true, p.FilesSentCopy
}

// submissionAliases are other names of a table entry's submission server,
// by the entry's host: the same service under an older or second name.
var submissionAliases = map[string]string{
	"smtp.googlemail.com":   "smtp.gmail.com",        // Gmail's second name
	"smtp.live.com":         "smtp-mail.outlook.com", // Outlook.com's former name
	"outlook.office365.com": "smtp.office365.com",    // Microsoft 365 accepts SMTP AUTH there too
}

// submissionProvider returns the table entry whose submission server is
// host, by its name or an alias; never by the domain host lies in.
func submissionProvider(host string) *Provider {
	if alias, ok := submissionAliases[host]; ok {
		host = alias
	}
	for i := range providers {
		if providers[i].Host == host {
			return &providers[i]
		}
	}
	return nil
}

// providerForHost returns the table entry whose SMTP server is host, or
// else the one serving host's domain (smtp.googlemail.com is Gmail's).
func providerForHost(host string) *Provider {
	for i := range providers {
		if providers[i].Host == host {
			return &providers[i]
		}
	}
	return providerForDomain(host)
}
