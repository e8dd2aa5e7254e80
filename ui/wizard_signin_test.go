package ui

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The providers the fake core knows, shaped as the built-in table is: a
// Microsoft with tenants and no app passwords, a Google with them.
var (
	fakeMicrosoft = oauth.Provider{ID: "microsoft", Name: "Microsoft", ClientID: "postie-test",
		AuthorizationURL: "https://login.example/{tenant}/oauth2/v2.0/authorize", TokenURL: "https://login.example/{tenant}/oauth2/v2.0/token",
		Domains: []string{"outlook.com", "hotmail.com"}, MX: []string{"mail.protection.outlook.com"},
		SMTP: oauth.Server{Host: "smtp-mail.outlook.com", Port: 587, Security: smtpclient.SecurityStartTLS},
		IMAP: oauth.Server{Host: "outlook.office365.com", Port: 993, Security: smtpclient.SecurityTLS}}
	fakeGoogle = oauth.Provider{ID: "google", Name: "Google", ClientID: "postie-test",
		AuthorizationURL: "https://accounts.example/o/oauth2/auth", TokenURL: "https://oauth2.example/token",
		Domains: []string{"gmail.com"}, AppPasswordURL: "https://myaccount.example/apppasswords",
		SMTP: oauth.Server{Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS}}
)

// signInAddress is the sign-in address the fake core hands to Open.
const signInAddress = "http://127.0.0.1:9/authorize?client_id=postie-test&state=abc"

// fakeSignIn is a core that knows providers by domain, and by MX host for
// custom domains, and signs in as a browser would be waited for: each
// sign-in calls Open, says it started, and then waits for the test's
// answer on finish or for its context's end.
type fakeSignIn struct {
	fakeAccounts

	providers []oauth.Provider
	mx        map[string]string // custom domain → its MX host

	started   chan core.SignInRequest // a sign-in (or sign-in again) has called Open
	finish    chan error              // the answer to the sign-in under way; nil: it worked
	cancelled chan struct{}           // a sign-in ended because its context was cancelled

	smu      sync.Mutex
	again    []string // accounts signed in again
	switched []string // accounts switched to signing in
}

func newFakeSignIn(list ...accounts.Account) *fakeSignIn {
	return &fakeSignIn{
		fakeAccounts: fakeAccounts{list: list},
		providers:    []oauth.Provider{fakeMicrosoft, fakeGoogle},
		mx:           map[string]string{"contoso.example": "contoso-example.mail.protection.outlook.com"},
		started:      make(chan core.SignInRequest, 1),
		finish:       make(chan error),
		cancelled:    make(chan struct{}, 1),
	}
}

func (f *fakeSignIn) OAuthProviderFor(_ context.Context, email string) (oauth.Provider, bool) {
	domain := strings.ToLower(email[strings.LastIndex(email, "@")+1:])
	for _, p := range f.providers {
		for _, d := range p.Domains {
			if d == domain {
				return p, true
			}
		}
		for _, suffix := range p.MX {
			if mx, ok := f.mx[domain]; ok && strings.HasSuffix(mx, suffix) {
				return p, true
			}
		}
	}
	return oauth.Provider{}, false
}

// waitInBrowser is the part of every fake sign-in that waits for the user.
func (f *fakeSignIn) waitInBrowser(ctx context.Context, req core.SignInRequest) error {
	req.Open(signInAddress)
	f.started <- req
	select {
	case err := <-f.finish:
		return err
	case <-ctx.Done():
		f.cancelled <- struct{}{}
		return &oauth.Error{Problem: oauth.ProblemCancelled, Provider: req.Provider, Err: ctx.Err()}
	}
}

func (f *fakeSignIn) AddAccountWithSignIn(ctx context.Context, req core.SignInRequest) (accounts.Account, error) {
	if err := f.waitInBrowser(ctx, req); err != nil {
		return accounts.Account{}, err
	}
	a := accounts.Account{Name: req.Email, Email: req.Email, DisplayName: req.DisplayName, OAuthProvider: req.Provider,
		OAuthClientID: req.ClientID, OAuthTenant: req.Tenant, IMAP: req.IMAP, SentCopy: req.SentCopy}
	f.mu.Lock()
	f.list = append(f.list, a)
	f.mu.Unlock()
	return a, nil
}

func (f *fakeSignIn) SignInAgain(ctx context.Context, name string, open func(string)) error {
	if err := f.waitInBrowser(ctx, core.SignInRequest{Email: name, Open: open}); err != nil {
		return err
	}
	f.smu.Lock()
	f.again = append(f.again, name)
	f.smu.Unlock()
	return nil
}

