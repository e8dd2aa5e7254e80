package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

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
			p := d.probe(ctx, c)
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

// probe looks at a guessed server without signing in (smtpclient.Inspect):
// TLS or STARTTLS, EHLO, the AUTH mechanisms it offers (RFC 4954 section 3),
// QUIT. Names are resolved through the discoverer's resolver. A certificate
// that does not verify does not end the probe; it is returned for the user
// to judge, and the connection test at setup will ask before trusting it.
func (d *Discoverer) probe(ctx context.Context, s Settings) probeAnswer {
	answer := probeAnswer{settings: s}
	res, err := smtpclient.Inspect(ctx, smtpclient.Config{
		Host: s.Host, Port: s.Port, Security: s.Security,
		RootCAs: d.RootCAs,
		Dialer:  (&net.Dialer{Resolver: d.resolver()}).DialContext,
	})
	if err != nil {
		answer.err = errors.New(probeFailure(err))
		return answer
	}
	answer.settings.Auth = res.Mechanisms
	if res.CertificateProblem != "" {
		answer.cert, answer.problem = res.Certificate, res.CertificateProblem
	}
	return answer
}

// probeFailure says briefly why a guessed server did not answer: the
// network's own words when a name, the connection or the time budget
// failed, smtpclient's sentence for anything later.
func probeFailure(err error) string {
	var e *smtpclient.Error
	if errors.As(err, &e) && e.Stage == smtpclient.StageConnect && e.Err != nil {
		return describeNetError(e.Err)
	}
	return describeNetError(err)
}
