package imapclient_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

const (
	faultUser     = "ben@example.test"
	faultPassword = "Fault-pw \"quoted\" 9x!"
)

func startFaulty(t *testing.T, opts testpeer.IMAPOptions) (*testpeer.IMAPServer, imapclient.Config, *lines) {
	t.Helper()
	ca := testpeer.NewCA(t, "IMAP fault CA")
	if opts.CA == nil && opts.Cert == nil {
		opts.CA = ca
	}
	if opts.Security == "" {
		opts.Security = testpeer.TLS
	}
	opts.User, opts.Password = faultUser, faultPassword
	s := testpeer.StartIMAP(t, opts)
	log := &lines{}
	cfg := imapclient.Config{
		Host: s.Host, Port: s.Port, Security: smtpclient.Security(opts.Security),
		Username: faultUser, Secret: faultPassword, RootCAs: ca.Pool(), Timeout: 20 * time.Second,
		Transcript: log.add,
	}
	return s, cfg, log
}

func dial(t *testing.T, cfg imapclient.Config) *imapclient.Client {
	t.Helper()
	c, err := imapclient.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// asError returns err as *imapclient.Error, failing the test otherwise.
func asError(t *testing.T, err error) *imapclient.Error {
	t.Helper()
	var e *imapclient.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *imapclient.Error", err, err)
	}
	return e
}

func TestAppendRefusedOverQuotaIsAFactAndTheConnectionStaysUsable(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent"})
	c := dial(t, cfg)
	msg := message("<quota@postie.test>", 3000)
	s.Fault(testpeer.IMAPFault{AppendCode: imap.ResponseCodeOverQuota})
	err := c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now())
	e := asError(t, err)
	if e.Stage != imapclient.StageAppend || e.Reason != imapclient.ReasonOverQuota || e.Code != "OVERQUOTA" ||
		e.Class != imapclient.Temporary || e.Folder != "Sent" || e.MayBeFiled || e.ServerText == "" {
		t.Fatalf("error %+v; want append over-quota [OVERQUOTA] temporary in Sent, not filed", e)
	}
	s.Fault(testpeer.IMAPFault{})
	if err := c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
		t.Fatalf("after the refusal, the same connection should file: %v", err)
	}
	if n := len(s.Stored("Sent")); n != 1 {
		t.Fatalf("%d copies stored, want 1", n)
	}
}

func TestAppendRefusedWithTryCreateNamesTheFolder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault testpeer.IMAPFault
		into  string
	}{
		{"server says TRYCREATE", testpeer.IMAPFault{AppendCode: imap.ResponseCodeTryCreate}, "Sent"},
		{"folder was deleted", testpeer.IMAPFault{}, "Sent (renamed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent"})
			s.Fault(tc.fault)
			c := dial(t, cfg)
			msg := message("<trycreate@postie.test>", 500)
			e := asError(t, c.Append(context.Background(), tc.into, int64(len(msg)), bytes.NewReader(msg), time.Now()))
			if e.Reason != imapclient.ReasonTryCreate || e.Code != "TRYCREATE" || e.Folder != tc.into || e.Stage != imapclient.StageAppend {
				t.Fatalf("error %+v; want try-create [TRYCREATE] for %q", e, tc.into)
			}
		})
	}
}

func TestLoginRefusedIsAFactWithoutTheSecret(t *testing.T) {
	s, cfg, log := startFaulty(t, testpeer.IMAPOptions{})
	s.Fault(testpeer.IMAPFault{RefuseLogin: true})
	_, err := imapclient.Dial(context.Background(), cfg)
	e := asError(t, err)
	if e.Stage != imapclient.StageAuth || e.Reason != imapclient.ReasonLoginRefused || e.Code != "AUTHENTICATIONFAILED" || e.Class != imapclient.Permanent {
		t.Fatalf("error %+v; want auth login-refused [AUTHENTICATIONFAILED] permanent", e)
	}
	if s.Logins() != 1 {
		t.Fatalf("%d sign-ins, want 1", s.Logins())
	}
	assertNoSecret(t, log.String()+"\n"+e.Error(), faultPassword)
	if !strings.Contains(log.String(), "AUTHENTICATE PLAIN "+"[redacted]") {
		t.Errorf("the transcript should show the redacted AUTHENTICATE:\n%s", log)
	}
}

