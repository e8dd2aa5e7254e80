package smtpclient

import (
	"crypto/tls"
	"errors"
)

// TLSClientConfig is the TLS configuration this package uses for cfg's
// Host, Port, CAFile, RootCAs, PinSHA256 and PinFor (see tlsConfig and
// verifyPeer), for the other servers of the same account (imapclient), so
// that one rule decides which certificates Postie accepts. A configuration
// error is an *Error at StageConfig.
func TLSClientConfig(cfg Config) (*tls.Config, error) { return tlsConfig(cfg) }

// CertificateRefusal reports whether err, from a handshake with a
// TLSClientConfig, is a refused certificate, and then which one and why.
func CertificateRefusal(err error) (*CertInfo, CertProblem, bool) {
	var cert *certError
	if !errors.As(err, &cert) {
		return nil, "", false
	}
	return certInfo(cert.cert), cert.problem(), true
}