func (f *fakeSignIn) SwitchToSignIn(ctx context.Context, name, provider string, open func(string)) (int, error) {
	if err := f.waitInBrowser(ctx, core.SignInRequest{Email: name, Provider: provider, Open: open}); err != nil {
		return 0, err
	}
	f.smu.Lock()
	f.switched = append(f.switched, name+" → "+provider)
	f.smu.Unlock()
	f.mu.Lock()
	for i := range f.list {
		if f.list[i].Name == name {
			f.list[i].OAuthProvider = provider
		}
	}
	f.mu.Unlock()
	return 0, nil
}

func (f *fakeSignIn) OAuthProviders() oauth.Providers { return f.providers }

func (f *fakeSignIn) OAuthProvider(id string) (oauth.Provider, error) {
	for _, p := range f.providers {
		if p.ID == id {
			return p, nil
		}
	}
	return oauth.Provider{}, &accounts.InvalidError{Field: "oauth provider", Problem: accounts.InvalidOAuthProvider, Value: id}
}

// signInStarted waits until the window has started a sign-in that now
// waits for the browser, and shows what the sign-in's Open showed.
func signInStarted(t *testing.T, w *mainWindow, fake *fakeSignIn) core.SignInRequest {
	t.Helper()
	select {
	case req := <-fake.started:
		w.runQueued()
		return req
	case <-time.After(30 * time.Second):
		t.Fatal("no sign-in started")
	}
	panic("unreachable")
}

// runQueued runs the UI work queued so far without waiting for background
// work to end, as a sign-in waiting for the browser does not.
func (w *mainWindow) runQueued() {
	for {
		select {
		case f := <-queues[w]:
			f()
		default:
			return
		}
	}
}

// recordBrowser stands in for the system browser and records where it
// was sent.
func recordBrowser(w *mainWindow) *[]string {
	var opened []string
	w.browser = func(u *url.URL) error {
		opened = append(opened, u.String())
		return nil
	}
	return &opened
}

func TestAccountWizardOffersSignInForProviderAddresses(t *testing.T) {
	for _, c := range []struct{ address, button string }{
		{"anna@outlook.com", "Sign in with Microsoft"},
		{"Anna@Hotmail.com", "Sign in with Microsoft"},
		{"anna@gmail.com", "Sign in with Google"},
		{"anna@contoso.example", "Sign in with Microsoft"}, // Microsoft 365, known by its MX
	} {
		t.Run(c.address, func(t *testing.T) {
			w := windowOnFake(t, newFakeSignIn())
			z := newAccountWizard(w, nil, func() {})
			test.Type(z.email, c.address)
			w.settle()
			if z.continueButton.Text != c.button || !z.continueButton.Visible() {
				t.Errorf("the main action is %q (visible %v), want %q", z.continueButton.Text, z.continueButton.Visible(), c.button)
			}
			if z.passwordRow[0].Visible() || z.passwordRow[1].Visible() {
				t.Error("the password row is shown for an address that signs in in the browser")
			}
			if z.serverForm.Visible() || !z.signIn.settings.Visible() {
				t.Error("Change settings does not hold the organisation's client ID instead of the server")
			}
			if tenant := z.signIn.tenantRow[1].Visible(); tenant != (c.button == "Sign in with Microsoft") {
				t.Errorf("the tenant field shown: %v", tenant)
			}
		})
	}
	t.Run("a password account", func(t *testing.T) {
		w := windowOnFake(t, newFakeSignIn())
		z := newAccountWizard(w, nil, func() {})
		test.Type(z.email, "anna@gmail.com")
		w.settle()
		z.email.SetText("anna@example.org")
		w.settle()
		if z.continueButton.Text != "Continue" || !z.passwordRow[1].Visible() || !z.serverForm.Visible() {
			t.Errorf("after changing to a password address: action %q, password shown %v", z.continueButton.Text, z.passwordRow[1].Visible())
		}
	})
}

