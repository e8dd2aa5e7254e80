// Package imapclient files the copy of a sent message in the mailbox's Sent
// folder over IMAP (RFC 9051, RFC 3501), with the same security rules as
// smtpclient: implicit TLS or STARTTLS that is never optional, verified
// certificates or the pinned one for that server, no LOGIN or AUTHENTICATE
// before TLS (loopback excepted), and transcripts without secrets.
//
// CONTRACT STUB: the types and signatures below are what the rest of
// Postie builds on; the bodies are being written.
package imapclient

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Config describes one account's IMAP server.
type Config struct {
	Host     string
	Port     int
	Security smtpclient.Security
	Username string
	Secret   string // password, or OAuth access token when OAuth is set
	OAuth    bool
	Tokens   smtpclient.TokenSource // as in smtpclient.Config
	CAFile   string
	// PinSHA256 and PinFor as in smtpclient.Config.
	PinSHA256 string
	PinFor    string
	Timeout   time.Duration // per network step; zero means a default
	// Transcript, when set, receives every line, with secrets redacted.
	Transcript func(line string)
}

// Client is one signed-in IMAP connection. Several copies share one.
type Client struct{}

// Dial connects, secures the connection and signs in.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	return nil, errors.New("imapclient: not implemented")
}

// Probe connects, signs in and logs out: the connection test.
func Probe(ctx context.Context, cfg Config) error { return errors.New("imapclient: not implemented") }

// SentFolder finds the Sent folder: the one marked \Sent (RFC 6154), else
// remembered if it still exists, else a usual name in a usual language,
// else it creates "Sent" (with USE (\Sent) where CREATE-SPECIAL-USE is
// offered).
func (c *Client) SentFolder(ctx context.Context, remembered string) (string, error) {
	return "", errors.New("imapclient: not implemented")
}

// HasMessageID reports whether the folder holds a message with the
// Message-ID (SEARCH HEADER Message-ID), to never file a copy twice.
func (c *Client) HasMessageID(ctx context.Context, folder, messageID string) (bool, error) {
	return false, errors.New("imapclient: not implemented")
}

// Append streams size bytes from r into the folder, flagged \Seen, with
// the internal date sent; LITERAL+ where offered.
func (c *Client) Append(ctx context.Context, folder string, size int64, r io.Reader, sent time.Time) error {
	return errors.New("imapclient: not implemented")
}

// Close logs out and closes the connection.
func (c *Client) Close() error { return nil }
