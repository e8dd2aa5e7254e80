package autoconfig

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

// imapGreeter is the part of an IMAP server (RFC 9051) that discovery
// looks at: the greeting, CAPABILITY, STARTTLS and LOGOUT. It records
// every command, so a test sees that nothing else, such as LOGIN, came.
type imapGreeter struct {
	mu       sync.Mutex
	commands []string
}

// startIMAP starts an IMAP greeter on loopback with cert, speaking
// implicit TLS or, without it, offering STARTTLS when startTLS is set.
func startIMAP(t *testing.T, cert tls.Certificate, implicitTLS, startTLS bool) (int, *imapGreeter) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	g := &imapGreeter{}
	config := &tls.Config{Certificates: []tls.Certificate{cert}}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			if implicitTLS {
				conn = tls.Server(conn, config)
			}
			go g.serve(conn, config, startTLS && !implicitTLS)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, g
}

func (g *imapGreeter) serve(conn net.Conn, config *tls.Config, offerSTARTTLS bool) {
	defer conn.Close()
	fmt.Fprint(conn, "* OK IMAP4rev1 lab server ready\r\n")
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, command, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		g.mu.Lock()
		g.commands = append(g.commands, command)
		g.mu.Unlock()
		switch strings.ToUpper(command) {
		case "CAPABILITY":
			caps := "IMAP4rev1 IMAP4rev2 LOGINDISABLED"
			if offerSTARTTLS {
				caps += " STARTTLS"
			}
			fmt.Fprintf(conn, "* CAPABILITY %s\r\n%s OK done\r\n", caps, tag)
		case "STARTTLS":
			if !offerSTARTTLS {
				fmt.Fprintf(conn, "%s BAD no\r\n", tag)
				continue
			}
			fmt.Fprintf(conn, "%s OK begin TLS\r\n", tag)
			tc := tls.Server(conn, config)
			if tc.Handshake() != nil {
				return
			}
			conn, r, offerSTARTTLS = tc, bufio.NewReader(tc), false
		case "LOGOUT":
			fmt.Fprintf(conn, "* BYE\r\n%s OK bye\r\n", tag)
			return
		default:
			fmt.Fprintf(conn, "%s BAD not here\r\n", tag)
		}
	}
}

func (g *imapGreeter) seen() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.commands...)
}

func wantIMAP(t *testing.T, res *Result, source Source, host string, port int, sec Security) {
	t.Helper()
	m := res.IMAP
	if m == nil {
		t.Fatalf("no IMAP server found (attempts %+v)", res.IMAPAttempts)
	}
	if m.Source != source || m.Host != host || m.Port != port || m.Security != sec {
		t.Fatalf("IMAP %s:%d %s from %q, want %s:%d %s from %q (attempts %+v)",
			m.Host, m.Port, m.Security, m.Source, host, port, sec, source, res.IMAPAttempts)
	}
}

func TestDiscoverIMAPFromTheProviderTable(t *testing.T) {
	l := newLab(t)
	res := discover(t, l.discoverer(t), "anna@gmail.com")
	wantIMAP(t, res, SourceProviderTable, "imap.gmail.com", 993, TLS)
	if res.IMAP.Username != "anna@gmail.com" || res.IMAPAttempts != nil {
		t.Errorf("username %q, IMAP attempts %+v", res.IMAP.Username, res.IMAPAttempts)
	}
	for _, p := range Providers() {
		if p.IMAPHost == "" || p.IMAPPort != 993 || p.IMAPSecurity != TLS || !validHostname(p.IMAPHost) {
			t.Errorf("%s: IMAP %s:%d %s", p.Name, p.IMAPHost, p.IMAPPort, p.IMAPSecurity)
		}
	}
}

// A clientConfig file names its IMAP server beside the SMTP one: the first
// encrypted <incomingServer type="imap">, never POP3 or a plain one.
func TestDiscoverIMAPFromClientConfig(t *testing.T) {
	l := newLab(t)
	l.web.serveXML("autoconfig.cc.test/mail/config-v1.1.xml", `<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="cc.test"><domain>cc.test</domain><displayName>CC Mail</displayName>
<incomingServer type="pop3"><hostname>pop.cc.test</hostname><port>995</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
<incomingServer type="imap"><hostname>plain.cc.test</hostname><port>143</port><socketType>plain</socketType><username>%EMAILADDRESS%</username></incomingServer>
<incomingServer type="imap"><hostname>imap.cc.test</hostname><port>143</port><socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></incomingServer>
<incomingServer type="imap"><hostname>second.cc.test</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.cc.test</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>`)
	l.dns.add(t, "_imaps._tcp.cc.test. 60 IN SRV 0 1 993 srv.cc.test.")
	res := discover(t, l.discoverer(t), "anna@cc.test")
	wantSettings(t, res, SourceAutoconfig, "smtp.cc.test", 465, TLS)
	wantIMAP(t, res, SourceAutoconfig, "imap.cc.test", 143, STARTTLS)
	if res.IMAP.Username != "anna" || !strings.HasPrefix(res.IMAP.Detail, "https://autoconfig.cc.test/") {
		t.Errorf("IMAP username %q, detail %q", res.IMAP.Username, res.IMAP.Detail)
	}

	// A file without IMAP leaves it to the IMAP server's own sources.
	l.web.serveXML("autoconfig.noimap.test/mail/config-v1.1.xml", config("smtp.noimap.test 465 SSL"))
	l.dns.add(t, "_imaps._tcp.noimap.test. 60 IN SRV 0 1 993 mail.noimap.test.")
	res = discover(t, l.discoverer(t), "anna@noimap.test")
	wantIMAP(t, res, SourceSRV, "mail.noimap.test", 993, TLS)
}