func TestAccountWizardSignInWaitsForTheBrowserAndCancels(t *testing.T) {
	fake := newFakeSignIn()
	w := windowOnFake(t, fake)
	opened := recordBrowser(w)
	saved := false
	z := newAccountWizard(w, nil, func() { saved = true })
	test.Type(z.name, "Anna Lind")
	test.Type(z.email, "anna@outlook.com")
	w.settle()
	z.signIn.tenant.SetText("contoso.onmicrosoft.com")
	test.Tap(z.continueButton)

	req := signInStarted(t, w, fake)
	if req.Email != "anna@outlook.com" || req.Provider != "microsoft" || req.DisplayName != "Anna Lind" || req.Tenant != "contoso.onmicrosoft.com" {
		t.Errorf("the sign-in asked for %+v", req)
	}
	if want := "Finish signing in with Microsoft in your browser…"; z.progress.Text != want || !z.progress.Visible() {
		t.Errorf("while waiting the wizard says %q, want %q", z.progress.Text, want)
	}
	if !z.signIn.panel.content.Visible() || z.signIn.panel.link.Text != signInAddress {
		t.Errorf("the sign-in address is not shown: %q", z.signIn.panel.link.Text)
	}
	if len(*opened) != 1 || (*opened)[0] != signInAddress {
		t.Errorf("the browser opened %q", *opened)
	}
	if !z.stopButton.Visible() || z.stopButton.Text != "Cancel" || !z.continueButton.Disabled() {
		t.Errorf("while waiting: Cancel shown %v (%q), main action disabled %v", z.stopButton.Visible(), z.stopButton.Text, z.continueButton.Disabled())
	}

	test.Tap(z.stopButton)
	select {
	case <-fake.cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("Cancel did not cancel the sign-in's context")
	}
	w.settle()
	if saved || z.busy || z.signIn.problem.Visible() || z.signIn.panel.content.Visible() {
		t.Errorf("after Cancel: saved %v, busy %v, problem %q, address shown %v", saved, z.busy, z.signIn.problem.Text, z.signIn.panel.content.Visible())
	}
	if z.continueButton.Disabled() || z.continueButton.Text != "Sign in with Microsoft" {
		t.Error("after Cancel the sign-in cannot be started again")
	}
}

func TestAccountWizardShowsWhySignInFailedAndSavesOnSuccess(t *testing.T) {
	fake := newFakeSignIn()
	w := windowOnFake(t, fake)
	recordBrowser(w)
	saved := false
	z := newAccountWizard(w, nil, func() { saved = true })
	test.Type(z.email, "anna@gmail.com")
	w.settle()

	test.Tap(z.continueButton)
	signInStarted(t, w, fake)
	denied := &oauth.Error{Problem: oauth.ProblemDenied, Provider: "Google", Code: "access_denied"}
	fake.finish <- denied
	w.settle()
	if want := errorMessage(denied); !z.signIn.problem.Visible() || z.signIn.problem.Text != want {
		t.Errorf("after a refused consent the wizard says %q (visible %v), want %q", z.signIn.problem.Text, z.signIn.problem.Visible(), want)
	}
	if saved {
		t.Fatal("an account was saved after a refused sign-in")
	}

	test.Tap(z.continueButton)
	signInStarted(t, w, fake)
	if z.signIn.problem.Visible() {
		t.Error("the last failure stays while signing in again")
	}
	fake.finish <- nil
	w.settle()
	if !saved {
		t.Fatalf("not saved after a sign-in that worked; problem %q", z.signIn.problem.Text)
	}
	list, _ := fake.ListAccounts(t.Context())
	if len(list) != 1 || list[0].OAuthProvider != "google" || list[0].Email != "anna@gmail.com" {
		t.Errorf("saved accounts: %+v", list)
	}
}

func TestAccountWizardAppPasswordRoute(t *testing.T) {
	w := windowOnFake(t, newFakeSignIn())
	opened := recordBrowser(w)
	z := newAccountWizard(w, nil, func() {})
	test.Type(z.email, "anna@gmail.com")
	w.settle()
	if !z.signIn.appPassword.Visible() {
		t.Fatal("no app-password route for Google")
	}
	test.Tap(z.signIn.appPassword)
	if !z.passwordRow[1].Visible() || z.continueButton.Text != "Continue" || !z.serverForm.Visible() {
		t.Fatalf("after choosing an app password: password shown %v, action %q", z.passwordRow[1].Visible(), z.continueButton.Text)
	}
	if !z.signIn.appPasswordAt.Visible() {
		t.Error("no link to create an app password")
	}
	if !z.hint.Visible() || !strings.Contains(z.hint.Text, "app password") {
		t.Errorf("Gmail's hint on the app-password route: %q (visible %v)", z.hint.Text, z.hint.Visible())
	}
	z.signIn.appPasswordAt.OnTapped() // a tap on its text; test.Tap taps beside it
	if len(*opened) != 1 || (*opened)[0] != fakeGoogle.AppPasswordURL {
		t.Errorf("the app-password link opened %q", *opened)
	}
	if b := z.signIn.backToSignIn; !b.Visible() || b.Text != "Sign in with Google instead" {
		t.Fatalf("no way back to the sign-in: %q (visible %v)", b.Text, b.Visible())
	}
	test.Tap(z.signIn.backToSignIn)
	if z.passwordRow[1].Visible() || z.continueButton.Text != "Sign in with Google" || z.hint.Visible() {
		t.Errorf("back at the sign-in: password shown %v, action %q, app-password hint shown %v", z.passwordRow[1].Visible(), z.continueButton.Text, z.hint.Visible())
	}

	// Microsoft has no app passwords for mail programs.
	z.email.SetText("anna@outlook.com")
	w.settle()
	if z.signIn.appPassword.Visible() {
		t.Error("an app-password route is offered for Microsoft")
	}
}

