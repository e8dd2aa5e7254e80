package autoconfig

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/postie-app/postie/mail/smtpclient"
)

// guessSource tries the usual names and ports in parallel: smtp.<domain>
// and mail.<domain>, each on the implicit TLS and the STARTTLS port.
func (d *Discoverer) guessSource(addr address) source {
	tlsPort, startTLSPort := d.ImplicitTLSPort, d.STARTTLSPort
	if tlsPort == 0 {
		tlsPort = 465
	}
	if startTLSPort == 0 {
		startTLSPort = 587
	}
	var candidates []Settings
	for _, host := range []string{"smtp." + addr.ascii, "mail." + addr.ascii} {
		candidates = append(candidates,
			Settings{Host: host, Port: tlsPort, Security: TLS, Username: addr.full},
			Settings{Host: host, Port: startTLSPort, Security: STARTTLS, Username: addr.full})
	}
	detail := fmt.Sprintf("smtp.%s and mail.%s on ports %d and %d", addr.ascii, addr.ascii, tlsPort, startTLSPort)
	return source{name: SourceGuess, detail: detail, run: func(ctx context.Context) (*Result, error) {
		return d.guess(ctx, candidates)
	}}
}

// probeAnswer is what one guessed server said.
type probeAnswer struct {
	order    int
	settings Settings
	cert     *smtpclient.CertInfo // set when the certificate did not verify
	problem  string               // why it did not
	err      error
}

// guess probes all candidates at once and keeps the best server that
// answered: one whose certificate verifies and that offers AUTH beats one
// that does not, and otherwise the candidates' order decides.
func (d *Discoverer) guess(ctx context.Context, candidates []Settings) (*Result, error) {
	answers := make(chan probeAnswer, len(candidates))
	for i, c := range candidates {
		go func() {
			p := d.probeEHLO(ctx, c)
			p.order = i
			answers <- p
		}()
	}
	var good []probeAnswer
	var failures []string
	for range candidates {
		a := <-answers
		if a.err != nil {
			failures = append(failures, fmt.Sprintf("%s:%d: %v", a.settings.Host, a.settings.Port, a.err))
			continue
		}
		good = append(good, a)
	}
	if len(good) == 0 {
		sort.Strings(failures)
		return nil, errors.New("no server answered (" + strings.Join(failures, "; ") + ")")
	}
	sort.Slice(good, func(i, j int) bool {
		if (good[i].cert == nil) != (good[j].cert == nil) {
			return good[i].cert == nil
		}
		if (len(good[i].settings.Auth) > 0) != (len(good[j].settings.Auth) > 0) {
			return len(good[i].settings.Auth) > 0
		}
		return good[i].order < good[j].order
	})
	best := good[0]
	return &Result{
		Settings:             best.settings,
		Detail:               fmt.Sprintf("%s:%d answered", best.settings.Host, best.settings.Port),
		UntrustedCertificate: best.cert,
		CertificateProblem:   best.problem,
	}, nil
}

// probeEHLO connects to a guessed server without logging in: it sets up TLS
// (implicitly or with STARTTLS), sends EHLO, reads the AUTH mechanisms the
// server offers (RFC 4954 section 3) and says goodbye. A certificate that
// does not verify does not end the probe; it is returned for the user to
// judge, and the connection test at setup will ask before trusting it.
//
// It uses go-smtp directly rather than smtpclient.Probe because a guess
// must resolve names through the discoverer's resolver and must learn the
// AUTH mechanisms even behind a certificate that does not verify, and
// smtpclient offers neither. It never sends a password.
func (d *Discoverer) probeEHLO(ctx context.Context, s Settings) probeAnswer {
	answer := probeAnswer{settings: s}
	answer.err = d.readEHLO(ctx, &answer)
	return answer
}

// readEHLO does the work of probeEHLO, filling in answer.
func (d *Discoverer) readEHLO(ctx context.Context, answer *probeAnswer) error {
	host, port, sec := answer.settings.Host, answer.settings.Port, answer.settings.Security
	dialer := net.Dialer{Resolver: d.resolver()}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return errors.New(describeNetError(err))
	}
	defer conn.Close()
	// go-smtp sets its own deadline for every command; closing the
	// connection is what reliably ends a probe when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	// Verification happens below, by hand, so that a certificate that does
	// not verify can be described instead of only refused.
	tlsConfig := &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	var client *smtp.Client
	if sec == TLS {
		tlsConn := tls.Client(conn, tlsConfig)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS failed: %v", err)
		}
		client = smtp.NewClient(tlsConn)
	} else {
		client, err = smtp.NewClientStartTLS(conn, tlsConfig)
		if err != nil {
			return fmt.Errorf("STARTTLS failed: %v", err)
		}
	}
	defer client.Close()
	if err := client.Hello("localhost"); err != nil {
		return fmt.Errorf("EHLO failed: %v", err)
	}
	state, ok := client.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		return errors.New("no TLS certificate")
	}
	if ok, params := client.Extension("AUTH"); ok {
		answer.settings.Auth = strings.Fields(strings.ToUpper(params))
	}
	client.Quit()
	answer.cert, answer.problem = d.untrustedCertificate(host, state.PeerCertificates)
	return nil
}

// untrustedCertificate verifies the chain for host and, when it does not
// verify, describes the leaf certificate and the problem; nil means it
// verified.
func (d *Discoverer) untrustedCertificate(host string, chain []*x509.Certificate) (*smtpclient.CertInfo, string) {
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: d.RootCAs, Intermediates: intermediates})
	if err == nil {
		return nil, ""
	}
	sum := sha256.Sum256(leaf.Raw)
	return &smtpclient.CertInfo{
		Subject:   leaf.Subject.String(),
		Issuer:    leaf.Issuer.String(),
		DNSNames:  leaf.DNSNames,
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		SHA256:    hex.EncodeToString(sum[:]),
	}, err.Error()
}
