package oauth

import (
	"strings"
	"time"
)

// Problem is what went wrong with a sign-in, a refresh or a revocation.
type Problem string

const (
	ProblemNotConfigured  Problem = "not-configured"         // this build has no client id for the provider
	ProblemDenied         Problem = "consent-denied"         // the user said no (access_denied)
	ProblemCancelled      Problem = "cancelled"              // the user cancelled in Postie
	ProblemTimedOut       Problem = "timed-out"              // nobody came back from the browser in time
	ProblemAdminConsent   Problem = "admin-consent-required" // the organisation blocks the app
	ProblemExpired        Problem = "sign-in-expired"        // refresh token expired or revoked (invalid_grant)
	ProblemStateMismatch  Problem = "state-mismatch"         // a redirect that is not the answer to our request
	ProblemProviderError  Problem = "provider-error"         // any other OAuth error the provider returned
	ProblemUnreachable    Problem = "unreachable"            // network failure talking to the provider
	ProblemBadProviderDef Problem = "bad-provider-file"      // POSTIE_OAUTH_PROVIDERS file is wrong
)

// The Code of a ProblemBadProviderDef error: what is wrong with Field.
const (
	DefUnreadable   = "unreadable"    // the file cannot be read (Err says why)
	DefBadJSON      = "bad-json"      // not JSON, or a value of the wrong type (Err says where)
	DefUnknownField = "unknown-field" // Field is not part of the format (a typo?)
	DefMissing      = "missing"       // Field is required and absent or empty
	DefInsecureURL  = "insecure-url"  // Field's URL Value is neither https nor http on loopback
	DefBadValue     = "bad-value"     // Field's Value is not allowed (a port, a security, a tenant, an id)
	DefDuplicateID  = "duplicate-id"  // two providers in the file have the id Value
)

// Error is a failure with its facts. It never holds a token.
type Error struct {
	Problem     Problem
	Provider    string // the provider's name
	Code        string // the OAuth error code, e.g. "invalid_grant", "AADSTS65001"; a Def… constant with ProblemBadProviderDef
	Description string // the provider's error_description, for logs
	// Field and Value say which setting is wrong with ProblemBadProviderDef
	// (Field like "providers[1].token_url", Value the value found; never
	// a client secret), or "tenant" with a tenant that is not a name.
	Field string
	Value string
	// File is the POSTIE_OAUTH_PROVIDERS file with ProblemBadProviderDef.
	File string
	// Refused counts the redirects SignIn answered with an error page
	// because their state was not the one it sent (RFC 6749 §10.12): not
	// the answer to this sign-in, perhaps an old tab or an attack. They do
	// not end the wait; a sign-in that then times out says how many came.
	Refused int
	// Timeout is how long the sign-in waited for the browser, with
	// ProblemTimedOut (SignInOptions.Timeout, or DefaultTimeout).
	Timeout time.Duration
	// HTTPStatus is the token endpoint's status when its answer was not
	// an OAuth one (a 5xx, a proxy's page), with ProblemProviderError.
	HTTPStatus int
	Err        error
}

func (e *Error) Error() string {
	msg := "oauth: "
	if e.Provider != "" {
		msg = "oauth " + e.Provider + ": "
	}
	msg += string(e.Problem)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.File != "" {
		msg += " in " + e.File
	}
	if e.Field != "" {
		msg += " at " + e.Field
		if e.Value != "" {
			msg += " = " + e.Value
		}
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed without the
// user doing anything: the provider could not be reached, or its token
// endpoint failed (HTTP 5xx) or asked to slow down (429).
func (e *Error) Temporary() bool {
	return e.Problem == ProblemUnreachable ||
		(e.Problem == ProblemProviderError && (e.HTTPStatus >= 500 || e.HTTPStatus == 429))
}

// NeedsSignIn reports whether only a new sign-in by the user can help;
// smtpclient and imapclient look for this method.
func (e *Error) NeedsSignIn() bool {
	return e.Problem == ProblemExpired || e.Problem == ProblemDenied || e.Problem == ProblemAdminConsent
}

// adminConsentCodes are the AADSTS error numbers with which Microsoft says
// that an administrator must consent for the organisation: 65001 (consent
// not granted), 90094 (admin consent required), 90008/65004 are the user's
// own refusal and stay consent-denied.
var adminConsentCodes = []string{"AADSTS65001", "AADSTS90094"}

// classifyRedirect turns the error of an authorization redirect (RFC 6749
// §4.1.2.1) into a Problem, with the Microsoft AADSTS number as Code when
// the description carries one.
func classifyRedirect(provider, code, description string) *Error {
	e := &Error{Provider: provider, Code: code, Description: description, Problem: ProblemProviderError}
	if aad := aadstsCode(description); aad != "" {
		e.Code = aad
	}
	switch {
	case isAdminConsent(code, description):
		e.Problem = ProblemAdminConsent
	case code == "access_denied":
		e.Problem = ProblemDenied
	}
	return e
}

// isAdminConsent recognises "this app is blocked by your organisation":
// Microsoft's AADSTS65001/AADSTS90094, or consent_required and
// interaction_required when their description speaks of an administrator;
// Google's admin_policy_enforced (Workspace admin blocks the app) and
// org_internal (the app is internal to another organisation).
func isAdminConsent(code, description string) bool {
	for _, aad := range adminConsentCodes {
		if strings.Contains(description, aad) {
			return true
		}
	}
	switch code {
	case "admin_policy_enforced", "org_internal":
		return true
	case "consent_required", "interaction_required":
		return strings.Contains(strings.ToLower(description), "admin")
	}
	return false
}

// aadstsCode returns the "AADSTSnnnn" number at the start of a Microsoft
// error description, or "".
func aadstsCode(description string) string {
	i := strings.Index(description, "AADSTS")
	if i < 0 {
		return ""
	}
	j := i + len("AADSTS")
	for j < len(description) && description[j] >= '0' && description[j] <= '9' {
		j++
	}
	if j == i+len("AADSTS") {
		return ""
	}
	return description[i:j]
}
