package imapclient_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
)

// go-imap v2.0.0-beta.8 sets an absolute write deadline of 5 minutes for a
// whole APPEND literal (and others around commands): reaching the socket,
// it cut every copy whose upload took longer, however steadily it moved
// (25 MiB at less than 0.7 Mbit/s), and broke the TLS stream. The only
// timeout must be the watchdog that restarts while bytes move, so no
// deadline may reach the TCP connection through a whole session: sign-in,
// finding the folder, searching and appending, with and without LITERAL+,
// over TLS as in real use.
func TestGoIMAPDeadlinesNeverReachTheSocket(t *testing.T) {
	for _, literalPlus := range []bool{false, true} {
		t.Run(fmt.Sprintf("LITERAL+=%v", literalPlus), func(t *testing.T) {
			deadlines := imapclient.RecordSocketDeadlines(t)
			_, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", LiteralPlus: literalPlus})
			c := dial(t, cfg)
			ctx := context.Background()
			folder, err := c.SentFolder(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			msg := message("<deadline@postie.test>", 300_000)
			if err := c.Append(ctx, folder, int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := c.HasMessageID(ctx, folder, "<deadline@postie.test>", time.Now()); err != nil {
				t.Fatal(err)
			}
			// Before Close: crypto/tls bounds its own close_notify alert.
			if set := deadlines.Set(); len(set) > 0 {
				t.Fatalf("deadlines reached the socket: %v", set)
			}
		})
	}
}
