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
	"unicode"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// problems lists every oauth.Problem declared, so that one added later is
// tested without editing this test.
func problems(t *testing.T) []oauth.Problem {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../accounts/oauth/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var list []oauth.Problem
	ast.Inspect(f, func(n ast.Node) bool {
		if spec, ok := n.(*ast.ValueSpec); ok && spec.Type != nil {
			if id, ok := spec.Type.(*ast.Ident); ok && id.Name == "Problem" {
				for _, v := range spec.Values {
					s, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
					list = append(list, oauth.Problem(s))
				}
			}
		}
		return true
	})
	if len(list) < 10 {
		t.Fatalf("found only %d problems", len(list))
	}
	return list
}

// TestExplainEveryOAuthProblem: each problem has a sentence of its own,
// with its placeholders filled, alone and as the cause of a message that
// could not get a token, and an exit code from the table.
func TestExplainEveryOAuthProblem(t *testing.T) {
	want := map[oauth.Problem]int{
		oauth.ProblemNotConfigured:  ExitConfig,
		oauth.ProblemDenied:         ExitNoPerm,
		oauth.ProblemCancelled:      ExitNoPerm,
		oauth.ProblemTimedOut:       ExitTempFail,
		oauth.ProblemAdminConsent:   ExitNoPerm,
		oauth.ProblemExpired:        ExitNoPerm,
		oauth.ProblemStateMismatch:  ExitNoPerm,
		oauth.ProblemProviderError:  ExitNoPerm,
		oauth.ProblemUnreachable:    ExitTempFail,
		oauth.ProblemBadProviderDef: ExitConfig,
	}
	seen := map[string]oauth.Problem{}
	for _, p := range problems(t) {
		e := &oauth.Error{Problem: p, Provider: "Microsoft", Code: "AADSTS65001", Err: errors.New("detail")}
		got := explain(e)
		wrapped := &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSignInNeeded, Err: e}
		if got == "" || strings.Contains(got, "%!") || got == e.Error() || explain(wrapped) != got {
			t.Errorf("%s: %q", p, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%s and %s share %q", p, other, got)
		}
		seen[got] = p
		code, ok := want[p]
		if !ok {
			t.Errorf("this test does not say the exit code of %s", p)
		}
		if exitCode(e) != code || exitCode(wrapped) != code {
			t.Errorf("%s: exit %d (wrapped %d), want %d", p, exitCode(e), exitCode(wrapped), code)
		}
	}
	google := explain(&oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Google"})
	microsoft := explain(&oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Microsoft"})
	if !strings.Contains(google, "app password") || strings.Contains(microsoft, "app password") || !strings.Contains(microsoft, "Microsoft") {
		t.Errorf("not configured:\n%s\n%s", google, microsoft)
	}
	if admin := explain(&oauth.Error{Problem: oauth.ProblemAdminConsent, Provider: "Microsoft"}); !strings.Contains(admin, "administrator") {
		t.Errorf("admin consent: %q", admin)
	}
}

func TestExplainMicrosoftRefusals(t *testing.T) {
	for _, tc := range []struct {
		e    *smtpclient.Error
		want string
		code int
	}{
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSMTPAuthDisabled, OAuth: true, Code: 535, EnhancedCode: "5.7.139"},
			`enable "Authenticated SMTP"`, ExitNoPerm},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonOAuthRequired, OAuthMayHelp: true, Code: 550, EnhancedCode: "5.7.30"},
			`"Sign in with Microsoft"`, ExitNoPerm},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonPasswordRefused, OAuthMayHelp: true, Code: 535, EnhancedCode: "5.7.3"},
			`--oauth microsoft`, ExitNoPerm},
		{&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Temporary, Reason: smtpclient.ReasonTokenUnavailable, OAuth: true},
			"tried again later", ExitTempFail},
	} {
		if got := explain(tc.e); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.e.Reason, got, tc.want)
		}
		if code := exitCode(tc.e); code != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.e.Reason, code, tc.code)
		}
	}
}

