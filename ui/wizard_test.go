package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
)

// ispdbFor serves a Thunderbird ISPDB answer for example.test that points
// at host:port with STARTTLS, as a provider's real one would.
func ispdbFor(t *testing.T, host string, port int, username string) *httptest.Server {
	t.Helper()
	lab := newISPDB(t)
	lab.serve("example.test", host, port, username)
	return lab.Server
}

// ispdb is a local Thunderbird ISPDB whose answers a test may change.
type ispdb struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]string // domain → clientConfig XML
}

func newISPDB(t *testing.T) *ispdb {
	t.Helper()
	db := &ispdb{answers: map[string]string{}}
	db.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db.mu.Lock()
		answer, ok := db.answers[path.Base(r.URL.Path)]
		db.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, answer)
	}))
	t.Cleanup(db.Close)
	return db
}

// serve makes the ISPDB answer for domain with host:port and STARTTLS.
func (db *ispdb) serve(domain, host string, port int, username string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.answers[domain] = fmt.Sprintf(`<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="%[1]s">
  <domain>%[1]s</domain><displayName>Example Test Mail</displayName>
  <outgoingServer type="smtp"><hostname>%[2]s</hostname><port>%[3]d</port>
    <socketType>STARTTLS</socketType><username>%[4]s</username>
    <authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`, domain, host, port, username)
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
	testpeer.RequireSession(t) // saves a password in the keyring
	w := openDemoWindow(t)
	server := w.svc.demo
	ispdb := ispdbFor(t, server.Host, server.Port, "demo")
	realCore(w).Discoverer = &autoconfig.Discoverer{
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
	z.pin, z.pinFor = server.PinSHA256, net.JoinHostPort(server.Host, strconv.Itoa(server.Port))
	test.Tap(z.continueButton)
	w.settle()
	if !z.pwErr.Visible() || !strings.Contains(z.pwErr.Text, "user name or password") {
		t.Fatalf("password problem = %q (visible %v); host problem %q", z.pwErr.Text, z.pwErr.Visible(), z.hostErr.Text)
	}
}

func TestAccountWizardGivesProviderHintsAsTheAddressIsTyped(t *testing.T) {
	w := openDemoWindow(t)
	z := newAccountWizard(w, nil, func() {})
	test.Type(z.email, "someone@icloud.com")
	if !z.hint.Visible() || !strings.Contains(z.hint.Text, "app password") {
		t.Fatalf("hint for iCloud = %q (visible %v)", z.hint.Text, z.hint.Visible())
	}
}

func TestAccountWizardLookupCanBeStopped(t *testing.T) {
	w := openDemoWindow(t)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a provider that never answers
	}))
	defer hanging.Close()
	realCore(w).Discoverer = &autoconfig.Discoverer{
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

// connectionCounter is a loopback server that counts the connections made
// to it and closes each at once: a connection test that reached it could
// have sent a password there.
type connectionCounter struct {
	host  string
	port  int
	count atomic.Int64
}

func newConnectionCounter(t *testing.T) *connectionCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c := &connectionCounter{host: "127.0.0.1", port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.count.Add(1)
			conn.Close()
		}
	}()
	return c
}

func TestAccountWizardAsksAgainWhenOutsideSettingsChange(t *testing.T) {
	w := openDemoWindow(t)
	lab := newISPDB(t)
	realCore(w).Discoverer = &autoconfig.Discoverer{
		HTTPClient: loopbackOnly(),
		ISPDBURL:   lab.URL + "/",
		DNSServer:  closedPort(t),
		Budget:     5 * time.Second,
	}
	first, second := newConnectionCounter(t), newConnectionCounter(t)
	lab.serve("example.test", first.host, first.port, "anna")
	lab.serve("other.test", second.host, second.port, "anna")
	z := newAccountWizard(w, nil, func() { t.Fatal("nothing should be saved") })
	test.Type(z.email, "anna@example.test")
	test.Type(z.password, "secret")

	// continueAsked presses Continue and reports whether the user was asked
	// about outside settings, saying yes if so.
	continueAsked := func(connectionsBeforeAnswer func() int64) bool {
		t.Helper()
		test.Tap(z.continueButton)
		w.settle()
		confirm, ok := w.topDialog().(*dialog.ConfirmDialog)
		if !ok {
			return false
		}
		if n := connectionsBeforeAnswer(); n != 0 {
			t.Fatalf("%d connection(s) to the outside server before the user answered", n)
		}
		confirm.Confirm()
		w.settle()
		return true
	}
	if !continueAsked(first.count.Load) {
		t.Fatal("settings outside example.test were used without asking")
	}
	if first.count.Load() != 1 {
		t.Fatalf("after yes, %d connection tests reached the confirmed server", first.count.Load())
	}
	// The same domain, host and port: the yes still holds.
	if continueAsked(func() int64 { return 0 }) || first.count.Load() != 2 {
		t.Fatalf("the same settings were asked about again, or not tested (%d tests)", first.count.Load())
	}

	// Another address whose provider points elsewhere: ask again.
	z.email.SetText("anna@other.test")
	if !continueAsked(second.count.Load) {
		t.Fatalf("a lookup for another domain sent the password to %s:%d without asking (%d connections)",
			second.host, second.port, second.count.Load())
	}
	if second.count.Load() != 1 {
		t.Fatalf("after yes, %d connection tests reached the confirmed server", second.count.Load())
	}

	// The same domain, but the provider's answer moves to another port.
	lab.serve("other.test", first.host, first.port, "anna")
	before := first.count.Load()
	if !continueAsked(func() int64 { return first.count.Load() - before }) {
		t.Fatalf("a new port for other.test was used without asking")
	}

	// The same host and port as a confirmed one, but for another domain.
	z.email.SetText("anna@third.test")
	lab.serve("third.test", first.host, first.port, "anna")
	before = first.count.Load()
	if !continueAsked(func() int64 { return first.count.Load() - before }) {
		t.Fatalf("a server confirmed for other.test was used for third.test without asking")
	}
}

