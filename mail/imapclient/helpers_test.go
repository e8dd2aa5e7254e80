package imapclient_test

import (
	"crypto/tls"

	"github.com/postie-app/postie/internal/testpeer"
)

func tlsFor(d *testpeer.Dovecot) *tls.Config {
	return &tls.Config{RootCAs: d.CA.Pool(), ServerName: "localhost"}
}
