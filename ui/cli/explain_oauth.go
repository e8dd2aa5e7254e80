package cli

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
)

// The English sentences for what accounts/oauth reports: a sign-in with a
// provider in the browser, or the refresh of its tokens, that went wrong.
// explain (explain.go) dispatches to explainOAuth; exitcodes.go maps the
// same problems to exit codes.

// explainOAuth says what went wrong with a sign-in and what to do.
func explainOAuth(e *oauth.Error) string {
	provider := e.Provider
	if provider == "" {
		provider = "the provider"
	}
	switch e.Problem {
	case oauth.ProblemNotConfigured:
		s := fmt.Sprintf("This copy of Postie cannot sign in with %s: it was built without the client ID that this needs.", provider)
		if hasAppPasswordRoute(e.Provider) {
			return s + fmt.Sprintf(" Use an app password instead: create one in your %s account's security settings and add the account with --password-stdin.", provider)
		}
		return s + " Use a build of Postie that has one, or give your organisation's own client ID in the account's settings."
	case oauth.ProblemDenied:
		return fmt.Sprintf("You did not allow Postie to send mail with your %s account. To use it, sign in again and allow access.", provider)
	case oauth.ProblemCancelled:
		return fmt.Sprintf("The sign-in with %s was cancelled. Nothing was changed.", provider)
	case oauth.ProblemTimedOut:
		timeout := e.Timeout
		if timeout <= 0 {
			timeout = oauth.DefaultTimeout
		}
		return fmt.Sprintf("The sign-in with %s was not finished in time (%s), or the browser was closed. Run the command again and complete the sign-in in the browser.", provider, plainDuration(timeout))
	case oauth.ProblemAdminConsent:
		return fmt.Sprintf("Your organisation does not let Postie use your %s account yet. Ask your administrator to approve Postie for the organisation (admin consent), or for the organisation's own client ID (and tenant) to give in the account's settings.", provider)
	case oauth.ProblemExpired:
		return fmt.Sprintf("The sign-in with %s has expired or was withdrawn. Sign in to the account again (postie accounts signin NAME); the messages waiting for it are then sent.", provider)
	case oauth.ProblemStateMismatch:
		return "The browser brought back an answer that does not belong to Postie's sign-in request (its state did not match), so Postie refused it. Sign in again."
	case oauth.ProblemProviderError:
		if e.Temporary() {
			return fmt.Sprintf("%s could not answer the sign-in just now (HTTP %d). Try again later.", provider, e.HTTPStatus)
		}
		s := fmt.Sprintf("%s refused the sign-in", provider)
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
		if e.Description != "" {
			s += ": " + escapeControls(e.Description)
		}
		return s + ". Try again later; if it keeps happening, check the account's client ID and tenant."
	case oauth.ProblemUnreachable:
		return fmt.Sprintf("Postie could not reach %s to sign in. Check the internet connection and try again later.", provider)
	case oauth.ProblemBadProviderDef:
		s := "The file of sign-in providers named by " + oauth.EnvProviders + " cannot be used"
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s + ". Correct it, or unset the variable."
	}
	return e.Error()
}

// escapeControls writes the control and bidirectional-formatting
// characters of text from a provider as \uXXXX, so that its words are
// printed but cannot move the cursor, clear the terminal or reorder the
// sentence around them.
func escapeControls(text string) string {
	var b strings.Builder
	for _, r := range text {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hasAppPasswordRoute says whether the provider lets mail programs use an
// app password instead of signing in: Google and Yahoo (with AOL, Yahoo's)
// do; Microsoft is turning passwords off.
func hasAppPasswordRoute(provider string) bool {
	switch provider {
	case "Google", "Yahoo", "AOL":
		return true
	}
	return false
}

// oauthExitCode maps a sign-in problem (sysexits(3), as README says):
// refused, cancelled, expired or blocked by the organisation is 77 (like a
// refused password); timed out is 75, since running it again can work;
// an unreachable provider, or a token endpoint that failed (HTTP 5xx,
// 429), is 75 too: it is the network or the provider
// for now, like a server that cannot be reached (69 is for a service
// that refused for good); no client ID or a bad providers file is 78.
func oauthExitCode(e *oauth.Error) int {
	switch e.Problem {
	case oauth.ProblemTimedOut, oauth.ProblemUnreachable:
		return ExitTempFail
	case oauth.ProblemProviderError:
		if e.Temporary() {
			return ExitTempFail // the token endpoint failed (5xx) or asked to slow down
		}
	case oauth.ProblemNotConfigured, oauth.ProblemBadProviderDef:
		return ExitConfig
	}
	return ExitNoPerm
}

// explainSignInBusy says that another Postie process on the same data
// folder held the account's sign-in for longer than Postie waits.
func explainSignInBusy(e *accounts.SignInBusyError) string {
	return fmt.Sprintf("Another Postie on this computer (the window or another postie command) was signing in to this account and did not finish within %s, so Postie stopped waiting. Try again in a moment; if it keeps happening, close the other Postie.", plainDuration(e.Waited.Round(time.Second)))
}
