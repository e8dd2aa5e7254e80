package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/outbox"
)

const outboxUsage = `Usage:
  postie outbox list [--json]   messages not sent yet: queued, retrying, waiting for
                                sign-in, failed, unknown
  postie outbox flush           send every message that is due now, then save the
                                copies still to be saved in Sent folders (the exit
                                code is about sending only)
  postie outbox retry ID        send a message now; for a failed or unknown one this
                                sends it again with the same Message-ID
  postie outbox discard ID      remove a message that was not sent
`

func runOutbox(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, outboxUsage)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Stdout, outboxUsage)
		return ExitOK
	case "list":
		return outboxList(ctx, env, args[1:])
	case "flush":
		return outboxFlush(ctx, env, args[1:])
	case "retry":
		return outboxRetry(ctx, env, args[1:])
	case "discard":
		return outboxDiscard(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "postie outbox: unknown command %q\n\n%s", args[0], outboxUsage)
	return ExitUsage
}

func outboxList(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("postie outbox list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	positional, code, ok := parseFlags(env, fs, outboxUsage, args)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(env, outboxUsage, "postie outbox list: unexpected argument %q", positional[0])
	}
	return withCore(ctx, env, func(c *core.Core) int {
		list, err := c.ListAll(ctx, outbox.Query{States: outbox.PendingStates()}, 0)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		return printEntries(ctx, env, c, list, *asJSON)
	})
}

func outboxFlush(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("postie outbox flush", flag.ContinueOnError)
	positional, code, ok := parseFlags(env, fs, outboxUsage, args)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(env, outboxUsage, "postie outbox flush: unexpected argument %q", positional[0])
	}
	return withCore(ctx, env, func(c *core.Core) int {
		sum, err := c.Flush(ctx)
		fmt.Fprintf(env.Stdout, "Sent %d. Will be retried: %d. Failed: %d. Unknown outcome: %d.",
			sum.Sent, sum.Retrying, sum.Failed, sum.Unknown)
		if sum.WaitingForSignIn > 0 {
			fmt.Fprintf(env.Stdout, " Waiting for sign-in: %d.", sum.WaitingForSignIn)
		}
		fmt.Fprintln(env.Stdout)
		if cs := sum.Copies; cs != (outbox.CopySummary{}) {
			// Not part of the exit code, which is about sending only.
			fmt.Fprintf(env.Stdout, "Copies saved in Sent folders: %d. Will be tried again: %d. Not saved: %d.\n",
				cs.Filed, cs.Pending, cs.Failed)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			fmt.Fprintln(env.Stderr, "Stopped; the messages not sent yet stay in the outbox.")
		case err != nil:
			fmt.Fprintln(env.Stderr, explain(err))
		}
		code := flushExitCode(sum, err)
		switch code {
		case ExitUnknown:
			fmt.Fprintln(env.Stderr, "Some messages may or may not have been sent; see: postie outbox list")
		case ExitUnavailable:
			fmt.Fprintln(env.Stderr, "Some messages could not be sent; see: postie outbox list")
		case ExitNoPerm:
			fmt.Fprintln(env.Stderr, "Some messages wait for their account to sign in again; they are sent once it has: postie accounts signin NAME (postie outbox list shows which account).")
		}
		return code
	})
}

func outboxRetry(ctx context.Context, env *Env, args []string) int {
	return withMessageID(ctx, env, "postie outbox retry", outboxUsage, args, func(c *core.Core, id int64) int {
		if err := c.SendAgain(ctx, id); err != nil {
			return reportLookup(env, err)
		}
		return reportDelivery(ctx, env, c, id)
	})
}

func outboxDiscard(ctx context.Context, env *Env, args []string) int {
	return withMessageID(ctx, env, "postie outbox discard", outboxUsage, args, func(c *core.Core, id int64) int {
		if err := c.Discard(ctx, id); err != nil {
			return reportLookup(env, err)
		}
		fmt.Fprintf(env.Stdout, "Message %d was discarded; it will not be sent.\n", id)
		return ExitOK
	})
}

// withMessageID parses a command whose one argument is a message id.
func withMessageID(ctx context.Context, env *Env, name, usage string, args []string, fn func(*core.Core, int64) int) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	positional, code, ok := parseFlags(env, fs, usage, args)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return usageError(env, usage, "%s: give one message ID (see postie outbox list or postie log)", name)
	}
	id, err := strconv.ParseInt(positional[0], 10, 64)
	if err != nil || id <= 0 {
		return usageError(env, usage, "%s: %q is not a message ID; IDs are numbers", name, positional[0])
	}
	return withCore(ctx, env, func(c *core.Core) int { return fn(c, id) })
}

// reportLookup prints an error about a message and picks its exit code.
func reportLookup(env *Env, err error) int {
	fmt.Fprintln(env.Stderr, explain(err))
	return exitCode(err)
}

// entryJSON is one message in --json output.
type entryJSON struct {
	ID          int64      `json:"id"`
	MessageID   string     `json:"message_id"`
	Account     string     `json:"account"`
	From        string     `json:"from"`
	To          []string   `json:"to"`
	Cc          []string   `json:"cc"`
	Bcc         []string   `json:"bcc"`
	Subject     string     `json:"subject"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	Error       string     `json:"error"`
	ServerReply string     `json:"server_reply"`
	Created     time.Time  `json:"created"`
	SentAt      *time.Time `json:"sent_at"`
	// SentCopy is the copy in the mailbox's Sent folder: "filed",
	// "pending", "failed", "skipped" or "off"; SentFolder where it was
	// filed (or is to be), "" until known.
	SentCopy   string `json:"sent_copy"`
	SentFolder string `json:"sent_folder"`
}

// accountNames maps account ids to names for display.
func accountNames(ctx context.Context, c *core.Core) map[string]string {
	names := map[string]string{}
	list, _ := c.ListAccounts(ctx)
	for _, a := range list {
		names[a.ID] = a.Name
	}
	return names
}

func printEntries(ctx context.Context, env *Env, c *core.Core, list []outbox.Entry, asJSON bool) int {
	names := accountNames(ctx, c)
	nameOf := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	if asJSON {
		out := make([]entryJSON, len(list))
		for i, e := range list {
			out[i] = entryJSON{ID: e.ID, MessageID: e.MessageID, Account: nameOf(e.Account), From: e.From,
				To: nonNil(e.To), Cc: nonNil(e.Cc), Bcc: nonNil(e.Bcc), Subject: e.Subject, Status: string(e.State),
				Attempts: e.AttemptCount, Error: explainFailure(e.Failure), ServerReply: e.ServerReply, Created: e.Created,
				SentCopy: string(e.SentCopy), SentFolder: e.SentFolder}
			if !e.SentAt.IsZero() {
				sent := e.SentAt
				out[i].SentAt = &sent
			}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return ExitIOErr
		}
		return ExitOK
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "No messages.")
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tWHEN\tTO\tSUBJECT")
	for _, e := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.ID, e.State, when(e).Local().Format("2006-01-02 15:04"),
			shorten(strings.Join(append(append(append([]string{}, e.To...), e.Cc...), e.Bcc...), ", "), 40), shorten(e.Subject, 50))
	}
	tw.Flush()
	return ExitOK
}

// when is the time a list shows: sent, next attempt, or created.
func when(e outbox.Entry) time.Time {
	switch {
	case !e.SentAt.IsZero():
		return e.SentAt
	case !e.NextAttempt.IsZero():
		return e.NextAttempt
	}
	return e.Created
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