func TestWaitingForSignInExitsNoPerm(t *testing.T) {
	out := outbox.Outcome{State: outbox.StateWaitingForSignIn,
		Err: &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSignInNeeded}}
	if code := outcomeExitCode(out); code != ExitNoPerm {
		t.Errorf("send now that waits for sign-in: exit %d", code)
	}
	for _, tc := range []struct {
		sum  outbox.Summary
		want int
	}{
		{outbox.Summary{Sent: 2, WaitingForSignIn: 1}, ExitNoPerm},
		{outbox.Summary{Failed: 1, WaitingForSignIn: 1, Retrying: 1}, ExitNoPerm},
		{outbox.Summary{Unknown: 1, WaitingForSignIn: 1}, ExitUnknown},
	} {
		if code := flushExitCode(tc.sum, nil); code != tc.want {
			t.Errorf("flush %+v: exit %d, want %d", tc.sum, code, tc.want)
		}
	}
	for _, sentence := range []string{explainNote(outbox.NoteSignInNeeded), explain(&oauth.Error{Problem: oauth.ProblemExpired, Provider: "Google"})} {
		if !strings.Contains(sentence, "postie accounts signin NAME") {
			t.Errorf("%q does not give the command that signs in again", sentence)
		}
	}
	if !strings.Contains(explainNote(outbox.NoteSignInNeeded), "sign in again") || describeState(outbox.StateWaitingForSignIn) == string(outbox.StateWaitingForSignIn) {
		t.Error("the note or the state has no words of its own")
	}
}

// TestSignInTimeoutSentenceSaysTheWaitItHad: --sign-in-timeout changes
// the wait, and the sentence says that one, not the default.
func TestSignInTimeoutSentenceSaysTheWaitItHad(t *testing.T) {
	for timeout, want := range map[time.Duration]string{0: "(5 minutes)", 90 * time.Second: "(90 seconds)", 10 * time.Minute: "(10 minutes)"} {
		got := explain(&oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google", Timeout: timeout})
		if !strings.Contains(got, want) {
			t.Errorf("a sign-in that waited %v: %q does not say %s", timeout, got, want)
		}
	}
}

// TestTokenEndpointFailureExitsTempFail: a token endpoint that answers
// 5xx (or 429) is a temporary failure, 75, not a refusal, 77.
func TestTokenEndpointFailureExitsTempFail(t *testing.T) {
	for status, want := range map[int]int{500: ExitTempFail, 503: ExitTempFail, 429: ExitTempFail, 400: ExitNoPerm, 404: ExitNoPerm} {
		err := &oauth.Error{Problem: oauth.ProblemProviderError, Provider: "Yahoo", Code: "http-" + strconv.Itoa(status), HTTPStatus: status}
		if got := exitCode(err); got != want {
			t.Errorf("HTTP %d exits %d, want %d", status, got, want)
		}
		if status >= 500 && strings.Contains(explain(err), "refused") {
			t.Errorf("HTTP %d is explained as a refusal: %q", status, explain(err))
		}
	}
}

// TestProviderDescriptionCannotControlTheTerminal: the provider's
// error_description is printed with its control characters escaped.
func TestProviderDescriptionCannotControlTheTerminal(t *testing.T) {
	err := &oauth.Error{Problem: oauth.ProblemProviderError, Provider: "Evil", Code: "invalid_request",
		Description: "bad\x1b[2J\x1b]0;title\x07\r\nfake line\u202egnp.exe\x00 é"}
	got := explain(err)
	for _, r := range got {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Fatalf("control character %U printed: %q", r, got)
		}
	}
	if !strings.Contains(got, `bad\u001b[2J`) || !strings.Contains(got, `\u202egnp.exe`) || !strings.Contains(got, "é") {
		t.Errorf("the description is not shown escaped: %q", got)
	}
}

// TestSignInBusyIsExplainedAndTemporary: another Postie process that held
// the account's sign-in past the wait is a temporary failure with its own
// sentence, alone and as the token source's error inside an SMTP failure.
func TestSignInBusyIsExplainedAndTemporary(t *testing.T) {
	busy := &accounts.SignInBusyError{Waited: time.Minute + 12*time.Millisecond}
	for _, err := range []error{
		busy,
		&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Temporary, Reason: smtpclient.ReasonTokenUnavailable, OAuth: true, Err: busy},
	} {
		got := explain(err)
		for _, want := range []string{"Another Postie", "1 minute", "Try again"} {
			if !strings.Contains(got, want) {
				t.Errorf("explain(%v) = %q, lacks %q", err, got, want)
			}
		}
		if code := exitCode(err); code != ExitTempFail {
			t.Errorf("exitCode(%v) = %d, want %d", err, code, ExitTempFail)
		}
	}
}