func TestAccountWizardWithoutAClientIDSaysSoInsteadOfAButton(t *testing.T) {
	fake := newFakeSignIn()
	for i := range fake.providers {
		fake.providers[i].ClientID = "" // a build without client IDs
	}
	w := windowOnFake(t, fake)
	z := newAccountWizard(w, nil, func() {})
	test.Type(z.email, "anna@outlook.com")
	w.settle()
	want := errorMessage(&oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Microsoft"})
	if z.continueButton.Visible() {
		t.Errorf("a build without a client ID shows the button %q", z.continueButton.Text)
	}
	if !z.signIn.notConfigured.Visible() || z.signIn.notConfigured.Text != want {
		t.Errorf("the wizard says %q (visible %v), want %q", z.signIn.notConfigured.Text, z.signIn.notConfigured.Visible(), want)
	}
	if z.signIn.appPassword.Visible() || z.passwordRow[1].Visible() {
		t.Error("Microsoft is offered a password")
	}

	// The organisation's own registration makes the sign-in possible.
	z.advanced.Open(0)
	test.Type(z.signIn.clientID, "contoso-app")
	if !z.continueButton.Visible() || z.continueButton.Text != "Sign in with Microsoft" || z.signIn.notConfigured.Visible() {
		t.Errorf("with the organisation's client ID: action %q (visible %v)", z.continueButton.Text, z.continueButton.Visible())
	}

	// Google has app passwords: the sentence comes with that route.
	z.email.SetText("anna@gmail.com")
	z.signIn.clientID.SetText("")
	w.settle()
	if z.continueButton.Visible() || !z.signIn.notConfigured.Visible() || !z.signIn.appPassword.Visible() {
		t.Fatalf("Google without a client ID: button %v, sentence %v, app-password route %v",
			z.continueButton.Visible(), z.signIn.notConfigured.Visible(), z.signIn.appPassword.Visible())
	}
	test.Tap(z.signIn.appPassword)
	if !z.continueButton.Visible() || z.continueButton.Text != "Continue" || !z.passwordRow[1].Visible() || z.signIn.backToSignIn.Visible() {
		t.Errorf("the app-password route: action %q, password shown %v, back to a sign-in that cannot work %v",
			z.continueButton.Text, z.passwordRow[1].Visible(), z.signIn.backToSignIn.Visible())
	}
}

func TestAccountsViewShowsTheSignInMethodAndSignsInAgain(t *testing.T) {
	fake := newFakeSignIn(
		accounts.Account{Name: "work", Email: "anna@gmail.com", Host: "smtp.gmail.com", Port: 465, Security: smtpclient.SecurityTLS, OAuthProvider: "google", Default: true},
		accounts.Account{Name: "home", Email: "anna@home.example", Host: "smtp.home.example", Port: 587, Security: smtpclient.SecurityStartTLS},
	)
	w := windowOnFake(t, fake)
	opened := recordBrowser(w)
	w.status = newStatusBar(w)
	v := newAccountsView(w)
	w.settle()
	cards := accountCards(t, v)
	if len(cards) != 2 {
		t.Fatalf("%d cards", len(cards))
	}
	summaries := [2]string{}
	for i, o := range v.list.Objects {
		summaries[i] = cardSummary(o)
	}
	if !strings.Contains(summaries[0], "– Signs in with Google\n") || !strings.Contains(summaries[1], "– Signs in with a password\n") {
		t.Errorf("the cards say %q", summaries)
	}
	if _, ok := cards[1].buttons["Sign in again"]; ok {
		t.Error("a password account offers to sign in again")
	}
	again, ok := cards[0].buttons["Sign in again"]
	if !ok {
		t.Fatalf("no Sign in again for the Google account: %v", cards[0].buttons)
	}

	// Cancel in the dialog cancels the sign-in.
	test.Tap(again)
	signInStarted(t, w, fake)
	if len(w.dialogs) != 1 {
		t.Fatalf("%d dialogs while signing in again", len(w.dialogs))
	}
	shown := visibleTexts(w.win.Canvas().Overlays().Top())
	for _, want := range []string{"Finish signing in with Google in your browser…", signInAddress, "Copy address", "Cancel"} {
		if !slices.Contains(shown, want) {
			t.Errorf("the dialog does not show %q: %q", want, shown)
		}
	}
	if len(*opened) != 1 {
		t.Errorf("the browser opened %q", *opened)
	}
	w.dismissTopDialog()
	select {
	case <-fake.cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("Cancel did not cancel the sign-in again")
	}
	w.settle()
	if len(w.dialogs) != 0 || len(fake.again) != 0 {
		t.Fatalf("after Cancel: dialogs %v, signed in again %v", w.dialogs, fake.again)
	}

	test.Tap(again)
	signInStarted(t, w, fake)
	fake.finish <- nil
	w.settle()
	if len(w.dialogs) != 0 || len(fake.again) != 1 || fake.again[0] != "work" {
		t.Fatalf("after signing in: dialogs %v, signed in again %v", w.dialogs, fake.again)
	}

	// A failure says why, in the window's words for it.
	test.Tap(accountCards(t, v)[0].buttons["Sign in again"])
	signInStarted(t, w, fake)
	expired := &oauth.Error{Problem: oauth.ProblemExpired, Provider: "Google", Code: "invalid_grant"}
	fake.finish <- expired
	w.settle()
	if shown := visibleTexts(w.win.Canvas().Overlays().Top()); len(w.dialogs) != 1 || !slices.ContainsFunc(shown, func(s string) bool {
		return strings.EqualFold(s, errorMessage(expired)) // the error dialog capitalises
	}) {
		t.Errorf("after a failed sign-in the window shows %q", shown)
	}
}

// visibleTexts lists the texts of the labels, links and buttons shown in o.
func visibleTexts(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *widget.Label:
		return []string{x.Text}
	case *widget.Hyperlink:
		return []string{x.Text}
	case *widget.Button:
		return []string{x.Text}
	case *fyne.Container:
		var texts []string
		for _, child := range x.Objects {
			texts = append(texts, visibleTexts(child)...)
		}
		return texts
	case fyne.Widget:
		var texts []string
		for _, child := range test.WidgetRenderer(x).Objects() {
			texts = append(texts, visibleTexts(child)...)
		}
		return texts
	}
	return nil
}

