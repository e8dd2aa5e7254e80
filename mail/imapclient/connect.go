package imapclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postie-app/postie/mail/smtpclient"
)

// defaultTimeout is the wait for each network step when Config.Timeout is
// zero: long enough for a slow mobile link, short enough that a dead
// server is noticed before the user gives up.
const defaultTimeout = 60 * time.Second

// connect makes the connection, secures it and reads the greeting: the
// Client it returns is not yet signed in. On failure the connection is
// closed.
func connect(ctx context.Context, cfg Config) (*Client, error) {
	c := &Client{cfg: cfg, timeout: cfg.Timeout, log: newTranscript(cfg.Transcript)}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if err := cfg.check(); err != nil {
		return nil, c.fail(ctx, StageConfig, err)
	}
	var tlsConf *tls.Config
	if cfg.Security != smtpclient.SecurityNone {
		var err error
		tlsConf, err = smtpclient.TLSClientConfig(smtpclient.Config{
			Host: cfg.Host, Port: cfg.Port, CAFile: cfg.CAFile, RootCAs: cfg.RootCAs,
			PinSHA256: cfg.PinSHA256, PinFor: cfg.PinFor,
		})
		if err != nil {
			return nil, c.fail(ctx, StageConfig, err)
		}
		tlsConf.NextProtos = []string{"imap"} // RFC 9051 §13 (ALPN)
	}

	dialer := net.Dialer{Timeout: c.timeout}
	raw, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, c.fail(ctx, StageConnect, err)
	}
	raw = dialedHook(raw)
	// Until the Client is handed over, cancelling closes the connection.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	c.raw = raw
	loopback := isLoopback(raw.RemoteAddr())

	var plain net.Conn = raw
	var greeting []byte
	switch cfg.Security {
	case smtpclient.SecurityTLS:
		if plain, err = c.handshake(ctx, raw, tlsConf); err != nil {
			return nil, err
		}
	case smtpclient.SecurityStartTLS:
		if greeting, err = c.startTLS(ctx, raw); err != nil {
			return nil, err
		}
		if plain, err = c.handshake(ctx, raw, tlsConf); err != nil {
			return nil, err
		}
	case smtpclient.SecurityNone:
		if !loopback {
			raw.Close()
			return nil, c.newError(StageConfig, Permanent, ReasonUnencryptedSignIn)
		}
	}
	c.wire = newWireConn(plain, c.log, c.timeout)
	c.wire.replay = greeting
	c.plus = newPlusConn(c.wire)
	c.imap = imapclient.New(noDeadlines{c.plus}, nil)

	c.wire.arm()
	err = c.imap.WaitGreeting()
	c.wire.disarm()
	if err != nil {
		c.imap.Close()
		return nil, c.fail(ctx, StageGreeting, err)
	}
	return c, nil
}

// dialedHook lets a test watch the TCP connection; it is the identity.
var dialedHook = func(conn net.Conn) net.Conn { return conn }

// noDeadlines is the connection as handed to go-imap: it ignores the
// deadlines go-imap sets. go-imap v2.0.0-beta.8 sets one absolute write
// deadline of 5 minutes for a whole APPEND literal (imapclient
// literalWriteTimeout), which would cut a 25 MiB copy on a link slower than
// 0.7 Mbit/s however steadily it moves, and break the TLS stream. The only
// timeout is wireConn's watchdog, which restarts while bytes move; ending
// a step's context closes the connection.
type noDeadlines struct{ net.Conn }

func (noDeadlines) SetDeadline(time.Time) error      { return nil }
func (noDeadlines) SetReadDeadline(time.Time) error  { return nil }
func (noDeadlines) SetWriteDeadline(time.Time) error { return nil }

// check refuses settings that cannot work, before any network.
func (cfg Config) check() error {
	switch {
	case strings.TrimSpace(cfg.Host) == "" || strings.ContainsAny(cfg.Host, " \r\n/"):
		return errors.New("invalid host")
	case cfg.Port < 1 || cfg.Port > 65535:
		return errors.New("invalid port")
	}
	switch cfg.Security {
	case smtpclient.SecurityTLS, smtpclient.SecurityStartTLS, smtpclient.SecurityNone:
		return nil
	}
	return errors.New("unknown security " + strconv.Quote(string(cfg.Security)))
}

func isLoopback(a net.Addr) bool {
	addr, ok := a.(*net.TCPAddr)
	return ok && addr.IP.IsLoopback()
}

