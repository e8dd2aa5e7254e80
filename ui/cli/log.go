package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail/outbox"
)

const logUsage = `Usage:
  postie log [--search WORDS] [--limit N] [--json]   messages, newest first
  postie log show ID                                  details, attempts and transcripts
  postie log export ID                                the message as an .eml file, to standard output
  postie log retry-copy ID                            save the copy in the Sent folder again now

A sent message's copy in the mailbox's own Sent folder (over IMAP) has its
own state, "sent_copy" in --json: filed, pending (tried again later by
itself), failed (retry-copy tries again), skipped (the provider files its
own copy) or off; "sent_folder" is the folder. Filing a copy never sends the
message again.

--search finds messages whose subject, recipients or text contain every word
(or a word starting with it).
`

func runLog(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "show":
			return logShow(ctx, env, args[1:])
		case "export":
			return logExport(ctx, env, args[1:])
		case "retry-copy":
			return logRetryCopy(ctx, env, args[1:])
		}
	}
	fs := flag.NewFlagSet("postie log", flag.ContinueOnError)
	search := fs.String("search", "", "only messages containing these words")
	limit := fs.Int("limit", 50, "at most this many messages")
	asJSON := fs.Bool("json", false, "print JSON")
	positional, code, ok := parseFlags(env, fs, logUsage, args)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(env, logUsage, "postie log: unknown command %q", positional[0])
	}
	if *limit < 1 {
		return usageError(env, logUsage, "postie log: --limit must be at least 1")
	}
	return withCore(ctx, env, func(c *core.Core) int {
		list, err := c.ListAll(ctx, outbox.Query{Search: *search}, *limit)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		if len(list) == 0 && *search != "" && !*asJSON {
			fmt.Fprintf(env.Stderr, "No message contains %q.\n", *search)
			return ExitUnknown
		}
		return printEntries(ctx, env, c, list, *asJSON)
	})
}

func logShow(ctx context.Context, env *Env, args []string) int {
	return withMessageID(ctx, env, "postie log show", logUsage, args, func(c *core.Core, id int64) int {
		d, err := c.Message(ctx, id)
		if err != nil {
			return reportLookup(env, err)
		}
		if name, ok := accountNames(ctx, c)[d.Account]; ok {
			d.Account = name
		}
		printDetail(env, d)
		return ExitOK
	})
}

func printDetail(env *Env, d *outbox.Detail) {
	w := env.Stdout
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-13s %s\n", label+":", value)
		}
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	line("Message", fmt.Sprint(d.ID))
	line("Status", string(d.State))
	line("Message-ID", "<"+d.MessageID+">")
	line("Account", d.Account)
	line("From", d.From)
	line("To", strings.Join(d.To, ", "))
	line("Cc", strings.Join(d.Cc, ", "))
	line("Bcc", strings.Join(d.Bcc, ", "))
	line("Subject", d.Subject)
	line("Attachments", strings.Join(d.Attachments, ", "))
	line("Created", stamp(d.Created))
	line("Sent", stamp(d.SentAt))
	line("Next attempt", stamp(d.NextAttempt))
	line("Attempts", fmt.Sprint(d.AttemptCount))
	line("Last error", explainFailure(d.Failure))
	line("Server reply", d.ServerReply)
	line("Sent folder", explainCopy(d.Entry))
	if d.SentCopy == outbox.CopyPending || d.SentCopy == outbox.CopyFailed {
		line("Copy tries", fmt.Sprint(d.CopyAttempts))
		if d.CopyFailure != nil && d.CopyFailure.Detail != "" {
			line("Copy problem", escapeControls(d.CopyFailure.Detail)) // the server's words among them
		}
	}
	fmt.Fprintln(w, "\nHistory:")
	for _, c := range d.History {
		note := c.Note
		if c.Failure != nil {
			note = explainFailure(c.Failure)
		}
		fmt.Fprintf(w, "  %s  %-8s %s\n", stamp(c.At), c.State, note)
	}
	for i, a := range d.Attempts {
		fmt.Fprintf(w, "\nAttempt %d, %s: %s\n", i+1, stamp(a.Started), explainFailure(a.Failure))
		if a.ServerReply != "" {
			fmt.Fprintf(w, "Server reply: %s\n", a.ServerReply)
		}
		if a.Transcript != "" {
			fmt.Fprintf(w, "Transcript:\n%s", indent(a.Transcript))
		}
	}
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

func logExport(ctx context.Context, env *Env, args []string) int {
	return withMessageID(ctx, env, "postie log export", logUsage, args, func(c *core.Core, id int64) int {
		if err := c.ExportEML(ctx, id, env.Stdout); err != nil {
			return reportLookup(env, err)
		}
		return ExitOK
	})
}

// logRetryCopy files a sent message's copy in the Sent folder again, now,
// in this process. Its exit code says whether the copy was filed.
func logRetryCopy(ctx context.Context, env *Env, args []string) int {
	return withMessageID(ctx, env, "postie log retry-copy", logUsage, args, func(c *core.Core, id int64) int {
		if err := c.RetryCopy(ctx, id); err != nil {
			return reportLookup(env, err)
		}
		if _, err := c.FlushCopies(ctx); err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		d, err := c.Message(ctx, id)
		if err != nil {
			return reportLookup(env, err)
		}
		fmt.Fprintln(env.Stdout, explainCopy(d.Entry))
		return copyExitCode(d.Entry)
	})
}
