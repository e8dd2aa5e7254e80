package autoconfig

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The incoming (IMAP) server is found for one purpose: filing a copy of
// each sent message in the mailbox's Sent folder. The built-in table and
// clientConfig files name it next to the SMTP server (<incomingServer
// type="imap">), and then it comes from the same source. Otherwise it has
// sources of its own, asked in this order of trust:
//
//  1. DNS: the SRV records of RFC 6186 section 3.2, _imaps._tcp (implicit
//     TLS) before _imap._tcp (STARTTLS: Postie never uses IMAP without
//     it), as RFC 8314 section 5.1 prefers.
//  2. A guess: imap.<domain> on port 993 (implicit TLS), then on 143 with
//     STARTTLS, looking at each without signing in (inspectIMAP).
//
// An IMAP server from these sources is used only within the user's domain
// or the domain of the SMTP server just found: the password would go
// there, and DNS answers can be forged (RFC 6186 section 6).

// imapRace is the IMAP server's own discovery, running alongside the SMTP
// sources.
type imapRace struct {
	done   chan imapAnswer // receives one answer
	cancel context.CancelFunc
}

type imapAnswer struct {
	res      *Result
	attempts []Attempt
}

func (d *Discoverer) startIMAPRace(ctx context.Context, addr address) *imapRace {
	ctx, cancel := context.WithCancel(ctx)
	r := &imapRace{done: make(chan imapAnswer, 1), cancel: cancel}
	go func() {
		res, attempts := race(ctx, d.imapSources(addr))
		r.done <- imapAnswer{res, attempts}
	}()
	return r
}

// imapSources lists the IMAP server's own sources in order of trust.
func (d *Discoverer) imapSources(addr address) []source {
	return []source{
		d.srvSource(addr, "imaps", TLS),
		d.srvSource(addr, "imap", STARTTLS),
		d.guessIMAPSource(addr),
	}
}

// completeIMAP gives res its IMAP server: the one its own source named,
// else the answer of the IMAP race (started now if r is nil), if that
// server is in a domain the user already trusts with the password.
func (d *Discoverer) completeIMAP(ctx context.Context, res *Result, addr address, r *imapRace) {
	if res.IMAP != nil {
		if r != nil {
			r.cancel()
		}
		if res.IMAP.Source == "" {
			res.IMAP.Source = res.Source
		}
		if res.IMAP.Detail == "" {
			res.IMAP.Detail = res.Detail
		}
		return
	}
	if r == nil {
		r = d.startIMAPRace(ctx, addr)
		defer r.cancel()
	}
	// Sending is settled: the IMAP server gets a short grace, not the rest
	// of the budget. After it, the race is stopped and reports which
	// sources did not answer.
	grace := time.NewTimer(d.imapGrace())
	defer grace.Stop()
	var answer imapAnswer
	select {
	case answer = <-r.done:
	case <-grace.C:
		r.cancel()
		answer = <-r.done
		for i := range answer.attempts {
			if answer.attempts[i].Outcome == outcomeNoTime {
				answer.attempts[i].Outcome = fmt.Sprintf("no answer within %v after the outgoing server was found", d.imapGrace())
			}
		}
	case <-ctx.Done():
		return
	}
	res.IMAPAttempts = answer.attempts
	found := answer.res
	if found == nil {
		return
	}
	if !imapHostTrusted(found.Host, res, addr) {
		for i := range res.IMAPAttempts {
			if res.IMAPAttempts[i].Outcome == outcomeFound {
				res.IMAPAttempts[i].Outcome = fmt.Sprintf("found %s, which is outside %s and the SMTP server's domain, so Postie does not use it by itself",
					found.Host, addr.domain)
			}
		}
		return
	}
	res.IMAP = &IMAPSettings{Host: found.Host, Port: found.Port, Security: found.Security,
		Username: res.Username, Source: found.Source, Detail: found.Detail}
}

// imapHostTrusted reports whether host is in the user's domain, the SMTP
// server's, or one of its provider's.
func imapHostTrusted(host string, res *Result, addr address) bool {
	hostDomain := registrableDomain(host)
	if hostDomain == registrableDomain(addr.ascii) || hostDomain == registrableDomain(res.Host) {
		return true
	}
	for _, d := range res.trusted {
		if registrableDomain(d) == hostDomain {
			return true
		}
	}
	return false
}

