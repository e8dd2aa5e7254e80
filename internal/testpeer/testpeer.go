// Package testpeer is a submission server for tests that drive Postie from
// outside its own package, such as the real binary: a go-smtp server on
// 127.0.0.1, in plain, STARTTLS or implicit TLS with a certificate from a
// CA of its own, that can be told to hang up around the end of a message.
// Only tests import it.
package testpeer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/mail/smtpclient"
)

// Behaviour is what the server does with the next messages.
type Behaviour int

const (
	// Accept reads the message and replies 250.
	Accept Behaviour = iota
	// HangUpAfterDot reads the whole message, its final dot included, and
	// closes the connection without replying: the server has the message
	// but the client cannot know (RFC 5321 §6.1).
	HangUpAfterDot
	// HangUpMidBody reads the first MidBody bytes of the message and
	// closes the connection; the message is incomplete and discarded
	// (RFC 5321 §4.1.1.4). Only a message larger than the operating
	// system's socket buffers is sure to be cut before its final dot.
	HangUpMidBody
	// HoldAfterDot reads the whole message, its final dot included, and
	// never replies, until the test ends.
	HoldAfterDot
)

// MidBody is how much of a message HangUpMidBody reads.
const MidBody = 64 << 10

// Server is a running submission server.
type Server struct {
	Host     string
	Port     int
	Security smtpclient.Security
	CAFile   string // PEM of the CA that issued its certificate; "" without TLS
	User     string // AUTH PLAIN accepts only User and Password
	Password string

	held    chan struct{} // closed when the test ends, releasing HoldAfterDot
	arrival chan struct{} // a message arrived whole

	mu        sync.Mutex
	behaviour Behaviour
	arrived   [][]byte // messages read up to their final dot, acknowledged or not
}

// Start runs a server until the test ends.
func Start(t testing.TB, security smtpclient.Security, user, password string) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", Security: security, User: user, Password: password,
		held: make(chan struct{}), arrival: make(chan struct{}, 1000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "testpeer.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	// Postie sends a password without TLS only to a loopback server.
	srv.AllowInsecureAuth = security == smtpclient.SecurityNone
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if security != smtpclient.SecurityNone {
		var cert tls.Certificate
		cert, s.CAFile = issue(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if security == smtpclient.SecurityTLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		close(s.held)
		srv.Close()
	})
	s.Port = l.Addr().(*net.TCPAddr).Port
	return s
}

// Behave changes what the server does with the next messages.
func (s *Server) Behave(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = b
}

// Arrival receives a value each time a message arrives whole.
func (s *Server) Arrival() <-chan struct{} { return s.arrival }

// Arrived returns every message the server read up to its final dot,
// whether it acknowledged it or hung up: each is a copy a recipient may get.
func (s *Server) Arrived() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.arrived...)
}

type session struct {
	s    *Server
	conn *smtp.Conn
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.User || password != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		return nil
	}), nil
}

func (ss *session) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *session) Reset()                               {}
func (ss *session) Logout() error                        { return nil }

func (ss *session) Data(r io.Reader) error {
	ss.s.mu.Lock()
	behaviour := ss.s.behaviour
	ss.s.mu.Unlock()
	if behaviour == HangUpMidBody {
		io.CopyN(io.Discard, r, MidBody)
		return ss.conn.Conn().Close()
	}
	data, err := io.ReadAll(r) // returns without error only after the final dot
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.arrived = append(ss.s.arrived, data)
	ss.s.mu.Unlock()
	ss.s.arrival <- struct{}{}
	switch behaviour {
	case HangUpAfterDot:
		return ss.conn.Conn().Close()
	case HoldAfterDot:
		<-ss.s.held
	}
	return nil
}

// issue makes a CA, writes its certificate to a file, and returns a server
// certificate it signed for 127.0.0.1 and localhost.
func issue(t testing.TB) (tls.Certificate, string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	caKey, key := newKey(), newKey()
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "testpeer CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}
