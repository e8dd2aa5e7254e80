package autoconfig

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// maxRedirects bounds the redirects followed for one settings file.
const maxRedirects = 5

// autoconfigSource asks the domain's own autoconfig server. The address is
// sent as the file format defines only to the user's own domain, never to
// the domain of an MX host.
func (d *Discoverer) autoconfigSource(domain string, addr address, sendAddress bool) source {
	u := "https://autoconfig." + domain + "/mail/config-v1.1.xml"
	if sendAddress {
		u += "?emailaddress=" + url.QueryEscape(addr.full)
	}
	return d.fileSource(SourceAutoconfig, u, addr, false)
}

// wellKnownSource asks the domain's web server at its .well-known path.
func (d *Discoverer) wellKnownSource(domain string, addr address) source {
	return d.fileSource(SourceWellKnown, "https://"+domain+"/.well-known/autoconfig/mail/config-v1.1.xml", addr, false)
}

// ispdbSource asks Thunderbird's ISPDB about the domain.
func (d *Discoverer) ispdbSource(domain string, addr address) source {
	base, loopbackHTTP, err := d.ispdbBase()
	if err != nil {
		return source{name: SourceISPDB, detail: domain, run: func(context.Context) (*Result, error) { return nil, err }}
	}
	return d.fileSource(SourceISPDB, base+domain, addr, loopbackHTTP)
}

func (d *Discoverer) fileSource(name Source, rawURL string, addr address, loopbackHTTP bool) source {
	return source{name: name, detail: rawURL, run: func(ctx context.Context) (*Result, error) {
		return d.fetchConfig(ctx, rawURL, addr, loopbackHTTP)
	}}
}

// fetchConfig downloads and reads one clientConfig file.
func (d *Discoverer) fetchConfig(ctx context.Context, rawURL string, addr address, loopbackHTTP bool) (*Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.httpClient(loopbackHTTP).Do(req)
	if err != nil {
		return nil, errors.New(describeNetError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, errNoFile
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("the server answered %q", resp.Status)
	}
	answer, err := parseClientConfig(resp.Body, addr)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Settings: answer.settings,
		Detail:   rawURL,
		Provider: answer.provider,
		Hint:     answer.hint,
		trusted:  answer.domains,
	}
	if m := answer.imap; m != nil {
		res.IMAP = &IMAPSettings{Host: m.Host, Port: m.Port, Security: m.Security, Username: m.Username, Detail: rawURL}
	}
	return res, nil
}

// httpClient returns a copy of the configured client that follows only
// HTTPS redirects (or loopback http ones, when the ISPDB override allows
// plain http), so a settings file can never arrive unprotected.
func (d *Discoverer) httpClient(loopbackHTTP bool) *http.Client {
	var c http.Client
	if d.HTTPClient != nil {
		c = *d.HTTPClient
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme == "https" || loopbackHTTP && req.URL.Scheme == "http" && isLoopback(req.URL.Hostname()) {
			return nil
		}
		return fmt.Errorf("redirected to %s, which is not protected by HTTPS", req.URL.Redacted())
	}
	return &c
}

// describeNetError says in a few plain words why a connection failed.
func describeNetError(err error) string {
	var dnsErr *net.DNSError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the time limit"
	case errors.Is(err, context.Canceled):
		return "stopped"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the name " + dnsErr.Name + " does not exist"
	case errors.As(err, &dnsErr):
		return "the name " + dnsErr.Name + " could not be looked up"
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return "the server's certificate is not trusted"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		var opErr *net.OpError
		if errors.As(urlErr.Err, &opErr) {
			return "could not connect: " + opErr.Err.Error()
		}
		return urlErr.Err.Error()
	}
	return err.Error()
}
