package imapclient

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// HasMessageID reports whether the folder holds a message with the
// Message-ID (SEARCH HEADER Message-ID), to never file a copy twice. The
// folder is opened read-only (EXAMINE), so that looking changes no flag.
//
// When sent is not zero, only messages whose internal date is at most a
// day before it are searched (SEARCH SINCE, RFC 9051 §6.4.4: a date
// without time, compared by the server in its own zone; the day's margin
// covers any zone): the copy is appended with sent as its internal date,
// and a server need not read every header of a Sent folder holding years
// of mail.
func (c *Client) HasMessageID(ctx context.Context, folder, messageID string, sent time.Time) (bool, error) {
	id := strings.TrimSpace(messageID)
	if id == "" {
		e := c.newError(StageSearch, Permanent, ReasonUnexpected)
		e.Folder, e.Err = folder, errors.New("no Message-ID to search for")
		return false, e
	}
	err := c.step(ctx, StageSelect, func() error {
		_, err := c.imap.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	})
	if err != nil {
		return false, inFolder(err, folder)
	}
	var found bool
	err = c.step(ctx, StageSearch, func() error {
		// SEARCH HEADER matches a substring (RFC 9051 §6.4.4); with the
		// angle brackets an id cannot match another's part.
		criteria := &imap.SearchCriteria{
			Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
		}
		if !sent.IsZero() {
			criteria.Since = sent.AddDate(0, 0, -1)
		}
		data, err := c.imap.UIDSearch(criteria, nil).Wait()
		if err != nil {
			return err
		}
		found = len(data.AllUIDs()) > 0
		return nil
	})
	return found, inFolder(err, folder)
}

// inFolder adds the folder to an *Error.
func inFolder(err error, folder string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Folder = folder
	}
	return err
}
