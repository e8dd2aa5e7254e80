package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
)

// imapReasons lists imapclient's Reason constants from its source, so
// that a reason added there fails these tests until it has a sentence.
func imapReasons(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../mail/imapclient/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	ast.Inspect(f, func(n ast.Node) bool {
		if spec, ok := n.(*ast.ValueSpec); ok && spec.Type != nil {
			if id, ok := spec.Type.(*ast.Ident); ok && id.Name == "Reason" {
				for _, v := range spec.Values {
					s, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
					reasons = append(reasons, s)
				}
			}
		}
		return true
	})
	if len(reasons) < 20 {
		t.Fatalf("found only %d reasons", len(reasons))
	}
	return reasons
}

// TestExplainEveryIMAPReason: no reason of imapclient falls through to the
// sentence for an unexpected problem.
func TestExplainEveryIMAPReason(t *testing.T) {
	fallback := explainIMAPReason(string(imapclient.ReasonUnexpected), "", "")
	for _, r := range imapReasons(t) {
		got := explainIMAPReason(r, "Quota exceeded", "Gesendet")
		if got == "" || strings.Contains(got, "%!") || (got == fallback) != (r == string(imapclient.ReasonUnexpected)) {
			t.Errorf("%s: %q", r, got)
		}
	}
}

// TestExplainCopy: what `postie log show` says about the copy in each
// state, with the folder, the next try and the reason.
func TestExplainCopy(t *testing.T) {
	next := time.Date(2020, 1, 2, 14, 5, 0, 0, time.Local) // not today: with its date
	for _, tc := range []struct {
		e    outbox.Entry
		want string
	}{
		{outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyFiled, SentFolder: "Gesendet"}, "Copy saved in your Sent folder (Gesendet)."},
		{outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyPending, CopyNextTry: next,
			CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonConnectionRefused), Temporary: true}},
			"Saving the copy – will try again at 2020-01-02 14:05: the incoming (IMAP) server refused the connection."},
		{outbox.Entry{ID: 7, State: outbox.StateSent, SentCopy: outbox.CopyFailed, CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonOverQuota)}},
			"Not saved: your mailbox is full. Delete some messages (or empty the trash), then try again. `postie log retry-copy 7` tries again."},
		{outbox.Entry{ID: 7, State: outbox.StateSent, SentCopy: outbox.CopyFailed,
			CopyFailure: &outbox.CopyFailure{Note: outbox.CopyNoteGaveUp, Tries: 12, Reason: string(imapclient.ReasonTimeout)}},
			"Not saved: Postie tried 12 times and has stopped trying; the last problem was that the incoming (IMAP) server stopped answering. `postie log retry-copy 7` tries again."},
		{outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopySkipped}, "Not saved by Postie: your provider puts a copy in your Sent folder itself."},
		{outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyOff}, "No copy saved in a Sent folder: the account has no incoming (IMAP) server, or saving a copy is turned off."},
		{outbox.Entry{State: outbox.StateQueued, SentCopy: outbox.CopyOff}, ""},
	} {
		if got := explainCopy(tc.e); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.e.SentCopy, got, tc.want)
		}
	}
	for _, note := range []outbox.CopyNote{outbox.CopyNoteProcessLost, outbox.CopyNoteSpoolDamaged, outbox.CopyNoteBccDamaged,
		outbox.CopyNoteNoIMAPServer} {
		if got := explainCopyFailure(&outbox.CopyFailure{Note: note}); got == explainIMAPReason("", "", "") {
			t.Errorf("note %s has no sentence of its own: %q", note, got)
		}
	}
	if got := explainCopyFailure(&outbox.CopyFailure{Account: outbox.NoteKeyringLocked}); !strings.Contains(got, "locked") {
		t.Errorf("a locked keyring: %q", got)
	}
}

// The IMAP server's words and a folder's name come from the server: a
// terminal escape in them is shown inert, never acted on.
func TestIMAPServerTextReachesTheTerminalInert(t *testing.T) {
	const hostile = "quota \x1b]0;pwned\x07\x1b[2J\u202eexceeded"
	for _, got := range []string{
		explainCopy(outbox.Entry{ID: 7, State: outbox.StateSent, SentCopy: outbox.CopyFailed,
			CopyFailure: &outbox.CopyFailure{Reason: string(imapclient.ReasonRefused), ServerText: hostile}}),
		explainCopy(outbox.Entry{State: outbox.StateSent, SentCopy: outbox.CopyFiled, SentFolder: "Sent\x1b[2J"}),
	} {
		if strings.ContainsAny(got, "\x1b\x07\u202e") {
			t.Errorf("control characters reach the terminal: %q", got)
		}
	}
	if got := explainIMAPReason(string(imapclient.ReasonRefused), hostile, ""); !strings.Contains(got, `quota \u001b]0;pwned\u0007`) {
		t.Errorf("the server's words are not shown escaped: %q", got)
	}
}