// cardSummary is the server line of an account's card.
func cardSummary(o fyne.CanvasObject) string {
	return o.(*widget.Card).Content.(*fyne.Container).Objects[1].(*widget.Label).Text
}

func TestAccountsViewOffersToSwitchAPasswordAccountToSignIn(t *testing.T) {
	fake := newFakeSignIn(accounts.Account{Name: "work", Email: "anna@contoso.example", Host: "smtp.office365.com", Port: 587, Security: smtpclient.SecurityStartTLS, Default: true})
	fake.testFail = &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonOAuthRequired, Code: 535}
	w := windowOnFake(t, fake)
	recordBrowser(w)
	w.status = newStatusBar(w)
	v := newAccountsView(w)
	w.settle()
	test.Tap(accountCards(t, v)[0].buttons["Test"])
	w.settle()
	switchTo, ok := accountCards(t, v)[0].buttons["Switch to Sign in with Microsoft"]
	if !ok {
		t.Fatalf("a password refused by Microsoft 365 brings no offer to switch: %v", accountCards(t, v)[0].buttons)
	}
	test.Tap(switchTo)
	if req := signInStarted(t, w, fake); req.Provider != "microsoft" {
		t.Errorf("switching signs in with %q", req.Provider)
	}
	fake.finish <- nil
	w.settle()
	if len(fake.switched) != 1 || fake.switched[0] != "work → microsoft" {
		t.Fatalf("switched %v", fake.switched)
	}
	if cards := accountCards(t, v); !strings.Contains(cardSummary(v.list.Objects[0]), "Signs in with Microsoft") || cards[0].buttons["Sign in again"] == nil {
		t.Errorf("after the switch the card says %q", cardSummary(v.list.Objects[0]))
	}
}

