package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
	"github.com/postie-app/postie/mail/smtpclient"
)

// TestSignInSentencesSayWhatToDo checks the facts each sign-in sentence
// must carry, in English and in German.
func TestSignInSentencesSayWhatToDo(t *testing.T) {
	expired := &oauth.Error{Problem: oauth.ProblemExpired, Provider: "Microsoft", Code: "invalid_grant"}
	for _, tc := range []struct {
		language string
		err      error
		want     []string
		not      []string
	}{
		{"en", &oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Google"}, []string{"Google", "app password"}, nil},
		{"en", &oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Microsoft"}, []string{"Microsoft", "client ID"}, []string{"app password"}},
		{"en", &oauth.Error{Problem: oauth.ProblemAdminConsent, Provider: "Microsoft"}, []string{"administrator", "admin consent"}, nil},
		// The token source's error, wrapped by smtpclient, names the provider.
		{"en", &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSignInNeeded, Err: expired},
			[]string{"Microsoft", "Sign in again"}, nil},
		{"en", &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSMTPAuthDisabled, OAuth: true},
			[]string{"administrator", `"Authenticated SMTP"`}, nil},
		{"en", &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonOAuthRequired, OAuthMayHelp: true},
			[]string{`"Sign in with Microsoft"`}, nil},
		{"de", &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Permanent, Reason: smtpclient.ReasonSMTPAuthDisabled, OAuth: true},
			[]string{"Administration", "„Authenticated SMTP“"}, nil},
		{"de", &oauth.Error{Problem: oauth.ProblemNotConfigured, Provider: "Google"}, []string{"Google", "App-Passwort"}, nil},
		// The wait is the one the sign-in had, not always the default.
		{"en", &oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google", Timeout: 90 * time.Second}, []string{"Google", "90 seconds"}, []string{"5 minutes"}},
		{"en", &oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google"}, []string{"5 minutes"}, nil},
		{"de", &oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google", Timeout: 10 * time.Minute}, []string{"10 Minuten"}, nil},
		{"fr", &oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google", Timeout: 10 * time.Minute}, []string{"10 minutes"}, nil},
		{"es", &oauth.Error{Problem: oauth.ProblemTimedOut, Provider: "Google", Timeout: 10 * time.Minute}, []string{"10 minutos"}, nil},
		// Another Postie process held the sign-in past the wait: its own
		// sentence, also inside the SMTP failure that carries it.
		{"en", &accounts.SignInBusyError{Waited: time.Minute + 3*time.Millisecond}, []string{"Another Postie", "1 minute", "Try again"}, []string{"milliseconds"}},
		{"en", &smtpclient.Error{Stage: smtpclient.StageAuth, Class: smtpclient.Temporary, Reason: smtpclient.ReasonTokenUnavailable, OAuth: true,
			Err: &accounts.SignInBusyError{Waited: time.Minute}}, []string{"Another Postie"}, nil},
		{"de", &accounts.SignInBusyError{Waited: time.Minute}, []string{"anderes Postie", "1 Minute"}, nil},
		{"fr", &accounts.SignInBusyError{Waited: time.Minute}, []string{"autre Postie"}, nil},
		{"es", &accounts.SignInBusyError{Waited: time.Minute}, []string{"Otro Postie"}, nil},
		// A token endpoint that failed is not a refusal.
		{"en", &oauth.Error{Problem: oauth.ProblemProviderError, Provider: "Yahoo", Code: "http-503", HTTPStatus: 503},
			[]string{"Yahoo", "tries again later"}, []string{"refused"}},
	} {
		useLanguage(t, tc.language)
		got := errorMessage(tc.err)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %v: %q lacks %q", tc.language, tc.err, got, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%s %v: %q should not say %q", tc.language, tc.err, got, n)
			}
		}
	}
}