// assertNoSecret fails if the secret, or its SASL PLAIN encoding, shows.
func assertNoSecret(t *testing.T, text, secret string) {
	t.Helper()
	for _, s := range []string{secret, "Fault-pw", "RmF1bHQtcHc"} { // RmF1bHQtcHc: base64 of "Fault-pw"
		if strings.Contains(text, s) {
			t.Fatalf("%q appears in:\n%s", s, text)
		}
	}
}

func TestStartTLSMissingIsRefusedAndNoLoginIsSent(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Security: testpeer.None})
	cfg.Security = smtpclient.SecurityStartTLS
	_, err := imapclient.Dial(context.Background(), cfg)
	e := asError(t, err)
	if e.Stage != imapclient.StageStartTLS || e.Reason != imapclient.ReasonStartTLSMissing || e.Class != imapclient.Permanent {
		t.Fatalf("error %+v; want starttls starttls-missing permanent", e)
	}
	received := strings.ToUpper(s.Received())
	if s.Logins() != 0 || strings.Contains(received, "LOGIN") || strings.Contains(received, "AUTHENTICATE") {
		t.Fatalf("the server received a sign-in: %d logins, bytes %q", s.Logins(), s.Received())
	}
	if received != "" && received != "P0 CAPABILITY\r\n" {
		t.Fatalf("the client sent more than a CAPABILITY before TLS: %q", s.Received())
	}
}

func TestStartTLSOfferedIsUsed(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Security: testpeer.StartTLS, SentFolder: "Sent"})
	c := dial(t, cfg)
	if folder, err := c.SentFolder(context.Background(), ""); err != nil || folder != "Sent" {
		t.Fatalf("SentFolder = %q, %v", folder, err)
	}
	if received := s.Received(); strings.Contains(received, faultPassword) || strings.Contains(strings.ToUpper(received), "LOGIN") {
		t.Fatalf("sign-in went in plain text: %q", received)
	}
}

func TestPlainConnectionIsAllowedOnLoopback(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Security: testpeer.None, SentFolder: "Sent"})
	c := dial(t, cfg) // 127.0.0.1: allowed, as for a local bridge
	if _, err := c.SentFolder(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if s.Logins() != 1 {
		t.Fatalf("%d logins, want 1", s.Logins())
	}
}

func TestUntrustedCertificateIsRefusedWithItsFactsAndPinnedOneAccepted(t *testing.T) {
	self := (*testpeer.CA)(nil).Issue(t, testpeer.Loopback)
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Cert: &self, SentFolder: "Sent"})
	_, err := imapclient.Dial(context.Background(), cfg)
	e := asError(t, err)
	if e.Stage != imapclient.StageTLS || e.Reason != imapclient.ReasonCertificateNotTrusted || e.Class != imapclient.Permanent ||
		e.CertProblem != smtpclient.CertSelfSigned || e.Certificate == nil || e.Certificate.SHA256 != testpeer.Fingerprint(self) {
		t.Fatalf("error %+v; want tls certificate-not-trusted self-signed with the certificate's fingerprint", e)
	}
	if s.Logins() != 0 {
		t.Fatal("signed in despite the certificate")
	}
	cfg.PinSHA256, cfg.PinFor = testpeer.Fingerprint(self), net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	c := dial(t, cfg)
	if _, err := c.SentFolder(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	// A pin accepted for another server does not count here.
	cfg.PinFor = "mail.example.test:993"
	if _, err := imapclient.Dial(context.Background(), cfg); asError(t, err).Reason != imapclient.ReasonCertificateNotTrusted {
		t.Fatalf("a pin for another server was used: %v", err)
	}
}

