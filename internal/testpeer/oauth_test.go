package testpeer_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/internal/testpeer"
)

// xoauth2 is the client side of XOAUTH2 as Google documents it.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil } // answer the error challenge

// TestSMTPAcceptsOnlyTheCurrentlyValidAccessToken checks the SMTP server
// that tests of OAuth accounts send through: with ValidToken set to the
// authorization server's Valid, a token signs in while it is valid and
// is refused once expired or revoked, over both bearer mechanisms.
func TestSMTPAcceptsOnlyTheCurrentlyValidAccessToken(t *testing.T) {
	auth := testpeer.StartOAuth(t, testpeer.OAuthOptions{})
	backend := &testpeer.Backend{Mechanisms: []string{"XOAUTH2", sasl.OAuthBearer}, User: "ann@oauth.test",
		ValidToken: func(_, token string) bool { return auth.Valid(token) }}
	server := testpeer.Run(t, testpeer.Options{Backend: backend})

	// A token from the authorization server, by hand.
	verifier := "a-verifier-that-is-long-enough-for-rfc-7636-section-4-1"
	answer, err := auth.AuthorizeCode(context.Background(), map[string][]string{"response_type": {"code"}, "client_id": {auth.ClientID()},
		"redirect_uri": {"http://127.0.0.1:9/"}, "state": {"s"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := auth.PostToken(context.Background(), map[string][]string{"grant_type": {"authorization_code"}, "code": {answer.Get("code")},
		"redirect_uri": {"http://127.0.0.1:9/"}, "client_id": {auth.ClientID()}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	access, _ := tok["access_token"].(string)

	signIn := func(mech sasl.Client) error {
		c, err := smtp.Dial(server.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Auth(mech)
	}
	clients := map[string]func(token string) sasl.Client{
		"XOAUTH2": func(token string) sasl.Client { return xoauth2{"ann@oauth.test", token} },
		"OAUTHBEARER": func(token string) sasl.Client {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "ann@oauth.test", Token: token})
		},
	}
	for name, client := range clients {
		if err := signIn(client(access)); err != nil {
			t.Errorf("%s with the valid token: %v", name, err)
		}
		if err := signIn(client("forged")); err == nil {
			t.Errorf("%s accepted a token the server never issued", name)
		}
	}
	auth.ExpireNow()
	for name, client := range clients {
		if err := signIn(client(access)); err == nil {
			t.Errorf("%s accepted an expired token", name)
		}
	}
}

// s256 is the PKCE S256 challenge of a verifier (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
