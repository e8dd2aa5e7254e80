package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/demo"
)

// ispdbFor serves a Thunderbird ISPDB answer for example.test that points
// at host:port with STARTTLS, as a provider's real one would.
func ispdbFor(t *testing.T, host string, port int, username string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/example.test") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.test">
  <domain>example.test</domain><displayName>Example Test Mail</displayName>
  <outgoingServer type="smtp"><hostname>%s</hostname><port>%d</port>
    <socketType>STARTTLS</socketType><username>%s</username>
    <authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`, host, port, username)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// loopbackOnly is an HTTP client that reaches only this computer: the
// provider autoconfig lookups for example.test fail at once instead of
// leaving the machine.
func loopbackOnly() *http.Client {
	dialer := &net.Dialer{Timeout: time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, errors.New("test network: only loopback is reachable")
		}
		return dialer.DialContext(ctx, network, addr)
	}}}
}

// closedPort is a loopback UDP port nobody listens on, for a DNS server
// that refuses at once.
func closedPort(t *testing.T) string {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	conn.Close()
	return addr
}

func TestAccountWizardFillsFieldsFromAutoconfigAndSavesAWorkingAccount(t *testing.T) {
	w := openDemoWindow(t)
	server := w.svc.demo
	ispdb := ispdbFor(t, server.Host, server.Port, "demo")
	w.svc.discoverer = &autoconfig.Discoverer{
		HTTPClient: loopbackOnly(),
		ISPDBURL:   ispdb.URL + "/",
		DNSServer:  closedPort(t),
		Budget:     5 * time.Second,
	}
	saved := false
	z := newAccountWizard(w, nil, func() { saved = true })
	test.Type(z.name, "Anna Lind")
	test.Type(z.email, "anna@example.test")
	test.Type(z.password, server.Password)
	test.Tap(z.continueButton)
	w.settle()

	if z.host.Text != server.Host || z.port.Text != strconv.Itoa(server.Port) || z.user.Text != "demo" {
		t.Fatalf("fields after autoconfig: host %q port %q user %q", z.host.Text, z.port.Text, z.user.Text)
	}
	if z.source != string(autoconfig.SourceISPDB) {
		t.Fatalf("source = %q", z.source)
	}
	// 127.0.0.1 is outside example.test, so the settings need a yes.
	confirm, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("no confirmation for settings outside the domain; dialogs %v, host problem %q", w.dialogs, z.hostErr.Text)
	}
	confirm.Confirm()
	w.settle()
	// The demo server's certificate is self-signed: the wizard shows it and
	// offers to trust exactly it.
	pin, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("no certificate offer; host problem %q, password problem %q", z.hostErr.Text, z.pwErr.Text)
	}
	markup := test.RenderObjectToMarkup(w.win.Canvas().Overlays().Top())
	if !strings.Contains(markup, server.PinSHA256[:16]) {
		t.Fatalf("the certificate offer does not show the fingerprint:\n%s", markup)
	}
	pin.Confirm()
	w.settle()
	if !saved {
		t.Fatalf("account not saved; host problem %q, password problem %q", z.hostErr.Text, z.pwErr.Text)
	}
	list, err := w.svc.listAccounts(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range list {
		if a.Email == "anna@example.test" {
			found = a.PinSHA256 == server.PinSHA256 && a.Host == server.Host && a.Port == server.Port &&
				a.MaxMessageSize == demo.MaxMessageBytes // learnt from the server's SIZE
		}
	}
	if !found {
		t.Fatalf("saved accounts: %+v", list)
	}
}

func TestAccountWizardShowsAWrongPasswordNextToThePassword(t *testing.T) {
	w := openDemoWindow(t)
	server := w.svc.demo
	z := newAccountWizard(w, nil, func() { t.Fatal("an account with a wrong password was saved") })
	test.Type(z.email, "anna@example.test")
	test.Type(z.password, "not the password")
	z.advanced.Open(0)
	z.host.SetText(server.Host)
	z.port.SetText(strconv.Itoa(server.Port))
	z.user.SetText("demo")
	z.setSecurity("starttls")
	z.pin = server.PinSHA256
	test.Tap(z.continueButton)
	w.settle()
	if !z.pwErr.Visible() || !strings.Contains(z.pwErr.Text, "user name or password") {
		t.Fatalf("password problem = %q (visible %v); host problem %q", z.pwErr.Text, z.pwErr.Visible(), z.hostErr.Text)
	}
}

func TestAccountWizardGivesProviderHintsAsTheAddressIsTyped(t *testing.T) {
	w := openDemoWindow(t)
	z := newAccountWizard(w, nil, func() {})
	test.Type(z.email, "someone@gmail.com")
	if !z.hint.Visible() || !strings.Contains(z.hint.Text, "app password") {
		t.Fatalf("hint for Gmail = %q (visible %v)", z.hint.Text, z.hint.Visible())
	}
}

func TestAccountWizardLookupCanBeStopped(t *testing.T) {
	w := openDemoWindow(t)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a provider that never answers
	}))
	defer hanging.Close()
	w.svc.discoverer = &autoconfig.Discoverer{
		HTTPClient: loopbackOnly(),
		ISPDBURL:   hanging.URL + "/",
		DNSServer:  closedPort(t),
		Budget:     time.Minute,
	}
	z := newAccountWizard(w, nil, func() { t.Fatal("nothing should be saved") })
	test.Type(z.email, "anna@example.test")
	test.Type(z.password, "secret")
	test.Tap(z.continueButton)
	if !z.busy || !z.stopButton.Visible() || !strings.Contains(z.progress.Text, "example.test") {
		t.Fatalf("no progress shown while looking up: busy %v, %q", z.busy, z.progress.Text)
	}
	test.Tap(z.stopButton)
	w.settle()
	if z.busy || z.hostErr.Visible() || w.topDialog() != nil {
		t.Fatalf("after Stop: busy %v, problem %q, dialogs %v", z.busy, z.hostErr.Text, w.dialogs)
	}
	if !z.advanced.Items[0].Open {
		t.Fatal("after Stop the server settings are not offered for manual entry")
	}
}
