package ui

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/resources"
)

// useLanguage shows the window in language ("de", "fr"…) for the rest of
// the test, as a user whose system is set to it sees it.
func useLanguage(t *testing.T, language string) {
	t.Helper()
	reload := func() {
		if err := lang.AddTranslationsFS(resources.Translations, resources.TranslationsDir); err != nil {
			t.Fatal(err)
		}
	}
	loadTranslations()
	t.Cleanup(reload) // registered first, so it runs once Setenv has restored the environment
	t.Setenv("LC_ALL", language)
	t.Setenv("LANGUAGE", "")
	reload()
}

// constantsOf lists the string constants of the named type in a Go file,
// so that a reason added later is tested without editing this test.
func constantsOf(t *testing.T, file, typeName string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || spec.Type == nil {
			return true
		}
		if id, ok := spec.Type.(*ast.Ident); !ok || id.Name != typeName {
			return true
		}
		for _, v := range spec.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(lit.Value)
				values = append(values, s)
			}
		}
		return true
	})
	if len(values) == 0 {
		t.Fatalf("no %s constants in %s", typeName, file)
	}
	return values
}

// sampleSMTPErrors gives, for every smtpclient reason, errors with every fact
// a sentence may name, in each class and certificate problem.
func sampleSMTPErrors(t *testing.T) []*smtpclient.Error {
	var out []*smtpclient.Error
	for _, r := range constantsOf(t, "../mail/smtpclient/errors.go", "Reason") {
		for _, class := range []smtpclient.Class{smtpclient.Temporary, smtpclient.Permanent} {
			for _, problem := range constantsOf(t, "../mail/smtpclient/errors.go", "CertProblem") {
				stage := smtpclient.StageRcpt
				if r == string(smtpclient.ReasonMessageRefused) {
					stage = smtpclient.StageData
				}
				out = append(out, &smtpclient.Error{
					Stage: stage, Class: class, Reason: smtpclient.Reason(r),
					Code: 550, EnhancedCode: "5.1.1", ServerText: "User unknown",
					Host: "smtp.example.test", Port: 587, Address: "bob@example.test",
					Size: 32715571, MaxSize: 25 << 20, Timeout: 30 * time.Second, Setting: "setting.example",
					Certificate: &smtpclient.CertInfo{DNSNames: []string{"other.example.test"}, IssuerName: "Company CA",
						NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
					CertProblem: smtpclient.CertProblem(problem),
					Recipients:  []smtpclient.RecipientError{{Address: "bob@example.test", Reason: smtpclient.ReasonNoSuchAddress, Class: smtpclient.Permanent}},
					Attempted:   3,
				})
			}
		}
	}
	return out
}

// TestErrorMessagesAreTranslated renders every reason and every note in
// English and in each translation: each gives a sentence with its
// placeholders filled, and no translation shows the English one.
func TestErrorMessagesAreTranslated(t *testing.T) {
	type sample struct {
		name   string
		render func() string
	}
	var samples []sample
	for _, e := range sampleSMTPErrors(t) {
		samples = append(samples, sample{string(e.Reason) + "/" + string(e.Class) + "/" + string(e.CertProblem), func() string { return errorMessage(e) }})
	}
	cause := sampleSMTPErrors(t)[0]
	for _, note := range constantsOf(t, "../mail/outbox/failure.go", "Note") {
		if note == "" {
			continue
		}
		f := &outbox.Failure{Note: outbox.Note(note), Reply: "250 2.0.0 queued", RetryLimit: 48 * time.Hour, Accepted: 2, Cause: cause,
			Refused: []smtpclient.RecipientError{{Address: "bob@example.test", Reason: smtpclient.ReasonMailboxFull}}}
		samples = append(samples, sample{"note " + note, func() string { return failureMessage(f) }})
	}
	for _, err := range []error{outbox.ErrNotFound, outbox.ErrTooLate, outbox.ErrSentElsewhere, outbox.ErrStuck,
		&outbox.StateError{ID: 3, State: outbox.StateSent, Action: "discarded"}, &outbox.NotSpooledError{ID: 3, State: outbox.StateDraft}} {
		samples = append(samples, sample{err.Error(), func() string { return errorMessage(err) }})
	}

	// Every sign-in problem, for a provider with an app-password route and
	// one without, with and without the provider's error code, alone and
	// as the cause of a message that could not get a token.
	for _, problem := range constantsOf(t, "../accounts/oauth/errors.go", "Problem") {
		for _, provider := range []string{"Google", "Microsoft"} {
			for _, code := range []string{"", "AADSTS65001"} {
				e := &oauth.Error{Problem: oauth.Problem(problem), Provider: provider, Code: code}
				name := "oauth " + problem + "/" + provider + "/" + code
				samples = append(samples, sample{name, func() string { return errorMessage(e) }},
					sample{name + " in smtp", func() string {
						return errorMessage(&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSignInNeeded, Err: e})
					}})
			}
		}
	}
	samples = append(samples, sample{"password refused, perhaps passwords off", func() string {
		return errorMessage(&smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonPasswordRefused,
			Code: 535, EnhancedCode: "5.7.3", OAuthMayHelp: true})
	}}, sample{"state waiting for sign-in", func() string {
		return errorMessage(&outbox.StateError{ID: 3, State: outbox.StateWaitingForSignIn, Action: "sent again"})
	}})

	english := map[string]string{}
	for _, language := range []string{"en", "de", "fr", "es"} {
		t.Run(language, func(t *testing.T) {
			useLanguage(t, language)
			for _, s := range samples {
				got := s.render()
				switch {
				case got == "" || strings.Contains(got, "%!") || strings.Contains(got, "%s") || strings.Contains(got, "%d"):
					t.Errorf("%s: %q", s.name, got)
				case language == "en":
					english[s.name] = got
				case got == english[s.name]:
					t.Errorf("%s is English in %s: %q", s.name, language, got)
				}
			}
		})
	}
}