func TestHangUpDuringAppendMayHaveFiledAndTheSearchTells(t *testing.T) {
	for _, stored := range []bool{true, false} {
		name := map[bool]string{true: "server filed it", false: "server lost it"}[stored]
		t.Run(name, func(t *testing.T) {
			s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Gesendet"})
			id := "<hangup@postie.test>"
			msg := message(id, 64<<10)
			s.Fault(testpeer.IMAPFault{DropAppendAfter: 10 << 10, StoreBeforeDrop: stored})
			c, err := imapclient.Dial(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Append(context.Background(), "Gesendet", int64(len(msg)), bytes.NewReader(msg), time.Now())
			e := asError(t, err)
			if e.Reason != imapclient.ReasonConnectionLost || !e.MayBeFiled || e.Stage != imapclient.StageAppend || e.Class != imapclient.Temporary {
				t.Fatalf("error %+v; want append connection-lost, may be filed", e)
			}
			if _, err := c.HasMessageID(context.Background(), "Gesendet", id, time.Time{}); asError(t, err).Reason != imapclient.ReasonClosed {
				t.Fatalf("the broken client should refuse further use: %v", err)
			}
			c.Close()

			// The retry, as the outbox does it: look first, append if absent.
			c = dial(t, cfg)
			found, err := c.HasMessageID(context.Background(), "Gesendet", id, time.Time{})
			if err != nil || found != stored {
				t.Fatalf("HasMessageID = %v, %v; want %v", found, err, stored)
			}
			if !found {
				if err := c.Append(context.Background(), "Gesendet", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			copies := s.Stored("Gesendet")
			if len(copies) != 1 || !bytes.Equal(copies[0], msg) {
				t.Fatalf("%d copies filed, want exactly one, byte-identical", len(copies))
			}
		})
	}
}

func TestSentFolderWithoutSpecialUse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       testpeer.IMAPOptions
		remembered string
		want       string
		wantUse    bool // the created folder is marked \Sent
	}{
		{"marked folder wins over names", testpeer.IMAPOptions{SentFolder: "Postausgang/Versendet", Folders: []string{"Sent"}}, "", "Postausgang/Versendet", false},
		{"renamed folder found again by its mark", testpeer.IMAPOptions{SentFolder: "Gesendet"}, "Sent", "Gesendet", false},
		{"remembered folder that still exists", testpeer.IMAPOptions{Folders: []string{"Sent", "Archiv/Ausgang"}}, "Archiv/Ausgang", "Archiv/Ausgang", false},
		{"English", testpeer.IMAPOptions{Folders: []string{"Drafts", "Sent Items"}}, "", "Sent Items", false},
		{"German, remembered one gone", testpeer.IMAPOptions{Folders: []string{"Gesendete Objekte"}}, "Alt", "Gesendete Objekte", false},
		{"French", testpeer.IMAPOptions{Folders: []string{"Envoyés"}}, "", "Envoyés", false},
		{"Spanish", testpeer.IMAPOptions{Folders: []string{"Elementos enviados"}}, "", "Elementos enviados", false},
		{"below INBOX", testpeer.IMAPOptions{Folders: []string{"INBOX/Drafts", "INBOX/Sent"}}, "", "INBOX/Sent", false},
		{"none: created", testpeer.IMAPOptions{Folders: []string{"Drafts"}}, "", "Sent", false},
		{"none: created with USE", testpeer.IMAPOptions{Folders: []string{"Drafts"}, CreateSpecialUse: true}, "", "Sent", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, cfg, _ := startFaulty(t, tc.opts)
			c := dial(t, cfg)
			got, err := c.SentFolder(context.Background(), tc.remembered)
			if err != nil || got != tc.want {
				t.Fatalf("SentFolder(%q) = %q, %v; want %q", tc.remembered, got, err, tc.want)
			}
			use, exists := s.Folders()[got]
			if !exists {
				t.Fatalf("%q does not exist on the server", got)
			}
			if marked := len(use) == 1 && use[0] == imap.MailboxAttrSent; tc.wantUse && !marked {
				t.Fatalf("created %q with special use %v, want \\Sent", got, use)
			}
		})
	}
}

func TestCancellingClosesTheConnection(t *testing.T) {
	// A server that reads the start of the TLS handshake and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Read(make([]byte, 1)) // the client is in the handshake now
		cancel()
		for {
			if _, err := c.Read(make([]byte, 4096)); err != nil {
				return // the client closed the connection
			}
		}
	}()
	cfg := imapclient.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: smtpclient.SecurityTLS, Username: "u", Secret: "p"}
	_, err = imapclient.Dial(ctx, cfg)
	if e := asError(t, err); e.Reason != imapclient.ReasonCancelled || e.Stage != imapclient.StageTLS {
		t.Fatalf("error %+v; want tls cancelled", e)
	}
	<-closed
}

func TestSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // until the client gives up
		}
	}()
	cfg := imapclient.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: smtpclient.SecurityNone, Timeout: 100 * time.Millisecond}
	_, err = imapclient.Dial(context.Background(), cfg)
	if e := asError(t, err); e.Reason != imapclient.ReasonTimeout || e.Timeout != cfg.Timeout || e.Stage != imapclient.StageGreeting {
		t.Fatalf("error %+v; want greeting timeout after %v", e, cfg.Timeout)
	}
}

