package testpeer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test, which nothing but the
// test trusts.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA whose subject is CN=name,O=Postie tests.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := MakeCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// MakeCA is NewCA for a program that is not a test, such as a benchmark's
// helper that starts Dovecot (see RunDovecot).
func MakeCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Postie tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key}, nil
}

// Leaf describes a server certificate.
type Leaf struct {
	Names     []string  // DNS names and IP addresses; the first is the subject's CN
	NotBefore time.Time // zero: an hour ago
	NotAfter  time.Time // zero: in a day
}

// Loopback is a valid certificate for the addresses the tests dial.
var Loopback = Leaf{Names: []string{"localhost", "127.0.0.1"}}

// Issue makes a server certificate signed by ca, or self-signed when ca is
// nil.
func (ca *CA) Issue(t testing.TB, leaf Leaf) tls.Certificate {
	t.Helper()
	cert, err := ca.Make(leaf)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// Make is Issue for code that cannot stop the test, such as a server's
// tls.Config.GetCertificate.
func (ca *CA) Make(leaf Leaf) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: leaf.Names[0]},
		NotBefore:    leaf.NotBefore,
		NotAfter:     leaf.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	for _, n := range leaf.Names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, nil
}

// Pool is a certificate pool that trusts only ca.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// WriteFile writes the CA's certificate as PEM and returns its path.
func (ca *CA) WriteFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WriteFileAt(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// WriteFileAt writes the CA's certificate as PEM to path, for a program
// that is not a test.
func (ca *CA) WriteFileAt(path string) error {
	return writePEM(path, "CERTIFICATE", ca.Cert.Raw)
}

// WriteCertFiles writes a server certificate and its key as PEM, for
// servers that read them from files, such as mailpit.
func WriteCertFiles(t testing.TB, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile, err := writeCertFilesIn(t.TempDir(), cert)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// writeCertFilesIn is WriteCertFiles into the folder dir.
func writeCertFilesIn(dir string, cert tls.Certificate) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := writePEM(certFile, "CERTIFICATE", cert.Certificate[0]); err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return "", "", err
	}
	return certFile, keyFile, writePEM(keyFile, "PRIVATE KEY", der)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// Fingerprint is the SHA-256 of a certificate in lowercase hex, as Postie
// pins it.
func Fingerprint(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}
