package imapclient

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// usualSentNames are the names mail programs and providers give the Sent
// folder where the server marks none (RFC 6154 is younger than most
// mailboxes): English, German, French, Spanish, Italian, Portuguese and
// Dutch, as Thunderbird, Outlook, Apple Mail and the big webmailers name
// it. The order is the preference when several exist.
var usualSentNames = []string{
	"Sent", "Sent Items", "Sent Messages", "Sent Mail",
	"Gesendet", "Gesendete Objekte", "Gesendete Elemente", "Gesendete Nachrichten",
	"Envoyés", "Éléments envoyés", "Messages envoyés",
	"Enviados", "Elementos enviados", "Mensajes enviados",
	"Inviati", "Posta inviata", "Itens enviados", "Verzonden", "Verzonden items",
}

// newSentName is the folder created when there is none.
const newSentName = "Sent"

// SentFolder finds the Sent folder: the one marked \Sent (RFC 6154), else
// remembered if it still exists, else a usual name in a usual language,
// else it creates "Sent" (with USE (\Sent) where CREATE-SPECIAL-USE is
// offered); INBOX is never taken. A remembered folder that is gone
// (renamed or deleted) is simply not found, and the search goes on.
func (c *Client) SentFolder(ctx context.Context, remembered string) (string, error) {
	var folders []*imap.ListData
	var ns *imap.NamespaceData
	err := c.step(ctx, StageList, func() error {
		caps := c.imap.Caps()
		var opts *imap.ListOptions
		// Servers with SPECIAL-USE mark the folders in a plain LIST too
		// (RFC 6154 §2); RETURN (SPECIAL-USE) needs LIST-EXTENDED.
		if caps.Has(imap.CapSpecialUse) && hasAny(caps, imap.CapListExtended, imap.CapIMAP4rev2) {
			opts = &imap.ListOptions{ReturnSpecialUse: true}
		}
		var err error
		if folders, err = c.imap.List("", "*", opts).Collect(); err != nil {
			return err
		}
		if hasAny(caps, imap.CapNamespace, imap.CapIMAP4rev2) {
			ns, err = c.imap.Namespace().Wait()
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if name := pickSentFolder(folders, remembered, personalPrefix(ns, folders)); name != "" {
		return name, nil
	}
	return c.createSent(ctx, personalPrefix(ns, folders))
}

// pickSentFolder applies SentFolder's order to a LIST.
func pickSentFolder(folders []*imap.ListData, remembered, prefix string) string {
	selectable := map[string]bool{}
	lower := map[string]string{} // lower-case name → name
	var marked []string
	for _, f := range folders {
		if has(f.Attrs, imap.MailboxAttrNoSelect) || has(f.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		if strings.EqualFold(f.Mailbox, "INBOX") {
			// Never the Sent folder, whatever a misconfigured server marks
			// (RFC 6154 §2 leaves the marks to the server): every copy
			// would land among the user's incoming mail.
			continue
		}
		selectable[f.Mailbox] = true
		if _, seen := lower[strings.ToLower(f.Mailbox)]; !seen {
			lower[strings.ToLower(f.Mailbox)] = f.Mailbox
		}
		if has(f.Attrs, imap.MailboxAttrSent) {
			marked = append(marked, f.Mailbox)
		}
	}
	for _, m := range marked {
		if m == remembered {
			return m // several marked: keep the one in use
		}
	}
	if len(marked) > 0 {
		return marked[0]
	}
	if remembered != "" && selectable[remembered] {
		return remembered
	}
	for _, name := range usualSentNames {
		for _, candidate := range []string{prefix + name, name} {
			if found, ok := lower[strings.ToLower(candidate)]; ok {
				return found
			}
		}
	}
	return ""
}

// personalPrefix is where the user's own folders live: "INBOX." on
// Courier and Cyrus style servers (RFC 2342), "" on most. Without
// NAMESPACE, it is "INBOX" and the delimiter when every folder lives
// below INBOX.
func personalPrefix(ns *imap.NamespaceData, folders []*imap.ListData) string {
	if ns != nil && len(ns.Personal) > 0 {
		return ns.Personal[0].Prefix
	}
	prefix := ""
	for _, f := range folders {
		if f.Delim == 0 || strings.EqualFold(f.Mailbox, "INBOX") {
			continue
		}
		p := "INBOX" + string(f.Delim)
		if !strings.HasPrefix(strings.ToUpper(f.Mailbox), p) {
			return ""
		}
		prefix = f.Mailbox[:len(p)]
	}
	return prefix
}

// createSent creates the Sent folder, marked \Sent where the server lets a
// client say so (RFC 6154 §3, CREATE-SPECIAL-USE).
func (c *Client) createSent(ctx context.Context, prefix string) (string, error) {
	name := prefix + newSentName
	err := c.step(ctx, StageCreate, func() error {
		var opts *imap.CreateOptions
		if c.imap.Caps().Has(imap.CapCreateSpecialUse) {
			opts = &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrSent}}
		}
		return c.imap.Create(name, opts).Wait()
	})
	var e *Error
	if errors.As(err, &e) && e.Code == string(imap.ResponseCodeAlreadyExists) {
		return name, nil // made meanwhile by another program
	}
	if e != nil {
		e.Folder = name
		return "", e
	}
	return name, nil
}

func has(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if strings.EqualFold(string(a), string(want)) {
			return true
		}
	}
	return false
}
