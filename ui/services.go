package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// services is what the views call: the database, the accounts and the
// outbox with its worker, and in demo mode the demo server. Each method may
// block on disk, keyring or network, so views call them only from
// mainWindow.background, never on the UI goroutine.
type services struct {
	db         *store.DB
	accounts   *accounts.Store
	secrets    *accounts.Secrets
	outbox     *outbox.Outbox
	demo       *demo.Server
	discoverer *autoconfig.Discoverer
	stopWorker context.CancelFunc
	workerDone chan struct{}

	mu       sync.Mutex // guards settings, read by views and saved in the background
	settings appSettings
}

func openServices(ctx context.Context, dir string, demoMode bool) (*services, error) {
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	s := &services{db: db, secrets: &accounts.Secrets{}, discoverer: &autoconfig.Discoverer{}}
	if s.accounts, err = accounts.Open(db, s.secrets); err != nil {
		db.Close()
		return nil, err
	}
	if demoMode {
		if err := s.startDemo(ctx, dir); err != nil {
			if s.demo != nil {
				s.demo.Close()
			}
			db.Close()
			return nil, err
		}
	}
	if s.outbox, err = outbox.Open(db, s.accounts); err != nil {
		s.close()
		return nil, err
	}
	if _, err := s.loadSettings(ctx); err != nil {
		s.close()
		return nil, err
	}
	workerCtx, stop := context.WithCancel(context.Background())
	s.stopWorker, s.workerDone = stop, make(chan struct{})
	go func() {
		defer close(s.workerDone)
		s.outbox.Run(workerCtx)
	}()
	return s, nil
}

// startDemo starts the demo server and points the demo account at it. The
// demo password lives only in memory, as the server makes a new one each
// run.
func (s *services) startDemo(ctx context.Context, dir string) error {
	server, err := demo.Start(filepath.Join(dir, "inbox"))
	if err != nil {
		return err
	}
	s.demo = server
	a, err := s.accounts.Get(ctx, demoAccountName)
	var notFound *accounts.NotFoundError
	if errors.As(err, &notFound) {
		a = accounts.Account{
			Name:        demoAccountName,
			DisplayName: "Demo User",
			Email:       "you@demo.postie.invalid",
			Signature:   "Sent from Postie's demo mode",
		}
	} else if err != nil {
		return err
	}
	// The server has a new port, certificate and password each run.
	a.Host, a.Port, a.Security = server.Host, server.Port, smtpclient.SecurityStartTLS
	a.Username = demo.Username
	a.PinCertificate(server.PinSHA256)
	a.MaxMessageSize = demo.MaxMessageBytes
	if a.ID == "" {
		return s.accounts.AddWithSessionSecret(ctx, &a, server.Password)
	}
	if err := s.accounts.Update(ctx, &a); err != nil {
		return err
	}
	s.secrets.KeepForSession(a.ID, server.Password)
	return nil
}

// demoAccountName names the account that demo mode sends from.
const demoAccountName = "Demo"

func (s *services) close() {
	if s.stopWorker != nil {
		s.stopWorker()
		<-s.workerDone
	}
	if s.demo != nil {
		s.demo.Close()
	}
	s.db.Close()
}

// ---- accounts ----

func (s *services) hasAccounts(ctx context.Context) (bool, error) {
	list, err := s.accounts.List(ctx)
	return len(list) > 0, err
}

// listAccounts returns the accounts, default first.
func (s *services) listAccounts(ctx context.Context) ([]accounts.Account, error) {
	return s.accounts.List(ctx)
}

func (s *services) discover(ctx context.Context, email string) (*autoconfig.Result, error) {
	return s.discoverer.Discover(ctx, email)
}

// testAccount tests settings a (saved or not) with password, empty for
// the saved one, and records what the server said; see accounts.Store.Test.
func (s *services) testAccount(ctx context.Context, a *accounts.Account, password string) error {
	_, err := s.accounts.Test(ctx, a, password)
	return err
}

// saveAccount adds a new account or saves an edited one; an empty password
// keeps the saved one.
func (s *services) saveAccount(ctx context.Context, a *accounts.Account, password string, sessionOnly bool) error {
	switch {
	case a.ID == "" && sessionOnly:
		return s.accounts.AddWithSessionSecret(ctx, a, password)
	case a.ID == "":
		return s.accounts.Add(ctx, a, password)
	}
	if err := s.accounts.Update(ctx, a); err != nil {
		return err
	}
	switch {
	case password == "":
		return nil
	case sessionOnly:
		s.secrets.KeepForSession(a.ID, password)
		return nil
	}
	return s.accounts.SetSecret(ctx, a, password)
}

func (s *services) removeAccount(ctx context.Context, a accounts.Account) error {
	return s.accounts.Remove(ctx, a.Name)
}

func (s *services) setDefaultAccount(ctx context.Context, a accounts.Account) error {
	return s.accounts.SetDefault(ctx, a.Name)
}

// ---- composing ----

func (s *services) suggest(ctx context.Context, prefix string) ([]string, error) {
	return s.outbox.Suggest(ctx, prefix, 8)
}

func (s *services) enqueue(ctx context.Context, c composition, msg *mail.Message, later time.Time) (int64, error) {
	a, err := s.accounts.ByID(ctx, c.AccountID)
	if err != nil {
		return 0, err
	}
	msg.From = mail.Address{Name: a.DisplayName, Email: a.Email}
	hold := later
	if hold.IsZero() {
		hold = time.Now().Add(s.undoWindow())
	}
	id, err := s.outbox.Enqueue(ctx, a.ID, msg, hold)
	if err != nil {
		return 0, err
	}
	if c.ID != 0 {
		// The message is safely queued; a draft left behind only reopens
		// in the composer, so this failure is logged, not shown.
		if err := s.outbox.DeleteDraft(ctx, c.ID); err != nil {
			fyne.LogError("The draft of a queued message could not be removed", err)
		}
	}
	return id, nil
}

