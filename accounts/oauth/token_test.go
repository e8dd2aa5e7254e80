package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// signedIn signs in at srv through the test browser.
func signedIn(t *testing.T, srv *testpeer.OAuthServer, p Provider) Token {
	t.Helper()
	pages := make(chan string, 1)
	tok, err := SignIn(context.Background(), p, SignInOptions{Open: browseTo(t, pages)})
	if err != nil {
		t.Fatal(err)
	}
	<-pages
	return tok
}

func TestRefreshRotatesAndTheSpentTokenIsRefused(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{ClientSecret: "s3"})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	first := signedIn(t, srv, p)
	ctx := context.Background()

	second, err := Refresh(ctx, p, "", "", first.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if second.Refresh == "" || second.Refresh == first.Refresh || !srv.ValidRefresh(second.Refresh) {
		t.Fatalf("Refresh did not return the rotated refresh token")
	}
	if !srv.Valid(second.Access) || second.Access == first.Access {
		t.Error("Refresh did not return a new valid access token")
	}
	_, err = Refresh(ctx, p, "", "", first.Refresh)
	if e := problemOf(t, err); e.Problem != ProblemExpired || e.Code != "invalid_grant" || !e.NeedsSignIn() {
		t.Errorf("the spent refresh token got %+v, want sign-in-expired (invalid_grant)", e)
	}
	if c := srv.Counts(); c.Refreshes != 1 {
		t.Errorf("%d refreshes, want 1", c.Refreshes)
	}
}

func TestRefreshWithoutRotationReturnsNoRefreshToken(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{KeepRefresh: true})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	first := signedIn(t, srv, p)
	for i := range 2 {
		tok, err := Refresh(context.Background(), p, "", "", first.Refresh)
		if err != nil {
			t.Fatalf("refresh %d with the kept token: %v", i, err)
		}
		if tok.Refresh != "" {
			t.Errorf("refresh %d returned a refresh token the server did not send", i)
		}
	}
}