// handshake runs TLS on conn, verified by smtpclient's rules.
func (c *Client) handshake(ctx context.Context, conn net.Conn, conf *tls.Config) (net.Conn, error) {
	tlsConn := tls.Client(conn, conf)
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := tlsConn.HandshakeContext(hctx); err != nil {
		conn.Close()
		if ctx.Err() == nil && hctx.Err() != nil {
			err = context.DeadlineExceeded
		}
		return nil, c.fail(ctx, StageTLS, err)
	}
	c.log.note(tls.VersionName(tlsConn.ConnectionState().Version) + " with " + c.cfg.Host)
	return tlsConn, nil
}

// startTLS reads the greeting, asks for the capabilities and upgrades with
// STARTTLS (RFC 9051 §6.2.1), all before go-imap sees the connection, so
// that nothing but these three lines can go out in plain text. A server
// that does not offer STARTTLS is refused: it is never optional. It
// returns the greeting, for go-imap to read after TLS.
func (c *Client) startTLS(ctx context.Context, raw net.Conn) ([]byte, error) {
	w := newWireConn(raw, c.log, c.timeout)
	w.arm()
	defer w.disarm()
	r := bufio.NewReader(w)
	fail := func(stage Stage, err error) error {
		raw.Close()
		if w.timedOut.Load() {
			e := c.newError(stage, Temporary, ReasonTimeout)
			e.Timeout, e.Err = c.timeout, err
			return e
		}
		return c.fail(ctx, stage, err)
	}
	greeting, err := r.ReadString('\n')
	if err != nil {
		return nil, fail(StageGreeting, err)
	}
	switch {
	case strings.HasPrefix(greeting, "* BYE"):
		e := c.newError(StageGreeting, Temporary, ReasonServerUnavailable)
		e.ServerText = strings.TrimSpace(strings.TrimPrefix(greeting, "* BYE"))
		raw.Close()
		return nil, e
	case !strings.HasPrefix(greeting, "* OK"):
		// PREAUTH before TLS would skip TLS altogether (RFC 9051 §7.1.4).
		return nil, fail(StageGreeting, errors.New("unexpected greeting: "+strings.TrimSpace(greeting)))
	}
	caps := capsOf(greeting)
	if caps == nil {
		if _, err := w.Write([]byte("P0 CAPABILITY\r\n")); err != nil {
			return nil, fail(StageStartTLS, err)
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return nil, fail(StageStartTLS, err)
			}
			if strings.HasPrefix(strings.ToUpper(line), "* CAPABILITY ") {
				caps = strings.Fields(strings.ToUpper(line))[2:]
			}
			if strings.HasPrefix(line, "P0 ") {
				break
			}
		}
	}
	if !hasCap(caps, "STARTTLS") {
		raw.Close()
		return nil, c.newError(StageStartTLS, Permanent, ReasonStartTLSMissing)
	}
	if _, err := w.Write([]byte("P1 STARTTLS\r\n")); err != nil {
		return nil, fail(StageStartTLS, err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fail(StageStartTLS, err)
		}
		if !strings.HasPrefix(line, "P1 ") {
			continue
		}
		if !strings.HasPrefix(strings.ToUpper(line), "P1 OK") {
			raw.Close()
			e := c.newError(StageStartTLS, Permanent, ReasonStartTLSRefused)
			e.ServerText = strings.TrimSpace(line[3:])
			return nil, e
		}
		break
	}
	if r.Buffered() > 0 {
		// Bytes the server sent before TLS would be read as if inside it
		// (CVE-2011-0411 and its IMAP cousins): refuse.
		raw.Close()
		return nil, c.newError(StageStartTLS, Permanent, ReasonStartTLSInjection)
	}
	// The greeting, without capabilities, which may differ after TLS.
	return []byte("* OK Postie: TLS started\r\n"), nil
}

// capsOf reads a [CAPABILITY ...] response code from a greeting.
func capsOf(greeting string) []string {
	upper := strings.ToUpper(greeting)
	i := strings.Index(upper, "[CAPABILITY ")
	if i < 0 {
		return nil
	}
	rest := upper[i+len("[CAPABILITY "):]
	if j := strings.IndexByte(rest, ']'); j >= 0 {
		rest = rest[:j]
	}
	return strings.Fields(rest)
}

func hasCap(caps []string, name string) bool {
	for _, c := range caps {
		if c == name {
			return true
		}
	}
	return false
}

// hasAny reports whether the server announced one of the capabilities.
func hasAny(caps imap.CapSet, names ...imap.Cap) bool {
	for _, n := range names {
		if caps.Has(n) {
			return true
		}
	}
	return false
}
