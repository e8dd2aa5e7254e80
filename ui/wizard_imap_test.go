package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/smtpclient"
)

// fakeSetup is a core that finds settings, tests and saves accounts, for
// the wizard: what it was asked is kept for the test to look at.
type fakeSetup struct {
	backend

	found *autoconfig.Result
	// imapFails is what the IMAP half of the connection test answers
	// while copies are to be filed (as accounts.Store.Test does).
	imapFails error

	mu            sync.Mutex
	tested        []accounts.Account
	testedIMAPPw  []string // the IMAP server's own passwords tested
	saved         []accounts.Account
	imapPasswords map[string]string // account name → its IMAP server's own password
}

// The fake's addresses all sign in with a password: no provider serves
// them (wizard_signin_test.go has the fake that signs in).
func (f *fakeSetup) OAuthProviders() oauth.Providers { return nil }

func (f *fakeSetup) OAuthProviderFor(context.Context, string) (oauth.Provider, bool) {
	return oauth.Provider{}, false
}

func (f *fakeSetup) TestAccountWithIMAPPassword(ctx context.Context, a *accounts.Account, password, imapPassword string) (*smtpclient.ProbeResult, error) {
	f.mu.Lock()
	f.testedIMAPPw = append(f.testedIMAPPw, imapPassword)
	f.mu.Unlock()
	return f.TestAccount(ctx, a, password)
}

func (f *fakeSetup) SetIMAPPassword(_ context.Context, a *accounts.Account, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.imapPasswords == nil {
		f.imapPasswords = map[string]string{}
	}
	f.imapPasswords[a.Name] = password
	a.IMAP.OwnSecret = true
	return nil
}

func (f *fakeSetup) Discover(context.Context, string) (*autoconfig.Result, error) {
	r := *f.found
	return &r, nil
}

func (f *fakeSetup) TestAccount(_ context.Context, a *accounts.Account, _ string) (*smtpclient.ProbeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tested = append(f.tested, *a)
	if f.imapFails != nil && a.HasIMAP() && a.SentCopy != accounts.SentCopyNever {
		return &smtpclient.ProbeResult{}, &accounts.IMAPTestError{Host: a.IMAP.Host, Port: a.IMAP.Port, Err: f.imapFails}
	}
	return &smtpclient.ProbeResult{}, nil
}

func (f *fakeSetup) SaveAccount(_ context.Context, a *accounts.Account, _ string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, *a)
	return nil
}

func gmxLike() *autoconfig.Result {
	return &autoconfig.Result{
		Settings: autoconfig.Settings{Host: "mail.lab.test", Port: 465, Security: autoconfig.TLS, Username: "anna@lab.test"},
		Source:   autoconfig.SourceISPDB,
		IMAP: &autoconfig.IMAPSettings{Host: "imap.lab.test", Port: 993, Security: autoconfig.TLS, Username: "anna@lab.test",
			Source: autoconfig.SourceISPDB},
	}
}

func startWizard(t *testing.T, f *fakeSetup) (*mainWindow, *accountWizard, *bool) {
	t.Helper()
	w := windowOnFake(t, f)
	done := new(bool)
	z := newAccountWizard(w, nil, func() { *done = true })
	test.Type(z.email, "anna@lab.test")
	test.Type(z.password, "secret")
	return w, z, done
}

// The wizard fills the IMAP server from autoconfiguration without asking,
// and saves it; "Change settings" shows it.
func TestWizardFillsTheIMAPServerSilently(t *testing.T) {
	f := &fakeSetup{found: gmxLike()}
	w, z, done := startWizard(t, f)
	test.Tap(z.continueButton)
	w.settle()
	if !*done || len(f.saved) != 1 {
		t.Fatalf("not saved (done %v, saved %+v); problems: %q %q", *done, f.saved, z.hostErr.Text, z.imapErr.Text)
	}
	a := f.saved[0]
	if want := (accounts.IMAPServer{Host: "imap.lab.test", Port: 993, Security: smtpclient.SecurityTLS}); a.IMAP != want || a.SentCopy != accounts.SentCopyAuto {
		t.Errorf("saved IMAP %+v, sent copy %q; want %+v, auto", a.IMAP, a.SentCopy, want)
	}
	if z.advanced.Items[0].Open {
		t.Error("the settings opened although nothing needed the user")
	}
	if z.imapHost.Text != "imap.lab.test" || z.imapPort.Text != "993" || z.imapSecurity.Selected != "SSL/TLS (usually port 993)" ||
		z.sentCopy.Selected != "Automatic" || z.imapUser.Text != "" {
		t.Errorf("Change settings shows IMAP %q:%q %q user %q, copy %q", z.imapHost.Text, z.imapPort.Text, z.imapSecurity.Selected, z.imapUser.Text, z.sentCopy.Selected)
	}
}

