package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Settings are the user's choices about sending, kept in the database so
// that the window and the command line share them.
type Settings struct {
	// UndoWindow is how long Send in the window holds a message before it
	// goes out, so that Undo can take it back; 0 turns it off.
	UndoWindow time.Duration
	// RetryLimit is how long temporary failures are retried before the
	// message is marked failed.
	RetryLimit time.Duration
	// PartialRecipients sends to the accepted recipients when the server
	// refuses some, instead of sending nothing.
	PartialRecipients bool
	// MarkdownByDefault starts new messages in Markdown mode.
	MarkdownByDefault bool
}

// DefaultSettings are the settings until the user changes them.
var DefaultSettings = Settings{
	UndoWindow: 10 * time.Second,
	RetryLimit: 48 * time.Hour,
}

// Limits on the settings, so that a typo cannot hold mail for a year or
// give up after a second.
const (
	MaxUndoWindow = 5 * time.Minute
	MinRetryLimit = time.Minute
	MaxRetryLimit = 30 * 24 * time.Hour
)

const (
	keyUndoWindow        = "undo_window_seconds"
	keyRetryLimit        = "retry_limit_seconds"
	keyPartialRecipients = "partial_recipients"
	keyMarkdownByDefault = "markdown_by_default"
)

// Settings returns the saved settings, with defaults for those never set.
func (o *Outbox) Settings(ctx context.Context) (Settings, error) {
	return readSettings(ctx, o.db)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readSettings(ctx context.Context, q querier) (Settings, error) {
	s := DefaultSettings
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM outbox_settings`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return s, err
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			continue // written by a newer Postie in another form; keep the default
		}
		switch key {
		case keyUndoWindow:
			s.UndoWindow = time.Duration(n) * time.Second
		case keyRetryLimit:
			s.RetryLimit = time.Duration(n) * time.Second
		case keyPartialRecipients:
			s.PartialRecipients = n != 0
		case keyMarkdownByDefault:
			s.MarkdownByDefault = n != 0
		}
	}
	return s, rows.Err()
}

// SettingError says that a setting is outside the range Postie accepts.
type SettingError struct {
	Setting  string // SettingUndoWindow or SettingRetryLimit
	Value    time.Duration
	Min, Max time.Duration
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("outbox: setting %s = %s outside [%s, %s]", e.Setting, e.Value, e.Min, e.Max)
}

// The settings SettingError names.
const (
	SettingUndoWindow = keyUndoWindow
	SettingRetryLimit = keyRetryLimit
)

// SaveSettings checks and stores the settings.
func (o *Outbox) SaveSettings(ctx context.Context, s Settings) error {
	switch {
	case s.UndoWindow < 0 || s.UndoWindow > MaxUndoWindow:
		return &SettingError{Setting: SettingUndoWindow, Value: s.UndoWindow, Max: MaxUndoWindow}
	case s.RetryLimit < MinRetryLimit || s.RetryLimit > MaxRetryLimit:
		return &SettingError{Setting: SettingRetryLimit, Value: s.RetryLimit, Min: MinRetryLimit, Max: MaxRetryLimit}
	}
	values := map[string]int64{
		keyUndoWindow:        int64(s.UndoWindow / time.Second),
		keyRetryLimit:        int64(s.RetryLimit / time.Second),
		keyPartialRecipients: boolInt(s.PartialRecipients),
		keyMarkdownByDefault: boolInt(s.MarkdownByDefault),
	}
	return o.inTx(ctx, func(tx *sql.Tx) error {
		for key, value := range values {
			_, err := tx.Exec(`INSERT INTO outbox_settings(key, value) VALUES(?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, strconv.FormatInt(value, 10))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
