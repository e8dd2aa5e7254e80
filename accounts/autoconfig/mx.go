package autoconfig

import (
	"context"
	"strings"
)

// MXHosts returns the hosts that receive mail for the address's domain
// (RFC 5321 §5.1), most preferred first, without the trailing dot: a
// Google Workspace or Microsoft 365 domain is recognised by them. The
// lookup uses the Discoverer's DNS server and is bounded by its Budget. A
// null MX (RFC 7505) gives no hosts.
func (d *Discoverer) MXHosts(ctx context.Context, email string) ([]string, error) {
	addr, err := parseAddress(email)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.budget())
	defer cancel()
	records, err := d.resolver().LookupMX(ctx, addr.ascii+".")
	if err != nil {
		return nil, err
	}
	var hosts []string
	for _, r := range records {
		if host := strings.ToLower(strings.TrimSuffix(r.Host, ".")); host != "" {
			hosts = append(hosts, host)
		}
	}
	return hosts, nil
}