func TestMessageDetailsOfferTheSignInTheAccountNeeds(t *testing.T) {
	google := accounts.Account{Name: "work", Email: "anna@gmail.com", OAuthProvider: "google"}
	office := accounts.Account{Name: "office", Email: "anna@contoso.example"}
	refusedToken := &outbox.Failure{Cause: &smtpclient.Error{Stage: smtpclient.StageAuth, Reason: smtpclient.ReasonPasswordRefused, OAuth: true}}
	basicAuthOff := &outbox.Failure{Cause: &smtpclient.Error{Stage: smtpclient.StageAuth, Reason: smtpclient.ReasonOAuthRequired, Code: 535, EnhancedCode: "5.7.139"}}
	wrongPassword := &outbox.Failure{Cause: &smtpclient.Error{Stage: smtpclient.StageAuth, Reason: smtpclient.ReasonPasswordRefused}}
	microsoft573 := &outbox.Failure{Cause: &smtpclient.Error{Stage: smtpclient.StageAuth, Reason: smtpclient.ReasonPasswordRefused, Code: 535, EnhancedCode: "5.7.3", OAuthMayHelp: true}}
	for _, c := range []struct {
		name    string
		state   outbox.State
		failure *outbox.Failure
		account accounts.Account
		want    signInAction
	}{
		{"token refused", outbox.StateFailed, refusedToken, google, offerSignInAgain},
		{"basic auth turned off", outbox.StateFailed, basicAuthOff, office, offerSwitchToSignIn},
		{"basic auth turned off, already signing in", outbox.StateFailed, basicAuthOff, google, noSignInAction},
		{"wrong password", outbox.StateFailed, wrongPassword, office, noSignInAction},
		{"Microsoft's 535 5.7.3", outbox.StateFailed, microsoft573, office, offerSwitchToSignIn},
		{"sent", outbox.StateSent, refusedToken, google, noSignInAction},
		{"no failure", outbox.StateQueued, nil, google, noSignInAction},
		{"waiting for sign-in", outbox.StateWaitingForSignIn, &outbox.Failure{Note: outbox.NoteSignInNeeded}, google, offerSignInAgain},
		{"sign-in needed", outbox.StateFailed, &outbox.Failure{Cause: &smtpclient.Error{Reason: smtpclient.ReasonSignInNeeded, OAuth: true}}, google, offerSignInAgain},
	} {
		if got := signInOffer(c.state, c.failure, c.account); got != c.want {
			t.Errorf("%s: offer %v, want %v", c.name, got, c.want)
		}
	}

	fake := newFakeSignIn(google, office)
	w := windowOnFake(t, fake)
	recordBrowser(w)
	w.status = newStatusBar(w)
	d := &detailsView{w: w}
	buttonsOf := func(m *messageDetail) map[string]*widget.Button {
		box := d.actions(m).(*fyne.Container)
		w.settle()
		buttons := map[string]*widget.Button{}
		for _, o := range box.Objects {
			buttons[o.(*widget.Button).Text] = o.(*widget.Button)
		}
		return buttons
	}
	failed := messageSummary{ID: 1, State: outbox.StateFailed}
	again := buttonsOf(&messageDetail{messageSummary: failed, AccountInfo: google, ProviderName: "Google", signIn: offerSignInAgain})["Sign in again"]
	if again == nil {
		t.Fatal("a message whose account's sign-in was refused offers no Sign in again")
	}
	test.Tap(again)
	signInStarted(t, w, fake)
	fake.finish <- nil
	w.settle()
	if len(fake.again) != 1 || fake.again[0] != "work" {
		t.Fatalf("signed in again: %v", fake.again)
	}

	switchTo := buttonsOf(&messageDetail{messageSummary: failed, AccountInfo: office, signIn: offerSwitchToSignIn})["Switch to Sign in with Microsoft"]
	if switchTo == nil {
		t.Fatal("a message refused because Microsoft 365 wants its sign-in offers no switch")
	}
	test.Tap(switchTo)
	signInStarted(t, w, fake)
	fake.finish <- nil
	w.settle()
	if len(fake.switched) != 1 || fake.switched[0] != "office → microsoft" {
		t.Fatalf("switched: %v", fake.switched)
	}
}

func (f *fakeSignIn) SaveAccount(_ context.Context, a *accounts.Account, password string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if password != "" && a.OAuthProvider != "" {
		return errors.New("a password saved for an account that signs in")
	}
	for i := range f.list {
		if f.list[i].Name == a.Name {
			f.list[i] = *a
			return nil
		}
	}
	f.list = append(f.list, *a)
	return nil
}