// TestAccountWizardDeclinedOutsideServerIsNotUsed: after a no to a server
// outside the address's domain, editing another field and pressing
// Continue must not send the password to that server.
func TestAccountWizardDeclinedOutsideServerIsNotUsed(t *testing.T) {
	w := openDemoWindow(t)
	lab := newISPDB(t)
	realCore(w).Discoverer = &autoconfig.Discoverer{
		HTTPClient: loopbackOnly(),
		ISPDBURL:   lab.URL + "/",
		DNSServer:  closedPort(t),
		Budget:     5 * time.Second,
	}
	outside := newConnectionCounter(t)
	lab.serve("example.test", outside.host, outside.port, "anna")
	z := newAccountWizard(w, nil, func() { t.Fatal("nothing should be saved") })
	test.Type(z.email, "anna@example.test")
	test.Type(z.password, "secret")
	test.Tap(z.continueButton)
	w.settle()
	confirm, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatal("settings outside example.test were used without asking")
	}
	confirm.Dismiss()
	w.settle()
	if z.host.Text != "" || z.port.Text != "" {
		t.Fatalf("the declined server stays in the form: %q port %q", z.host.Text, z.port.Text)
	}
	z.user.SetText("anna.b")
	test.Tap(z.continueButton)
	w.settle()
	if n := outside.count.Load(); n != 0 {
		t.Fatalf("%d connection(s) reached the declined server", n)
	}
	if _, asked := w.topDialog().(*dialog.ConfirmDialog); !asked {
		t.Fatal("Continue after a no did not ask again")
	}
}

// TestAccountWizardDropsTheCertificateWhenTheServerChanges edits the demo
// account, whose self-signed certificate is pinned for 127.0.0.1 and its
// port, so that it names the same server as localhost: the form says the
// certificate was removed, and the test of the changed settings does not
// use it but shows the certificate for a new decision.
func TestAccountWizardDropsTheCertificateWhenTheServerChanges(t *testing.T) {
	w := openDemoWindow(t)
	server := w.svc.demo
	list, err := w.svc.listAccounts(w.ctx)
	if err != nil || len(list) != 1 || list[0].PinSHA256 != server.PinSHA256 {
		t.Fatalf("demo accounts %+v, %v", list, err)
	}
	pinnedFor := net.JoinHostPort(server.Host, strconv.Itoa(server.Port))
	z := newAccountWizard(w, &list[0], func() { t.Fatal("settings with an untrusted certificate were saved") })
	if z.pinNote.Visible() {
		t.Fatalf("note before any change: %q", z.pinNote.Text)
	}
	z.host.SetText("localhost")
	want := "The certificate you accepted for " + pinnedFor + " was removed because the server changed."
	if !z.pinNote.Visible() || z.pinNote.Text != want {
		t.Fatalf("after changing the host, note %q (visible %v), want %q", z.pinNote.Text, z.pinNote.Visible(), want)
	}
	z.content.Resize(fyne.NewSize(1600, 900)) // wide enough for the note on one line
	if markup := test.RenderObjectToMarkup(z.content); !strings.Contains(markup, `color="warning"`) || !strings.Contains(markup, want) {
		t.Fatalf("the note is not drawn in the form:\n%s", markup)
	}
	z.host.SetText(server.Host)
	if z.pinNote.Visible() {
		t.Fatal("the note stays after going back to the server the certificate was accepted for")
	}
	z.port.SetText(strconv.Itoa(server.Port + 1))
	if !z.pinNote.Visible() {
		t.Fatal("no note after changing the port")
	}
	z.port.SetText(strconv.Itoa(server.Port))
	z.host.SetText("localhost")

	test.Tap(z.continueButton)
	w.settle()
	offer, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatalf("the certificate accepted for %s was used for localhost: no offer; host problem %q, password problem %q",
			pinnedFor, z.hostErr.Text, z.pwErr.Text)
	}
	if markup := test.RenderObjectToMarkup(w.win.Canvas().Overlays().Top()); !strings.Contains(markup, server.PinSHA256[:16]) {
		t.Fatalf("the offer does not show the certificate:\n%s", markup)
	}
	offer.Dismiss()
	w.settle()
	if got, _ := realCore(w).AccountByID(w.ctx, list[0].ID); got.PinFor != pinnedFor || got.Host != server.Host {
		t.Fatalf("the saved account changed without a save: %+v", got)
	}
}
