package core

import (
	"context"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
)

// TestAccountWithIMAPPassword is TestAccount with the IMAP server's own
// password, for settings not saved yet; empty means the saved one, or the
// account's. An IMAP failure comes back as an *accounts.IMAPTestError
// with the SMTP result: sending works.
func (c *Core) TestAccountWithIMAPPassword(ctx context.Context, a *accounts.Account, password, imapPassword string) (*smtpclient.ProbeResult, error) {
	return c.accounts.TestWithIMAPSecret(ctx, a, password, imapPassword)
}

// SetIMAPPassword gives the saved account's IMAP server its own password
// in the keyring; an empty password deletes it, so that the IMAP server
// signs in with the account's password again.
func (c *Core) SetIMAPPassword(ctx context.Context, a *accounts.Account, password string) error {
	if password == "" {
		return c.accounts.DeleteIMAPSecret(ctx, a)
	}
	return c.accounts.SetIMAPSecret(ctx, a, password)
}

// FillIMAP gives a the IMAP server that discovery found, unless a names
// one already; the user name is kept only where it differs from the SMTP
// one ("" means the same). Both front ends fill a new account this way.
func FillIMAP(a *accounts.Account, res *autoconfig.Result) {
	if a.IMAP.Host != "" || res == nil || res.IMAP == nil {
		return
	}
	m := res.IMAP
	a.IMAP.Host, a.IMAP.Port, a.IMAP.Security = m.Host, m.Port, m.Security
	if a.IMAP.Username == "" && m.Username != a.Username {
		a.IMAP.Username = m.Username
	}
}

// ProviderFilesSentCopy reports whether a's provider files a copy of each
// sent message itself, so that "Automatic" files none, and where that is
// documented; see autoconfig.FilesOwnSentCopy.
func ProviderFilesSentCopy(a accounts.Account) (bool, string) {
	return autoconfig.FilesOwnSentCopy(a.Email, a.Host)
}
