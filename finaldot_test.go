package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/ui/cli"
)

// go-smtp writes the DATA stream through net/textproto's 4096-byte buffer,
// which can split the final ".\r\n" across two writes. These offsets place
// its first byte just before, across and at the end of the buffer, once
// and twice over.
var terminatorOffsets = []int{4090, 4091, 4092, 4093, 4094, 4095, 4096, 8186, 8187, 8188, 8189, 8190, 8191, 8192}

var securities = []testpeer.Security{testpeer.None, testpeer.StartTLS, testpeer.TLS}

// TestLostReplyAfterTheWholeMessageIsUnknownAtEveryBufferOffset: the server
// reads each message up to its final dot and hangs up without replying.
// Whatever the message's length, the real binary must say the outcome is
// unknown (exit 1, state "unknown") and never send it again by itself.
func TestLostReplyAfterTheWholeMessageIsUnknownAtEveryBufferOffset(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	for _, security := range securities {
		t.Run(string(security), func(t *testing.T) {
			t.Parallel()
			srv := testpeer.Start(t, security, "sender@example.org", "finaldot-"+strconv.FormatInt(time.Now().UnixNano(), 36))
			srv.Behave(testpeer.HangUpAfterDot)
			u := newCLIUser(t, srv)
			for _, offset := range terminatorOffsets {
				t.Run(strconv.Itoa(offset), func(t *testing.T) {
					copies := len(srv.Received())
					id, eml := u.queueWithDataStream(t, offset)
					out := u.expect(t, cli.ExitUnknown, "", "outbox", "flush")
					if !strings.Contains(out, "Sent 0. Will be retried: 0. Failed: 0. Unknown outcome: 1.") {
						t.Fatalf("flush said:\n%s", out)
					}
					if got := srv.Received(); len(got) != copies+1 || string(got[copies].Data) != eml {
						t.Fatalf("the server has %d messages, want %d, the last one whole", len(got), copies+1)
					}
					if out := u.expect(t, cli.ExitOK, "", "outbox", "flush"); !strings.Contains(out, "Sent 0. Will be retried: 0. Failed: 0. Unknown outcome: 0.") {
						t.Fatalf("second flush said:\n%s", out)
					}
					if got := len(srv.Received()); got != copies+1 {
						t.Fatalf("a second flush sent the message again (%d copies)", got-copies)
					}
					if state, note := u.state(t, id); state != "unknown" || !strings.Contains(note, "may have accepted it") {
						t.Fatalf("message %s is %q (%q), want unknown", id, state, note)
					}
				})
			}
		})
	}
}

