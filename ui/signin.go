package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// Signing in with a provider (Google, Microsoft, Yahoo, …) happens in the
// system browser: the core listens on a loopback address for the answer
// and hands the window the provider's sign-in address once it does (the
// Open callback). The window opens the browser there and says what it is
// waiting for, shows the address in case no browser opened, and offers
// Cancel, which cancels the sign-in's context.

// signInPanel shows the sign-in address while Postie waits for the browser.
type signInPanel struct {
	w       *mainWindow
	content *fyne.Container
	link    *widget.Hyperlink
	address string // the provider's sign-in address, once known
	shown   func() // lays out what holds the panel again, if set
}

func newSignInPanel(w *mainWindow) *signInPanel {
	p := &signInPanel{w: w}
	note := widget.NewLabel(lang.L("If your browser did not open, open this address in it:"))
	note.Wrapping = fyne.TextWrapWord
	p.link = widget.NewHyperlink("", nil)
	p.link.Truncation = fyne.TextTruncateEllipsis
	p.link.OnTapped = func() { w.openBrowser(p.address) }
	copyButton := widget.NewButtonWithIcon(lang.L("Copy address"), theme.ContentCopyIcon(), func() {
		w.app.Clipboard().SetContent(p.address)
		w.status.flash(lang.L("Address copied."))
	})
	p.content = container.NewVBox(note, container.NewBorder(nil, nil, nil, copyButton, p.link))
	p.content.Hide()
	return p
}

// show shows the sign-in address.
func (p *signInPanel) show(address string) {
	p.address = address
	p.link.SetText(address)
	p.link.SetURLFromString(address)
	p.content.Show()
	if p.shown != nil {
		p.shown()
	}
}

func (p *signInPanel) hide() {
	p.address = ""
	p.content.Hide()
}

// openerFor is the Open callback for a sign-in: it runs on the core's
// goroutine, so it shows the address on the UI goroutine, and opens the
// browser there.
func (w *mainWindow) openerFor(p *signInPanel) func(address string) {
	return func(address string) {
		if w.ctx.Err() != nil {
			return
		}
		w.do(func() {
			if w.ctx.Err() == nil {
				p.show(address)
			}
		})
		w.openBrowser(address)
	}
}

// openBrowser opens the system browser at address. A failure is only
// logged: the address is on screen to open by hand.
func (w *mainWindow) openBrowser(address string) {
	u, err := url.Parse(address)
	if err == nil {
		err = w.browse(u)
	}
	if err != nil {
		fyne.LogError("The browser could not be opened for signing in", err)
	}
}

// browse is the system browser: the app's OpenURL, or in tests the test
// browser that follows the sign-in.
func (w *mainWindow) browse(u *url.URL) error {
	if w.browser != nil {
		return w.browser(u)
	}
	return w.app.OpenURL(u)
}

// waitingForBrowser says what the window waits for during a sign-in.
func waitingForBrowser(providerName string) string {
	if providerName == "" {
		return lang.L("Finish signing in in your browser…")
	}
	return fmt.Sprintf(lang.L("Finish signing in with %s in your browser…"), providerName)
}

// signInButtonText is the main action for an address at a provider.
func signInButtonText(providerName string) string {
	return fmt.Sprintf(lang.L("Sign in with %s"), providerName)
}

// signsInWith says how an account signs in, for the accounts view.
func signsInWith(a accounts.Account, providerName string) string {
	if a.OAuthProvider == "" {
		return lang.L("Signs in with a password")
	}
	return fmt.Sprintf(lang.L("Signs in with %s"), providerName)
}