// tokens is an OAuth token source: the cached token, then a renewed one.
type tokens struct {
	cached, renewed string
	err             error
	asked           []bool // the renew argument of each call
}

func (s *tokens) AccessToken(_ context.Context, renew bool) (string, error) {
	s.asked = append(s.asked, renew)
	if s.err != nil {
		return "", s.err
	}
	if renew {
		return s.renewed, nil
	}
	return s.cached, nil
}

type needsSignIn struct{}

func (needsSignIn) Error() string     { return "refresh token revoked" }
func (needsSignIn) NeedsSignIn() bool { return true }

func TestOAuthTokenRefusedIsRenewedOnceAndNeverShown(t *testing.T) {
	for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			s, cfg, log := startFaulty(t, testpeer.IMAPOptions{Mechanisms: []string{mech}, Token: "ya29.fresh-token", SentFolder: "Sent"})
			src := &tokens{cached: "ya29.stale-token", renewed: "ya29.fresh-token"}
			cfg.OAuth, cfg.Secret, cfg.Tokens = true, "", src
			c := dial(t, cfg)
			if _, err := c.SentFolder(context.Background(), ""); err != nil {
				t.Fatal(err)
			}
			if got := s.Tokens(); len(got) != 2 || got[0] != "ya29.stale-token" || got[1] != "ya29.fresh-token" {
				t.Fatalf("tokens tried %v, want the stale one then the renewed one", got)
			}
			if len(src.asked) != 2 || src.asked[0] || !src.asked[1] {
				t.Fatalf("token source asked with renew %v, want [false true]", src.asked)
			}
			for _, secret := range []string{"ya29", "eWEy"} { // eWEy: base64 of "ya2"
				if strings.Contains(log.String(), secret) {
					t.Fatalf("the transcript shows the token:\n%s", log)
				}
			}
		})
	}
}

func TestOAuthRefusedTwiceIsLoginRefused(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Mechanisms: []string{"XOAUTH2"}, Token: "valid"})
	cfg.OAuth, cfg.Tokens = true, &tokens{cached: "old", renewed: "also-old"}
	_, err := imapclient.Dial(context.Background(), cfg)
	if e := asError(t, err); e.Reason != imapclient.ReasonLoginRefused || !e.OAuth || e.Stage != imapclient.StageAuth {
		t.Fatalf("error %+v; want auth login-refused for OAuth", e)
	}
	if n := len(s.Tokens()); n != 2 {
		t.Fatalf("%d tokens tried, want 2 (one renewal only)", n)
	}
}

func TestOAuthSignInNeededIsAFact(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{Mechanisms: []string{"OAUTHBEARER"}, Token: "valid"})
	cfg.OAuth, cfg.Tokens = true, &tokens{err: fmt.Errorf("provider: %w", needsSignIn{})}
	_, err := imapclient.Dial(context.Background(), cfg)
	if e := asError(t, err); e.Reason != imapclient.ReasonSignInNeeded || e.Class != imapclient.Permanent {
		t.Fatalf("error %+v; want sign-in-needed", e)
	}
	if s.Logins() != 0 {
		t.Fatal("signed in without a token")
	}
}

func TestPasswordGoesByLoginWhereNoPasswordMechanismIsOfferedAndIsRedacted(t *testing.T) {
	s, cfg, log := startFaulty(t, testpeer.IMAPOptions{Mechanisms: []string{"XOAUTH2"}, Token: "valid"})
	c := dial(t, cfg) // no AUTH=PLAIN: the LOGIN command (RFC 9051 §6.2.3)
	c.Close()
	if s.Logins() != 1 {
		t.Fatalf("%d logins, want 1", s.Logins())
	}
	if !strings.Contains(log.String(), " LOGIN [redacted]") {
		t.Fatalf("the transcript should show the redacted LOGIN:\n%s", log)
	}
	assertNoSecret(t, log.String(), faultPassword)
}

func TestShortMessageIsNotFiledAndClosesTheConnection(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent"})
	c := dial(t, cfg)
	msg := message("<short@postie.test>", 8000)
	err := c.Append(context.Background(), "Sent", int64(len(msg))+1, bytes.NewReader(msg), time.Now())
	if e := asError(t, err); e.Reason != imapclient.ReasonMessageUnreadable || e.MayBeFiled || e.Stage != imapclient.StageAppend {
		t.Fatalf("error %+v; want append message-unreadable, not filed", e)
	}
	if n := len(s.Stored("Sent")); n != 0 {
		t.Fatalf("%d copies stored from a message one byte short", n)
	}
}

