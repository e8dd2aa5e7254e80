// Package core is Postie's application core: it opens everything a data
// folder holds (the database, the accounts and their secrets, the outbox
// and, in demo mode, the demo server) and owns the use cases that the window
// (package ui) and the command line (package ui/cli) share. Testing and
// saving an account, queueing, holding, sending, retrying, discarding and
// cancelling a message, drafts, settings and the outbox worker each have one
// rule, here, so the two front ends cannot drift apart. A front end turns
// input into calls here and results into widgets or text.
//
// It never imports Fyne (the command line runs without a display) and
// never writes sentences for users: it returns data, and the errors of the
// packages below it, for each front end to word in its own language. Every
// method may block on disk, keyring or network, so the window calls them
// only off the UI goroutine.
package core

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/demo"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// Options say how a data folder is opened.
type Options struct {
	// Demo, when set, starts the demo mail server and points the demo
	// account at it, creating the account as Demo describes on first use.
	Demo *DemoProfile
	// SecretsOncePerRun reads each account's server settings and password
	// only once while the Core is open. The command line sets it, so that
	// checking an account before sending and flushing many messages ask the
	// keyring once. The window leaves it off, so that a password changed in
	// the window applies to the next message at once.
	SecretsOncePerRun bool
	// OAuthProviders replaces the provider table that Open otherwise loads
	// with oauth.Load (built in, plus POSTIE_OAUTH_PROVIDERS): for tests.
	OAuthProviders oauth.Providers
	// SignInTimeout is how long a sign-in waits for the browser to come
	// back; zero means oauth's default, 5 minutes.
	SignInTimeout time.Duration
	// LogError records a failure that the use case survives and nobody
	// needs to act on; nil logs with the standard logger.
	LogError func(what string, err error)
}

// DemoProfile is who the demo account sends as. The front end gives it,
// as the signature is a sentence for the user.
type DemoProfile struct {
	DisplayName string
	Signature   string
}

// DemoAccountName names the account that demo mode sends from.
const DemoAccountName = "Demo"

// demoEmail is the demo account's address; the demo server accepts any.
const demoEmail = "you@demo.postie.invalid"

// Core is one open data folder. Its methods are safe for concurrent use.
type Core struct {
	// Discoverer finds server settings for an address; tests point it at
	// local servers.
	Discoverer *autoconfig.Discoverer

	db       *store.DB
	accounts *accounts.Store
	secrets  *accounts.Secrets
	outbox   *outbox.Outbox
	configs  outbox.Accounts // what the outbox sends with
	demo     *demo.Server
	logError func(string, error)

	signInTimeout time.Duration

	stopWorker context.CancelFunc
	workerDone chan struct{}
	closeOnce  sync.Once

	mu       sync.Mutex // guards settings, read often and saved rarely
	settings outbox.Settings
}

