package cli

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The sentences the command line printed when smtpclient wrote them; its
// users and scripts may rely on them.
func TestExplainKeepsTheSentences(t *testing.T) {
	const host = "smtp.example.test"
	cert := &smtpclient.CertInfo{DNSNames: []string{"mail.other.test", "smtp.other.test"}, IssuerName: "Untrusted Test CA",
		NotAfter: time.Date(2020, time.January, 1, 12, 0, 0, 0, time.UTC)}
	perm, temp := smtpclient.Permanent, smtpclient.Temporary
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&smtpclient.Error{Stage: smtpclient.StageDNS, Class: temp, Reason: smtpclient.ReasonDNSNotFound, Host: host},
			"The server name smtp.example.test could not be found. Check the server name, or your internet connection."},
		{&smtpclient.Error{Stage: smtpclient.StageConnect, Class: temp, Reason: smtpclient.ReasonConnectTimeout, Host: host, Port: 587, Timeout: 30 * time.Second},
			"Postie could not connect to smtp.example.test on port 587: there was no answer within 30 seconds. Check the server name and port, or your internet connection / firewall."},
		{&smtpclient.Error{Stage: smtpclient.StageConnect, Class: temp, Reason: smtpclient.ReasonConnectionRefused, Host: "127.0.0.1", Port: 2525},
			"Postie could not connect to 127.0.0.1 on port 2525: the connection was refused. Check the server name and port, or your internet connection / firewall."},
		{&smtpclient.Error{Stage: smtpclient.StageMail, Class: perm, Reason: smtpclient.ReasonTooLarge, Size: 32715571, MaxSize: 25 << 20},
			"The message is 31.2 MB; this server accepts at most 25 MB."},
		{&smtpclient.Error{Stage: smtpclient.StageAfterData, Class: perm, Reason: smtpclient.ReasonTooLarge, Size: 3 << 20},
			"The message is 3 MB, which is more than this server accepts."},
		{&smtpclient.Error{Stage: smtpclient.StageRcpt, Class: perm, Reason: smtpclient.ReasonRecipientsRefused, Attempted: 3,
			Recipients: []smtpclient.RecipientError{{Address: "nobody@example.test", Class: perm, Reason: smtpclient.ReasonNoSuchAddress}}},
			"The server refused 1 of 3 recipients, so nothing was sent. The server says the address nobody@example.test does not exist."},
		{&smtpclient.Error{Stage: smtpclient.StageRcpt, Class: perm, Reason: smtpclient.ReasonNoSuchAddress, Address: "nobody@example.test"},
			"The server says the address nobody@example.test does not exist. Nothing was sent."},
		{&smtpclient.Error{Stage: smtpclient.StageRcpt, Class: temp, Reason: smtpclient.ReasonRecipientRefused, Address: "bob@example.test"},
			"The server cannot accept mail for bob@example.test right now. Try again later. Nothing was sent."},
		{&smtpclient.Error{Stage: smtpclient.StageMail, Class: perm, Reason: smtpclient.ReasonSenderRefused, Address: "mallory@example.test"},
			"The server refused to send mail from mallory@example.test. The sender address usually has to be your own account's address."},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: perm, Reason: smtpclient.ReasonPasswordRefused, Host: "smtp.gmail.com"},
			"The server rejected your user name or password. " + explainHint(autoconfig.HintFor("smtp.gmail.com"))},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: perm, Reason: smtpclient.ReasonPasswordRefused, OAuth: true},
			"The server rejected your sign-in. Sign in to your account again."},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: perm, Reason: smtpclient.ReasonUnencryptedPassword, Host: host},
			"Postie will not send your password to smtp.example.test over an unencrypted connection. Choose TLS or STARTTLS in the account settings."},
		{&smtpclient.Error{Stage: smtpclient.StageData, Class: perm, Reason: smtpclient.ReasonMessageRefused},
			"The server refused the message; nothing was sent."},
		{&smtpclient.Error{Stage: smtpclient.StageData, Class: temp, Reason: smtpclient.ReasonTimedOut, Host: host, Timeout: 300 * time.Millisecond},
			"The server smtp.example.test stopped answering (nothing for 300ms). Try again later."},
		{&smtpclient.Error{Stage: smtpclient.StageAfterData, Class: smtpclient.UnknownOutcome, Reason: smtpclient.ReasonLostAfterData, Host: host},
			"The connection to smtp.example.test was lost after the whole message was sent, before the server confirmed it. The server may have accepted it; check before sending it again."},
		{&smtpclient.Error{Stage: smtpclient.StageTLS, Class: perm, Reason: smtpclient.ReasonCertificate, CertProblem: smtpclient.CertWrongHost, Host: "127.0.0.1", Certificate: cert},
			"The server's security certificate is for mail.other.test, smtp.other.test, which does not match 127.0.0.1. Check the server name in the account settings."},
		{&smtpclient.Error{Stage: smtpclient.StageTLS, Class: perm, Reason: smtpclient.ReasonCertificate, CertProblem: smtpclient.CertExpired, Host: "127.0.0.1", Certificate: cert},
			"The security certificate of 127.0.0.1 expired on 1 January 2020. The server's administrator must renew it."},
		{&smtpclient.Error{Stage: smtpclient.StageTLS, Class: perm, Reason: smtpclient.ReasonCertificate, CertProblem: smtpclient.CertUnknownAuthority, Host: "127.0.0.1", Certificate: cert},
			`The security certificate of 127.0.0.1 was issued by "Untrusted Test CA", which this computer does not trust.`},
		{&smtpclient.Error{Stage: smtpclient.StageConfig, Class: perm, Err: &outbox.DamagedError{Note: outbox.NoteRecipientsDamaged, Err: errors.New("bad json")}},
			"Postie's outbox holds this message's recipients in a damaged form, so it cannot be sent. Nothing was sent; please write it again."},
		{&outbox.StateError{ID: 7, State: outbox.StateSent, Action: "discarded"}, "Message 7 cannot be discarded: it is already sent."},
		{outbox.ErrNotFound, "This message is no longer in Postie; it may have been discarded."},
	} {
		if got := explain(tc.err); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%v:\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
}

