package testpeer

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"strconv"
	"testing"

	"github.com/emersion/go-smtp"
)

// Security is how a server protects its connections, spelled as
// smtpclient.Security and the CLI's --security spell it.
type Security string

const (
	None     Security = "none"
	StartTLS Security = "starttls"
	TLS      Security = "tls"
)

// Options describe a server for Run. The zero value is a plain server on
// 127.0.0.1 that accepts every message without signing in.
type Options struct {
	Security Security
	// Backend is what the server does and records; nil means a new one.
	Backend *Backend
	// The certificate with TLS: Cert if given, else one for Leaf (zero:
	// Loopback) from CA (nil: a CA of the server's own).
	Cert *tls.Certificate
	CA   *CA
	Leaf Leaf
	// Address is where to listen; "" means a free port on 127.0.0.1.
	Address string
	// Configure changes the go-smtp server last, before it serves: limits
	// such as MaxMessageBytes, extensions, TLS versions.
	Configure []func(*smtp.Server)
}

// Server is a running submission server. Its Backend says what it does and
// records what it saw.
type Server struct {
	*Backend
	Host     string
	Port     int
	Security Security
	Cert     tls.Certificate // its certificate; none without TLS
	CAFile   string          // PEM of the CA that issued Cert; "" without TLS or with Options.Cert
}

// Start runs a server until the test ends, with a certificate for
// Loopback from a CA of its own, whose AUTH accepts user and password.
func Start(t testing.TB, security Security, user, password string) *Server {
	t.Helper()
	return Run(t, Options{Security: security, Backend: &Backend{User: user, Password: password}})
}

// Run runs the server opts describe until the test ends.
func Run(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{Backend: opts.Backend, Security: opts.Security}
	if s.Backend == nil {
		s.Backend = &Backend{}
	}
	if s.Security == "" {
		s.Security = None
	}
	srv := smtp.NewServer(s.Backend)
	srv.Domain = Domain
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are expected
	// Postie sends a password without TLS only to a loopback server.
	srv.AllowInsecureAuth = s.Security == None
	address := opts.Address
	if address == "" {
		address = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	if s.Security != None {
		if opts.Cert != nil {
			s.Cert = *opts.Cert
		} else {
			ca, leaf := opts.CA, opts.Leaf
			if ca == nil {
				ca = NewCA(t, "testpeer CA")
			}
			if leaf.Names == nil {
				leaf = Loopback
			}
			s.Cert = ca.Issue(t, leaf)
			s.CAFile = ca.WriteFile(t)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.Cert}}
	}
	for _, configure := range opts.Configure {
		configure(srv)
	}
	if s.Security == TLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		s.Backend.release()
		srv.Close()
	})
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }
