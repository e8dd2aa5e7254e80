package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/smtpclient"
)

// accountWizard adds or edits an account. For most people it takes an
// address and a password: the server settings are found automatically and
// the connection is tested before anything is saved. "Change settings"
// holds the server fields for those who know them.
//
// An address at a provider that signs in in the browser (Google, Microsoft,
// Yahoo, …; see wizard_signin.go) gets "Sign in with …" instead of the
// password, and "Change settings" holds the organisation's own client ID.
type accountWizard struct {
	w       *mainWindow
	content fyne.CanvasObject
	editing *accounts.Account // nil when adding
	done    func()

	name, email      *textEntry
	password         *widget.Entry
	signature        *widget.Entry
	host, port, user *widget.Entry
	security         *widget.Select
	// The incoming (IMAP) server, for the copy in Sent, and the choice
	// "Save a copy in Sent". Autoconfiguration fills them silently.
	imapHost, imapPort, imapUser *widget.Entry
	imapPassword                 *widget.Entry // its own, when not the account's
	imapSecurity, sentCopy       *widget.Select
	imapErr                      *widget.Label
	imapManual                   bool // the user typed IMAP settings
	emailErr, pwErr              *widget.Label
	hostErr                      *widget.Label
	pinNote                      *widget.Label // says that a pin no longer applies
	hint, progress               *widget.Label
	activity                     *widget.Activity
	stopButton                   *widget.Button
	stop                         context.CancelFunc // cancels the lookup or test under way
	advanced                     *widget.Accordion
	serverForm                   *fyne.Container     // the SMTP server, for an account with a password
	imapPart                     *fyne.Container     // the IMAP server and "Save a copy in Sent", for every account
	imapPasswordRow              []fyne.CanvasObject // the IMAP server's own password, for an account with one
	passwordRow                  []fyne.CanvasObject // its label and its field
	continueButton               *widget.Button
	source                       string // where the settings came from
	signIn                       wizardSignIn
	pin                          string // an accepted certificate fingerprint
	pinFor                       string // the server (host:port) pin was accepted for
	imapPin, imapPinFor          string // the same for the IMAP server; see offerIMAPPin
	busy                         bool
	manual                       bool // the user typed server settings
	// confirmedOutside is what the user said yes to when asked whether to
	// use servers outside the address's domain. It covers only that domain,
	// host and port: another lookup result asks again before the password
	// goes anywhere.
	confirmedOutside outsideSettings
}

// outsideSettings names found settings whose server lies outside the
// address's domain.
type outsideSettings struct {
	domain, host string
	port         int
}

// securityChoices are the Security select's entries, in the order shown.
var securityChoices = []smtpclient.Security{smtpclient.SecurityTLS, smtpclient.SecurityStartTLS, smtpclient.SecurityNone}

// shortSecurityLabel names the security in an account's one-line summary.
func shortSecurityLabel(s smtpclient.Security) string {
	switch s {
	case smtpclient.SecurityTLS:
		return "SSL/TLS"
	case smtpclient.SecurityStartTLS:
		return "STARTTLS"
	}
	return lang.L("unencrypted")
}

func securityLabel(s smtpclient.Security) string {
	switch s {
	case smtpclient.SecurityTLS:
		return lang.L("SSL/TLS (usually port 465)")
	case smtpclient.SecurityStartTLS:
		return lang.L("STARTTLS (usually port 587)")
	}
	return lang.L("None – unencrypted, not recommended")
}

func imapSecurityLabel(s smtpclient.Security) string {
	switch s {
	case smtpclient.SecurityTLS:
		return lang.L("SSL/TLS (usually port 993)")
	case smtpclient.SecurityStartTLS:
		return lang.L("STARTTLS (usually port 143)")
	}
	return lang.L("None – unencrypted, not recommended")
}

// sentCopyChoices are the "Save a copy in Sent" select's entries.
var sentCopyChoices = []accounts.SentCopyMode{accounts.SentCopyAuto, accounts.SentCopyAlways, accounts.SentCopyNever}

