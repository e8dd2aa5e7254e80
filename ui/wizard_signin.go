package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail"
)

// wizardSignIn is the part of the account wizard for addresses at a
// provider that signs in in the browser. As the address is typed, the core
// says which provider serves it (by its domain, or its MX hosts for a
// custom domain); then the main action is "Sign in with NAME" and the
// password row goes. A provider with app passwords (Google, Yahoo) keeps
// "Use an app password instead"; a provider this build has no client ID
// for gets a plain sentence rather than a button that cannot work.
type wizardSignIn struct {
	provider    *oauth.Provider // the typed address's provider; nil for a password account
	usePassword bool            // the user chose an app password instead

	lookupSeq       int                // numbers lookups, so that only the latest one counts
	stopLookup      context.CancelFunc // cancels the lookup under way
	lookingUp       bool
	submitWhenKnown bool // Continue was pressed during a lookup

	box           *fyne.Container // under the form: what the provider needs
	notConfigured *widget.Label   // this copy cannot sign in with the provider
	appPassword   *widget.Button  // "Use an app password instead"
	passwordRoute *fyne.Container // under the password: where to get an app password, and back
	appPasswordAt *widget.Hyperlink
	backToSignIn  *widget.Button
	problem       *widget.Label // why the sign-in failed

	settings         *fyne.Container // in "Change settings": the organisation's own registration
	clientID, tenant *widget.Entry
	tenantRow        []fyne.CanvasObject // for a provider with tenants (Microsoft)

	panel *signInPanel // the address while waiting for the browser
}

func (z *accountWizard) newSignInParts() {
	s := &z.signIn
	s.notConfigured = widget.NewLabel("")
	s.notConfigured.Wrapping = fyne.TextWrapWord
	s.notConfigured.Importance = widget.WarningImportance
	s.appPassword = widget.NewButton(lang.L("Use an app password instead"), func() {
		s.usePassword = true
		z.refreshMode()
		z.w.win.Canvas().Focus(z.password)
	})
	s.appPassword.Importance = widget.LowImportance
	s.problem = problemLabel()
	s.box = container.NewVBox(s.notConfigured, s.problem, container.NewHBox(s.appPassword))

	s.appPasswordAt = widget.NewHyperlink(lang.L("Create an app password"), nil)
	s.appPasswordAt.OnTapped = func() {
		if s.provider != nil {
			z.w.openBrowser(s.provider.AppPasswordURL)
		}
	}
	s.backToSignIn = widget.NewButton("", func() {
		s.usePassword = false
		z.pwErr.Hide()
		z.refreshMode()
	})
	s.backToSignIn.Importance = widget.LowImportance
	s.passwordRoute = container.NewHBox(s.appPasswordAt, s.backToSignIn)

	s.clientID, s.tenant = widget.NewEntry(), widget.NewEntry()
	s.clientID.SetPlaceHolder(lang.L("Only if your organisation requires its own"))
	s.tenant.SetPlaceHolder("common")
	s.clientID.OnChanged = func(string) { z.refreshMode() }
	s.tenantRow = []fyne.CanvasObject{formLabel(lang.L("Tenant")), s.tenant}
	s.settings = container.New(layout.NewFormLayout(),
		formLabel(lang.L("Client ID")), s.clientID, s.tenantRow[0], s.tenantRow[1])
	s.panel = newSignInPanel(z.w)
}

// signsIn reports whether the account signs in in the browser rather than
// with a password: an address at a provider, unless the user chose an app
// password, or an account saved that way.
func (z *accountWizard) signsIn() bool {
	if z.editing != nil {
		return z.editing.OAuthProvider != ""
	}
	return z.signIn.provider != nil && !z.signIn.usePassword
}

// configured reports whether Postie can sign in with the provider: this
// build has a client ID for it, or the user entered their organisation's.
func (z *accountWizard) configured() bool {
	p := z.signIn.provider
	return p != nil && (p.Configured() || strings.TrimSpace(z.signIn.clientID.Text) != "")
}

// typingPause is how long the address must stay unchanged before Postie
// asks DNS whether its domain is hosted by a provider: not every prefix of
// a domain being typed goes to the network.
const typingPause = 300 * time.Millisecond

