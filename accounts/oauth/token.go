package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token is what a sign-in or a refresh returns.
type Token struct {
	Access  string
	Refresh string // may be empty after a refresh: keep the old one
	Expiry  time.Time
}

// requestTimeout bounds every request to a provider's token or revocation
// endpoint, on top of the caller's context.
const requestTimeout = 30 * time.Second

// maxResponse bounds what is read of a provider's answer; tokens are a few
// kilobytes (Microsoft's refresh tokens reach about 6 KB).
const maxResponse = 1 << 20

// httpClient talks to providers. It follows no redirect: a token endpoint
// that redirects could carry the code, the verifier or a refresh token to
// a place the provider table never named (and perhaps to plain http).
var httpClient = &http.Client{
	Timeout:       requestTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Refresh exchanges a refresh token for a new access token (and perhaps a
// new refresh token, which the caller must persist before using the access
// token). clientID "" means the provider's; tenant "" means "common".
// invalid_grant (the refresh token expired, was revoked or already spent)
// is ProblemExpired; a failed connection is ProblemUnreachable.
func Refresh(ctx context.Context, p Provider, clientID, tenant, refresh string) (Token, error) {
	clientID, secret := credentials(p, clientID)
	if clientID == "" {
		return Token{}, &Error{Problem: ProblemNotConfigured, Provider: p.Name}
	}
	endpoint, err := withTenant(p.Name, p.TokenURL, tenant)
	if err != nil {
		return Token{}, err
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refresh},
		"client_id":     {clientID},
	}
	if len(p.Scopes) > 0 {
		// Microsoft issues a token for the scopes asked for now.
		form.Set("scope", strings.Join(p.Scopes, " "))
	}
	if secret != "" {
		form.Set("client_secret", secret)
	}
	return postToken(ctx, p.Name, endpoint, form, true)
}

// exchange trades an authorization code for tokens (RFC 6749 §4.1.3),
// proving with the PKCE verifier that Postie asked for it (RFC 7636 §4.5).
func exchange(ctx context.Context, p Provider, clientID, secret, endpoint, code, verifier, redirectURI string) (Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"client_id":     {clientID},
		"code_verifier": {verifier},
	}
	if secret != "" {
		form.Set("client_secret", secret)
	}
	return postToken(ctx, p.Name, endpoint, form, false)
}

