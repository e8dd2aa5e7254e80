package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/oauth"
)

// The window's sentences for what accounts/oauth reports: a sign-in with a
// provider (Google, Microsoft, Yahoo…) in the browser, or the refresh of
// its tokens, that went wrong. errorMessage dispatches to oauthMessage.

// oauthMessage says what went wrong with a sign-in and what to do.
func oauthMessage(e *oauth.Error) string {
	provider := e.Provider
	if provider == "" {
		provider = lang.L("the provider")
	}
	switch e.Problem {
	case oauth.ProblemNotConfigured:
		s := fmt.Sprintf(lang.L("This copy of Postie cannot sign in with %s: it was built without the registration that this needs."), provider)
		if hasAppPasswordRoute(e.Provider) {
			return s + " " + fmt.Sprintf(lang.L("Use an app password instead: create one in your %s account's security settings and enter it as the password."), provider)
		}
		return s + " " + lang.L("Ask whoever gave you this copy of Postie for one that can, or enter your organisation's own client ID in the account's advanced settings.")
	case oauth.ProblemDenied:
		return fmt.Sprintf(lang.L("You did not allow Postie to send mail with your %s account. To use it, sign in again and allow access."), provider)
	case oauth.ProblemCancelled:
		return fmt.Sprintf(lang.L("You cancelled the sign-in with %s. Nothing was changed."), provider)
	case oauth.ProblemTimedOut:
		timeout := e.Timeout
		if timeout <= 0 {
			timeout = oauth.DefaultTimeout
		}
		return fmt.Sprintf(lang.L("The sign-in with %s was not finished within %s, or the browser was closed. Try again, and complete the sign-in in the browser."), provider, durationText(timeout))
	case oauth.ProblemAdminConsent:
		return fmt.Sprintf(lang.L("Your organisation does not let Postie use your %s account yet. Ask your administrator to approve Postie for your organisation (admin consent), or for your organisation's own client ID to enter in the account's advanced settings."), provider)
	case oauth.ProblemExpired:
		return fmt.Sprintf(lang.L("Your sign-in with %s has expired or was withdrawn. Sign in again; messages waiting for it are then sent."), provider)
	case oauth.ProblemStateMismatch:
		return lang.L("The browser brought back an answer that does not belong to Postie's sign-in request, so Postie ignored it for your safety. Try signing in again.")
	case oauth.ProblemProviderError:
		if e.Temporary() {
			return fmt.Sprintf(lang.L("%s could not answer the sign-in just now. Postie tries again later."), provider)
		}
		if e.Code != "" {
			return fmt.Sprintf(lang.L("%s refused the sign-in (%s). Try again later; if it keeps happening, check the account's advanced settings."), provider, e.Code)
		}
		return fmt.Sprintf(lang.L("%s refused the sign-in. Try again later; if it keeps happening, check the account's advanced settings."), provider)
	case oauth.ProblemUnreachable:
		return fmt.Sprintf(lang.L("Postie could not reach %s to sign in. Check your internet connection; Postie tries again later."), provider)
	case oauth.ProblemBadProviderDef:
		return lang.L("The file of sign-in providers named by POSTIE_OAUTH_PROVIDERS cannot be used. Correct it, or unset the variable.")
	}
	return e.Error()
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

// signInBusyMessage says that another Postie on this computer (the window
// or a postie command sharing the data folder) held the account's sign-in
// for longer than Postie waits: nothing is wrong with the sign-in itself.
func signInBusyMessage(e *accounts.SignInBusyError) string {
	return fmt.Sprintf(lang.L("Another Postie on this computer (the window or a postie command) was signing in to this account and did not finish within %s. Try again in a moment; if it keeps happening, close the other Postie."), durationText(e.Waited.Round(time.Second)))
}