// guessIMAPSource tries imap.<domain> on the implicit TLS port and on the
// STARTTLS port, preferring the first.
func (d *Discoverer) guessIMAPSource(addr address) source {
	tlsPort, startTLSPort := d.IMAPTLSPort, d.IMAPSTARTTLSPort
	if tlsPort == 0 {
		tlsPort = 993
	}
	if startTLSPort == 0 {
		startTLSPort = 143
	}
	host := "imap." + addr.ascii
	candidates := []Settings{
		{Host: host, Port: tlsPort, Security: TLS, Username: addr.full},
		{Host: host, Port: startTLSPort, Security: STARTTLS, Username: addr.full},
	}
	detail := fmt.Sprintf("%s on ports %d and %d", host, tlsPort, startTLSPort)
	return source{name: SourceGuess, detail: detail, run: func(ctx context.Context) (*Result, error) {
		type answer struct {
			order int
			err   error
		}
		answers := make(chan answer, len(candidates))
		for i, c := range candidates {
			go func() { answers <- answer{i, d.inspectIMAP(ctx, c)} }()
		}
		var good []int
		var failures []string
		for range candidates {
			a := <-answers
			if a.err != nil {
				c := candidates[a.order]
				failures = append(failures, fmt.Sprintf("%s:%d: %v", c.Host, c.Port, a.err))
				continue
			}
			good = append(good, a.order)
		}
		if len(good) == 0 {
			sort.Strings(failures)
			return nil, errors.New("no server answered (" + strings.Join(failures, "; ") + ")")
		}
		sort.Ints(good)
		best := candidates[good[0]]
		return &Result{Settings: best, Detail: fmt.Sprintf("%s:%d answered", best.Host, best.Port)}, nil
	}}
}

// imapInspectTimeout bounds one look at a guessed IMAP server when the
// context has no earlier deadline.
const imapInspectTimeout = 10 * time.Second

// maxIMAPLine bounds a line read from a guessed server: greetings and
// capability lists are short, and a server that sends more is not one to
// use.
const maxIMAPLine = 4096

// inspectIMAP looks at a guessed IMAP server without signing in: with
// implicit TLS, the handshake and the greeting; with STARTTLS, the
// greeting, CAPABILITY, STARTTLS and the handshake (RFC 9051 sections
// 6.1.1 and 6.2.1); then LOGOUT. The certificate must verify for the
// host: a guessed server whose certificate does not is not used for IMAP.
func (d *Discoverer) inspectIMAP(ctx context.Context, s Settings) error {
	dialer := &net.Dialer{Resolver: d.resolver()}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		return errors.New(describeNetError(err))
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > imapInspectTimeout {
		deadline = time.Now().Add(imapInspectTimeout)
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	tlsConfig := &tls.Config{ServerName: s.Host, RootCAs: d.RootCAs, MinVersion: tls.VersionTLS12}
	var c net.Conn = conn
	if s.Security == TLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return errors.New(describeNetError(err))
		}
		c = tc
	}
	r := bufio.NewReaderSize(c, maxIMAPLine)
	greeting, err := readIMAPLine(r)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToUpper(greeting), "* OK") {
		return fmt.Errorf("it does not greet as an IMAP server (%q)", truncate(greeting))
	}
	if s.Security == STARTTLS {
		if err := imapCommand(c, r, "a1", "CAPABILITY", func(line string) bool { return hasIMAPCapability(line, "STARTTLS") }); err != nil {
			return err
		}
		if err := imapCommand(c, r, "a2", "STARTTLS", nil); err != nil {
			return err
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return errors.New(describeNetError(err))
		}
		c, r = tc, bufio.NewReaderSize(tc, maxIMAPLine)
	}
	// A courtesy: its answer is awaited so that the server is not left with
	// a broken connection, but does not matter.
	imapCommand(c, r, "a3", "LOGOUT", nil)
	return nil
}

// imapCommand sends one command and reads up to its tagged answer, which
// must be OK. want, when set, must accept one of the untagged lines.
func imapCommand(c net.Conn, r *bufio.Reader, tag, command string, want func(string) bool) error {
	if _, err := fmt.Fprintf(c, "%s %s\r\n", tag, command); err != nil {
		return errors.New(describeNetError(err))
	}
	wanted := want == nil
	for {
		line, err := readIMAPLine(r)
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "* ") {
			wanted = wanted || want(line)
			continue
		}
		if !strings.HasPrefix(line, tag+" ") {
			continue
		}
		switch {
		case !strings.HasPrefix(strings.ToUpper(line[len(tag)+1:]), "OK"):
			return fmt.Errorf("it refused %s (%q)", command, truncate(line))
		case !wanted && command == "CAPABILITY":
			return errors.New("it does not offer STARTTLS, and Postie never signs in without encryption")
		}
		return nil
	}
}

func readIMAPLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errors.New("it sent a line longer than an IMAP server would")
	}
	if err != nil {
		return "", errors.New(describeNetError(err))
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// hasIMAPCapability reports whether an untagged CAPABILITY line names
// the capability.
func hasIMAPCapability(line, capability string) bool {
	fields := strings.Fields(strings.ToUpper(line))
	if len(fields) < 2 || fields[1] != "CAPABILITY" {
		return false
	}
	for _, f := range fields[2:] {
		if f == capability {
			return true
		}
	}
	return false
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
