package ui

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/demo"
)

// The demo account, edited to file copies on a Dovecot whose certificate
// comes from an authority nobody trusts: the connection test finds the
// incoming server's certificate untrusted, and the wizard offers it in the
// same trust dialog as the outgoing server's, saying it is the incoming
// server's. Declined, nothing is saved and the IMAP problem is shown;
// accepted, the test passes and the account is saved with the pin on its
// IMAP server (host:port), the SMTP pin untouched.
func TestAccountWizardOffersToTrustTheIncomingServersCertificate(t *testing.T) {
	w := openDemoWindow(t)
	server := w.svc.demo
	dovecot := testpeer.StartDovecot(t, testpeer.NewCA(t, "Company CA nobody trusts"), demo.Username, server.Password)
	list, err := w.svc.listAccounts(w.ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("demo accounts %+v, %v", list, err)
	}
	saved := false
	z := newAccountWizard(w, &list[0], func() { saved = true })
	z.imapHost.SetText(dovecot.Host)
	z.imapPort.SetText(strconv.Itoa(dovecot.TLSPort))
	z.imapSecurity.SetSelectedIndex(0) // SSL/TLS
	z.sentCopy.SetSelected("Always")

	continueAndOffer := func() *dialog.ConfirmDialog {
		t.Helper()
		test.Tap(z.continueButton)
		w.settle()
		offer, ok := w.topDialog().(*dialog.ConfirmDialog)
		if !ok {
			t.Fatalf("no offer to trust the IMAP certificate; IMAP problem %q, host problem %q", z.imapErr.Text, z.hostErr.Text)
		}
		markup := test.RenderObjectToMarkup(w.win.Canvas().Overlays().Top())
		for _, want := range []string{dovecot.Cert[:16], "The incoming (IMAP) server&#39;s certificate is not trusted", "Trust this certificate"} {
			if !strings.Contains(markup, want) && !strings.Contains(markup, strings.ReplaceAll(want, "&#39;", "'")) {
				t.Fatalf("the offer lacks %q:\n%s", want, markup)
			}
		}
		return offer
	}

	continueAndOffer().Dismiss()
	w.settle()
	if saved || !z.imapErr.Visible() || !strings.Contains(z.imapErr.Text, "certificate is not trusted") {
		t.Fatalf("declined: saved %v, IMAP problem %q (visible %v)", saved, z.imapErr.Text, z.imapErr.Visible())
	}

	continueAndOffer().Confirm()
	w.settle()
	if !saved {
		t.Fatalf("accepted, but not saved; IMAP problem %q, host problem %q", z.imapErr.Text, z.hostErr.Text)
	}
	got, err := realCore(w).AccountByID(w.ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := net.JoinHostPort(dovecot.Host, strconv.Itoa(dovecot.TLSPort)); got.IMAP.PinSHA256 != dovecot.Cert || got.IMAP.PinFor != want ||
		got.PinSHA256 != server.PinSHA256 {
		t.Fatalf("saved IMAP pin %q for %q, SMTP pin %q; want %s for %s and the demo's own", got.IMAP.PinSHA256, got.IMAP.PinFor, got.PinSHA256, dovecot.Cert, want)
	}
}
