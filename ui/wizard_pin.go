package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// showTrustDialog shows a certificate the system does not trust, with why
// (reason), and asks whether to accept exactly this one; answer gets the
// choice. Both servers' certificates are offered this way: the outgoing
// one by offerPin, the incoming one by offerIMAPPin.
func (z *accountWizard) showTrustDialog(title, reason string, c *smtpclient.CertInfo, answer func(ok bool)) {
	details := widget.NewForm(
		widget.NewFormItem(lang.L("Issued to"), selectable(c.Subject)),
		widget.NewFormItem(lang.L("Names"), selectable(strings.Join(c.DNSNames, ", "))),
		widget.NewFormItem(lang.L("Issued by"), selectable(c.Issuer)),
		widget.NewFormItem(lang.L("Valid"), selectable(fmt.Sprintf("%s – %s", c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02")))),
		widget.NewFormItem(lang.L("SHA-256 fingerprint"), monospace(c.SHA256)),
	)
	explanation := widget.NewLabel(reason + "\n\n" +
		lang.L("Trust this certificate only if your email provider or administrator confirms the fingerprint. Postie will then accept exactly this certificate for this account."))
	explanation.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, lang.L("Trust this certificate"), lang.L("Cancel"),
		container.NewVBox(explanation, details), answer, z.w.win)
	d.Resize(fyne.NewSize(560, 420))
	z.w.show(d)
}

// offerIMAPPin offers to accept the incoming (IMAP) server's certificate
// when the connection test found it not trusted, and reports whether it
// did; the pin is for the IMAP server tested only (Account.IMAP). Sending
// already works, so a refusal shows the IMAP problem as before.
func (z *accountWizard) offerIMAPPin(imapTest *accounts.IMAPTestError, tested accounts.Account, email string) bool {
	var e *imapclient.Error
	if !errors.As(imapTest.Err, &e) || e.Reason != imapclient.ReasonCertificateNotTrusted || e.Certificate == nil {
		return false
	}
	c := e.Certificate
	// certificateMessage says why, as for the outgoing server, naming the
	// incoming one.
	why := certificateMessage(&smtpclient.Error{Host: tested.IMAP.Host, Port: tested.IMAP.Port, Certificate: c, CertProblem: e.CertProblem})
	z.showTrustDialog(lang.L("The incoming (IMAP) server's certificate is not trusted"), errorMessage(imapTest)+"\n\n"+why, c, func(ok bool) {
		if !ok {
			showProblem(z.imapErr, errorMessage(imapTest))
			z.advanced.Open(0)
			return
		}
		tested.PinIMAPCertificate(c.SHA256) // for the IMAP server tested only
		z.imapPin, z.imapPinFor = tested.IMAP.PinSHA256, tested.IMAP.PinFor
		z.test(email)
	})
	return true
}