// A user name that is not ASCII goes as a literal, so LOGIN's password
// follows on a line of its own; go-imap quotes it escaping only `"` and
// `\`, so a password holding a quote and a tab matches neither itself nor
// strconv.Quote. Neither may show the password.
func TestLoginPasswordAfterALiteralUserNameIsRedacted(t *testing.T) {
	const user, password = "jörg@müller.test", "a\"b\tc-Geheim"
	ca := testpeer.NewCA(t, "IMAP fault CA")
	s := testpeer.StartIMAP(t, testpeer.IMAPOptions{
		CA: ca, Security: testpeer.TLS, User: user, Password: password,
		Mechanisms: []string{"XOAUTH2"}, Token: "valid", // no AUTH=PLAIN: LOGIN
	})
	log := &lines{}
	c := dial(t, imapclient.Config{
		Host: s.Host, Port: s.Port, Security: smtpclient.SecurityTLS, Username: user, Secret: password,
		RootCAs: ca.Pool(), Timeout: 20 * time.Second, Transcript: log.add,
	})
	c.Close()
	if s.Logins() != 1 {
		t.Fatalf("%d logins, want 1", s.Logins())
	}
	text := log.String()
	if !strings.Contains(text, "LOGIN [redacted]") {
		t.Fatalf("the transcript should show the redacted LOGIN:\n%s", text)
	}
	for _, leak := range []string{"Geheim", "b\tc", user} {
		if strings.Contains(text, leak) {
			t.Fatalf("%q in the transcript:\n%s", leak, text)
		}
	}
}

// The search for a Message-ID before appending again looks only at the
// messages dated from a day before the copy's sent time (SEARCH SINCE on
// the internal date, which Append sets to that time), so that a Sent
// folder of many years is cheap to search.
func TestMessageIDSearchLooksOnlySinceTheDayBeforeSending(t *testing.T) {
	_, cfg, log := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent"})
	c := dial(t, cfg)
	ctx := context.Background()
	sent := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	const id = "<since@postie.test>"
	msg := message(id, 5000)
	if err := c.Append(ctx, "Sent", int64(len(msg)), bytes.NewReader(msg), sent); err != nil {
		t.Fatal(err)
	}
	if found, err := c.HasMessageID(ctx, "Sent", id, sent); err != nil || !found {
		t.Fatalf("searched with its sent time: %v, %v; want found", found, err)
	}
	if !strings.Contains(log.String(), `SINCE "9-Mar-2026"`) {
		t.Fatalf("the search does not say SINCE the day before:\n%s", log)
	}
	// A copy dated earlier than that is outside the search.
	if found, err := c.HasMessageID(ctx, "Sent", id, sent.AddDate(0, 0, 3)); err != nil || found {
		t.Fatalf("searched three days later: %v, %v; want not found", found, err)
	}
}

// serverSilentOnLogout answers every command of a plain loopback session
// with OK, but never LOGOUT.
func serverSilentOnLogout(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(conn, "* OK [CAPABILITY IMAP4rev1] ready\r\n")
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // the client closed the connection
			}
			fields := strings.Fields(line)
			if len(fields) < 2 || strings.EqualFold(fields[1], "LOGOUT") {
				continue
			}
			if strings.EqualFold(fields[1], "CAPABILITY") {
				fmt.Fprint(conn, "* CAPABILITY IMAP4rev1\r\n")
			}
			fmt.Fprintf(conn, "%s OK done\r\n", fields[0])
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// Close waits for LOGOUT's answer only briefly, however long each step may
// take otherwise: a server that stops answering must not hold the app's
// shutdown (or `postie send`'s 20 s) for the step timeout. The bound is
// shortened here; the step timeout stays long.
func TestCloseDoesNotWaitLongForLogout(t *testing.T) {
	imapclient.ShortenLogoutTimeout(t, 50*time.Millisecond)
	cfg := imapclient.Config{Host: "127.0.0.1", Port: serverSilentOnLogout(t), Security: smtpclient.SecurityNone,
		Username: "u", Secret: "p", Timeout: time.Hour}
	c, err := imapclient.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close waited for the LOGOUT answer with the step timeout (an hour)")
	}
}