// What the user typed in the IMAP fields wins over autoconfiguration, and
// an empty port takes the usual one for the security.
func TestWizardKeepsTypedIMAPSettings(t *testing.T) {
	f := &fakeSetup{found: gmxLike()}
	w, z, _ := startWizard(t, f)
	test.Type(z.imapHost, "mailbox.lab.test")
	z.imapSecurity.SetSelected("STARTTLS (usually port 143)")
	test.Type(z.imapUser, "anna.box")
	z.sentCopy.SetSelected("Always")
	test.Tap(z.continueButton)
	w.settle()
	if len(f.saved) != 1 {
		t.Fatalf("not saved; problems: %q %q", z.hostErr.Text, z.imapErr.Text)
	}
	want := accounts.IMAPServer{Host: "mailbox.lab.test", Port: 143, Security: smtpclient.SecurityStartTLS, Username: "anna.box"}
	if a := f.saved[0]; a.IMAP != want || a.SentCopy != accounts.SentCopyAlways || a.Host != "mail.lab.test" {
		t.Errorf("saved SMTP %s, IMAP %+v, sent copy %q; want IMAP %+v, always", a.Host, a.IMAP, a.SentCopy, want)
	}
}

func TestWizardExplainsBadIMAPFieldsNextToThem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(z *accountWizard)
		want   string
	}{
		{"port", func(z *accountWizard) {
			test.Type(z.imapHost, "imap.lab.test")
			z.imapSecurity.SetSelectedIndex(0)
			test.Type(z.imapPort, "99999")
		}, "The incoming (IMAP) server's port must be a number between 1 and 65535, such as 993 or 143."},
		{"security", func(z *accountWizard) { test.Type(z.imapHost, "imap.lab.test") }, "Choose how the connection to the incoming (IMAP) server is secured."},
		{"always without a server", func(z *accountWizard) {
			z.sentCopy.SetSelected("Always")
			z.imapHost.SetText("")
		}, "To always save a copy in Sent, Postie needs the incoming (IMAP) server."},
		{"host", func(z *accountWizard) {
			z.imapHost.SetText("imap lab test")
			z.imapSecurity.SetSelectedIndex(0)
		}, "is not a server name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSetup{found: &autoconfig.Result{Settings: gmxLike().Settings}} // no IMAP found
			w, z, done := startWizard(t, f)
			tc.change(z)
			test.Tap(z.continueButton)
			w.settle()
			if *done || !z.imapErr.Visible() || !strings.Contains(z.imapErr.Text, tc.want) || !z.advanced.Items[0].Open {
				t.Errorf("done %v, IMAP problem %q (visible %v), want %q shown in the open settings", *done, z.imapErr.Text, z.imapErr.Visible(), tc.want)
			}
		})
	}
}