// lookUpProvider finds which provider the typed address signs in with: at
// once from the provider table for a provider's own domains, or after a
// pause in typing, off the UI goroutine, from the MX hosts of a custom
// domain (Google Workspace, Microsoft 365). Each keystroke cancels the
// lookup before.
func (z *accountWizard) lookUpProvider() {
	s := &z.signIn
	if s.stopLookup != nil {
		s.stopLookup()
		s.stopLookup = nil
	}
	s.lookupSeq++
	seq := s.lookupSeq
	addr, err := mail.ParseAddress(strings.TrimSpace(z.email.Text))
	s.lookingUp = false
	if err != nil || (z.editing != nil && z.editing.OAuthProvider == "") {
		z.setProvider(nil)
		return
	}
	if p, found := z.w.svc.oauthProviders().ForAddress(addr.Email, nil); found {
		z.setProvider(&p)
		return
	}
	z.setProvider(nil) // unless its MX says otherwise
	s.lookingUp = true
	ctx, cancel := context.WithCancel(z.w.ctx)
	s.stopLookup = cancel
	z.w.background(func(_ context.Context, svc *services) func() {
		select {
		case <-ctx.Done():
			return nil // typed on
		case <-time.After(typingPause):
		}
		p, found := svc.oauthProviderFor(ctx, addr.Email)
		return func() {
			if seq != s.lookupSeq {
				return // a later lookup is under way
			}
			cancel()
			s.lookingUp, s.stopLookup = false, nil
			if found {
				z.setProvider(&p)
			} else {
				z.setProvider(nil)
			}
			if s.submitWhenKnown {
				s.submitWhenKnown = false
				z.setBusy("")
				z.submit()
			}
		}
	})
}

func (z *accountWizard) setProvider(p *oauth.Provider) {
	s := &z.signIn
	if p == nil || s.provider == nil || p.ID != s.provider.ID {
		s.usePassword = false // a new provider starts with its sign-in
		s.problem.Hide()
	}
	s.provider = p
	z.refreshMode()
}

// refreshMode shows the password or the sign-in, as the address needs.
func (z *accountWizard) refreshMode() {
	if z.content == nil {
		return // still being built
	}
	s := &z.signIn
	p := s.provider
	signsIn := z.signsIn()
	setVisible(!signsIn, z.passwordRow...)
	z.showProviderHint()

	adding := z.editing == nil
	canSignIn := adding && signsIn && z.configured()
	cannotSignIn := adding && signsIn && !z.configured()
	switch {
	case canSignIn:
		z.continueButton.SetText(signInButtonText(p.Name))
		z.continueButton.Show()
	case cannotSignIn:
		z.continueButton.Hide() // no button that cannot work
	default:
		z.continueButton.SetText(lang.L("Continue"))
		z.continueButton.Show()
	}
	if cannotSignIn {
		s.notConfigured.SetText(errorMessage(&oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: p.Name}))
		s.notConfigured.Show()
	} else {
		s.notConfigured.Hide()
	}
	s.appPassword.Hidden = !(adding && signsIn && p.AppPasswordURL != "")
	s.appPassword.Refresh()

	onPasswordRoute := adding && p != nil && s.usePassword
	s.passwordRoute.Hidden = !onPasswordRoute
	if onPasswordRoute {
		s.appPasswordAt.Hidden = p.AppPasswordURL == ""
		s.backToSignIn.SetText(fmt.Sprintf(lang.L("Sign in with %s instead"), p.Name))
		s.backToSignIn.Hidden = !z.configured()
	}
	s.passwordRoute.Refresh()

	// "Change settings" holds the SMTP server for a password account, the
	// organisation's own registration for one that signs in; the IMAP
	// server for both, with its own password only for a password account.
	z.serverForm.Hidden = signsIn
	s.settings.Hidden = !signsIn
	setVisible(!signsIn, z.imapPasswordRow...)
	// Left empty, a new sign-in account's IMAP server is its provider's.
	imapPlaceholder := "imap.example.org"
	if adding && signsIn && p.IMAP.Host != "" {
		imapPlaceholder = p.IMAP.Host
	}
	z.imapHost.SetPlaceHolder(imapPlaceholder)
	setVisible(p != nil && hasTenant(*p), s.tenantRow...)
	z.advanced.Refresh()
	s.box.Refresh()
	z.content.Refresh()
}

