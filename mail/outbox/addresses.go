package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// addr is an address as stored: the display name and the address as typed.
type addr struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// display writes an address as people read it: `Anna Lind <anna@example.org>`.
// The name is quoted when it holds characters that would otherwise split
// it (RFC 5322 §3.2.4), so the result can be pasted back into a field.
func (a addr) display() string {
	if a.Name == "" {
		return a.Email
	}
	name := a.Name
	if strings.ContainsAny(name, `,;:<>()[]@\"`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Email + ">"
}

func displayAll(list []addr) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.display()
	}
	return out
}

func decodeAddrs(s string) []addr {
	var list []addr
	json.Unmarshal([]byte(s), &list)
	return list
}

func encodeJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// rememberRecipients adds a sent message's recipients to the address list.
// An address keeps the form it was last written in, but not at the cost of
// a display name it had.
func rememberRecipients(tx *sql.Tx, id int64, now time.Time) error {
	var to, cc, bcc string
	if err := tx.QueryRow(`SELECT to_addrs, cc_addrs, bcc_addrs FROM outbox_messages WHERE id = ?`, id).Scan(&to, &cc, &bcc); err != nil {
		return err
	}
	for _, list := range []string{to, cc, bcc} {
		for _, a := range decodeAddrs(list) {
			_, err := tx.Exec(`INSERT INTO outbox_addresses(email, display, uses, last_used) VALUES(?, ?, 1, ?)
				ON CONFLICT(email) DO UPDATE SET uses = uses + 1, last_used = excluded.last_used,
					display = CASE WHEN lower(excluded.display) <> excluded.email OR lower(display) = email
						THEN excluded.display ELSE display END`,
				strings.ToLower(a.Email), a.display(), ms(now))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Suggest returns up to n addresses for autocomplete whose address or name
// starts with prefix (or has a word that does), best first. "Best" weighs
// how often an address was used by how recently: its uses count half when
// the last one is a week old, a third at two weeks, and so on. So an
// address used yesterday outranks one used often a year ago, and among
// addresses used equally recently the more frequent comes first.
func (o *Outbox) Suggest(ctx context.Context, prefix string, n int) ([]string, error) {
	prefix = strings.TrimSpace(prefix)
	if n <= 0 {
		return nil, nil
	}
	like := escapeLike(strings.ToLower(prefix)) + "%"
	const week = 7 * 24 * 3600 * 1000
	rows, err := o.db.QueryContext(ctx, `SELECT display FROM outbox_addresses
		WHERE email LIKE ?1 ESCAPE '\' OR lower(display) LIKE ?1 ESCAPE '\' OR lower(display) LIKE '% ' || ?1 ESCAPE '\'
			OR lower(display) LIKE '"' || ?1 ESCAPE '\'
		ORDER BY uses * 1.0 / (1.0 + max(?2 - last_used, 0) * 1.0 / ?3) DESC, last_used DESC, email
		LIMIT ?4`, like, ms(o.now()), week, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