func sentCopyLabel(m accounts.SentCopyMode) string {
	switch m {
	case accounts.SentCopyAlways:
		return lang.L("Always")
	case accounts.SentCopyNever:
		return lang.L("Never")
	}
	return lang.L("Automatic")
}

func newAccountWizard(w *mainWindow, editing *accounts.Account, done func()) *accountWizard {
	z := &accountWizard{w: w, editing: editing, done: done}
	z.name = newTextEntry(w)
	z.name.SetPlaceHolder(lang.L("Your name, as recipients will see it"))
	z.email = newTextEntry(w)
	z.email.SetPlaceHolder("you@example.org")
	z.password = widget.NewPasswordEntry()
	z.signature = widget.NewMultiLineEntry()
	z.signature.SetMinRowsVisible(3)
	z.signature.SetPlaceHolder(lang.L("Optional: added below each new message"))
	z.host, z.port, z.user = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	z.host.SetPlaceHolder("smtp.example.org")
	z.port.SetPlaceHolder("465")
	z.user.SetPlaceHolder(lang.L("usually your email address"))
	var labels []string
	for _, s := range securityChoices {
		labels = append(labels, securityLabel(s))
	}
	z.security = widget.NewSelect(labels, func(string) { z.securityChanged() })
	z.imapHost, z.imapPort, z.imapUser = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	z.imapHost.SetPlaceHolder("imap.example.org")
	z.imapPort.SetPlaceHolder("993")
	z.imapUser.SetPlaceHolder(lang.L("the same as for sending"))
	z.imapPassword = widget.NewPasswordEntry()
	z.imapPassword.SetPlaceHolder(lang.L("the same as for sending"))
	if editing != nil && editing.IMAP.OwnSecret {
		z.imapPassword.SetPlaceHolder(lang.L("Leave empty to keep the saved password"))
	}
	var imapLabels, copyLabels []string
	for _, s := range securityChoices {
		imapLabels = append(imapLabels, imapSecurityLabel(s))
	}
	for _, m := range sentCopyChoices {
		copyLabels = append(copyLabels, sentCopyLabel(m))
	}
	z.imapSecurity = widget.NewSelect(imapLabels, func(string) { z.imapManual = true })
	z.sentCopy = widget.NewSelect(copyLabels, nil)
	z.sentCopy.SetSelectedIndex(0)
	for _, e := range []*widget.Entry{z.imapHost, z.imapPort, z.imapUser} {
		e.OnChanged = func(string) { z.imapManual = true }
	}
	z.imapErr = problemLabel()
	z.emailErr, z.pwErr, z.hostErr = problemLabel(), problemLabel(), problemLabel()
	z.pinNote = problemLabel()
	z.pinNote.Importance = widget.WarningImportance
	z.hint = widget.NewLabel("")
	z.hint.Wrapping = fyne.TextWrapWord
	z.hint.Importance = widget.WarningImportance
	z.hint.Hide()
	z.progress = widget.NewLabel("")
	z.activity = widget.NewActivity()
	z.progress.Hide()
	z.activity.Hide()
	for _, e := range []*widget.Entry{z.host, z.port, z.user} {
		e.OnChanged = func(string) { z.manual = true; z.showPinNote() }
	}
	z.email.OnChanged = func(string) { z.emailErr.Hide(); z.showProviderHint(); z.lookUpProvider() }
	z.password.OnChanged = func(string) { z.pwErr.Hide() }

	serverForm := widget.NewForm(
		widget.NewFormItem(lang.L("Server"), container.NewVBox(z.host, z.hostErr, z.pinNote)),
		widget.NewFormItem(lang.L("Port"), z.port),
		widget.NewFormItem(lang.L("Security"), z.security),
		widget.NewFormItem(lang.L("User name"), z.user),
	)
	incoming := widget.NewLabelWithStyle(lang.L("Incoming server (IMAP), for the copy of each sent message in your Sent folder"),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	incoming.Wrapping = fyne.TextWrapWord
	// Rows rather than a widget.Form: the password row hides for an
	// account that signs in with its provider (its token signs in to IMAP).
	z.imapPasswordRow = []fyne.CanvasObject{formLabel(lang.L("IMAP password")), z.imapPassword}
	imapForm := container.New(layout.NewFormLayout(),
		formLabel(lang.L("Save a copy in Sent")), z.sentCopy,
		formLabel(lang.L("IMAP server")), container.NewVBox(z.imapHost, z.imapErr),
		formLabel(lang.L("IMAP port")), z.imapPort,
		formLabel(lang.L("IMAP security")), z.imapSecurity,
		formLabel(lang.L("IMAP user name")), z.imapUser,
		z.imapPasswordRow[0], z.imapPasswordRow[1],
	)
	// An account that signs in with a provider sends through the
	// provider's server: in place of it, its settings are the
	// organisation's own registration. The IMAP server and the choice
	// "Save a copy in Sent" are every account's.
	z.serverForm = container.NewVBox(serverForm)
	z.imapPart = container.NewVBox(widget.NewSeparator(), incoming, imapForm)
	z.newSignInParts()
	z.advanced = widget.NewAccordion(widget.NewAccordionItem(lang.L("Change settings"),
		container.NewVBox(z.serverForm, z.signIn.settings, z.imapPart)))

	if editing != nil {
		z.password.SetPlaceHolder(lang.L("Leave empty to keep the saved password"))
	}
	// A form of rows rather than a widget.Form, whose rows cannot hide: the
	// password row does for an address that signs in in the browser.
	z.passwordRow = []fyne.CanvasObject{formLabel(lang.L("Password")), container.NewVBox(z.password, z.pwErr, z.signIn.passwordRoute)}
	form := container.New(layout.NewFormLayout(),
		formLabel(lang.L("Name")), z.name,
		formLabel(lang.L("Email address")), container.NewVBox(z.email, z.emailErr),
		z.passwordRow[0], z.passwordRow[1],
		formLabel(lang.L("Signature")), z.signature,
	)
	z.continueButton = widget.NewButton(lang.L("Continue"), z.submit)
	z.continueButton.Importance = widget.HighImportance
	z.stopButton = widget.NewButton(lang.L("Stop"), func() {
		if z.stop != nil {
			z.stop()
		}
	})
	z.stopButton.Hide()
	z.content = container.NewVBox(form, z.hint, z.signIn.box, z.advanced,
		container.NewHBox(z.continueButton, z.stopButton, z.activity, z.progress), z.signIn.panel.content)
	if editing != nil {
		z.fill(*editing)
	}
	z.refreshMode()
	return z
}

// formLabel is a row's label, drawn as widget.Form draws its own.
func formLabel(text string) *widget.RichText {
	label := widget.NewRichTextWithText(text)
	seg := label.Segments[0].(*widget.TextSegment)
	seg.Style.Alignment = fyne.TextAlignTrailing
	seg.Style.TextStyle.Bold = true
	return label
}

func problemLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func showProblem(l *widget.Label, text string) {
	l.SetText(text)
	l.Show()
}

// fill shows an existing account's settings.
func (z *accountWizard) fill(a accounts.Account) {
	z.name.SetText(a.DisplayName)
	z.email.SetText(a.Email)
	z.signature.SetText(a.Signature)
	z.host.SetText(a.Host)
	z.port.SetText(strconv.Itoa(a.Port))
	z.user.SetText(a.Username)
	z.setSecurity(a.Security)
	z.pin, z.pinFor = a.PinSHA256, a.PinFor
	z.imapPin, z.imapPinFor = a.IMAP.PinSHA256, a.IMAP.PinFor
	z.fillIMAP(a.IMAP)
	for i, m := range sentCopyChoices {
		if m == a.SentCopy {
			z.sentCopy.SetSelectedIndex(i)
		}
	}
	z.manual = true
	z.signIn.clientID.SetText(a.OAuthClientID)
	z.signIn.tenant.SetText(a.OAuthTenant)
	z.advanced.Open(0)
}

// fillIMAP shows an IMAP server's settings; a zero one empties the fields.
func (z *accountWizard) fillIMAP(m accounts.IMAPServer) {
	z.imapHost.SetText(m.Host)
	z.imapPort.SetText("")
	if m.Port != 0 {
		z.imapPort.SetText(strconv.Itoa(m.Port))
	}
	z.imapUser.SetText(m.Username)
	z.imapSecurity.ClearSelected()
	for i, choice := range securityChoices {
		if choice == m.Security {
			z.imapSecurity.SetSelectedIndex(i)
		}
	}
	z.imapManual = false
}

func (z *accountWizard) setSecurity(s smtpclient.Security) {
	for i, choice := range securityChoices {
		if choice == s {
			z.security.SetSelectedIndex(i)
		}
	}
}

func (z *accountWizard) selectedSecurity() smtpclient.Security {
	if i := z.security.SelectedIndex(); i >= 0 {
		return securityChoices[i]
	}
	return ""
}

func (z *accountWizard) securityChanged() {
	z.manual = true
	if z.selectedSecurity() == smtpclient.SecurityNone {
		showProblem(z.hostErr, lang.L("Without encryption, anyone on the network can read your password and your messages. Use this only for a server on this computer."))
	} else {
		z.hostErr.Hide()
	}
}

// typedServer is the server the fields name.
func (z *accountWizard) typedServer() accounts.Account {
	port, _ := strconv.Atoi(strings.TrimSpace(z.port.Text))
	return accounts.Account{Host: strings.TrimSpace(z.host.Text), Port: port}
}

// showPinNote says, while the fields name another server than the one the
// accepted certificate was for, that it no longer applies: settings drops
// it, and saving removes it from the account.
func (z *accountWizard) showPinNote() {
	if z.pin == "" || z.pinFor == z.typedServer().ServerAddress() {
		z.pinNote.Hide()
		return
	}
	showProblem(z.pinNote, fmt.Sprintf(lang.L("The certificate you accepted for %s was removed because the server changed."), z.pinFor))
}

// showProviderHint tells about a provider's needs (an app password, say)
// as soon as the address is typed, before the password.
func (z *accountWizard) showProviderHint() {
	_, domain, _ := strings.Cut(strings.TrimSpace(z.email.Text), "@")
	hint := hintMessage(autoconfig.HintFor(domain))
	if hint == "" || z.signsIn() {
		z.hint.Hide()
		return
	}
	z.hint.SetText(hint)
	z.hint.Show()
}

func (z *accountWizard) setBusy(text string) {
	z.busy = text != ""
	z.progress.SetText(text)
	z.progress.Hidden = text == ""
	z.progress.Refresh()
	if z.busy {
		z.continueButton.Disable()
		z.signIn.appPassword.Disable()
		z.stopButton.Show()
		z.activity.Show()
		z.activity.Start()
	} else {
		z.continueButton.Enable()
		z.signIn.appPassword.Enable()
		z.stopButton.SetText(lang.L("Stop"))
		z.stopButton.Hide()
		z.activity.Stop()
		z.activity.Hide()
	}
}

// step starts one cancellable step (lookup, test or save): Stop cancels
// the context it returns. stopped reports whether the user did, and ends
// the step.
func (z *accountWizard) step(text string) (ctx context.Context, stopped func() bool) {
	z.setBusy(text)
	ctx, cancel := context.WithCancel(z.w.ctx)
	z.stop = cancel
	return ctx, func() bool {
		stopped := ctx.Err() != nil
		cancel()
		return stopped
	}
}

// submit checks the fields, finds the settings when none were typed, tests
// the connection and saves.
func (z *accountWizard) submit() {
	if z.busy {
		return
	}
	for _, l := range []*widget.Label{z.emailErr, z.pwErr, z.hostErr, z.imapErr, z.signIn.problem} {
		l.Hide()
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(z.email.Text))
	if err != nil {
		showProblem(z.emailErr, errorMessage(err))
		return
	}
	domain := addr.Email[strings.LastIndex(addr.Email, "@")+1:]
	if z.signIn.lookingUp {
		// Whether the address signs in in the browser is not known yet:
		// continue once it is, unless the user stops.
		z.signIn.submitWhenKnown = true
		z.setBusy(fmt.Sprintf(lang.L("Looking up settings for %s…"), domain))
		z.stop = func() {
			z.signIn.submitWhenKnown = false
			z.setBusy("")
			z.advanced.Open(0)
		}
		return
	}
	if z.signsIn() && z.editing == nil {
		z.startSignIn(addr.Email)
		return
	}
	if z.password.Text == "" && z.editing == nil {
		showProblem(z.pwErr, lang.L("Enter the password of this email account."))
		return
	}
	if z.manual && z.host.Text != "" {
		z.test(addr.Email)
		return
	}
	step, stopped := z.step(fmt.Sprintf(lang.L("Looking up settings for %s…"), domain))
	email := addr.Email
	z.w.background(func(_ context.Context, svc *services) func() {
		found, err := svc.discover(step, email)
		return func() {
			z.setBusy("")
			if stopped() {
				z.advanced.Open(0) // the user may enter the settings instead
				return
			}
			if err != nil {
				showProblem(z.hostErr, errorMessage(err))
				z.advanced.Open(0)
				return
			}
			z.applyDiscovery(found)
			if outside := (outsideSettings{strings.ToLower(domain), found.Host, found.Port}); found.Confirm && outside != z.confirmedOutside {
				z.confirmOutside(found, outside, func() { z.test(email) })
				return
			}
			z.test(email)
		}
	})
}

func (z *accountWizard) applyDiscovery(r *autoconfig.Result) {
	z.host.SetText(r.Host)
	z.port.SetText(strconv.Itoa(r.Port))
	z.user.SetText(r.Username)
	z.setSecurity(smtpclient.Security(r.Security))
	if !z.imapManual && r.IMAP != nil {
		// Silently: it is shown under "Change settings" for those who look.
		var a accounts.Account
		a.Username = r.Username
		core.FillIMAP(&a, r)
		z.fillIMAP(a.IMAP)
	}
	z.manual = false
	z.source = string(r.Source)
	if hint := hintMessage(r.Hint); hint != "" {
		z.hint.SetText(hint)
		z.hint.Show()
	}
}

func (z *accountWizard) confirmOutside(r *autoconfig.Result, outside outsideSettings, proceed func()) {
	text := fmt.Sprintf(lang.L("%s\n\nServer: %s, port %d"), confirmationMessage(r.Confirmation), r.Host, r.Port)
	if m := r.IMAP; m != nil && !z.imapManual {
		// The password goes there too.
		text += "\n" + fmt.Sprintf(lang.L("Incoming server (IMAP): %s, port %d"), m.Host, m.Port)
	}
	d := dialog.NewConfirm(lang.L("Use these settings?"), text,
		func(ok bool) {
			if ok {
				z.confirmedOutside = outside
				proceed()
				return
			}
			// Declined: the outside server leaves the form, so that editing
			// another field cannot send the password there after all; a
			// server the user types in is theirs.
			z.host.SetText("")
			z.port.SetText("")
			if !z.imapManual {
				z.fillIMAP(accounts.IMAPServer{}) // found with it: declined with it
			}
			z.manual = false
			z.advanced.Open(0)
		}, z.w.win)
	z.w.show(d)
}

// settings reads the account the fields describe.
func (z *accountWizard) settings(email string) (accounts.Account, error) {
	a := accounts.Account{}
	if z.editing != nil {
		a = *z.editing
	}
	a.DisplayName = strings.TrimSpace(z.name.Text)
	a.Email = email
	a.Signature = strings.TrimRight(z.signature.Text, "\n ")
	a.Host = strings.TrimSpace(z.host.Text)
	a.Username = strings.TrimSpace(z.user.Text)
	a.Security = z.selectedSecurity()
	port, err := strconv.Atoi(strings.TrimSpace(z.port.Text))
	if err != nil || port < 1 || port > 65535 {
		return a, errors.New(lang.L("The port must be a number between 1 and 65535, such as 465 or 587."))
	}
	a.Port = port
	a.PinSHA256, a.PinFor = z.pin, z.pinFor
	a.DropPinOfOtherServer() // see showPinNote
	if a.OAuthProvider != "" {
		a.OAuthClientID = strings.TrimSpace(z.signIn.clientID.Text)
		a.OAuthTenant = strings.TrimSpace(z.signIn.tenant.Text)
	}
	if a.Host == "" {
		return a, errors.New(lang.L("Enter the name of the outgoing mail server."))
	}
	if a.Security == "" {
		return a, errors.New(lang.L("Choose how the connection is secured."))
	}
	if a.Name == "" {
		a.Name = email
	}
	if a.Username == "" {
		a.Username = email
	}
	imap, err := z.imapSettings()
	if err != nil {
		return a, err
	}
	a.IMAP = imap
	a.IMAP.PinSHA256, a.IMAP.PinFor = z.imapPin, z.imapPinFor
	a.DropIMAPPinOfOtherServer() // accepted for another IMAP server
	if i := z.sentCopy.SelectedIndex(); i >= 0 {
		a.SentCopy = sentCopyChoices[i]
	}
	return a, nil
}

// imapSettingsError is a problem with the IMAP fields, shown next to them.
type imapSettingsError struct{ text string }

func (e *imapSettingsError) Error() string { return e.text }

// imapSettings reads the IMAP server the fields describe: none when the
// server is empty; the usual port for the security when the port is.
func (z *accountWizard) imapSettings() (accounts.IMAPServer, error) {
	var m accounts.IMAPServer
	if z.editing != nil {
		m.OwnSecret = z.editing.IMAP.OwnSecret
	}
	m.Host = strings.TrimSpace(z.imapHost.Text)
	if m.Host == "" {
		return accounts.IMAPServer{}, nil
	}
	m.Username = strings.TrimSpace(z.imapUser.Text)
	if i := z.imapSecurity.SelectedIndex(); i >= 0 {
		m.Security = securityChoices[i]
	} else {
		return m, &imapSettingsError{lang.L("Choose how the connection to the incoming (IMAP) server is secured.")}
	}
	if text := strings.TrimSpace(z.imapPort.Text); text != "" {
		port, err := strconv.Atoi(text)
		if err != nil || port < 1 || port > 65535 {
			return m, &imapSettingsError{lang.L("The incoming (IMAP) server's port must be a number between 1 and 65535, such as 993 or 143.")}
		}
		m.Port = port
	} else if m.Security == smtpclient.SecurityTLS {
		m.Port = 993
	} else {
		m.Port = 143
	}
	return m, nil
}

// test connects, logs in and disconnects; only a working account is saved.
func (z *accountWizard) test(email string) {
	a, err := z.settings(email)
	var imapProblem *imapSettingsError
	if errors.As(err, &imapProblem) {
		z.advanced.Open(0)
		showProblem(z.imapErr, imapProblem.text)
		return
	}
	if err != nil {
		z.advanced.Open(0)
		showProblem(z.hostErr, errorMessage(err))
		return
	}
	var invalid *accounts.InvalidError
	if check := a; errors.As(check.Validate(), &invalid) && (strings.HasPrefix(invalid.Field, "IMAP") || invalid.Field == "sent copy") {
		z.advanced.Open(0)
		showProblem(z.imapErr, errorMessage(invalid))
		return
	}
	password, imapPassword := z.password.Text, z.imapPassword.Text
	if a.IMAP.Host == "" {
		imapPassword = ""
	}
	step, stopped := z.step(lang.L("Checking the connection…"))
	z.w.background(func(_ context.Context, svc *services) func() {
		err := svc.testAccount(step, &a, password, imapPassword)
		return func() {
			z.setBusy("")
			if stopped() {
				return
			}
			if err != nil {
				z.showTestFailure(err, a, email)
				return
			}
			z.save(a, password, false)
		}
	})
}

// showTestFailure puts the plain-language reason next to the field it
// concerns, and offers to trust a certificate the system does not.
func (z *accountWizard) showTestFailure(err error, tested accounts.Account, email string) {
	var sendErr *smtpclient.Error
	var imapErr *accounts.IMAPTestError
	var invalid *accounts.InvalidError
	switch {
	case errors.As(err, &imapErr), errors.As(err, &invalid) && strings.HasPrefix(invalid.Field, "IMAP"),
		errors.As(err, &invalid) && invalid.Field == "sent copy":
		// Sending works; the IMAP server, for the copy in Sent, does not.
		// "Never" saves the account without it.
		if imapErr != nil && z.offerIMAPPin(imapErr, tested, email) {
			return
		}
		showProblem(z.imapErr, errorMessage(err))
		z.advanced.Open(0)
		return
	}
	if !errors.As(err, &sendErr) {
		showProblem(z.hostErr, errorMessage(err))
		z.advanced.Open(0)
		return
	}
	switch sendErr.Stage {
	case smtpclient.StageAuth:
		showProblem(z.pwErr, errorMessage(sendErr))
		if wantsSignIn(sendErr) {
			z.offerSignInInstead()
		}
	case smtpclient.StageTLS:
		if sendErr.Certificate != nil {
			z.offerPin(sendErr, tested, email)
			return
		}
		fallthrough
	default:
		showProblem(z.hostErr, errorMessage(sendErr))
		z.advanced.Open(0)
	}
}

// offerPin shows a certificate the system does not trust, so that the
// user can accept it for this account. It is offered only here, at setup,
// never in the middle of sending.
func (z *accountWizard) offerPin(sendErr *smtpclient.Error, tested accounts.Account, email string) {
	c := sendErr.Certificate
	z.showTrustDialog(lang.L("The server's certificate is not trusted"), errorMessage(sendErr), c, func(ok bool) {
		if !ok {
			showProblem(z.hostErr, errorMessage(sendErr))
			z.advanced.Open(0)
			return
		}
		tested.PinCertificate(c.SHA256) // for the server tested only
		z.pin, z.pinFor = tested.PinSHA256, tested.PinFor
		z.showPinNote()
		z.test(email)
	})
}

// save stores the account and its password, and the IMAP server's own
// when one was typed. When the system has no usable password store, it
// offers to keep the account's password for this session (the IMAP
// server's own is kept only in the password store).
func (z *accountWizard) save(a accounts.Account, password string, sessionOnly bool) {
	z.setBusy(lang.L("Saving the account…"))
	imapPassword := z.imapPassword.Text // read here: widgets only on the UI goroutine
	z.w.background(func(ctx context.Context, svc *services) func() {
		err := svc.saveAccount(ctx, &a, password, sessionOnly)
		var imapErr error
		if err == nil && imapPassword != "" && a.IMAP.Host != "" {
			imapErr = svc.setIMAPPassword(ctx, &a, imapPassword)
		}
		return func() {
			z.setBusy("")
			var unavailable *accounts.KeyringError
			switch {
			case errors.As(err, &unavailable) && !sessionOnly:
				z.offerSessionOnly(a, password, unavailable)
			case err != nil:
				z.w.showError(err)
			case imapErr != nil:
				// The account is saved; its IMAP server signs in with the
				// account's password until its own can be saved.
				z.w.showError(imapErr)
				z.done()
			default:
				z.done()
			}
		}
	})
}

func (z *accountWizard) offerSessionOnly(a accounts.Account, password string, cause error) {
	d := dialog.NewConfirm(lang.L("Keep the password for now?"),
		errorMessage(cause)+"\n\n"+lang.L("Postie can keep the password in memory until you close it, and will ask for it again next time. It is never written to disk."),
		func(ok bool) {
			if ok {
				z.save(a, password, true)
			}
		}, z.w.win)
	d.SetConfirmText(lang.L("Keep for this session"))
	z.w.show(d)
}