// Open opens the data folder dir: its database, accounts and outbox, and
// the demo server when opts.Demo is set. The caller closes the Core.
func Open(ctx context.Context, dir string, opts Options) (*Core, error) {
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	c := &Core{db: db, secrets: &accounts.Secrets{}, Discoverer: &autoconfig.Discoverer{}, logError: opts.LogError,
		signInTimeout: opts.SignInTimeout}
	if c.logError == nil {
		c.logError = func(what string, err error) { log.Printf("%s: %v", what, err) }
	}
	if c.accounts, err = accounts.Open(db, c.secrets); err != nil {
		db.Close()
		return nil, err
	}
	providers, err := opts.OAuthProviders, error(nil)
	if providers == nil {
		// A wrong POSTIE_OAUTH_PROVIDERS file does not keep anyone from
		// sending with a password: the store reports it to whatever needs
		// a provider the table then lacks.
		providers, err = oauth.Load(os.Getenv)
	}
	c.accounts.SetProviders(providers, err)
	if opts.Demo != nil {
		if err := c.startDemo(ctx, dir, *opts.Demo); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.configs = c.accounts
	if opts.SecretsOncePerRun {
		c.configs = &configsOncePerRun{store: c.accounts}
	}
	var imap imapConfigs = c.accounts
	if once, ok := c.configs.(*configsOncePerRun); ok {
		imap = once
	}
	copier := sentCopier{store: c.accounts, configs: imap}
	if c.outbox, err = outbox.Open(db, c.configs, outbox.WithSentCopier(copier)); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.LoadSettings(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// StartWorker starts the outbox worker, which sends each message when it
// is due until Close.
func (c *Core) StartWorker() {
	if c.stopWorker != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stopWorker, c.workerDone = stop, make(chan struct{})
	go func() {
		defer close(c.workerDone)
		c.outbox.Run(ctx)
	}()
}

// Close stops the worker and waits for it, withdraws this process as a
// sender, stops the demo server and closes the database. Calls after the
// first do nothing.
func (c *Core) Close() {
	c.closeOnce.Do(c.close)
}

func (c *Core) close() {
	if c.stopWorker != nil {
		c.stopWorker()
		<-c.workerDone
	}
	if c.outbox != nil {
		if err := c.outbox.Close(); err != nil {
			c.logError("cannot withdraw as the outbox's sender", err)
		}
	}
	if c.demo != nil {
		c.demo.Close()
	}
	c.db.Close()
}

// Accounts is the account store, for what no use case covers yet.
func (c *Core) Accounts() *accounts.Store { return c.accounts }

// Outbox is the outbox, for what no use case covers yet.
func (c *Core) Outbox() *outbox.Outbox { return c.outbox }

// Demo is the demo server, nil unless the Core was opened in demo mode.
func (c *Core) Demo() *demo.Server { return c.demo }

// startDemo starts the demo server and points the demo account at it. The
// demo password lives only in memory, as the server makes a new one each
// run.
func (c *Core) startDemo(ctx context.Context, dir string, profile DemoProfile) error {
	server, err := demo.Start(filepath.Join(dir, "inbox"))
	if err != nil {
		return err
	}
	c.demo = server
	a, err := c.accounts.Get(ctx, DemoAccountName)
	var notFound *accounts.NotFoundError
	if errors.As(err, &notFound) {
		a = accounts.Account{
			Name:        DemoAccountName,
			DisplayName: profile.DisplayName,
			Email:       demoEmail,
			Signature:   profile.Signature,
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
		return c.accounts.AddWithSessionSecret(ctx, &a, server.Password)
	}
	if err := c.accounts.Update(ctx, &a); err != nil {
		return err
	}
	c.secrets.KeepForSession(a.ID, server.Password)
	return nil
}

// configsOncePerRun gives the outbox each account's server settings with
// its password, looked up once: SMTP's and IMAP's.
type configsOncePerRun struct {
	store *accounts.Store
	mu    sync.Mutex
	cache map[string]smtpclient.Config
	imap  map[string]imapclient.Config
}

func (c *configsOncePerRun) IMAPConfig(ctx context.Context, accountID string) (imapclient.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg, ok := c.imap[accountID]; ok {
		return cfg, nil
	}
	cfg, err := c.store.IMAPConfig(ctx, accountID)
	if err != nil {
		return imapclient.Config{}, err
	}
	if c.imap == nil {
		c.imap = map[string]imapclient.Config{}
	}
	c.imap[accountID] = cfg
	return cfg, nil
}

func (c *configsOncePerRun) SMTPConfig(ctx context.Context, accountID string) (smtpclient.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg, ok := c.cache[accountID]; ok {
		return cfg, nil
	}
	cfg, err := c.store.SMTPConfig(ctx, accountID)
	if err != nil {
		return smtpclient.Config{}, err
	}
	if c.cache == nil {
		c.cache = map[string]smtpclient.Config{}
	}
	c.cache[accountID] = cfg
	return cfg, nil
}

// ---- settings ----

// LoadSettings reads the settings from the database.
func (c *Core) LoadSettings(ctx context.Context) (outbox.Settings, error) {
	st, err := c.outbox.Settings(ctx)
	if err != nil {
		return outbox.Settings{}, fmt.Errorf("cannot read Postie's settings: %w", err)
	}
	c.mu.Lock()
	c.settings = st
	c.mu.Unlock()
	return st, nil
}

// SaveSettings saves the settings; the worker uses them from its next
// message on.
func (c *Core) SaveSettings(ctx context.Context, st outbox.Settings) error {
	if err := c.outbox.SaveSettings(ctx, st); err != nil {
		return fmt.Errorf("cannot save the settings: %w", err)
	}
	c.mu.Lock()
	c.settings = st
	c.mu.Unlock()
	return nil
}

// Settings are the settings as last loaded or saved. It never touches the
// disk, so the window may call it on its UI goroutine.
func (c *Core) Settings() outbox.Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// holdFor is how long a message sent with Hold waits when no time is given.
func (c *Core) holdFor() time.Duration { return c.Settings().UndoWindow }