// RFC 6186: _imaps._tcp before _imap._tcp, the latter with STARTTLS; a
// server outside the user's domain and the SMTP server's is not used.
func TestDiscoverIMAPFromSRV(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"_submissions._tcp.both.test. 60 IN SRV 0 1 465 smtp.both.test.",
		"_imaps._tcp.both.test. 60 IN SRV 0 1 993 imaps.both.test.",
		"_imap._tcp.both.test. 60 IN SRV 0 1 143 imap.both.test.",
		"_submissions._tcp.plainonly.test. 60 IN SRV 0 1 465 smtp.plainonly.test.",
		"_imap._tcp.plainonly.test. 60 IN SRV 0 1 143 imap.plainonly.test.",
		"_submissions._tcp.away.test. 60 IN SRV 0 1 465 smtp.away.test.",
		"_imaps._tcp.away.test. 60 IN SRV 0 1 993 imap.elsewhere.test.",
		"_submissions._tcp.hosted.test. 60 IN SRV 0 1 465 smtp.hoster.test.",
		"_imaps._tcp.hosted.test. 60 IN SRV 0 1 993 imap.hoster.test.",
	)
	d := l.discoverer(t)

	res := discover(t, d, "anna@both.test")
	wantIMAP(t, res, SourceSRV, "imaps.both.test", 993, TLS)
	if res.IMAP.Detail != "_imaps._tcp.both.test → imaps.both.test:993" || res.IMAP.Username != "anna@both.test" {
		t.Errorf("detail %q, username %q", res.IMAP.Detail, res.IMAP.Username)
	}
	wantIMAP(t, discover(t, d, "anna@plainonly.test"), SourceSRV, "imap.plainonly.test", 143, STARTTLS)
	// The SMTP server's own domain is trusted with the password already
	// (the user confirms it for SMTP).
	wantIMAP(t, discover(t, d, "anna@hosted.test"), SourceSRV, "imap.hoster.test", 993, TLS)

	res = discover(t, d, "anna@away.test")
	if res.IMAP != nil {
		t.Fatalf("used an IMAP server outside the domain: %+v", res.IMAP)
	}
	if a := attempt(t, res.IMAPAttempts, SourceSRV); !strings.Contains(a.Outcome, "imap.elsewhere.test") || !strings.Contains(a.Outcome, "outside") {
		t.Errorf("IMAP SRV attempt = %+v", a)
	}
}

// The guess: imap.DOMAIN on 993, then on 143 with STARTTLS, looked at
// without signing in.
func TestDiscoverIMAPGuess(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"_submissions._tcp.guess.test. 60 IN SRV 0 1 465 smtp.guess.test.",
		"imap.guess.test. 60 IN A 127.0.0.1",
	)
	cert := l.ca.Issue(t, testpeer.Leaf{Names: []string{"imap.guess.test"}})

	t.Run("implicit TLS preferred", func(t *testing.T) {
		d := l.discoverer(t)
		var tlsServer, startTLSServer *imapGreeter
		d.IMAPTLSPort, tlsServer = startIMAP(t, cert, true, false)
		d.IMAPSTARTTLSPort, startTLSServer = startIMAP(t, cert, false, true)
		res := discover(t, d, "anna@guess.test")
		wantIMAP(t, res, SourceGuess, "imap.guess.test", d.IMAPTLSPort, TLS)
		if got := tlsServer.seen(); strings.Join(got, ",") != "LOGOUT" {
			t.Errorf("the implicit TLS server got %q, want only LOGOUT", got)
		}
		for _, c := range append(tlsServer.seen(), startTLSServer.seen()...) {
			if strings.HasPrefix(strings.ToUpper(c), "LOGIN") || strings.HasPrefix(strings.ToUpper(c), "AUTHENTICATE") {
				t.Errorf("the guess signed in: %q", c)
			}
		}
	})
	t.Run("STARTTLS on 143", func(t *testing.T) {
		d := l.discoverer(t)
		var server *imapGreeter
		d.IMAPSTARTTLSPort, server = startIMAP(t, cert, false, true)
		res := discover(t, d, "anna@guess.test")
		wantIMAP(t, res, SourceGuess, "imap.guess.test", d.IMAPSTARTTLSPort, STARTTLS)
		if got := strings.Join(server.seen(), ","); got != "CAPABILITY,STARTTLS,LOGOUT" {
			t.Errorf("commands = %q", got)
		}
	})
	t.Run("no STARTTLS offered", func(t *testing.T) {
		d := l.discoverer(t)
		d.IMAPSTARTTLSPort, _ = startIMAP(t, cert, false, false)
		res := discover(t, d, "anna@guess.test")
		if res.IMAP != nil {
			t.Fatalf("chose an IMAP server without STARTTLS: %+v", res.IMAP)
		}
		if a := attempt(t, res.IMAPAttempts, SourceGuess); !strings.Contains(a.Outcome, "does not offer STARTTLS") {
			t.Errorf("guess attempt = %+v", a)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		self := (*testpeer.CA)(nil).Issue(t, testpeer.Leaf{Names: []string{"imap.guess.test"}})
		d := l.discoverer(t)
		d.IMAPTLSPort, _ = startIMAP(t, self, true, false)
		res := discover(t, d, "anna@guess.test")
		if res.IMAP != nil {
			t.Fatalf("chose an IMAP server whose certificate does not verify: %+v", res.IMAP)
		}
		if a := attempt(t, res.IMAPAttempts, SourceGuess); !strings.Contains(a.Outcome, "certificate is not trusted") {
			t.Errorf("guess attempt = %+v", a)
		}
	})
}