// Sending works but the IMAP sign-in does not: the wizard says so next to
// the IMAP fields, apart from SMTP's, and saves nothing until the user
// fixes it or chooses Never.
func TestWizardExplainsAnIMAPFailureApartFromSMTP(t *testing.T) {
	f := &fakeSetup{found: gmxLike(), imapFails: &accounts.KeyringError{Problem: accounts.KeyringLocked}}
	w, z, done := startWizard(t, f)
	test.Tap(z.continueButton)
	w.settle()
	if *done || len(f.saved) != 0 {
		t.Fatalf("saved %+v although the IMAP server failed", f.saved)
	}
	if !z.imapErr.Visible() || !strings.HasPrefix(z.imapErr.Text, "Sending works; saving copies to Sent does not: ") ||
		z.imapErr.Importance != widget.DangerImportance || z.hostErr.Visible() || z.pwErr.Visible() {
		t.Errorf("IMAP problem %q (visible %v); SMTP problems %q %q", z.imapErr.Text, z.imapErr.Visible(), z.hostErr.Text, z.pwErr.Text)
	}
	z.sentCopy.SetSelected("Never")
	test.Tap(z.continueButton)
	w.settle()
	if !*done || len(f.saved) != 1 || f.saved[0].SentCopy != accounts.SentCopyNever {
		t.Errorf("after choosing Never: done %v, saved %+v", *done, f.saved)
	}
}

// Editing shows the saved IMAP server and choice, and keeps the IMAP
// server's own password flag, which the wizard does not change.
func TestWizardEditsTheIMAPServer(t *testing.T) {
	f := &fakeSetup{found: gmxLike()}
	w := windowOnFake(t, f)
	saved := accounts.Account{ID: "x", Name: "work", Email: "anna@lab.test", Host: "mail.lab.test", Port: 465,
		Security: smtpclient.SecurityTLS, Username: "anna@lab.test", SentCopy: accounts.SentCopyNever,
		IMAP: accounts.IMAPServer{Host: "imap.lab.test", Port: 1993, Security: smtpclient.SecurityTLS, OwnSecret: true}}
	z := newAccountWizard(w, &saved, func() {})
	if z.imapHost.Text != "imap.lab.test" || z.imapPort.Text != "1993" || z.sentCopy.Selected != "Never" {
		t.Fatalf("edit shows IMAP %q:%q, copy %q", z.imapHost.Text, z.imapPort.Text, z.sentCopy.Selected)
	}
	z.imapPort.SetText("993")
	z.sentCopy.SetSelected("Automatic")
	test.Tap(z.continueButton)
	w.settle()
	if len(f.saved) != 1 {
		t.Fatalf("not saved: %q %q", z.hostErr.Text, z.imapErr.Text)
	}
	if a := f.saved[0]; a.IMAP.Port != 993 || !a.IMAP.OwnSecret || a.SentCopy != accounts.SentCopyAuto {
		t.Errorf("saved IMAP %+v, copy %q", a.IMAP, a.SentCopy)
	}
}

func TestAccountCardShowsBothServers(t *testing.T) {
	fake := &fakeAccounts{list: []accounts.Account{
		{Name: "gmail", Email: "ada@gmail.com", Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS, Default: true,
			SentCopy: accounts.SentCopyAuto, IMAP: accounts.IMAPServer{Host: "imap.gmail.com", Port: 993, Security: smtpclient.SecurityTLS}},
		{Name: "gmx", Email: "ada@gmx.de", Host: "mail.gmx.net", Port: 465, Security: smtpclient.SecurityTLS,
			SentCopy: accounts.SentCopyAuto, IMAP: accounts.IMAPServer{Host: "imap.gmx.net", Port: 993, Security: smtpclient.SecurityTLS}},
		{Name: "relay", Email: "ada@relay.example", Host: "relay.example", Port: 587, Security: smtpclient.SecurityStartTLS, SentCopy: accounts.SentCopyAuto},
		// Gmail without an IMAP server still has its copy, filed by Gmail.
		{Name: "gmail2", Email: "bo@gmail.com", Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS, SentCopy: accounts.SentCopyAuto},
	}}
	w := windowOnFake(t, fake)
	v := newAccountsView(w)
	w.settle()
	var summaries []string
	for _, o := range v.list.Objects {
		summaries = append(summaries, cardParts(o)[1].(*widget.Label).Text)
	}
	want := []string{
		"Sending: smtp.gmail.com, port 465, SSL/TLS – Signs in with a password\nCopy in Sent: imap.gmail.com, port 993, SSL/TLS – automatic: your provider saves the copy itself",
		"Sending: mail.gmx.net, port 465, SSL/TLS – Signs in with a password\nCopy in Sent: imap.gmx.net, port 993, SSL/TLS – automatic",
		// Discovery found no IMAP server, or gave up waiting for one: the
		// card says that no copy is filed and where to set one.
		"Sending: relay.example, port 587, STARTTLS – Signs in with a password\nCopy in Sent: off until an incoming (IMAP) server is set under Edit…",
		"Sending: smtp.gmail.com, port 465, SSL/TLS – Signs in with a password\nCopy in Sent: automatic: your provider saves the copy itself",
	}
	for i := range want {
		if i >= len(summaries) || summaries[i] != want[i] {
			t.Errorf("card %d says %q, want %q", i, summaries, want[i])
		}
	}

	fake.testFail = &accounts.IMAPTestError{Host: "imap.gmx.net", Port: 993, Err: errors.New("LOGIN refused")}
	cards := accountCards(t, v)
	test.Tap(cards[1].buttons["Test"])
	w.settle()
	if got := cards[1].status; !strings.HasPrefix(got.Text, "Sending works; saving copies to Sent does not: ") || got.Importance != widget.WarningImportance {
		t.Errorf("after an IMAP failure the status says %q (importance %v)", got.Text, got.Importance)
	}
}