func TestAccountWizardEditsAnAccountThatSignsIn(t *testing.T) {
	a := accounts.Account{Name: "work", Email: "anna@outlook.com", Host: "smtp-mail.outlook.com", Port: 587, Security: smtpclient.SecurityStartTLS,
		Username: "anna@outlook.com", OAuthProvider: "microsoft", OAuthClientID: "contoso-app", OAuthTenant: "contoso.onmicrosoft.com"}
	fake := newFakeSignIn(a)
	w := windowOnFake(t, fake)
	saved := false
	z := newAccountWizard(w, &a, func() { saved = true })
	w.settle()
	if z.passwordRow[1].Visible() || z.continueButton.Text != "Continue" || !z.signIn.settings.Visible() || z.serverForm.Visible() {
		t.Fatalf("editing: password shown %v, action %q", z.passwordRow[1].Visible(), z.continueButton.Text)
	}
	if z.signIn.clientID.Text != "contoso-app" || z.signIn.tenant.Text != "contoso.onmicrosoft.com" || !z.signIn.tenantRow[1].Visible() {
		t.Errorf("the organisation's registration: %q, tenant %q", z.signIn.clientID.Text, z.signIn.tenant.Text)
	}
	z.signature.SetText("Anna")
	test.Tap(z.continueButton)
	w.settle()
	list, _ := fake.ListAccounts(t.Context())
	if !saved || len(list) != 1 || list[0].Signature != "Anna" || list[0].OAuthProvider != "microsoft" || list[0].OAuthClientID != "contoso-app" {
		t.Errorf("saved %v: %+v; problems %q %q", saved, list, z.pwErr.Text, z.hostErr.Text)
	}
}

func TestAccountWizardOffersToSwitchWhenThePasswordIsRefusedForGood(t *testing.T) {
	a := accounts.Account{ID: "1", Name: "work", Email: "anna@contoso.example", Host: "smtp.office365.com", Port: 587,
		Security: smtpclient.SecurityStartTLS, Username: "anna@contoso.example"}
	fake := newFakeSignIn(a)
	// Microsoft's reply when it no longer takes passwords.
	fake.testFail = &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonOAuthRequired,
		Code: 535, EnhancedCode: "5.7.139", OAuthMayHelp: true}
	w := windowOnFake(t, fake)
	recordBrowser(w)
	w.status = newStatusBar(w)
	done := 0
	z := newAccountWizard(w, &a, func() { done++ })
	w.settle()
	if !z.passwordRow[1].Visible() || z.continueButton.Text != "Continue" {
		t.Fatal("editing a password account does not show its password")
	}
	switchOffers := func() []*widget.Button {
		var buttons []*widget.Button
		for _, o := range z.signIn.box.Objects {
			if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == "Switch to Sign in with Microsoft" {
				buttons = append(buttons, b)
			}
		}
		return buttons
	}
	test.Tap(z.continueButton)
	w.settle()
	test.Tap(z.continueButton) // twice: still one offer
	w.settle()
	if want := errorMessage(fake.testFail); !z.pwErr.Visible() || z.pwErr.Text != want {
		t.Errorf("the password problem says %q, want %q", z.pwErr.Text, want)
	}
	offers := switchOffers()
	if len(offers) != 1 {
		t.Fatalf("%d offers to switch to Microsoft's sign-in", len(offers))
	}
	test.Tap(offers[0])
	signInStarted(t, w, fake)
	fake.finish <- nil
	w.settle()
	if done != 1 || len(fake.switched) != 1 || fake.switched[0] != "work → microsoft" {
		t.Errorf("after the switch: done %d, switched %v", done, fake.switched)
	}
}

// TestWaitingForSignInNamesTheButtonBesideIt: the explanation of a
// message waiting for sign-in points at the "Sign in again" button its
// details offer, in every language, and to Accounts only when there is
// no such button.
func TestWaitingForSignInNamesTheButtonBesideIt(t *testing.T) {
	d := &detailsView{}
	for _, language := range []string{"en", "de", "fr", "es"} {
		useLanguage(t, language)
		m := &messageDetail{messageSummary: messageSummary{ID: 1, State: outbox.StateWaitingForSignIn}, signIn: offerSignInAgain}
		got := d.stateExplanation(m).(*widget.Label).Text
		if button := lang.L("Sign in again"); !strings.Contains(got, button) {
			t.Errorf("%s: %q does not name the button %q", language, got, button)
		}
		if accountsView := lang.L("Accounts"); strings.Contains(got, accountsView) {
			t.Errorf("%s: %q sends the user to %q although the button is beside it", language, got, accountsView)
		}
		m.signIn = noSignInAction
		if got := d.stateExplanation(m).(*widget.Label).Text; !strings.Contains(got, lang.L("Accounts")) {
			t.Errorf("%s without a button: %q does not say where to sign in", language, got)
		}
	}
}

// TestAccountWizardSignInAccountChoosesItsCopyInSent: an account that signs
// in with its provider has "Save a copy in Sent" and the IMAP server under
// Change settings too (without an IMAP password: the token signs in), and
// what the user chose reaches the sign-in when adding and the save when
// editing.
func TestAccountWizardSignInAccountChoosesItsCopyInSent(t *testing.T) {
	selectSecurity := func(sel *widget.Select, want smtpclient.Security) {
		for i, s := range securityChoices {
			if s == want {
				sel.SetSelectedIndex(i)
			}
		}
	}
	selectCopy := func(z *accountWizard, want accounts.SentCopyMode) {
		for i, m := range sentCopyChoices {
			if m == want {
				z.sentCopy.SetSelectedIndex(i)
			}
		}
	}
	imapShown := func(t *testing.T, z *accountWizard, ownPassword bool) {
		t.Helper()
		if !z.imapPart.Visible() || !z.sentCopy.Visible() || !z.imapHost.Visible() {
			t.Error("the IMAP server and Save a copy in Sent are hidden")
		}
		if z.imapPasswordRow[1].Visible() != ownPassword {
			t.Errorf("the IMAP password shown: %v, want %v", z.imapPasswordRow[1].Visible(), ownPassword)
		}
	}

	t.Run("adding", func(t *testing.T) {
		fake := newFakeSignIn()
		w := windowOnFake(t, fake)
		recordBrowser(w)
		saved := false
		z := newAccountWizard(w, nil, func() { saved = true })
		test.Type(z.email, "anna@outlook.com")
		w.settle()
		if z.continueButton.Text != "Sign in with Microsoft" {
			t.Fatalf("the main action is %q", z.continueButton.Text)
		}
		imapShown(t, z, false)
		if z.imapHost.PlaceHolder != "outlook.office365.com" {
			t.Errorf("the empty IMAP server shows %q, not the provider's that it stands for", z.imapHost.PlaceHolder)
		}
		selectCopy(z, accounts.SentCopyAlways)
		z.imapHost.SetText("imap.contoso.example")
		selectSecurity(z.imapSecurity, smtpclient.SecurityTLS)
		test.Tap(z.continueButton)
		req := signInStarted(t, w, fake)
		if req.SentCopy != accounts.SentCopyAlways || req.IMAP.Host != "imap.contoso.example" || req.IMAP.Port != 993 ||
			req.IMAP.Security != smtpclient.SecurityTLS || req.IMAP.OwnSecret {
			t.Errorf("the sign-in got IMAP %+v, sent copy %q", req.IMAP, req.SentCopy)
		}
		fake.finish <- nil
		w.settle()
		list, _ := fake.ListAccounts(t.Context())
		if !saved || len(list) != 1 || list[0].SentCopy != accounts.SentCopyAlways || list[0].IMAP.Host != "imap.contoso.example" {
			t.Errorf("saved %v: %+v", saved, list)
		}
	})
	t.Run("an IMAP server without its security is not signed in with", func(t *testing.T) {
		fake := newFakeSignIn()
		w := windowOnFake(t, fake)
		z := newAccountWizard(w, nil, func() {})
		test.Type(z.email, "anna@outlook.com")
		w.settle()
		z.imapHost.SetText("imap.contoso.example")
		test.Tap(z.continueButton)
		w.settle()
		if !z.imapErr.Visible() {
			t.Error("no problem shown next to the IMAP server")
		}
		select {
		case req := <-fake.started:
			t.Fatalf("signed in with an incomplete IMAP server: %+v", req.IMAP)
		default:
		}
	})
	t.Run("editing", func(t *testing.T) {
		a := accounts.Account{Name: "work", Email: "anna@outlook.com", Host: "smtp-mail.outlook.com", Port: 587, Security: smtpclient.SecurityStartTLS,
			Username: "anna@outlook.com", OAuthProvider: "microsoft", SentCopy: accounts.SentCopyAuto,
			IMAP: accounts.IMAPServer{Host: "outlook.office365.com", Port: 993, Security: smtpclient.SecurityTLS}}
		fake := newFakeSignIn(a)
		w := windowOnFake(t, fake)
		saved := false
		z := newAccountWizard(w, &a, func() { saved = true })
		w.settle()
		imapShown(t, z, false)
		if z.imapHost.Text != "outlook.office365.com" {
			t.Errorf("the IMAP server shown is %q", z.imapHost.Text)
		}
		selectCopy(z, accounts.SentCopyNever)
		test.Tap(z.continueButton)
		w.settle()
		list, _ := fake.ListAccounts(t.Context())
		if !saved || len(list) != 1 || list[0].SentCopy != accounts.SentCopyNever || list[0].IMAP.Host != "outlook.office365.com" || list[0].OAuthProvider != "microsoft" {
			t.Errorf("saved %v: %+v; problems %q %q", saved, list, z.hostErr.Text, z.imapErr.Text)
		}
	})
	t.Run("a password account has its own IMAP password", func(t *testing.T) {
		w := windowOnFake(t, newFakeSignIn())
		z := newAccountWizard(w, nil, func() {})
		test.Type(z.email, "anna@example.org")
		w.settle()
		imapShown(t, z, true)
	})
}