// Automatic mode files no copy where the provider's server files its own:
// decided by the SMTP server that accepts the message, else by the
// address; every such fact names its source.
func TestFilesOwnSentCopy(t *testing.T) {
	for _, tc := range []struct {
		email, host string
		want        bool
	}{
		{"anna@gmail.com", "smtp.gmail.com", true},
		{"anna@googlemail.com", "", true},
		{"anna@workspace.test", "smtp.gmail.com", true},     // Google Workspace
		{"anna@contoso.test", "smtp.office365.com", true},   // Microsoft 365
		{"anna@outlook.com", "smtp-mail.outlook.com", true}, // Outlook.com
		{"anna@hotmail.de", "", true},                       // Outlook.com
		{"anna@gmail.com", "mail.company.test", false},      // a relay files nothing
		{"anna@gmx.de", "mail.gmx.net", false},              // GMX does not
		{"anna@posteo.de", "posteo.de", false},              // nor does Posteo
		{"anna@example.org", "smtp.example.org", false},     // unknown
		{"anna@example.org", "SMTP.GMAIL.COM.", true},       // as typed
		{"not an address", "", false},
		// The submission server's other names.
		{"anna@gmail.com", "smtp.googlemail.com", true},
		{"anna@contoso.test", "outlook.office365.com", true},
		// Relays and MX hosts in the provider's domain file no copy.
		{"anna@workspace.test", "smtp-relay.gmail.com", false},
		{"anna@workspace.test", "aspmx.l.google.com", false},
		{"anna@contoso.test", "contoso-test.mail.protection.outlook.com", false},
		{"anna@gmail.com", "smtp-relay.gmail.com", false},
	} {
		files, source := FilesOwnSentCopy(tc.email, tc.host)
		if files != tc.want || files != (source != "") {
			t.Errorf("FilesOwnSentCopy(%q, %q) = %v, %q; want %v with a source", tc.email, tc.host, files, source, tc.want)
		}
	}
	for _, p := range Providers() {
		if p.FilesSentCopy != "" && !strings.HasPrefix(p.FilesSentCopy, "https://") {
			t.Errorf("%s: the source %q is not a web page", p.Name, p.FilesSentCopy)
		}
	}
}

// silentListener accepts connections and never answers, as a port behind
// a firewall that drops packets looks to a client that got through the
// handshake.
func silentListener(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDiscoverDoesNotWaitForAnIMAPServerThatHangs: once the SMTP server is
// settled, a guessed IMAP server that accepts and never greets gets only
// the grace, not the rest of the budget; the result has no IMAP server
// and says why.
func TestDiscoverDoesNotWaitForAnIMAPServerThatHangs(t *testing.T) {
	l := newLab(t)
	l.dns.add(t,
		"_submissions._tcp.silent.test. 60 IN SRV 0 1 465 smtp.silent.test.",
		"imap.silent.test. 60 IN A 127.0.0.1",
	)
	d := l.discoverer(t)
	d.IMAPTLSPort = silentListener(t)
	d.IMAPSTARTTLSPort = silentListener(t)
	d.Budget = 30 * time.Second
	d.IMAPGrace = 50 * time.Millisecond

	start := time.Now()
	res := discover(t, d, "anna@silent.test")
	if took := time.Since(start); took >= d.Budget {
		t.Fatalf("discovery took %v, the whole budget", took)
	}
	if res.Host != "smtp.silent.test" || res.IMAP != nil {
		t.Fatalf("SMTP %s, IMAP %+v: want the SMTP server and no IMAP server", res.Host, res.IMAP)
	}
	if a := attempt(t, res.IMAPAttempts, SourceGuess); !strings.Contains(a.Outcome, "no answer within 50ms after the outgoing server was found") {
		t.Errorf("guess attempt = %+v", a)
	}
}
