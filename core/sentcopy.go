package core

import (
	"context"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
)

// imapConfigs gives an account's IMAP settings with the secret: the
// store, or the cache of configsOncePerRun.
type imapConfigs interface {
	IMAPConfig(ctx context.Context, accountID string) (imapclient.Config, error)
}

// sentCopier files the copies of sent messages in each account's Sent
// folder for the outbox, with the accounts' settings and imapclient.
type sentCopier struct {
	store   *accounts.Store
	configs imapConfigs
}

var _ outbox.SentCopier = sentCopier{}

// CopyPlan applies the account's "Save a copy in Sent": never, or no IMAP
// server, files none; automatic files none where the provider files its
// own (autoconfig.FilesOwnSentCopy); otherwise the copy is pending.
func (s sentCopier) CopyPlan(ctx context.Context, accountID string) (outbox.CopyPlan, error) {
	a, err := s.store.ByID(ctx, accountID)
	if err != nil {
		return outbox.CopyPlan{}, err
	}
	return copyPlanOf(a), nil
}

func copyPlanOf(a accounts.Account) outbox.CopyPlan {
	if a.SentCopy == accounts.SentCopyNever || a.IMAP.Host == "" {
		return outbox.CopyPlan{Copy: outbox.CopyOff}
	}
	if a.SentCopy != accounts.SentCopyAlways {
		if files, source := autoconfig.FilesOwnSentCopy(a.Email, a.Host); files {
			return outbox.CopyPlan{Copy: outbox.CopySkipped, Source: source}
		}
	}
	return outbox.CopyPlan{Copy: outbox.CopyPending}
}

// DialCopies signs in to the account's IMAP server.
func (s sentCopier) DialCopies(ctx context.Context, accountID string) (outbox.CopySession, error) {
	cfg, err := s.configs.IMAPConfig(ctx, accountID)
	if err != nil {
		return nil, err
	}
	client, err := imapclient.Dial(ctx, cfg)
	if err != nil {
		return nil, err // not a nil *Client in a non-nil interface
	}
	return client, nil
}

// SentFolderOf is the Sent folder last found for the account.
func (s sentCopier) SentFolderOf(ctx context.Context, accountID string) (string, error) {
	a, err := s.store.ByID(ctx, accountID)
	return a.SentFolder, err
}

// RememberSentFolder saves the Sent folder found for the account.
func (s sentCopier) RememberSentFolder(ctx context.Context, accountID, folder string) error {
	return s.store.SetSentFolder(ctx, accountID, folder)
}

// FlushCopies files every copy in the Sent folder that is due now.
func (c *Core) FlushCopies(ctx context.Context) (outbox.CopySummary, error) {
	return c.outbox.FlushCopies(ctx)
}

// RetryCopy files message id's copy in the Sent folder again: the worker
// does it at once, and FlushCopies in a process without one.
func (c *Core) RetryCopy(ctx context.Context, id int64) error { return c.outbox.RetryCopy(ctx, id) }
