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
// Without a host, the address's domain decides.
func FilesOwnSentCopy(email, smtpHost string) (files bool, source string) {
	var p *Provider
	if host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(smtpHost)), "."); host != "" {
		p = providerForHost(host)
	} else if at := strings.LastIndexByte(email, '@'); at >= 0 {
		p = providerForDomain(email[at+1:])
	}
	if p == nil || p.FilesSentCopy == "" {
		return false, ""
	}
	return true, p.FilesSentCopy
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