// tokenResponse is a token endpoint's answer, success (RFC 6749 §5.1) or
// error (§5.2).
type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.Number     `json:"expires_in"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorCodes       json.RawMessage `json:"error_codes"` // Microsoft's AADSTS numbers, unused
}

// postToken posts the form to the token endpoint and reads its answer.
// refreshing makes invalid_grant ProblemExpired.
func postToken(ctx context.Context, provider, endpoint string, form url.Values, refreshing bool) (Token, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &Error{Problem: ProblemProviderError, Provider: provider, Err: errors.New("bad token endpoint")}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	started := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return Token{}, transportError(ctx, provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Token{}, transportError(ctx, provider, err)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if tr.Error != "" {
		return Token{}, tokenError(provider, tr.Error, tr.ErrorDescription, refreshing)
	}
	if resp.StatusCode != http.StatusOK || jsonErr != nil || tr.AccessToken == "" {
		// Not an OAuth answer: a proxy's page, a 5xx. Say the status, never the body.
		return Token{}, &Error{Problem: ProblemProviderError, Provider: provider, Code: "http-" + strconv.Itoa(resp.StatusCode),
			HTTPStatus: resp.StatusCode, Err: errors.New("token endpoint answered " + resp.Status)}
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		// SMTP's XOAUTH2 and OAUTHBEARER carry bearer tokens (RFC 7628
		// §3.2.1, RFC 6750); a token of another type (RFC 6749 §7.1)
		// would be refused at AUTH, or worse, sent where it means more.
		return Token{}, &Error{Problem: ProblemProviderError, Provider: provider, Code: "unsupported_token_type",
			Err: errors.New("the token endpoint gave a token of type " + strconv.Quote(tr.TokenType) + ", not Bearer")}
	}
	t := Token{Access: tr.AccessToken, Refresh: tr.RefreshToken}
	// Counted from when the request left, so the token is never believed
	// valid for longer than it is.
	t.Expiry = started.Add(accessLifetime(tr.ExpiresIn))
	return t, nil
}

// Lifetimes of access tokens: assumed when the provider does not say
// (RFC 6749 §5.1 makes expires_in only RECOMMENDED; an hour is what the
// big providers give), and the most believed, so that a huge or
// overflowing value does not keep a token that the provider ended.
const (
	assumedAccessLifetime = time.Hour
	maxAccessLifetime     = 24 * time.Hour
)

// accessLifetime is how long an access token with expires_in is used.
func accessLifetime(expiresIn json.Number) time.Duration {
	secs, err := expiresIn.Int64()
	if err != nil || secs <= 0 {
		if f, ferr := expiresIn.Float64(); ferr == nil && f > 0 {
			secs = int64(min(f, maxAccessLifetime.Seconds()))
		} else {
			return assumedAccessLifetime
		}
	}
	if secs >= int64(maxAccessLifetime/time.Second) {
		return maxAccessLifetime
	}
	return time.Duration(secs) * time.Second
}

// tokenError classifies a token endpoint's error answer.
func tokenError(provider, code, description string, refreshing bool) *Error {
	e := &Error{Problem: ProblemProviderError, Provider: provider, Code: code, Description: description}
	switch {
	case isAdminConsent(code, description):
		e.Problem = ProblemAdminConsent
		if aad := aadstsCode(description); aad != "" {
			e.Code = aad
		}
	case refreshing && (code == "invalid_grant" || code == "interaction_required" || code == "consent_required"):
		// The grant is gone (expired, revoked, spent, or Microsoft wants
		// the user again): only a new sign-in helps.
		e.Problem = ProblemExpired
	case code == "access_denied":
		e.Problem = ProblemDenied
	}
	return e
}

// transportError is a failure to talk to the provider: the caller's
// cancellation, or the network.
func transportError(ctx context.Context, provider string, err error) *Error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return &Error{Problem: ProblemCancelled, Provider: provider, Err: err}
	}
	return &Error{Problem: ProblemUnreachable, Provider: provider, Err: err}
}

// Revoke asks the provider to revoke the token (RFC 7009 §2.1: a form POST
// of token and token_type_hint=refresh_token), where it has an endpoint;
// without one (Microsoft) it does nothing and returns nil. Revoking a
// refresh token also ends the access tokens issued with it. A token the
// provider no longer knows is not an error (RFC 7009 §2.2: 200).
func Revoke(ctx context.Context, p Provider, clientID, tenant, token string) error {
	if p.RevocationURL == "" {
		return nil
	}
	endpoint, err := withTenant(p.Name, p.RevocationURL, tenant)
	if err != nil {
		return err
	}
	clientID, secret := credentials(p, clientID)
	form := url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}
	if clientID != "" {
		form.Set("client_id", clientID)
	}
	if secret != "" {
		form.Set("client_secret", secret)
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Problem: ProblemProviderError, Provider: p.Name, Err: errors.New("bad revocation endpoint")}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		return transportError(ctx, p.Name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var tr tokenResponse
	if json.Unmarshal(body, &tr) == nil && tr.Error != "" {
		// Google answers invalid_token for a token it no longer knows:
		// what the user wanted is done.
		if tr.Error == "invalid_token" {
			return nil
		}
		return &Error{Problem: ProblemProviderError, Provider: p.Name, Code: tr.Error, Description: tr.ErrorDescription}
	}
	return &Error{Problem: ProblemProviderError, Provider: p.Name, Err: errors.New("revocation endpoint answered " + resp.Status)}
}

// credentials are the client id and secret to use: the organisation's own
// id (clientID) comes without Postie's secret, which belongs to Postie's
// registration.
func credentials(p Provider, clientID string) (id, secret string) {
	if clientID == "" || clientID == p.ClientID {
		return p.ClientID, p.ClientSecret
	}
	return clientID, ""
}