// TestInterruptAfterTheWholeMessageIsUnknown: Ctrl+C while the server
// holds its reply to a whole message leaves the outcome unknown, and both
// commands must say so with exit code 1, not "try again later".
func TestInterruptAfterTheWholeMessageIsUnknown(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	srv := testpeer.Start(t, testpeer.TLS, "sender@example.org", "interrupt-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	srv.Behave(testpeer.HoldAfterDot)
	u := newCLIUser(t, srv)

	out := u.interrupt(t, srv, cli.ExitUnknown, "Hello\n", "send", "--to", "anna@example.net", "--subject", "Interrupted send", "--body-file", "-")
	if !strings.Contains(out, "Message 1 may or may not have been sent") {
		t.Fatalf("send said:\n%s", out)
	}
	u.expect(t, cli.ExitOK, "Hello\n", "send", "--queue", "--to", "anna@example.net", "--subject", "Interrupted flush", "--body-file", "-")
	if out := u.interrupt(t, srv, cli.ExitUnknown, "", "outbox", "flush"); !strings.Contains(out, "Unknown outcome: 1.") {
		t.Fatalf("flush said:\n%s", out)
	}
	for _, id := range []string{"1", "2"} {
		if state, _ := u.state(t, id); state != "unknown" {
			t.Fatalf("message %s is %q, want unknown", id, state)
		}
	}
	u.expect(t, cli.ExitOK, "", "outbox", "flush")
	if got := len(srv.Received()); got != 2 {
		t.Fatalf("the server has %d messages, want 2", got)
	}
}

// TestHangUpBeforeTheFinalDotIsRetriedAndDeliveredOnce is the other side:
// the server hangs up in the middle of the body, long before the final
// dot, so nothing was sent; the message waits for a retry and goes out
// exactly once when the server behaves.
func TestHangUpBeforeTheFinalDotIsRetriedAndDeliveredOnce(t *testing.T) {
	testpeer.RequireSession(t) // saves a password in the keyring
	// Far larger than the sockets' buffers (a few MB on Linux), so the
	// hang-up is seen while the body is still being written.
	attachment := filepath.Join(t.TempDir(), "large.bin")
	if err := os.WriteFile(attachment, bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, security := range securities {
		t.Run(string(security), func(t *testing.T) {
			t.Parallel()
			srv := testpeer.Start(t, security, "sender@example.org", "midbody-"+strconv.FormatInt(time.Now().UnixNano(), 36))
			srv.Behave(testpeer.HangUpMidBody)
			u := newCLIUser(t, srv)
			out := u.expect(t, cli.ExitTempFail, "Hello\n", "send", "--to", "anna@example.net", "--subject", "Large",
				"--body-file", "-", "--attach", attachment)
			id := regexp.MustCompile(`Message (\d+) stays in the outbox and will be tried again`).FindStringSubmatch(out)
			if id == nil || !strings.Contains(out, "nothing was sent") {
				t.Fatalf("send said:\n%s", out)
			}
			if state, note := u.state(t, id[1]); state != "retrying" || !strings.Contains(note, "nothing was sent") {
				t.Fatalf("message %s is %q (%q), want retrying", id[1], state, note)
			}

			srv.Behave(testpeer.Accept)
			if out := u.expect(t, cli.ExitOK, "", "outbox", "retry", id[1]); !strings.Contains(out, "Sent (message "+id[1]+")") {
				t.Fatalf("retry said:\n%s", out)
			}
			u.expect(t, cli.ExitOK, "", "outbox", "flush")
			if got := len(srv.Received()); got != 1 {
				t.Fatalf("the server has %d copies, want 1", got)
			}
		})
	}
}

// cliUser is a data folder with one account for a testpeer server, its
// password in the session's real keyring, driven through the real binary.
type cliUser struct {
	dir string
}

func newCLIUser(t *testing.T, srv *testpeer.Server) *cliUser {
	t.Helper()
	u := &cliUser{dir: t.TempDir()}
	args := []string{"accounts", "add", "--email", srv.User, "--name", "Test", "--host", srv.Host,
		"--port", strconv.Itoa(srv.Port), "--security", string(srv.Security), "--user", srv.User, "--password-stdin"}
	if srv.CAFile != "" {
		args = append(args, "--ca-file", srv.CAFile)
	}
	u.expect(t, cli.ExitOK, srv.Password+"\n", args...)
	t.Cleanup(func() { u.expect(t, cli.ExitOK, "", "accounts", "remove", "Test") }) // out of the keyring
	return u
}

// expect runs postie and fails unless it exits with code; it returns what
// the command printed, standard output then standard error.
func (u *cliUser) expect(t *testing.T, code int, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// Not the test's context: the cleanup that removes the account from
	// the keyring runs after that one is cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := postieIn(ctx, u.dir, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	checkExit(t, cmd.Run(), code, args, &stdout, &stderr)
	return stdout.String() + stderr.String()
}

// interrupt runs postie, presses Ctrl+C as soon as srv has received a
// whole message, and fails unless it then exits with code.
func (u *cliUser) interrupt(t *testing.T, srv *testpeer.Server, code int, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Told when the next message has been read up to its final dot.
	arrived := testpeer.NewTrap(testpeer.AtDot, 1, false)
	srv.SetTrap(arrived)
	cmd := postieIn(ctx, u.dir, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-arrived.Hit:
	case err := <-exited:
		t.Fatalf("postie %s ended before the message arrived (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, &stdout, &stderr)
	case <-ctx.Done():
		t.Fatal("the message never arrived")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	checkExit(t, <-exited, code, args, &stdout, &stderr)
	return stdout.String() + stderr.String()
}

func checkExit(t *testing.T, err error, code int, args []string, stdout, stderr *bytes.Buffer) {
	t.Helper()
	got := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		got = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if got != code {
		t.Fatalf("postie %s exited %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, stdout, stderr)
	}
}

// state returns the outbox state of message id and its error note.
func (u *cliUser) state(t *testing.T, id string) (state, note string) {
	t.Helper()
	var pending []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal([]byte(u.expect(t, cli.ExitOK, "", "outbox", "list", "--json")), &pending); err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		if strconv.FormatInt(p.ID, 10) == id {
			return p.Status, p.Error
		}
	}
	return "", ""
}

// queueWithDataStream queues a message whose DATA stream before the final
// dot, that is the message with its line-initial dots doubled, is exactly
// streamLen bytes, and returns its number and text. The headers' length
// is found by queueing and measuring; a guess that misses is discarded and
// corrected.
func (u *cliUser) queueWithDataStream(t *testing.T, streamLen int) (id, eml string) {
	t.Helper()
	bodyLen := streamLen - 400
	for range 3 {
		out := u.expect(t, cli.ExitOK, textOfLength(bodyLen), "send", "--queue", "--to", "anna@example.net",
			"--subject", "Offset "+strconv.Itoa(streamLen), "--body-file", "-")
		m := regexp.MustCompile(`Queued as message (\d+)\.`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("send --queue said:\n%s", out)
		}
		eml := u.expect(t, cli.ExitOK, "", "log", "export", m[1])
		if !strings.HasSuffix(eml, "\r\n") {
			t.Fatalf("message %s does not end with CRLF", m[1])
		}
		got := len(eml) + strings.Count("\n"+eml, "\n.")
		if got == streamLen {
			return m[1], eml
		}
		u.expect(t, cli.ExitOK, "", "outbox", "discard", m[1])
		bodyLen += streamLen - got
	}
	t.Fatalf("could not make a message of %d bytes", streamLen)
	return "", ""
}

// textOfLength is a text that becomes n bytes of message body: lines of
// 60 letters, whose "\n" becomes CRLF, short enough to pass through
// quoted-printable unchanged.
func textOfLength(n int) string {
	lines, last := (n-2)/62, (n-2)%62
	if last == 0 && lines > 0 {
		lines, last = lines-1, 62 // no empty last line, which might be dropped
	}
	return strings.Repeat(strings.Repeat("x", 60)+"\n", lines) + strings.Repeat("y", last) + "\n"
}
