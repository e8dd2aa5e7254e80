package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/core"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/outbox"
)

const sendUsage = `Usage:
  postie send [--account NAME] --to ADDRESS[,…] [--cc ADDRESS[,…]] [--bcc ADDRESS[,…]]
              [--subject TEXT] [--body-file FILE|-] [--attach FILE]… [--markdown]
              [--queue | --later DURATION|TIME]

The message is saved in the outbox first, then delivered at once; with --queue
or --later it is only saved, and the Postie window or "postie outbox flush"
sends it. Without --account, the default account sends it.

--later takes a duration (90m, 2h30m) or a time: 15:04 (the next such time),
"2030-01-02 15:04" (local time) or RFC 3339.

Exit codes: 0 sent (or queued when asked), 65 bad input, 69 refused for good,
75 temporary failure (the message stays in the outbox and is retried),
77 sign-in refused, 78 configuration error, 1 unknown outcome (the server may
have the message; see "postie log show ID").
`

type sendOptions struct {
	account, subject, bodyFile, later string
	to, cc, bcc, attach               listFlag
	markdown, queue                   bool
}

func runSend(ctx context.Context, env *Env, args []string) int {
	var o sendOptions
	fs := flag.NewFlagSet("postie send", flag.ContinueOnError)
	fs.StringVar(&o.account, "account", "", "the account to send from (default: the default account)")
	fs.Var(&o.to, "to", "recipients, separated by commas")
	fs.Var(&o.cc, "cc", "copy recipients")
	fs.Var(&o.bcc, "bcc", "hidden copy recipients")
	fs.StringVar(&o.subject, "subject", "", "the subject")
	fs.StringVar(&o.bodyFile, "body-file", "", "a file with the text, or - for standard input")
	fs.Var(&o.attach, "attach", "a file to attach (repeat for more)")
	fs.BoolVar(&o.markdown, "markdown", false, "the text is Markdown; also send it as HTML")
	fs.BoolVar(&o.queue, "queue", false, "only put the message in the outbox")
	fs.StringVar(&o.later, "later", "", "send at this time or after this long")
	positional, code, ok := parseFlags(env, fs, sendUsage, args)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(env, sendUsage, "postie send: unexpected argument %q", positional[0])
	}
	if o.queue && o.later != "" {
		return usageError(env, sendUsage, "postie send: give --queue or --later, not both")
	}
	var hold time.Time
	if o.later != "" {
		var err error
		if hold, err = parseLater(o.later, time.Now()); err != nil {
			return usageError(env, sendUsage, "postie send: %v", err)
		}
	}
	return withCore(ctx, env, func(c *core.Core) int {
		acct, code := chooseAccount(ctx, env, c, o.account)
		if code != ExitOK {
			return code
		}
		msg, err := o.message(env, acct)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return ExitDataErr
		}
		deliver := !o.queue && o.later == ""
		if deliver {
			// A missing password or broken settings fail before anything
			// is recorded, so running the command again cannot send twice.
			if err := c.CheckSendable(ctx, acct.ID); err != nil {
				fmt.Fprintf(env.Stderr, "%s\nNothing was sent.\n", explain(err))
				return exitCode(err)
			}
		}
		id, err := c.Enqueue(ctx, acct.ID, msg, hold, 0)
		if err != nil {
			fmt.Fprintln(env.Stderr, explain(err))
			return exitCode(err)
		}
		if !deliver {
			when := "the next time Postie sends (the Postie window, or \"postie outbox flush\")"
			if !hold.IsZero() {
				when = hold.Local().Format("Mon 2 Jan 2006 15:04") + " or later, when Postie is running"
			}
			fmt.Fprintf(env.Stdout, "Queued as message %d. It will be sent %s.\n", id, when)
			return ExitOK
		}
		return reportDelivery(ctx, env, c, id)
	})
}

// reportDelivery sends message id now and says what happened.
// A failure to start sending a message just queued is Postie's fault.
func reportDelivery(ctx context.Context, env *Env, c *core.Core, id int64) int {
	out, err := c.SendNow(ctx, id)
	if err != nil {
		fmt.Fprintln(env.Stderr, explain(err))
		return ExitSoftware
	}
	printOutcome(env, out)
	if out.State == outbox.StateWaitingForSignIn {
		fmt.Fprintln(env.Stderr, signInAgainHint(ctx, c, id))
	}
	if out.State == outbox.StateSent {
		fileCopies(ctx, env, c, id)
	}
	return outcomeExitCode(out)
}

// signInAgainHint says how to get a message that waits for its account's
// sign-in sent: the command, with the account's name when it is known.
func signInAgainHint(ctx context.Context, c *core.Core, id int64) string {
	name := "NAME"
	if d, err := c.Message(ctx, id); err == nil {
		if acct, err := c.AccountByID(ctx, d.Account); err == nil {
			name = acct.Name
		}
	}
	return fmt.Sprintf("Message %d was not sent and waits in the outbox; it does not use up any retries meanwhile. Sign in again, and it is sent: postie accounts signin %s", id, name)
}