func setVisible(visible bool, objects ...fyne.CanvasObject) {
	for _, o := range objects {
		if visible {
			o.Show()
		} else {
			o.Hide()
		}
	}
}

// hasTenant reports whether the provider's endpoints name a tenant, as
// Microsoft's do: an organisation may sign in with its own.
func hasTenant(p oauth.Provider) bool {
	return strings.Contains(p.AuthorizationURL+p.TokenURL, "{tenant}")
}

// startSignIn signs in in the browser and saves the account: the browser
// opens once the core listens for its answer, and the window says what it
// waits for, with the address in case no browser opened, and Cancel.
func (z *accountWizard) startSignIn(email string) {
	s := &z.signIn
	p := *s.provider
	// The IMAP server the user gave, if any (else the provider's), and the
	// choice "Save a copy in Sent", before anything opens.
	imap, err := z.imapSettings()
	if err != nil {
		z.advanced.Open(0)
		showProblem(z.imapErr, err.Error())
		return
	}
	imap.OwnSecret = false // the sign-in's token signs in to IMAP too
	sentCopy := accounts.SentCopyAuto
	if i := z.sentCopy.SelectedIndex(); i >= 0 {
		sentCopy = sentCopyChoices[i]
	}
	step, stopped := z.step(waitingForBrowser(p.Name))
	z.stopButton.SetText(lang.L("Cancel"))
	s.panel.hide()
	req := core.SignInRequest{
		Email:       email,
		DisplayName: strings.TrimSpace(z.name.Text),
		Provider:    p.ID,
		ClientID:    strings.TrimSpace(s.clientID.Text),
		Tenant:      strings.TrimSpace(s.tenant.Text),
		Open:        z.w.openerFor(s.panel),
		IMAP:        imap,
		SentCopy:    sentCopy,
	}
	signature := strings.TrimRight(z.signature.Text, "\n ")
	z.w.background(func(ctx context.Context, svc *services) func() {
		a, err := svc.addAccountWithSignIn(step, req)
		if err == nil && signature != "" {
			a.Signature = signature
			err = svc.saveAccount(ctx, &a, "", false)
		}
		return func() {
			z.setBusy("")
			s.panel.hide()
			if stopped() && err != nil {
				return // the user's Cancel
			}
			if err != nil {
				showProblem(s.problem, errorMessage(err))
				return
			}
			z.done()
		}
	})
}

// offerSignInInstead follows a server that no longer takes passwords
// (Microsoft 365 and Outlook.com): a new account goes back to the sign-in
// of the address's provider; a saved one may switch to it.
func (z *accountWizard) offerSignInInstead() {
	if z.editing == nil {
		if z.configured() {
			z.signIn.usePassword = false
			z.refreshMode()
		}
		return
	}
	z.w.offerSwitch(*z.editing, z.signIn.box, func() { z.done() })
}

// offerSwitch adds "Switch to Sign in with NAME" to box when the password
// account a is at a provider Postie can sign in with. done runs after a
// switch that worked.
func (w *mainWindow) offerSwitch(a accounts.Account, box *fyne.Container, done func()) {
	if a.OAuthProvider != "" {
		return
	}
	w.background(func(ctx context.Context, svc *services) func() {
		p, found := svc.oauthProviderFor(ctx, a.Email)
		return func() {
			if !found || !p.Configured() {
				return
			}
			b := switchButton(w, a, p, done)
			for _, o := range box.Objects {
				if offered, ok := o.(*widget.Button); ok && offered.Text == b.Text {
					return // offered after an earlier failure
				}
			}
			box.Add(b)
		}
	})
}

// switchButton converts the password account a to signing in with p.
func switchButton(w *mainWindow, a accounts.Account, p oauth.Provider, done func()) *widget.Button {
	b := widget.NewButton(fmt.Sprintf(lang.L("Switch to Sign in with %s"), p.Name), nil)
	b.Importance = widget.HighImportance
	b.OnTapped = func() {
		w.signInDialog(p.Name, func(ctx context.Context, svc *services, open func(string)) error {
			return svc.switchToSignIn(ctx, a, p, open)
		}, func(err error) {
			if err != nil {
				w.showError(err)
				return
			}
			w.status.flash(fmt.Sprintf(lang.L("%s now signs in with %s."), a.Email, p.Name))
			done()
		})
	}
	return b
}
