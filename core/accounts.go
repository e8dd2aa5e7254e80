package core

import (
	"context"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
)

// HasAccounts reports whether any account exists yet.
func (c *Core) HasAccounts(ctx context.Context) (bool, error) {
	list, err := c.accounts.List(ctx)
	return len(list) > 0, err
}

// ListAccounts returns the accounts, the default first.
func (c *Core) ListAccounts(ctx context.Context) ([]accounts.Account, error) {
	return c.accounts.List(ctx)
}

// Account returns the account with the name, ignoring case.
func (c *Core) Account(ctx context.Context, name string) (accounts.Account, error) {
	return c.accounts.Get(ctx, name)
}

// AccountByID returns the account with the id.
func (c *Core) AccountByID(ctx context.Context, id string) (accounts.Account, error) {
	return c.accounts.ByID(ctx, id)
}

// DefaultAccount returns the default account, or accounts.ErrNoAccount
// when there is none yet.
func (c *Core) DefaultAccount(ctx context.Context) (accounts.Account, error) {
	return c.accounts.Default(ctx)
}

// Discover finds the server settings for an email address.
func (c *Core) Discover(ctx context.Context, email string) (*autoconfig.Result, error) {
	return c.Discoverer.Discover(ctx, email)
}

// TestAccount signs in to the server of a (saved or not) with password,
// empty for the saved one, without sending, and records what the server
// said, such as its size limit; see accounts.Store.Test.
func (c *Core) TestAccount(ctx context.Context, a *accounts.Account, password string) (*smtpclient.ProbeResult, error) {
	return c.accounts.Test(ctx, a, password)
}

// SaveAccount adds a new account (a.ID empty) or saves an edited one. The
// password goes to the keyring, or, with sessionOnly, stays in memory until
// the Core's process ends. Editing with an empty password keeps the saved
// one.
func (c *Core) SaveAccount(ctx context.Context, a *accounts.Account, password string, sessionOnly bool) error {
	switch {
	case a.ID == "" && sessionOnly:
		return c.accounts.AddWithSessionSecret(ctx, a, password)
	case a.ID == "":
		return c.accounts.Add(ctx, a, password)
	}
	if err := c.accounts.Update(ctx, a); err != nil {
		return err
	}
	switch {
	case password == "":
		return nil
	case sessionOnly:
		c.secrets.KeepForSession(a.ID, password)
		return nil
	}
	return c.accounts.SetSecret(ctx, a, password)
}

// RemoveAccount deletes the named account and its saved password.
func (c *Core) RemoveAccount(ctx context.Context, name string) error {
	return c.accounts.Remove(ctx, name)
}

// SetDefaultAccount makes the named account the default.
func (c *Core) SetDefaultAccount(ctx context.Context, name string) error {
	return c.accounts.SetDefault(ctx, name)
}

// CheckSendable fails when the account's settings or password cannot be
// had, before anything is recorded, so that a command run again after
// fixing that cannot send twice.
func (c *Core) CheckSendable(ctx context.Context, accountID string) error {
	_, err := c.configs.SMTPConfig(ctx, accountID)
	return err
}
