package ui

// Email links (mailto:) opened in the composer, and the links that arrive
// before the start-up load and wait for it.

import (
	"github.com/postie-app/postie/mail/mailto"
)

// openLink opens a new message from a mailto: link (RFC 6068), once the
// start-up load has been applied; until then the link waits.
func (v *composeView) openLink(link string) {
	if !v.loaded {
		v.pendingLinks = append(v.pendingLinks, link)
		return
	}
	if err := v.fillFromMailto(link); err != nil {
		v.w.showError(err)
	}
}

// fillFromMailto puts a mailto: link's fields into a new message, keeping
// the message being written as a draft.
func (v *composeView) fillFromMailto(link string) error {
	parsed, err := mailto.Parse(link)
	if err != nil {
		return err
	}
	if v.dirty {
		v.saveDraft(false)
	}
	c := composition{
		AccountID: v.selectedAccount(),
		To:        parsed.To,
		Cc:        parsed.Cc,
		Bcc:       parsed.Bcc,
		Subject:   parsed.Subject,
		Body:      parsed.Body + v.signature(v.selectedAccount()),
	}
	v.load(c)
	v.dirty = true
	return nil
}