// signInDialog runs a sign-in for an account that exists already (sign in
// again, or switch to signing in): a dialog says what Postie waits for,
// shows the address, and its Cancel button cancels the sign-in. done
// receives the outcome on the UI goroutine, unless the user cancelled.
func (w *mainWindow) signInDialog(providerName string,
	signIn func(ctx context.Context, svc *services, open func(string)) error, done func(err error)) {
	ctx, cancel := context.WithCancel(w.ctx)
	panel := newSignInPanel(w)
	activity := widget.NewActivity()
	activity.Start()
	waiting := widget.NewLabel(waitingForBrowser(providerName))
	waiting.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(container.NewBorder(nil, nil, activity, nil, waiting), panel.content)
	d := dialog.NewCustom(lang.L("Sign in"), lang.L("Cancel"), content, w.win)
	finished := false
	d.SetOnClosed(func() {
		activity.Stop()
		if !finished {
			cancel() // the user's Cancel
		}
	})
	size := fyne.NewSize(520, 260)
	d.Resize(size)
	// A dialog lays out its content when shown or resized, not when a
	// part of it appears.
	panel.shown = func() {
		content.Refresh()
		d.Resize(size.Max(d.MinSize()))
		d.Refresh()
	}
	w.show(d)
	open := w.openerFor(panel)
	w.background(func(_ context.Context, svc *services) func() {
		err := signIn(ctx, svc, open)
		return func() {
			cancelled := ctx.Err() != nil
			finished = true
			cancel()
			d.Hide()
			if !cancelled {
				done(err)
			}
		}
	})
}

// providerName names the provider account a signs in with, from the
// provider table; an id the table lacks stands for itself.
func (s *services) providerName(a accounts.Account) string {
	if p, err := s.core.OAuthProvider(a.OAuthProvider); err == nil && p.Name != "" {
		return p.Name
	}
	return a.OAuthProvider
}

// signInAgain signs the account in again in the browser; the messages
// waiting for it then go out. done runs after a sign-in that worked.
func (w *mainWindow) signInAgain(a accounts.Account, providerName string, done func()) {
	w.signInDialog(providerName, func(ctx context.Context, svc *services, open func(string)) error {
		return svc.signInAgain(ctx, a, open)
	}, func(err error) {
		if err != nil {
			w.showError(err)
			return
		}
		w.status.flash(fmt.Sprintf(lang.L("Signed in again as %s."), a.Email))
		done()
	})
}

// wantsSignIn reports whether the server refused a password as a provider
// does that no longer accepts passwords, so that its own sign-in may work
// (smtpclient's OAuthMayHelp: Microsoft 365 and Outlook.com's 535 5.7.3,
// 535 5.7.139 and 550 5.7.30).
func wantsSignIn(err error) bool {
	var sendErr *smtpclient.Error
	return errors.As(err, &sendErr) && oauthMayHelp(sendErr)
}

func oauthMayHelp(e *smtpclient.Error) bool {
	return !e.OAuth && (e.OAuthMayHelp || e.Reason == smtpclient.ReasonOAuthRequired)
}

// signInAction is what the details of a message offer about its account's
// sign-in.
type signInAction int

const (
	noSignInAction      signInAction = iota
	offerSignInAgain                 // the account's sign-in expired or was revoked
	offerSwitchToSignIn              // a password account whose server wants the provider's sign-in
)

// signInOffer decides what a message's details offer about its account's
// sign-in, from the message's state and last failure.
func signInOffer(state outbox.State, f *outbox.Failure, a accounts.Account) signInAction {
	if state != outbox.StateWaitingForSignIn && state != outbox.StateFailed && state != outbox.StateRetrying && state != outbox.StateQueued {
		return noSignInAction
	}
	var cause *smtpclient.Error
	if f != nil {
		cause = f.Cause
	}
	switch {
	case a.OAuthProvider != "" && state == outbox.StateWaitingForSignIn:
		return offerSignInAgain
	case a.OAuthProvider != "" && cause != nil && (cause.Reason == smtpclient.ReasonSignInNeeded ||
		cause.OAuth && cause.Reason == smtpclient.ReasonPasswordRefused):
		return offerSignInAgain
	case a.OAuthProvider == "" && cause != nil && oauthMayHelp(cause):
		return offerSwitchToSignIn
	}
	return noSignInAction
}