// fileCopies files the copies in the Sent folder that are due, the sent
// message's among them, and says what became of its copy. The exit code
// stays that of sending: the message went out whatever happens here, and
// a copy not filed now is filed by the next `postie outbox flush` or by
// the window. It waits at most sendCopyBudget: a script that sent a
// message must not hang on a slow IMAP server after "Sent" was printed.
func fileCopies(ctx context.Context, env *Env, c *core.Core, id int64) {
	fctx, cancel := context.WithTimeout(ctx, sendCopyBudget)
	defer cancel()
	if _, err := c.FlushCopies(fctx); err != nil && ctx.Err() == nil && fctx.Err() == nil {
		fmt.Fprintln(env.Stderr, explain(err))
		return
	}
	d, err := c.Message(ctx, id)
	if err != nil {
		return
	}
	switch d.SentCopy {
	case outbox.CopyFiled:
		fmt.Fprintln(env.Stdout, explainCopy(d.Entry))
	case outbox.CopyPending, outbox.CopyFailed:
		fmt.Fprintln(env.Stderr, explainCopy(d.Entry))
	}
}

// sendCopyBudget bounds how long `postie send` spends filing copies after
// the message was accepted; a copy cut short stays pending, not failed.
const sendCopyBudget = 20 * time.Second

func printOutcome(env *Env, out outbox.Outcome) {
	if out.State == outbox.StateSent {
		fmt.Fprintf(env.Stdout, "Sent (message %d). The server replied: %s\n", out.ID, out.Reply)
		return
	}
	if out.Err != nil {
		fmt.Fprintln(env.Stderr, explain(out.Err))
	}
	if out.Reply != "" {
		fmt.Fprintf(env.Stderr, "The server replied: %s\n", out.Reply)
	}
	switch out.State {
	case outbox.StateRetrying:
		fmt.Fprintf(env.Stderr, "Message %d stays in the outbox and will be tried again at %s.\n", out.ID, out.NextAttempt.Local().Format("15:04 on Mon 2 Jan"))
	case outbox.StateQueued:
		fmt.Fprintf(env.Stderr, "Message %d was not sent and stays in the outbox.\n", out.ID)
	case outbox.StateFailed:
		fmt.Fprintf(env.Stderr, "Message %d was not sent. Details: postie log show %d\n", out.ID, out.ID)
	case outbox.StateUnknown:
		fmt.Fprintf(env.Stderr, "Message %d may or may not have been sent. Check with a recipient; to send it again: postie outbox retry %d\n", out.ID, out.ID)
	}
}

// message builds the message from the options.
func (o *sendOptions) message(env *Env, acct accounts.Account) (*mail.Message, error) {
	msg := &mail.Message{
		From:     mail.Address{Name: acct.DisplayName, Email: acct.Email},
		Subject:  o.subject,
		Markdown: o.markdown,
	}
	for _, list := range []struct {
		field  string
		values listFlag
		into   *[]mail.Address
	}{{"To", o.to, &msg.To}, {"Cc", o.cc, &msg.Cc}, {"Bcc", o.bcc, &msg.Bcc}} {
		for _, v := range list.values {
			addrs, err := mail.ParseAddressList(v)
			if err != nil {
				return nil, err
			}
			*list.into = append(*list.into, addrs...)
		}
	}
	switch o.bodyFile {
	case "":
	case "-":
		body, err := io.ReadAll(env.Stdin)
		if err != nil {
			return nil, &bodyReadError{path: "-", err: err}
		}
		msg.Body = string(body)
	default:
		body, err := os.ReadFile(o.bodyFile)
		if err != nil {
			return nil, &bodyReadError{path: o.bodyFile, err: err}
		}
		msg.Body = string(body)
	}
	for _, path := range o.attach {
		msg.Attachments = append(msg.Attachments, mail.Attachment{Path: path})
	}
	return msg, nil
}

// parseLater reads --later: a duration, a clock time, or a date and time.
func parseLater(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--later %s is not in the future", s)
		}
		return now.Add(d), nil
	}
	if t, err := time.ParseInLocation("15:04", s, now.Location()); err == nil {
		at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, now.Location())
		if !at.After(now) {
			at = at.AddDate(0, 0, 1)
		}
		return at, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			if !t.After(now) {
				return time.Time{}, fmt.Errorf("--later %s is in the past", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--later %q is neither a duration like 90m nor a time like 15:04 or 2030-01-02 15:04", s)
}

// chooseAccount finds the account by name, or the default one.
func chooseAccount(ctx context.Context, env *Env, c *core.Core, name string) (accounts.Account, int) {
	var a accounts.Account
	var err error
	if name != "" {
		a, err = c.Account(ctx, name)
	} else {
		a, err = c.DefaultAccount(ctx)
	}
	if err != nil {
		if name == "" {
			fmt.Fprintf(env.Stderr, "%s\nAdd an account first: postie accounts add --email ADDRESS\n", explain(err))
		} else {
			fmt.Fprintln(env.Stderr, explain(err))
		}
		return a, exitCode(err)
	}
	return a, ExitOK
}

// bodyReadError says that the message's text (--body-file) could not be
// read; path "-" is standard input.
type bodyReadError struct {
	path string
	err  error
}

func (e *bodyReadError) Error() string { return "read message text " + e.path + ": " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }
