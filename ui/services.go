package ui

import (
	"context"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// backend is what the views need from Postie's application core. The
// window uses *core.Core; view tests use a fake, so that a view can be
// tested without a database, a keyring or a mail server.
type backend interface {
	HasAccounts(ctx context.Context) (bool, error)
	ListAccounts(ctx context.Context) ([]accounts.Account, error)
	AccountByID(ctx context.Context, id string) (accounts.Account, error)
	Discover(ctx context.Context, email string) (*autoconfig.Result, error)
	TestAccount(ctx context.Context, a *accounts.Account, password string) (*smtpclient.ProbeResult, error)
	TestAccountWithIMAPPassword(ctx context.Context, a *accounts.Account, password, imapPassword string) (*smtpclient.ProbeResult, error)
	SetIMAPPassword(ctx context.Context, a *accounts.Account, password string) error
	SaveAccount(ctx context.Context, a *accounts.Account, password string, sessionOnly bool) error
	RemoveAccount(ctx context.Context, name string) error
	SetDefaultAccount(ctx context.Context, name string) error
	OAuthProviders() oauth.Providers
	OAuthProvider(id string) (oauth.Provider, error)
	OAuthProviderFor(ctx context.Context, email string) (oauth.Provider, bool)
	AddAccountWithSignIn(ctx context.Context, req core.SignInRequest) (accounts.Account, error)
	SignInAgain(ctx context.Context, name string, open func(url string)) error
	SwitchToSignIn(ctx context.Context, name, provider string, open func(url string)) (int, error)

	Suggest(ctx context.Context, prefix string, n int) ([]string, error)
	Hold(ctx context.Context, accountID string, msg *mail.Message, until time.Time, draftID int64) (int64, error)
	Undo(ctx context.Context, id int64) (outbox.Draft, error)
	Cancel(ctx context.Context, id int64) (outbox.Draft, error)
	Drafts(ctx context.Context) ([]outbox.Draft, error)
	LatestDraft(ctx context.Context) (outbox.Draft, bool, error)
	SaveDraft(ctx context.Context, d outbox.Draft) (int64, error)
	DeleteDraft(ctx context.Context, id int64) error
	CopyAsDraft(ctx context.Context, id int64) (outbox.Draft, error)

	Count(ctx context.Context, q outbox.Query) (int, error)
	List(ctx context.Context, q outbox.Query) ([]outbox.Entry, error)
	Message(ctx context.Context, id int64) (*outbox.Detail, error)
	Headers(ctx context.Context, id int64) (string, error)
	ExportEML(ctx context.Context, id int64, w io.Writer) error
	Retry(ctx context.Context, id int64) error
	RetryCopy(ctx context.Context, id int64) error
	Resend(ctx context.Context, id int64) error
	MarkSent(ctx context.Context, id int64) error
	Discard(ctx context.Context, id int64) error
	Subscribe() (<-chan outbox.Event, func())
	PendingWork(ctx context.Context) (outbox.Pending, error)
	SendHeldNow(ctx context.Context) (int, error)

	LoadSettings(ctx context.Context) (outbox.Settings, error)
	SaveSettings(ctx context.Context, st outbox.Settings) error
	Settings() outbox.Settings

	Close()
}

var _ backend = (*core.Core)(nil)

// services is what the views call: the application core, with its results
// shaped for the views. Each method but undoWindow and markdownByDefault
// may block on disk, keyring or network, so views call them only from
// mainWindow.background, never on the UI goroutine.
type services struct {
	core backend
	demo *demo.Server // the demo mail server; nil unless in demo mode
}

func openServices(ctx context.Context, dir string, demoMode bool) (*services, error) {
	opts := core.Options{LogError: fyne.LogError}
	if demoMode {
		// Who the demo account sends as, in the language of the window
		// that first creates it.
		opts.Demo = &core.DemoProfile{DisplayName: lang.L("Demo User"), Signature: lang.L("Sent from Postie's demo mode")}
	}
	c, err := core.Open(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	c.StartWorker()
	return &services{core: c, demo: c.Demo()}, nil
}

func (s *services) close() { s.core.Close() }

// ---- accounts ----

func (s *services) hasAccounts(ctx context.Context) (bool, error) { return s.core.HasAccounts(ctx) }

// listAccounts returns the accounts, default first.
func (s *services) listAccounts(ctx context.Context) ([]accounts.Account, error) {
	return s.core.ListAccounts(ctx)
}

func (s *services) discover(ctx context.Context, email string) (*autoconfig.Result, error) {
	return s.core.Discover(ctx, email)
}

// testAccount tests settings a (saved or not) with password, empty for
// the saved one, and records what the server said; see core.TestAccount.
// imapPassword, when set, is the IMAP server's own, not saved yet.
func (s *services) testAccount(ctx context.Context, a *accounts.Account, password, imapPassword string) error {
	if imapPassword != "" {
		_, err := s.core.TestAccountWithIMAPPassword(ctx, a, password, imapPassword)
		return err
	}
	_, err := s.core.TestAccount(ctx, a, password)
	return err
}

// setIMAPPassword saves the IMAP server's own password in the keyring.
func (s *services) setIMAPPassword(ctx context.Context, a *accounts.Account, password string) error {
	return s.core.SetIMAPPassword(ctx, a, password)
}

// saveAccount adds a new account or saves an edited one; an empty password
// keeps the saved one.
func (s *services) saveAccount(ctx context.Context, a *accounts.Account, password string, sessionOnly bool) error {
	return s.core.SaveAccount(ctx, a, password, sessionOnly)
}

func (s *services) removeAccount(ctx context.Context, a accounts.Account) error {
	return s.core.RemoveAccount(ctx, a.Name)
}

func (s *services) setDefaultAccount(ctx context.Context, a accounts.Account) error {
	return s.core.SetDefaultAccount(ctx, a.Name)
}

// providerLookupTimeout bounds the search for an address's sign-in
// provider, which may ask DNS for the domain's MX hosts: past it the
// address is treated as a password account.
const providerLookupTimeout = 5 * time.Second

// oauthProviders is the provider table, already in memory: views may call
// it on the UI goroutine.
func (s *services) oauthProviders() oauth.Providers { return s.core.OAuthProviders() }

// oauthProviderFor returns the provider an address signs in with, if any,
// from its domain or its MX hosts.
func (s *services) oauthProviderFor(ctx context.Context, email string) (oauth.Provider, bool) {
	ctx, cancel := context.WithTimeout(ctx, providerLookupTimeout)
	defer cancel()
	return s.core.OAuthProviderFor(ctx, email)
}

// addAccountWithSignIn signs in in the browser and saves the account; open
// receives the sign-in address once Postie listens for the answer.
func (s *services) addAccountWithSignIn(ctx context.Context, req core.SignInRequest) (accounts.Account, error) {
	return s.core.AddAccountWithSignIn(ctx, req)
}

// signInAgain signs the account in again; the messages waiting for it
// then go out.
func (s *services) signInAgain(ctx context.Context, a accounts.Account, open func(url string)) error {
	return s.core.SignInAgain(ctx, a.Name, open)
}

// switchToSignIn turns a password account into one that signs in with the
// provider, signing in on the way.
func (s *services) switchToSignIn(ctx context.Context, a accounts.Account, provider oauth.Provider, open func(url string)) error {
	_, err := s.core.SwitchToSignIn(ctx, a.Name, provider.ID, open)
	return err
}

// ---- composing ----

func (s *services) suggest(ctx context.Context, prefix string) ([]string, error) {
	return s.core.Suggest(ctx, prefix, 8)
}

// enqueue sends the composition: held until later, or for the undo window.
func (s *services) enqueue(ctx context.Context, c composition, msg *mail.Message, later time.Time) (int64, error) {
	return s.core.Hold(ctx, c.AccountID, msg, later, c.ID)
}

func (s *services) undo(ctx context.Context, id int64) (composition, error) {
	return s.core.Undo(ctx, id)
}

// cancelSend stops an upload; the message becomes a draft again.
func (s *services) cancelSend(ctx context.Context, id int64) (composition, error) {
	return s.core.Cancel(ctx, id) // outbox.ErrTooLate among others; see errorMessage
}

func (s *services) drafts(ctx context.Context) ([]composition, error) { return s.core.Drafts(ctx) }

func (s *services) latestDraft(ctx context.Context) (composition, bool, error) {
	return s.core.LatestDraft(ctx)
}

func (s *services) saveDraft(ctx context.Context, c composition) (int64, error) {
	return s.core.SaveDraft(ctx, c)
}

func (s *services) deleteDraft(ctx context.Context, id int64) error {
	return s.core.DeleteDraft(ctx, id)
}

// ---- lists and details ----

func statesOf(kind listKind) []outbox.State {
	if kind == sentList {
		return outbox.SentLogStates()
	}
	return outbox.PendingStates()
}

func (s *services) countMessages(ctx context.Context, kind listKind, search string) (int, error) {
	return s.core.Count(ctx, outbox.Query{States: statesOf(kind), Search: search})
}

func (s *services) listMessages(ctx context.Context, kind listKind, search string, offset, limit int) ([]messageSummary, error) {
	entries, err := s.core.List(ctx, outbox.Query{States: statesOf(kind), Search: search, Offset: offset, Limit: limit})
	if err != nil {
		return nil, err
	}
	rows := make([]messageSummary, len(entries))
	for i, e := range entries {
		rows[i] = summaryOf(e)
	}
	return rows, nil
}

func summaryOf(e outbox.Entry) messageSummary {
	when := e.Created
	if !e.SentAt.IsZero() {
		when = e.SentAt
	}
	return messageSummary{
		ID:         e.ID,
		State:      e.State,
		Recipients: strings.Join(append(append(append([]string{}, e.To...), e.Cc...), e.Bcc...), ", "),
		Subject:    e.Subject,
		When:       when,
	}
}

func (s *services) messageDetail(ctx context.Context, id int64) (*messageDetail, error) {
	e, err := s.core.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	account := e.Account
	a, accountErr := s.core.AccountByID(ctx, e.Account)
	if accountErr == nil {
		account = accountLabel(a)
	}
	d := &messageDetail{
		messageSummary: summaryOf(e.Entry),
		Account:        account,
		From:           e.From,
		Cc:             strings.Join(e.Cc, ", "),
		Bcc:            strings.Join(e.Bcc, ", "),
		Body:           e.Body,
		Attachments:    e.Attachments,
		ServerReply:    e.ServerReply,
		Error:          failureMessage(e.Failure),
		NextAttempt:    e.NextAttempt,
	}
	d.SentCopy, d.CopyText = e.SentCopy, copyMessage(e.Entry)
	d.CopyProblem = e.SentCopy == outbox.CopyFailed || e.SentCopy == outbox.CopyPending && e.CopyFailure != nil
	d.Recipients = strings.Join(e.To, ", ")
	if accountErr == nil {
		d.signIn = signInOffer(e.State, e.Failure, a)
		if d.signIn == offerSignInAgain {
			d.ProviderName = s.providerName(a)
		}
	}
	if d.Headers, err = s.core.Headers(ctx, id); err != nil {
		return nil, err
	}
	for _, a := range e.Attempts {
		d.Attempts = append(d.Attempts, attemptDetail{When: a.Started, Outcome: failureMessage(a.Failure), ServerReply: a.ServerReply, Transcript: a.Transcript})
	}
	return d, nil
}

func (s *services) retry(ctx context.Context, id int64) error { return s.core.Retry(ctx, id) }

// retryCopy files the copy of a sent message in the Sent folder again now.
func (s *services) retryCopy(ctx context.Context, id int64) error { return s.core.RetryCopy(ctx, id) }
func (s *services) resend(ctx context.Context, id int64) error    { return s.core.Resend(ctx, id) }
func (s *services) markSent(ctx context.Context, id int64) error  { return s.core.MarkSent(ctx, id) }
func (s *services) discard(ctx context.Context, id int64) error   { return s.core.Discard(ctx, id) }

func (s *services) exportEML(ctx context.Context, id int64, w io.Writer) error {
	return s.core.ExportEML(ctx, id, w)
}

func (s *services) copyToComposer(ctx context.Context, id int64) (composition, error) {
	return s.core.CopyAsDraft(ctx, id)
}

// subscribe delivers the worker's state changes and upload progress.
func (s *services) subscribe() (<-chan outboxEvent, func()) { return s.core.Subscribe() }

// pendingWork counts the messages still to be sent, by what they wait for.
func (s *services) pendingWork(ctx context.Context) (outbox.Pending, error) {
	return s.core.PendingWork(ctx)
}

// sendHeldNow ends the undo window of every held message, so that the
// worker sends them now.
func (s *services) sendHeldNow(ctx context.Context) error {
	_, err := s.core.SendHeldNow(ctx)
	return err
}

// ---- settings ----

func (s *services) loadSettings(ctx context.Context) (appSettings, error) {
	return s.core.LoadSettings(ctx)
}

func (s *services) saveSettings(ctx context.Context, a appSettings) error {
	return s.core.SaveSettings(ctx, a)
}

// undoWindow and markdownByDefault read the settings as last loaded or
// saved, without touching the disk, so views may call them on the UI
// goroutine.
func (s *services) undoWindow() time.Duration { return s.core.Settings().UndoWindow }

func (s *services) markdownByDefault() bool { return s.core.Settings().MarkdownByDefault }