func (s *services) undo(ctx context.Context, id int64) (composition, error) {
	draft, err := s.outbox.Undo(ctx, id)
	if err != nil {
		return composition{}, err
	}
	return *draft, nil
}

// cancelSend stops an upload; the message becomes a draft again.
func (s *services) cancelSend(ctx context.Context, id int64) (composition, error) {
	if err := s.outbox.Cancel(ctx, id); err != nil {
		return composition{}, err // outbox.ErrTooLate among others; see errorMessage
	}
	draft, err := s.outbox.Draft(ctx, id)
	if err != nil {
		return composition{}, err
	}
	return *draft, nil
}

func (s *services) drafts(ctx context.Context) ([]composition, error) {
	return s.outbox.Drafts(ctx)
}

func (s *services) latestDraft(ctx context.Context) (composition, bool, error) {
	drafts, err := s.outbox.Drafts(ctx)
	if err != nil || len(drafts) == 0 {
		return composition{}, false, err
	}
	return drafts[0], true, nil
}

func (s *services) saveDraft(ctx context.Context, c composition) (int64, error) {
	return s.outbox.SaveDraft(ctx, c)
}

func (s *services) deleteDraft(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	return s.outbox.DeleteDraft(ctx, id)
}

// ---- lists and details ----

func statesOf(kind listKind) []outbox.State {
	if kind == sentList {
		return []outbox.State{outbox.Sent}
	}
	return []outbox.State{outbox.Queued, outbox.Sending, outbox.Retrying, outbox.Failed, outbox.Unknown}
}

func (s *services) countMessages(ctx context.Context, kind listKind, search string) (int, error) {
	return s.outbox.Count(ctx, outbox.Query{States: statesOf(kind), Search: search})
}

func (s *services) listMessages(ctx context.Context, kind listKind, search string, offset, limit int) ([]messageSummary, error) {
	entries, err := s.outbox.List(ctx, outbox.Query{States: statesOf(kind), Search: search, Offset: offset, Limit: limit})
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
		State:      string(e.State),
		Recipients: strings.Join(append(append(append([]string{}, e.To...), e.Cc...), e.Bcc...), ", "),
		Subject:    e.Subject,
		When:       when,
	}
}

func (s *services) messageDetail(ctx context.Context, id int64) (*messageDetail, error) {
	e, err := s.outbox.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	account := e.Account
	if a, err := s.accounts.ByID(ctx, e.Account); err == nil {
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
	d.Recipients = strings.Join(e.To, ", ")
	if d.Headers, err = s.outbox.Headers(ctx, id); err != nil {
		return nil, err
	}
	for _, a := range e.Attempts {
		d.Attempts = append(d.Attempts, attemptDetail{When: a.Started, Outcome: failureMessage(a.Failure), ServerReply: a.ServerReply, Transcript: a.Transcript})
	}
	return d, nil
}

func (s *services) retry(ctx context.Context, id int64) error    { return s.outbox.Retry(ctx, id) }
func (s *services) resend(ctx context.Context, id int64) error   { return s.outbox.Resend(ctx, id) }
func (s *services) markSent(ctx context.Context, id int64) error { return s.outbox.MarkSent(ctx, id) }
func (s *services) discard(ctx context.Context, id int64) error  { return s.outbox.Discard(ctx, id) }

func (s *services) exportEML(ctx context.Context, id int64, w io.Writer) error {
	return s.outbox.ExportEML(ctx, id, w)
}

func (s *services) copyToComposer(ctx context.Context, id int64) (composition, error) {
	draft, err := s.outbox.CopyAsDraft(ctx, id)
	if err != nil {
		return composition{}, err
	}
	return *draft, nil
}

// subscribe delivers the worker's state changes and upload progress.
func (s *services) subscribe() (<-chan outboxEvent, func()) {
	return s.outbox.Subscribe()
}

// ---- settings ----

func (s *services) loadSettings(ctx context.Context) (appSettings, error) {
	st, err := s.outbox.Settings(ctx)
	if err != nil {
		return appSettings{}, fmt.Errorf("cannot read Postie's settings: %w", err)
	}
	loaded := appSettings{
		UndoWindow:        st.UndoWindow,
		RetryLimit:        st.RetryLimit,
		PartialRecipients: st.PartialRecipients,
		MarkdownByDefault: st.MarkdownByDefault,
	}
	s.mu.Lock()
	s.settings = loaded
	s.mu.Unlock()
	return loaded, nil
}

func (s *services) saveSettings(ctx context.Context, a appSettings) error {
	err := s.outbox.SaveSettings(ctx, outbox.Settings{
		UndoWindow:        a.UndoWindow,
		RetryLimit:        a.RetryLimit,
		PartialRecipients: a.PartialRecipients,
		MarkdownByDefault: a.MarkdownByDefault,
	})
	if err != nil {
		return fmt.Errorf("cannot save the settings: %w", err)
	}
	s.mu.Lock()
	s.settings = a
	s.mu.Unlock()
	return nil
}

func (s *services) undoWindow() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.UndoWindow
}

func (s *services) markdownByDefault() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.MarkdownByDefault
}