// Settings outside the address's domain are used only after a yes; the
// question names the IMAP server too, which the password would also reach,
// and a no takes it out of the form with the SMTP server.
func TestWizardAsksAboutTheIMAPServerOutsideTheDomain(t *testing.T) {
	found := gmxLike()
	found.Host, found.IMAP.Host = "smtp.hoster.test", "imap.hoster.test"
	found.Confirm = true
	found.Confirmation = autoconfig.Confirmation{Because: autoconfig.ConfirmHostOutsideDomain, Domain: "lab.test",
		Host: "smtp.hoster.test", Operator: "hoster.test"}
	f := &fakeSetup{found: found}
	w, z, done := startWizard(t, f)
	test.Tap(z.continueButton)
	w.settle()
	confirm, ok := w.topDialog().(*dialog.ConfirmDialog)
	if !ok {
		t.Fatal("settings outside lab.test were used without asking")
	}
	if text := overlayText(w); !strings.Contains(text, "Incoming server (IMAP): imap.hoster.test, port 993") {
		t.Errorf("the question does not name the IMAP server:\n%s", text)
	}
	confirm.Dismiss()
	w.settle()
	if *done || z.imapHost.Text != "" || z.imapPort.Text != "" || len(f.tested) != 0 {
		t.Fatalf("after a no: done %v, IMAP %q:%q, tested %d", *done, z.imapHost.Text, z.imapPort.Text, len(f.tested))
	}
}

// overlayText is every label's text in the window's top overlay, the
// dialog on show.
func overlayText(w *mainWindow) string {
	var texts []string
	for _, o := range test.LaidOutObjects(w.win.Canvas().Overlays().Top()) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// The IMAP server's own password is tested with the settings and saved
// after the account; without one, it signs in with the account's.
func TestWizardGivesTheIMAPServerItsOwnPassword(t *testing.T) {
	f := &fakeSetup{found: gmxLike()}
	w, z, done := startWizard(t, f)
	test.Type(z.imapPassword, "imap only")
	test.Tap(z.continueButton)
	w.settle()
	if !*done || len(f.saved) != 1 {
		t.Fatalf("not saved: %q %q", z.hostErr.Text, z.imapErr.Text)
	}
	if len(f.testedIMAPPw) != 1 || f.testedIMAPPw[0] != "imap only" || f.imapPasswords["anna@lab.test"] != "imap only" {
		t.Errorf("tested with IMAP passwords %q, saved %q", f.testedIMAPPw, f.imapPasswords)
	}

	g := &fakeSetup{found: gmxLike()}
	w, z, _ = startWizard(t, g)
	test.Tap(z.continueButton)
	w.settle()
	if len(g.saved) != 1 || len(g.testedIMAPPw) != 0 || len(g.imapPasswords) != 0 {
		t.Errorf("without an IMAP password: saved %d, IMAP passwords tested %q and saved %q", len(g.saved), g.testedIMAPPw, g.imapPasswords)
	}
}
