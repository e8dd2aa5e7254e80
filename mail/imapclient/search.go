package imapclient

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// HasMessageID reports whether the folder holds a message with the
// Message-ID (SEARCH HEADER Message-ID), to never file a copy twice. The
// folder is opened read-only (EXAMINE), so that looking changes no flag.
func (c *Client) HasMessageID(ctx context.Context, folder, messageID string) (bool, error) {
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
		data, err := c.imap.UIDSearch(&imap.SearchCriteria{
			Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
		}, nil).Wait()
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
