package smtpclient

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// tlsConfig returns the client configuration for host: TLS 1.2 at least
// (RFC 8314 §4.1 asks for current TLS), and verification by verifyPeer.
// Go's own verification is switched off only so that verifyPeer can apply
// the accepted fingerprint and report the certificate it refused.
func tlsConfig(cfg Config) (*tls.Config, error) {
	roots := cfg.RootCAs // nil: the system roots
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			e := configError(ReasonCAFileUnreadable)
			e.Setting, e.Err, e.detail = cfg.CAFile, err, err.Error()
			return nil, e
		}
		if roots != nil {
			roots = roots.Clone()
		} else if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			e := configError(ReasonCAFileEmpty)
			e.Setting = cfg.CAFile
			return nil, e
		}
	}
	var pin []byte
	if cfg.pinIsForThisServer() {
		pin, _ = parsePin(cfg.PinSHA256)
	}
	host := cfg.dialHost()
	return &tls.Config{
		ServerName:         host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPeer(host, cs.PeerCertificates, roots, pin)
		},
	}, nil
}

// verifyPeer accepts the chain if it verifies for host against roots, as
// Go's own verification would. Otherwise it accepts the leaf certificate
// only if its SHA-256 fingerprint is the one the user accepted.
//
// A pinned certificate is accepted whatever its issuer, names and dates:
// the user saw this exact certificate for this account and accepted it,
// and only a server holding its private key can present it, so the pin
// already binds it to the server. The pin is an exception, not a
// restriction: a certificate that verifies normally is accepted too, so
// a server that moves to a publicly trusted certificate keeps working.
func verifyPeer(host string, chain []*x509.Certificate, roots *x509.CertPool, pin []byte) error {
	if len(chain) == 0 {
		return fmt.Errorf("the server presented no certificate")
	}
	leaf := chain[0]
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: intermediates})
	if err == nil {
		return nil
	}
	if sum := sha256.Sum256(leaf.Raw); pin != nil && bytes.Equal(sum[:], pin) {
		return nil
	}
	return &certError{host: host, cert: leaf, err: err}
}

// pinIsForThisServer reports whether the pin may be used for Host and
// Port: it was accepted for them, or PinFor does not say where it was
// accepted. Names are compared as DNS compares them: without case, without
// a trailing dot, and an IPv6 address without its brackets.
func (cfg Config) pinIsForThisServer() bool {
	if cfg.PinFor == "" {
		return true
	}
	host, port, err := net.SplitHostPort(cfg.PinFor)
	if err != nil {
		return false
	}
	sameHost := func(a, b string) bool {
		clean := func(h string) string { return strings.TrimSuffix(strings.Trim(strings.TrimSpace(h), "[]"), ".") }
		return strings.EqualFold(clean(a), clean(b))
	}
	return sameHost(host, cfg.Host) && port == strconv.Itoa(cfg.Port)
}

// parsePin reads a hex SHA-256 fingerprint, with or without colons or
// spaces, in either case.
func parsePin(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	s = strings.NewReplacer(":", "", " ", "").Replace(s)
	pin, err := hex.DecodeString(s)
	if err == nil && len(pin) != sha256.Size {
		err = fmt.Errorf("fingerprint has %d bytes, want %d", len(pin), sha256.Size)
	}
	return pin, err
}