func TestExplainFailure(t *testing.T) {
	cause := &smtpclient.Error{Stage: smtpclient.StageConnect, Class: smtpclient.Temporary, Reason: smtpclient.ReasonConnectionLost, Host: "smtp.example.test"}
	for _, tc := range []struct {
		f    *outbox.Failure
		want string
	}{
		{nil, ""},
		{&outbox.Failure{Legacy: "An old sentence."}, "An old sentence."},
		{&outbox.Failure{Note: outbox.NoteSent, Reply: "250 2.0.0 queued"}, "Sent. The server replied: 250 2.0.0 queued"},
		{&outbox.Failure{Note: outbox.NotePartlySent, Accepted: 2, Refused: []smtpclient.RecipientError{{Address: "a@example.test", Reason: smtpclient.ReasonMailboxFull}}},
			"Sent to 2 of 3 recipients; the server refused the others: The mailbox of a@example.test is full."},
		{&outbox.Failure{Note: outbox.NoteGaveUp, RetryLimit: 48 * time.Hour, Cause: cause},
			"Postie tried to send this message for 2 days without success and has stopped trying. The last problem was: The connection to smtp.example.test was lost; nothing was sent. Try again later."},
		{&outbox.Failure{Cause: cause, Legacy: "ignored once the facts are known"}, "The connection to smtp.example.test was lost; nothing was sent. Try again later."},
	} {
		if got := explainFailure(tc.f); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.f, got, tc.want)
		}
	}
}

// TestExplainEveryReason checks that no reason falls through to the
// sentence for an unexpected problem, and that every sentence has its
// placeholders filled.
func TestExplainEveryReason(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../mail/smtpclient/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []smtpclient.Reason
	ast.Inspect(f, func(n ast.Node) bool {
		if spec, ok := n.(*ast.ValueSpec); ok && spec.Type != nil {
			if id, ok := spec.Type.(*ast.Ident); ok && id.Name == "Reason" {
				for _, v := range spec.Values {
					s, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
					reasons = append(reasons, smtpclient.Reason(s))
				}
			}
		}
		return true
	})
	if len(reasons) < 40 {
		t.Fatalf("found only %d reasons", len(reasons))
	}
	fallback := explainSMTP(&smtpclient.Error{Stage: smtpclient.StageMail, Reason: smtpclient.ReasonUnexpected})
	for _, r := range reasons {
		got := explainSMTP(&smtpclient.Error{Stage: smtpclient.StageMail, Class: smtpclient.Permanent, Reason: r, Host: "h.example", Port: 25,
			Address: "a@example.test", Size: 1 << 20, Timeout: time.Second, Setting: "x", Attempted: 1,
			Recipients: []smtpclient.RecipientError{{Address: "a@example.test"}}})
		if got == "" || strings.Contains(got, "%!") || (got == fallback) != (r == smtpclient.ReasonUnexpected) {
			t.Errorf("%s: %q", r, got)
		}
	}
}
