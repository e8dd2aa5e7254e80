// Package demo runs the mail server behind Postie's demo mode: a real SMTP
// submission server on loopback, with STARTTLS and authentication, so every
// screen of Postie works end to end without a real account. What it
// receives is kept as .eml files for the Demo inbox view, headers included.
//
// It also plays the part of a server that refuses, so people (and tests)
// can see how Postie explains failures: mail to bounce@… is refused for good
// (550 5.1.1) and mail to busy@… is deferred (451 4.3.0).
//
// It listens on 127.0.0.1 only and never relays anything anywhere.
package demo

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Username is the demo account's user name; the password is new each start.
const Username = "demo"

// MaxMessageBytes is the size limit the demo server announces (SIZE).
const MaxMessageBytes = 25 << 20

// Server is a running demo server.
type Server struct {
	// Host and Port are where it listens (127.0.0.1 and a free port).
	Host string
	Port int
	// Password is the demo account's password for this run.
	Password string
	// PinSHA256 is the hex SHA-256 fingerprint of the server's self-signed
	// certificate; the demo account trusts exactly that certificate.
	PinSHA256 string

	inbox    string
	smtp     *smtp.Server
	listener net.Listener

	mu        sync.Mutex
	seq       int
	listeners []func(Received)
}

// Received is one message as the server stored it.
type Received struct {
	Path       string // the .eml file
	From       string // the envelope sender when just received, else the From header
	To         []string
	Subject    string // decoded
	ReceivedAt time.Time
}

// Start listens on a free loopback port and stores what it receives in
// inboxDir.
func Start(inboxDir string) (*Server, error) {
	if err := os.MkdirAll(inboxDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the demo inbox %s: %w", inboxDir, err)
	}
	cert, pin, err := selfSignedCertificate()
	if err != nil {
		return nil, err
	}
	password, err := randomHex(12)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot start the demo mail server: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s := &Server{Host: "127.0.0.1", Port: addr.Port, Password: password, PinSHA256: pin, inbox: inboxDir, listener: ln}

	s.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	s.smtp.Domain = "demo.postie.invalid"
	s.smtp.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.smtp.MaxMessageBytes = MaxMessageBytes
	s.smtp.MaxRecipients = 100
	s.smtp.ReadTimeout = 5 * time.Minute
	s.smtp.WriteTimeout = 5 * time.Minute
	s.smtp.EnableSMTPUTF8 = true
	s.smtp.ErrorLog = quietLog{}
	go s.smtp.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.smtp.Close() }

// OnReceive registers fn to be called, on the server's goroutine, for each
// message stored from now on.
func (s *Server) OnReceive(fn func(Received)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// Inbox lists what the demo server has received, newest first, across runs.
func (s *Server) Inbox() ([]Received, error) {
	entries, err := os.ReadDir(s.inbox)
	if err != nil {
		return nil, err
	}
	var out []Received
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		r := Received{Path: filepath.Join(s.inbox, e.Name()), ReceivedAt: info.ModTime()}
		r.From, r.Subject = readSummary(r.Path)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path > out[j].Path })
	return out, nil
}

func (s *Server) store(from string, to []string, r io.Reader) error {
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("%s-%04d.eml", time.Now().UTC().Format("20060102T150405.000000000"), s.seq)
	listeners := append([]func(Received){}, s.listeners...)
	s.mu.Unlock()

	path := filepath.Join(s.inbox, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	got := Received{Path: path, From: from, To: to, ReceivedAt: time.Now()}
	for _, fn := range listeners {
		fn(got)
	}
	return nil
}

// readSummary reads the From and Subject headers of a stored message,
// decoding RFC 2047 words; a file it cannot read yields empty strings.
func readSummary(path string) (from, subject string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(f, 64<<10)))
	if err != nil {
		return "", ""
	}
	dec := new(mime.WordDecoder)
	from, _ = dec.DecodeHeader(h.Get("From"))
	subject, _ = dec.DecodeHeader(h.Get("Subject"))
	return from, subject
}

type session struct {
	server *Server
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != Username || password != s.server.Password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch local, _, _ := strings.Cut(strings.ToLower(to), "@"); local {
	case "bounce":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown"}
	case "busy":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Mailbox busy, try again later"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if err := s.server.store(s.from, s.to, r); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not store the message"}
	}
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// selfSignedCertificate makes a fresh certificate for 127.0.0.1 and
// localhost, and returns it with its SHA-256 fingerprint.
func selfSignedCertificate() (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, "", err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Postie demo server", Organization: []string{"Postie"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:]), nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", errors.New("cannot make a demo password: " + err.Error())
	}
	return hex.EncodeToString(b), nil
}

// quietLog drops go-smtp's per-connection error lines; the demo's results
// are shown in the window instead.
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
