// Package testpeer holds the peers Postie's tests talk to, and the helpers
// that set them up: a submission server on 127.0.0.1 (go-smtp) that can be
// told to refuse, stall or hang up at any stage of a submission,
// certificate authorities and their certificates, mailpit, an in-memory
// keyring, an OAuth 2.0 authorization server with a test browser
// (oauth.go), and the guards that tell the fast tier (go test -short) from the
// full suite. Only tests import it.
//
// It imports none of Postie's packages, so that every package's own tests
// can use it.
package testpeer
