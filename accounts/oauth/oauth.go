// Package oauth signs Postie in to mail providers with OAuth 2.0 for native
// apps: the system browser, a loopback redirect and PKCE (RFC 8252, RFC
// 7636), then refreshes and revokes the tokens it got (RFC 6749, RFC 7009).
//
// The files each do one thing:
//   - providers.go: the built-in provider table (endpoints, scopes, mail
//     servers, the domains and MX hosts that identify each provider) and
//     the client ids embedded at build time;
//   - providersfile.go: POSTIE_OAUTH_PROVIDERS, a JSON file that adds or
//     overrides providers, and its validation;
//   - signin.go: the interactive sign-in (loopback listener, PKCE S256,
//     state, the page the browser shows);
//   - token.go: the token endpoint (code exchange, refresh with rotation)
//     and revocation;
//   - errors.go: the facts a failure carries.
//
// It returns facts (*Error with a Problem); the front ends write the
// sentences. It never stores a token: the accounts package keeps the
// refresh token in the keyring and the access token in memory. No error,
// log line or page it produces contains a token, a code or a verifier.
package oauth
