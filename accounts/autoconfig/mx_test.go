package autoconfig

import (
	"slices"
	"testing"
)

// A custom domain hosted by Google or Microsoft is recognised by its MX
// hosts, most preferred first; a null MX (RFC 7505) names none.
func TestMXHostsInPreferenceOrder(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"workspace.test. 60 IN MX 20 ALT1.aspmx.l.google.com.",
		"workspace.test. 60 IN MX 10 aspmx.l.google.com.",
		"nomail.test. 60 IN MX 0 .",
	)
	d := l.discoverer(t)
	hosts, err := d.MXHosts(t.Context(), "anna@Workspace.test")
	if err != nil || !slices.Equal(hosts, []string{"aspmx.l.google.com", "alt1.aspmx.l.google.com"}) {
		t.Fatalf("MXHosts(workspace.test) = %q, %v", hosts, err)
	}
	if hosts, err := d.MXHosts(t.Context(), "bo@nomail.test"); err != nil || len(hosts) != 0 {
		t.Fatalf("MXHosts(null MX) = %q, %v; want none", hosts, err)
	}
	if _, err := d.MXHosts(t.Context(), "not an address"); err == nil {
		t.Fatal("MXHosts of a non-address succeeded")
	}
}
