package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/postie-app/postie/mail/smtpclient"
)

// providersFile is the format of the POSTIE_OAUTH_PROVIDERS file:
//
//	{"providers":[{"id","name","authorization_url","token_url",
//	  "revocation_url"?,"client_id","client_secret"?,"scopes":[…],
//	  "domains":[…],"mx"?:[…],"authorization_params"?:{…},
//	  "smtp":{"host","port","security":"tls|starttls|none"},
//	  "imap"?:{…},"org_smtp"?:{…},"app_password_url"?}]}
//
// org_smtp is Provider.OrgSMTP, the server of custom-domain accounts.
//
// Unknown fields are refused, so that a misspelt one is not silently
// ignored.
type providersFile struct {
	Providers []providerDef `json:"providers"`
}

type providerDef struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	AuthorizationURL string            `json:"authorization_url"`
	TokenURL         string            `json:"token_url"`
	RevocationURL    string            `json:"revocation_url"`
	ClientID         string            `json:"client_id"`
	ClientSecret     string            `json:"client_secret"`
	Scopes           []string          `json:"scopes"`
	AuthParams       map[string]string `json:"authorization_params"`
	Domains          []string          `json:"domains"`
	MX               []string          `json:"mx"`
	SMTP             *Server           `json:"smtp"`
	IMAP             *Server           `json:"imap"`
	OrgSMTP          *Server           `json:"org_smtp"`
	AppPasswordURL   string            `json:"app_password_url"`
}

// Load returns the built-in providers, with those of the file named by
// POSTIE_OAUTH_PROVIDERS (getenv) added or overriding by id. A wrong file
// is an *Error with ProblemBadProviderDef, File, and Code/Field/Value
// saying what is wrong where; nothing of it is used then.
func Load(getenv func(string) string) (Providers, error) {
	ps := BuiltIn()
	path := getenv(EnvProviders)
	if path == "" {
		return ps, nil
	}
	defs, err := readProvidersFile(path)
	if err != nil {
		return nil, err
	}
	for _, p := range defs {
		replaced := false
		for i := range ps {
			if ps[i].ID == p.ID {
				ps[i], replaced = p, true
			}
		}
		if !replaced {
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// readProvidersFile reads and checks the file.
func readProvidersFile(path string) ([]Provider, error) {
	fail := func(code, field, value string, err error) error {
		return &Error{Problem: ProblemBadProviderDef, File: path, Code: code, Field: field, Value: value, Err: err}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail(DefUnreadable, "", "", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f providersFile
	if err := dec.Decode(&f); err != nil {
		// encoding/json words an unknown field as `json: unknown field "x"`.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, fail(DefUnknownField, strings.Trim(name, `"`), "", nil)
		}
		return nil, fail(DefBadJSON, "", "", err)
	}
	if dec.More() {
		return nil, fail(DefBadJSON, "", "", errors.New("more than one JSON value"))
	}
	if f.Providers == nil {
		return nil, fail(DefMissing, "providers", "", nil)
	}
	seen := map[string]bool{}
	var ps []Provider
	for i, d := range f.Providers {
		at := fmt.Sprintf("providers[%d].", i)
		p, field, code, value := d.provider()
		if field != "" {
			return nil, fail(code, at+field, value, nil)
		}
		if seen[p.ID] {
			return nil, fail(DefDuplicateID, at+"id", p.ID, nil)
		}
		seen[p.ID] = true
		ps = append(ps, p)
	}
	return ps, nil
}

// provider checks a definition and makes it a Provider; field, code and
// value say what is wrong when field is not "".
func (d providerDef) provider() (p Provider, field, code, value string) {
	required := []struct{ name, value string }{
		{"id", d.ID}, {"name", d.Name}, {"authorization_url", d.AuthorizationURL}, {"token_url", d.TokenURL},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return p, r.name, DefMissing, ""
		}
	}
	if strings.ContainsAny(d.ID, " \t\r\n/") {
		return p, "id", DefBadValue, d.ID
	}
	endpoints := []struct{ name, value string }{
		{"authorization_url", d.AuthorizationURL}, {"token_url", d.TokenURL},
		{"revocation_url", d.RevocationURL}, {"app_password_url", d.AppPasswordURL},
	}
	for _, e := range endpoints {
		if e.value != "" && !secureEndpoint(e.value) {
			return p, e.name, DefInsecureURL, e.value
		}
	}
	if d.SMTP == nil {
		return p, "smtp", DefMissing, ""
	}
	if field, code, value := checkServer(*d.SMTP); field != "" {
		return p, "smtp." + field, code, value
	}
	optional := []struct {
		name   string
		server *Server
	}{{"imap", d.IMAP}, {"org_smtp", d.OrgSMTP}}
	for _, o := range optional {
		if o.server == nil {
			continue
		}
		if field, code, value := checkServer(*o.server); field != "" {
			return p, o.name + "." + field, code, value
		}
	}
	p = Provider{
		ID: d.ID, Name: d.Name,
		AuthorizationURL: d.AuthorizationURL, TokenURL: d.TokenURL, RevocationURL: d.RevocationURL,
		ClientID: d.ClientID, ClientSecret: d.ClientSecret,
		Scopes: d.Scopes, AuthParams: d.AuthParams, Domains: d.Domains, MX: d.MX,
		SMTP: *d.SMTP, AppPasswordURL: d.AppPasswordURL,
	}
	if d.IMAP != nil {
		p.IMAP = *d.IMAP
	}
	if d.OrgSMTP != nil {
		p.OrgSMTP = *d.OrgSMTP
	}
	return p, "", "", ""
}

// checkServer checks a mail server's host, port and security.
func checkServer(s Server) (field, code, value string) {
	switch {
	case strings.TrimSpace(s.Host) == "":
		return "host", DefMissing, ""
	case strings.ContainsAny(s.Host, " /\r\n"):
		return "host", DefBadValue, s.Host
	case s.Port < 1 || s.Port > 65535:
		return "port", DefBadValue, fmt.Sprint(s.Port)
	}
	switch s.Security {
	case smtpclient.SecurityTLS, smtpclient.SecurityStartTLS, smtpclient.SecurityNone:
		return "", "", ""
	case "":
		return "security", DefMissing, ""
	}
	return "security", DefBadValue, string(s.Security)
}

// secureEndpoint reports whether an endpoint may carry codes and tokens:
// https anywhere, plain http only to a loopback host (RFC 8252 §8.3).
// "{tenant}" may stand in the path.
func secureEndpoint(raw string) bool {
	u, err := url.Parse(strings.ReplaceAll(raw, "{tenant}", "common"))
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}