func TestRefreshAfterTheAccessTokenExpired(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	tok := signedIn(t, srv, p)
	srv.ExpireNow()
	if srv.Valid(tok.Access) {
		t.Fatal("ExpireNow left the access token valid")
	}
	fresh, err := Refresh(context.Background(), p, "", "", tok.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Valid(fresh.Access) {
		t.Error("the refreshed access token is not valid")
	}
}

func TestRefreshWithTheWrongClientOrNoServer(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	tok := signedIn(t, srv, p)
	_, err := Refresh(context.Background(), p, "someone-else", "", tok.Refresh)
	if e := problemOf(t, err); e.Problem != ProblemProviderError || e.Code != "invalid_client" {
		t.Errorf("another client id got %+v, want provider-error invalid_client", e)
	}
	p.TokenURL = fmt.Sprintf("http://127.0.0.1:%d/token", testpeer.FreePort(t))
	_, err = Refresh(context.Background(), p, "", "", tok.Refresh)
	if e := problemOf(t, err); e.Problem != ProblemUnreachable || e.NeedsSignIn() {
		t.Errorf("a closed port got %+v, want unreachable", e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Refresh(ctx, p, "", "", tok.Refresh)
	if e := problemOf(t, err); e.Problem != ProblemCancelled {
		t.Errorf("a cancelled context got %+v, want cancelled", e)
	}
}

func TestRevokeEndsTheGrant(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	tok := signedIn(t, srv, p)
	if err := Revoke(context.Background(), p, "", "", tok.Refresh); err != nil {
		t.Fatal(err)
	}
	if c := srv.Counts(); c.Revocations != 1 {
		t.Errorf("%d revocations, want 1", c.Revocations)
	}
	_, err := Refresh(context.Background(), p, "", "", tok.Refresh)
	if e := problemOf(t, err); e.Problem != ProblemExpired {
		t.Errorf("refresh after revocation got %+v, want sign-in-expired", e)
	}
	// Revoking again is not an error (RFC 7009 §2.2).
	if err := Revoke(context.Background(), p, "", "", tok.Refresh); err != nil {
		t.Errorf("a second revocation: %v", err)
	}
}

func TestRevokeWithoutEndpointDoesNothing(t *testing.T) {
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{NoRevocation: true})
	tok := signedIn(t, srv, p)
	if err := Revoke(context.Background(), p, "", "", tok.Refresh); err != nil {
		t.Fatal(err)
	}
	if srv.Counts().Revocations != 0 || !srv.ValidRefresh(tok.Refresh) {
		t.Error("Revoke without an endpoint reached the server")
	}
	microsoft, _ := BuiltIn().Find("microsoft")
	if microsoft.RevocationURL != "" {
		t.Error("Microsoft has a revocation endpoint in the table")
	}
}

func TestLargeTokensRoundTrip(t *testing.T) {
	// Microsoft's refresh tokens can pass 6,000 bytes (more than a
	// Windows Credential Manager entry holds).
	srv := testpeer.StartOAuth(t, testpeer.OAuthOptions{RefreshSize: 6000, AccessSize: 3000})
	p := fakeProvider(t, srv, testpeer.OAuthProvider{})
	tok := signedIn(t, srv, p)
	if len(tok.Refresh) != 6000 || len(tok.Access) != 3000 {
		t.Fatalf("token sizes %d and %d, want 6000 and 3000", len(tok.Refresh), len(tok.Access))
	}
	next, err := Refresh(context.Background(), p, "", "", tok.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Refresh) != 6000 || !srv.Valid(next.Access) {
		t.Errorf("refreshed sizes %d, valid %v", len(next.Refresh), srv.Valid(next.Access))
	}
}

// tokenEndpoint is a token endpoint that answers every request with the
// status and body given, for the answers the test authorization server
// does not give.
func tokenEndpoint(t *testing.T, status int, body string) Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return Provider{ID: "edge", Name: "Edge", ClientID: "postie-test",
		AuthorizationURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token"}
}

// TestAccessTokenLifetimeWhenMissingOrHuge: expires_in is only
// RECOMMENDED (RFC 6749 §5.1): without it a token is used for an hour, not
// for ever; a huge value (even one that would overflow a Duration) is
// believed for at most a day.
func TestAccessTokenLifetimeWhenMissingOrHuge(t *testing.T) {
	cases := map[string]struct {
		expiresIn string // JSON, "" for none
		want      time.Duration
	}{
		"missing":               {"", time.Hour},
		"zero":                  {`0`, time.Hour},
		"negative":              {`-5`, time.Hour},
		"an hour":               {`3599`, 3599 * time.Second},
		"a day exactly":         {`86400`, 24 * time.Hour},
		"a day and a second":    {`86401`, 24 * time.Hour},
		"overflows a Duration":  {`9223372036854775807`, 24 * time.Hour},
		"beyond int64":          {`1e300`, 24 * time.Hour},
		"a fraction of an hour": {`1800.5`, 1800 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			body := `{"access_token":"a","refresh_token":"r","token_type":"Bearer"`
			if tc.expiresIn != "" {
				body += `,"expires_in":` + tc.expiresIn
			}
			p := tokenEndpoint(t, http.StatusOK, body+"}")
			before := time.Now()
			tok, err := Refresh(context.Background(), p, "", "", "r")
			after := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			if tok.Expiry.Before(before.Add(tc.want)) || tok.Expiry.After(after.Add(tc.want)) {
				t.Errorf("expiry in %v, want %v", time.Until(tok.Expiry).Round(time.Second), tc.want)
			}
		})
	}
}

// TestTokenOfAnotherTypeIsRefused: SMTP carries bearer tokens; "bearer"
// in any case is one, anything else (or none) is a provider error.
func TestTokenOfAnotherTypeIsRefused(t *testing.T) {
	for typ, ok := range map[string]bool{`"Bearer"`: true, `"bearer"`: true, `"BEARER"`: true,
		`"mac"`: false, `"DPoP"`: false, `""`: false, `null`: false} {
		p := tokenEndpoint(t, http.StatusOK, `{"access_token":"a","expires_in":3600,"token_type":`+typ+`}`)
		_, err := Refresh(context.Background(), p, "", "", "r")
		if ok {
			if err != nil {
				t.Errorf("token_type %s: %v", typ, err)
			}
			continue
		}
		if e := problemOf(t, err); e.Problem != ProblemProviderError || e.Code != "unsupported_token_type" || e.NeedsSignIn() {
			t.Errorf("token_type %s got %+v, want provider-error unsupported_token_type", typ, e)
		}
	}
}

// TestTokenEndpointFailureIsTemporary: a token endpoint that fails (5xx)
// or asks to slow down (429) says so, so that callers try again later;
// its other non-OAuth answers do not.
func TestTokenEndpointFailureIsTemporary(t *testing.T) {
	for status, temporary := range map[int]bool{500: true, 502: true, 503: true, 429: true, 404: false, 499: false, 200: false} {
		p := tokenEndpoint(t, status, `<html>not OAuth</html>`)
		_, err := Refresh(context.Background(), p, "", "", "r")
		e := problemOf(t, err)
		if e.Problem != ProblemProviderError || e.HTTPStatus != status || e.Temporary() != temporary {
			t.Errorf("HTTP %d got %+v (temporary %v), want provider-error with the status, temporary %v", status, e, e.Temporary(), temporary)
		}
	}
}