func TestErrorMessageFacts(t *testing.T) {
	useLanguage(t, "de")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&smtpclient.Error{Stage: smtpclient.StageRcpt, Class: smtpclient.Permanent, Reason: smtpclient.ReasonNoSuchAddress, Address: "bob@example.test"},
			"Laut Server gibt es die Adresse bob@example.test nicht. Es wurde nichts gesendet."},
		{&smtpclient.Error{Stage: smtpclient.StageMail, Class: smtpclient.Permanent, Reason: smtpclient.ReasonTooLarge, Size: 32715571, MaxSize: 25 << 20},
			"Die Nachricht ist 31,2 MB groß; dieser Server nimmt höchstens 25 MB an."},
		{&smtpclient.Error{Stage: smtpclient.StageConnect, Class: smtpclient.Temporary, Reason: smtpclient.ReasonConnectTimeout, Host: "smtp.example.test", Port: 587, Timeout: 30 * time.Second},
			"Postie konnte keine Verbindung zu smtp.example.test auf Port 587 herstellen: Innerhalb von 30 Sekunden kam keine Antwort."},
		{&smtpclient.Error{Stage: smtpclient.StageTLS, Class: smtpclient.Permanent, Reason: smtpclient.ReasonCertificate, CertProblem: smtpclient.CertExpired,
			Host: "smtp.example.test", Certificate: &smtpclient.CertInfo{NotAfter: time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)}},
			"Das Sicherheitszertifikat von smtp.example.test ist am 2020-01-01 abgelaufen."},
		{&outbox.StateError{ID: 3, State: outbox.StateSent, Action: "discarded"}, "Diese Nachricht kann nicht verworfen werden: Sie ist bereits gesendet."},
		{errors.New("something else"), "something else"},
	} {
		if got := errorMessage(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := failureMessage(&outbox.Failure{Legacy: "An old English sentence."}); got != "An old English sentence." {
		t.Errorf("legacy fallback: %q", got)
	}
}

// TestFailedMessageDetailsInGerman is the acceptance test of translated
// errors: a recipient the server does not know, in a German window, is
// explained in German in the message's details, with the address and the
// server's reply as they were.
func TestFailedMessageDetailsInGerman(t *testing.T) {
	useLanguage(t, "de")
	w := openDemoWindow(t)
	setUndoWindow(t, w, 0)
	events := captureEvents(w)
	compose(t, w, "bounce@example.org", "Hallo", "Hallo")
	test.Tap(w.compose.sendButton)
	w.settle()
	waitForState(t, w, events, "failed")
	w.selectView(w.outbox.content)
	w.settle()
	w.outbox.list.Select(0)
	w.settle()
	markup := test.RenderObjectToMarkup(w.outbox.details.content)
	// The pane wraps long sentences over several text lines; read them as
	// one text, as the user does.
	var shown []string
	for _, m := range regexp.MustCompile(`<text[^>]*>(.*?)</text>`).FindAllStringSubmatch(markup, -1) {
		shown = append(shown, m[1])
	}
	text := strings.Join(shown, " ")
	for _, want := range []string{"Laut Server gibt es die Adresse bounce@example.org nicht. Es wurde nichts gesendet.", "550", "5.1.1"} {
		if !strings.Contains(text, want) {
			t.Errorf("details lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "does not exist") {
		t.Errorf("details show English:\n%s", text)
	}
}
