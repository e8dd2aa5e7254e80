package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// srvSource looks up an RFC 6186 SRV record: "submissions" for implicit TLS
// (RFC 8314 section 5.1) or "submission" for STARTTLS (RFC 6186 section
// 3.1). The lowest priority record wins; Go's resolver already orders the
// records by priority and, within one, randomly by weight (RFC 2782).
func (d *Discoverer) srvSource(addr address, service string, sec Security) source {
	name := "_" + service + "._tcp." + addr.ascii
	return source{name: SourceSRV, detail: name, run: func(ctx context.Context) (*Result, error) {
		_, records, err := d.resolver().LookupSRV(ctx, service, "tcp", addr.ascii+".")
		if err != nil {
			return nil, errors.New(describeNetError(err))
		}
		if len(records) == 0 || records[0].Target == "." {
			// A target of "." says the service is decidedly not offered
			// (RFC 2782, RFC 6186 section 3.4).
			return nil, errors.New("the domain says it offers no such service")
		}
		r := records[0]
		host := strings.ToLower(strings.TrimSuffix(r.Target, "."))
		if !validHostname(host) || r.Port == 0 {
			return nil, fmt.Errorf("the record points to an unusable server %q", r.Target)
		}
		return &Result{
			Settings: Settings{Host: host, Port: int(r.Port), Security: sec, Username: addr.full},
			Detail:   fmt.Sprintf("%s → %s:%d", name, host, r.Port),
		}, nil
	}}
}

// mxSource finds the host that receives the domain's mail and tries its
// registrable domain against the provider table, the provider's autoconfig
// and the ISPDB: a domain whose mail goes to aspmx.l.google.com is a Google
// Workspace domain and sends through Gmail.
func (d *Discoverer) mxSource(addr address) source {
	return source{name: SourceMX, detail: addr.ascii, run: func(ctx context.Context) (*Result, error) {
		records, err := d.resolver().LookupMX(ctx, addr.ascii+".")
		if err != nil {
			return nil, errors.New(describeNetError(err))
		}
		if len(records) == 0 || records[0].Host == "." {
			// A null MX (RFC 7505) says the domain receives no mail at all.
			return nil, errors.New("the domain receives no mail")
		}
		mxHost := strings.ToLower(strings.TrimSuffix(records[0].Host, "."))
		mxDomain := registrableDomain(mxHost)
		if mxDomain == registrableDomain(addr.ascii) {
			return nil, fmt.Errorf("the mail host %s is in the domain itself, which the other sources cover", mxHost)
		}
		res, err := d.mxDomainSettings(ctx, addr, mxHost, mxDomain)
		if err != nil {
			return nil, err
		}
		res.viaMX = mxHost
		return res, nil
	}}
}

func (d *Discoverer) mxDomainSettings(ctx context.Context, addr address, mxHost, mxDomain string) (*Result, error) {
	p := providerForMX(mxHost)
	if p == nil {
		p = providerForDomain(mxDomain)
	}
	if p != nil {
		res := tableResult(p, addr)
		res.Detail = fmt.Sprintf("MX %s → %s (%s)", mxHost, p.Name, SourceProviderTable)
		return res, nil
	}
	res, attempts := race(ctx, []source{
		d.autoconfigSource(mxDomain, addr, false),
		d.wellKnownSource(mxDomain, addr),
		d.ispdbSource(mxDomain, addr),
	})
	if res == nil {
		return nil, fmt.Errorf("the mail host %s belongs to %s, but nothing is known about %s (%s)",
			mxHost, mxDomain, mxDomain, summarize(attempts))
	}
	res.Detail = fmt.Sprintf("MX %s → %s (%s: %s)", mxHost, mxDomain, res.Source, res.Detail)
	return res, nil
}

func summarize(attempts []Attempt) string {
	parts := make([]string, len(attempts))
	for i, a := range attempts {
		parts[i] = string(a.Source) + ": " + a.Outcome
	}
	return strings.Join(parts, "; ")
}
