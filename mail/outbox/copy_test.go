package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimap "github.com/emersion/go-imap/v2/imapclient"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// The copy in the Sent folder, against real IMAP servers: Dovecot for the
// well-behaved case, testpeer's go-imap server for the faults. The
// SentCopier here is the smallest adapter (core's adds the accounts
// store); what talks IMAP is the real imapclient.

const (
	imapUser     = "anna@example.test"
	imapPassword = "Pw-for-the-copies-4e1b!"
)

// imapCopier is a SentCopier over imapclient for the tests' accounts.
type imapCopier struct {
	mu      sync.Mutex
	cfgs    map[string]imapclient.Config
	plans   map[string]SentCopy // default CopyPending
	folders map[string]string   // remembered Sent folders
	dials   int
	// dialed, when set, hears of every dial before it is made.
	dialed func(account string)
}

func (c *imapCopier) set(account string, cfg imapclient.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfgs == nil {
		c.cfgs = map[string]imapclient.Config{}
	}
	c.cfgs[account] = cfg
}

func (c *imapCopier) CopyPlan(_ context.Context, account string) (CopyPlan, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if plan := c.plans[account]; plan != "" {
		return CopyPlan{Copy: plan}, nil
	}
	return CopyPlan{Copy: CopyPending}, nil
}

func (c *imapCopier) DialCopies(ctx context.Context, account string) (CopySession, error) {
	c.mu.Lock()
	cfg, ok := c.cfgs[account]
	c.dials++
	dialed := c.dialed
	c.mu.Unlock()
	if dialed != nil {
		dialed(account)
	}
	if !ok {
		return nil, fmt.Errorf("no IMAP server for %q", account)
	}
	client, err := imapclient.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return client, nil
}

func (c *imapCopier) SentFolderOf(_ context.Context, account string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.folders[account], nil
}

func (c *imapCopier) RememberSentFolder(_ context.Context, account, folder string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.folders == nil {
		c.folders = map[string]string{}
	}
	c.folders[account] = folder
	return nil
}

func (c *imapCopier) dialCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dials
}

func dovecotIMAP(d *testpeer.Dovecot) imapclient.Config {
	return imapclient.Config{Host: d.Host, Port: d.TLSPort, Security: smtpclient.SecurityTLS,
		Username: d.User, Secret: d.Password, RootCAs: d.CA.Pool(), Timeout: 20 * time.Second}
}

func faultIMAP(s *testpeer.IMAPServer, ca *testpeer.CA) imapclient.Config {
	return imapclient.Config{Host: s.Host, Port: s.Port, Security: smtpclient.SecurityTLS,
		Username: imapUser, Secret: imapPassword, RootCAs: ca.Pool(), Timeout: 20 * time.Second}
}

// startFaultIMAP runs testpeer's go-imap server with a folder "Sent"
// marked \Sent.
// outboxFilingTo opens an outbox in a new folder whose account "a" sends
// through smtp and files its copies on srv, whose certificates ca issued.
func outboxFilingTo(t *testing.T, smtp smtpclient.Config, srv *testpeer.IMAPServer, ca *testpeer.CA, opts ...Option) *Outbox {
	accts := &accountsMap{}
	accts.set("a", smtp)
	copier := &imapCopier{}
	copier.set("a", faultIMAP(srv, ca))
	return openDir(t, t.TempDir(), accts, append(opts, WithSentCopier(copier))...)
}

func startFaultIMAP(t *testing.T, ca *testpeer.CA) *testpeer.IMAPServer {
	return testpeer.StartIMAP(t, testpeer.IMAPOptions{Security: testpeer.TLS, CA: ca,
		User: imapUser, Password: imapPassword, SentFolder: "Sent"})
}

// enqueueWithBcc queues a real message, built by package mail, with a
// blind recipient whose name needs encoding.
func enqueueWithBcc(t *testing.T, o *Outbox, account, subject string) int64 {
	t.Helper()
	msg := &mail.Message{
		From:    mail.Address{Name: "Anna Lind", Email: "anna@example.test"},
		To:      []mail.Address{{Name: "Ben", Email: "ben@example.test"}},
		Bcc:     []mail.Address{{Name: "Jörg Müller", Email: "joerg@example.test"}, {Email: "carl@example.test"}},
		Subject: subject,
		Body:    "Hallo Ben,\n\nhier ist die Kopie im Ordner Gesendet.\n",
	}
	id, err := o.Enqueue(context.Background(), account, msg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// submittedBytes is the exact bytes that were submitted.
func submittedBytes(t *testing.T, o *Outbox, id int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := o.ExportEML(context.Background(), id, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wantBcc is the Bcc header of enqueueWithBcc's messages, folded within 78
// characters.
const wantBcc = "Bcc: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.test>,\r\n <carl@example.test>\r\n"

// readFolder fetches every message of folder with go-imap directly.
func readFolder(t *testing.T, addr string, ca *testpeer.CA, user, password, folder string) []*goimap.FetchMessageBuffer {
	t.Helper()
	c, err := goimap.DialTLS(addr, &goimap.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil && !strings.Contains(err.Error(), "No matching messages") {
		t.Fatal(err)
	}
	return msgs
}

func hasFlag(flags []imap.Flag, want imap.Flag) bool {
	for _, f := range flags {
		if f == want {
			return true
		}
	}
	return false
}

func flushAll(t *testing.T, o *Outbox) (Summary, CopySummary) {
	t.Helper()
	ctx := context.Background()
	sum, err := o.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	copies, err := o.FlushCopies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sum, copies
}

// TestCopyIsFiledOnceInDovecotsSentFolder sends three messages through
// go-smtp and reads Dovecot's folder marked \Sent ("Gesendet") back: one
// copy each, byte for byte the submitted message with only the Bcc header
// added, \Seen, dated when sent; the SMTP server never saw the Bcc header;
// the three shared one IMAP connection.
func TestCopyIsFiledOnceInDovecotsSentFolder(t *testing.T) {
	ca := testpeer.NewCA(t, "Dovecot CA")
	d := testpeer.StartDovecot(t, ca, imapUser, imapPassword)
	smtpServer := startSink(t)
	accts := &accountsMap{}
	accts.set("a", smtpServer.config())
	copier := &imapCopier{}
	copier.set("a", dovecotIMAP(d))
	// The real clock: Dovecot takes no internal date in the future.
	o := openDir(t, t.TempDir(), accts, WithSentCopier(copier))

	var ids []int64
	for i := range 3 {
		ids = append(ids, enqueueWithBcc(t, o, "a", fmt.Sprintf("Grüße %d", i)))
	}
	sum, copies := flushAll(t, o)
	if sum.Sent != 3 || copies.Filed != 3 {
		t.Fatalf("sent %+v, copies %+v; want 3 sent and 3 filed", sum, copies)
	}
	if n := copier.dialCount(); n != 1 {
		t.Errorf("%d IMAP connections for 3 copies, want 1", n)
	}
	if copier.folders["a"] != "Gesendet" {
		t.Errorf("remembered Sent folder %q, want Gesendet", copier.folders["a"])
	}
	msgs := readFolder(t, net.JoinHostPort(d.Host, fmt.Sprint(d.TLSPort)), ca, imapUser, imapPassword, "Gesendet")
	if len(msgs) != 3 {
		t.Fatalf("%d messages in Gesendet, want 3", len(msgs))
	}
	for i, id := range ids {
		e := mustGet(t, o, id)
		if e.State != StateSent || e.SentCopy != CopyFiled || e.SentFolder != "Gesendet" || e.CopyFailure != nil || e.CopyAttempts != 1 {
			t.Errorf("message %d: %s, copy %s in %q (%+v, %d tries); want sent, filed in Gesendet at the first try",
				id, e.State, e.SentCopy, e.SentFolder, e.CopyFailure, e.CopyAttempts)
		}
		submitted := submittedBytes(t, o, id)
		if bytes.Contains(submitted, []byte("joerg@")) || bytes.Contains(smtpServer.ReceivedByID()[e.MessageID], []byte("joerg@")) {
			t.Errorf("message %d: the blind recipient is in the submitted message", id)
		}
		got := msgs[i].BodySection[0].Bytes
		if want := append([]byte(wantBcc), submitted...); !bytes.Equal(got, want) {
			t.Errorf("copy %d differs from the Bcc header and the submitted bytes:\n%q\nwant\n%q", i, head(got), head(want))
		}
		if !hasFlag(msgs[i].Flags, imap.FlagSeen) {
			t.Errorf("copy %d has flags %v, want \\Seen", i, msgs[i].Flags)
		}
		if !msgs[i].InternalDate.Equal(e.SentAt.Truncate(time.Second)) {
			t.Errorf("copy %d is dated %v, want the time sent, %v", i, msgs[i].InternalDate, e.SentAt)
		}
	}
	// Nothing is left to do, and nothing is filed twice.
	if _, copies := flushAll(t, o); copies != (CopySummary{}) {
		t.Errorf("a second flush filed %+v", copies)
	}
	if n := len(readFolder(t, net.JoinHostPort(d.Host, fmt.Sprint(d.TLSPort)), ca, imapUser, imapPassword, "Gesendet")); n != 3 {
		t.Errorf("%d messages in Gesendet after a second flush, want 3", n)
	}
}

func head(b []byte) []byte { return b[:min(len(b), 400)] }

// TestCopyCutOffDuringAppendIsFiledOnce: the connection drops in the
// middle of the APPEND, once after the server stored the copy (its answer
// lost) and once before. The copy is pending, and the next try looks for
// the Message-ID before appending again: one copy either way. The message
// is sent once.
func TestCopyCutOffDuringAppendIsFiledOnce(t *testing.T) {
	for _, stored := range []bool{true, false} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) {
			ca := testpeer.NewCA(t, "IMAP CA")
			srv := startFaultIMAP(t, ca)
			smtpServer := startSink(t)
			clk := newClock()
			o := outboxFilingTo(t, smtpServer.config(), srv, ca, WithClock(clk.Now))

			id := enqueueWithBcc(t, o, "a", "Cut off")
			srv.Fault(testpeer.IMAPFault{DropAppendAfter: 200, StoreBeforeDrop: stored})
			sum, copies := flushAll(t, o)
			if sum.Sent != 1 || copies.Pending != 1 {
				t.Fatalf("sent %+v, copies %+v; want 1 sent, its copy pending", sum, copies)
			}
			e := mustGet(t, o, id)
			if e.SentCopy != CopyPending || e.CopyFailure == nil || !e.CopyFailure.Temporary || e.CopyNextTry.IsZero() {
				t.Fatalf("after the hang-up: copy %s, %+v, next %v; want pending with the facts and a next try", e.SentCopy, e.CopyFailure, e.CopyNextTry)
			}
			if got, want := e.CopyNextTry.Sub(clk.Now()), copyRetryDelays[0]; got != want {
				t.Errorf("next try in %v, want %v", got, want)
			}
			// Not due yet: nothing happens.
			if _, copies := flushAll(t, o); copies != (CopySummary{}) {
				t.Fatalf("a copy not due was tried: %+v", copies)
			}
			clk.Advance(copyRetryDelays[0])
			if _, copies := flushAll(t, o); copies.Filed != 1 {
				t.Fatalf("second try: %+v, want filed", copies)
			}
			if n := len(srv.Stored("Sent")); n != 1 {
				t.Errorf("%d copies in Sent, want 1", n)
			}
			e = mustGet(t, o, id)
			if e.SentCopy != CopyFiled || e.State != StateSent || e.AttemptCount != 1 {
				t.Errorf("message %s (%d SMTP attempts), copy %s; want sent once, copy filed", e.State, e.AttemptCount, e.SentCopy)
			}
			if n := smtpServer.count(e.MessageID); n != 1 {
				t.Errorf("the SMTP server got the message %d times, want 1", n)
			}
		})
	}
}

// TestCopyRefusalsAreVisibleRetryableAndNeverResend: a full mailbox, a
// missing folder and a refused sign-in each leave the message sent (one
// SMTP transaction), the copy failed or pending with the facts, and Retry
// files it once the fault is gone, without sending anything again.
func TestCopyRefusalsAreVisibleRetryableAndNeverResend(t *testing.T) {
	cases := []struct {
		name   string
		fault  testpeer.IMAPFault
		copy   SentCopy
		reason imapclient.Reason
	}{
		{"over-quota", testpeer.IMAPFault{AppendCode: imap.ResponseCodeOverQuota}, CopyFailed, imapclient.ReasonOverQuota},
		{"try-create", testpeer.IMAPFault{AppendCode: imap.ResponseCodeTryCreate}, CopyPending, imapclient.ReasonTryCreate},
		{"login-refused", testpeer.IMAPFault{RefuseLogin: true}, CopyFailed, imapclient.ReasonLoginRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca := testpeer.NewCA(t, "IMAP CA")
			srv := startFaultIMAP(t, ca)
			smtpServer := startSink(t)
			o := outboxFilingTo(t, smtpServer.config(), srv, ca)
			events, stop := o.Subscribe()
			defer stop()

			srv.Fault(tc.fault)
			id := enqueueWithBcc(t, o, "a", "Refused copy")
			sum, _ := flushAll(t, o)
			e := mustGet(t, o, id)
			if sum.Sent != 1 || e.State != StateSent {
				t.Fatalf("the message is %s (%+v), want sent", e.State, sum)
			}
			if e.SentCopy != tc.copy || e.CopyFailure == nil || e.CopyFailure.Reason != string(tc.reason) {
				t.Fatalf("copy %s with %+v; want %s because %s", e.SentCopy, e.CopyFailure, tc.copy, tc.reason)
			}
			if ev := copyEvent(t, events, id); ev.Copy != tc.copy || ev.CopyFailure == nil || ev.CopyFailure.Reason != string(tc.reason) {
				t.Errorf("event %+v, want the copy %s with its reason", ev, tc.copy)
			}
			if err := o.RetryCopy(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			srv.Fault(testpeer.IMAPFault{})
			if _, copies := flushAll(t, o); copies.Filed != 1 {
				t.Fatalf("after Retry: %+v, want the copy filed", copies)
			}
			e = mustGet(t, o, id)
			if e.SentCopy != CopyFiled || e.SentFolder != "Sent" || len(srv.Stored("Sent")) != 1 {
				t.Errorf("after Retry: copy %s in %q, %d in Sent; want one filed in Sent", e.SentCopy, e.SentFolder, len(srv.Stored("Sent")))
			}
			if accepted, _ := smtpServer.Stats(); accepted != 1 || e.AttemptCount != 1 {
				t.Errorf("%d SMTP transactions, %d attempts; filing must never send again", accepted, e.AttemptCount)
			}
			if err := o.RetryCopy(context.Background(), id); err == nil {
				t.Error("RetryCopy of a filed copy was accepted")
			}
		})
	}
}

// copyEvent waits for the event about message id's copy.
func copyEvent(t *testing.T, events <-chan Event, id int64) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.ID == id && ev.Copy != "" {
				return ev
			}
		case <-timeout:
			t.Fatal("no event about the copy")
		}
	}
}

// TestCopyPlanSkippedOrOffTouchesNoIMAPServer: a provider that files its
// own copy, or an account that files none, is recorded as such when the
// message is sent, and no IMAP connection is made.
func TestCopyPlanSkippedOrOffTouchesNoIMAPServer(t *testing.T) {
	smtpServer := startSink(t)
	accts := &accountsMap{}
	accts.set("gmail-like", smtpServer.config())
	accts.set("never", smtpServer.config())
	copier := &imapCopier{plans: map[string]SentCopy{"gmail-like": CopySkipped, "never": CopyOff}}
	o := openDir(t, t.TempDir(), accts, WithSentCopier(copier))
	skipped := enqueueWithBcc(t, o, "gmail-like", "Skipped")
	off := enqueueWithBcc(t, o, "never", "Off")
	if sum, copies := flushAll(t, o); sum.Sent != 2 || copies != (CopySummary{}) {
		t.Fatalf("sent %+v, copies %+v", sum, copies)
	}
	if e := mustGet(t, o, skipped); e.SentCopy != CopySkipped {
		t.Errorf("copy %s, want skipped", e.SentCopy)
	}
	if e := mustGet(t, o, off); e.SentCopy != CopyOff {
		t.Errorf("copy %s, want off", e.SentCopy)
	}
	if n := copier.dialCount(); n != 0 {
		t.Errorf("%d IMAP connections, want none", n)
	}
	// Without a copier, nothing is filed either.
	o2 := openDir(t, t.TempDir(), accts)
	id := enqueueWithBcc(t, o2, "never", "No copier")
	flushAll(t, o2)
	if e := mustGet(t, o2, id); e.SentCopy != CopyOff {
		t.Errorf("without a copier: copy %s, want off", e.SentCopy)
	}
}

// TestIMAPHangDoesNotDelaySMTP: while the copy worker waits on an IMAP
// server that accepts the connection and never answers, the SMTP worker
// sends the next message; the hung copy is still pending meanwhile.
func TestIMAPHangDoesNotDelaySMTP(t *testing.T) {
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, never answered
		}
	}()
	smtpServer := startSink(t)
	accts := &accountsMap{}
	accts.set("a", smtpServer.config())
	copier := &imapCopier{}
	copier.set("a", imapclient.Config{Host: "127.0.0.1", Port: hang.Addr().(*net.TCPAddr).Port,
		Security: smtpclient.SecurityTLS, Username: imapUser, Secret: imapPassword, Timeout: time.Hour})
	o := openDir(t, t.TempDir(), accts, WithSentCopier(copier))
	events, stop := o.Subscribe()
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		o.Run(ctx)
		close(ran)
	}()
	defer func() { cancel(); <-ran }()

	first := enqueueRaw(t, o, "a", "first@example.org", "First", time.Time{})
	awaitState(t, events, first, StateSent)
	var held net.Conn
	select {
	case held = <-accepted: // the copy worker is now waiting for a greeting
	case <-time.After(10 * time.Second):
		t.Fatal("the copy worker did not connect to the IMAP server")
	}
	defer held.Close()
	second := enqueueRaw(t, o, "a", "second@example.org", "Second", time.Time{})
	awaitState(t, events, second, StateSent)
	if e := mustGet(t, o, first); e.SentCopy != CopyPending || e.CopyAttempts != 1 || e.CopyFailure != nil {
		t.Fatalf("first copy %s after %d tries (%+v): want still pending on its first try", e.SentCopy, e.CopyAttempts, e.CopyFailure)
	}
	if smtpServer.count("second@example.org") != 1 {
		t.Fatal("the second message did not reach the SMTP server")
	}
	// Closing Postie ends the wait; the copy is tried again at the next
	// start, at once, and the interruption is not counted as a failure.
	cancel()
	<-ran
	e := mustGet(t, o, first)
	if e.SentCopy != CopyPending || e.CopyFailure == nil || e.CopyFailure.Reason != string(imapclient.ReasonCancelled) ||
		e.CopyNextTry.After(time.Now()) {
		t.Fatalf("after closing: copy %s (%+v), next try %v; want pending, due now", e.SentCopy, e.CopyFailure, e.CopyNextTry)
	}
	var failures int
	if err := o.db.QueryRow(`SELECT copy_failures FROM outbox_messages WHERE id = ?`, first).Scan(&failures); err != nil || failures != 0 {
		t.Errorf("closing counted as %d failures (%v), want 0", failures, err)
	}
}

// awaitState waits for message id to reach state.
func awaitState(t *testing.T, events <-chan Event, id int64, state State) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.ID == id && ev.State == state && ev.Copy == "" && !ev.Progress {
				return
			}
		case <-timeout:
			t.Fatalf("message %d did not become %s", id, state)
		}
	}
}

// TestCopyWorkerSleepsAfterAFailure: the IMAP server refuses connections.
// The copy fails, is pending until its next try a minute later, and the
// copy worker then decides to sleep (its poll interval, as the try is
// further away) at every pass, nudged or not: it does not spin. The SMTP
// worker goes on sending meanwhile.
func TestCopyWorkerSleepsAfterAFailure(t *testing.T) {
	smtpServer := startSink(t)
	accts := &accountsMap{}
	accts.set("a", smtpServer.config())
	copier := &imapCopier{}
	copier.set("a", imapclient.Config{Host: "127.0.0.1", Port: testpeer.FreePort(t), Security: smtpclient.SecurityTLS,
		Username: imapUser, Secret: imapPassword, Timeout: 10 * time.Second})
	o := openDir(t, t.TempDir(), accts, WithSentCopier(copier))
	waits := &waitLog{changed: make(chan struct{}, 1)}
	o.copyHook = func(wait time.Duration) {
		waits.mu.Lock()
		waits.waits = append(waits.waits, wait)
		waits.mu.Unlock()
		select {
		case waits.changed <- struct{}{}:
		default:
		}
	}
	events, stop := o.Subscribe()
	defer stop()
	startRun(t, o)

	id := enqueueRaw(t, o, "a", "refused-copy@example.org", "Refused copy", time.Time{})
	if ev := copyEvent(t, events, id); ev.Copy != CopyPending || ev.CopyFailure == nil || ev.CopyFailure.Reason != string(imapclient.ReasonConnectionRefused) {
		t.Fatalf("copy event %+v, want pending: connection refused", ev)
	}
	e := mustGet(t, o, id)
	if e.State != StateSent || time.Until(e.CopyNextTry) < 50*time.Second {
		t.Fatalf("message %s, copy next try %v: want sent, and a try in a minute", e.State, e.CopyNextTry)
	}
	// Every nudge is one pass (the loop that tried nudges too as it ends).
	passes := len(waits.snapshot())
	for range 3 {
		passes := len(waits.snapshot())
		o.nudgeCopies()
		waits.awaitPasses(t, passes+1)
	}
	all := waits.snapshot()
	for i, w := range all[passes:] {
		if w != pollInterval {
			t.Fatalf("pass %d after the failure decided to wait %v, not %v: all %v", i, w, pollInterval, all)
		}
	}
	if n := copier.dialCount(); n != 1 {
		t.Errorf("%d connections to the IMAP server, want 1 before the next try", n)
	}
	second := enqueueRaw(t, o, "a", "after-refusal@example.org", "After", time.Time{})
	awaitState(t, events, second, StateSent)
}

// TestMarkSentFilesTheCopy: a message whose fate was unknown (the line
// dropped after the final dot) has no copy; once the user marks it sent,
// its copy is pending and filed like any other's, and nothing is sent
// again.
func TestMarkSentFilesTheCopy(t *testing.T) {
	ca := testpeer.NewCA(t, "IMAP CA")
	srv := startFaultIMAP(t, ca)
	smtpServer := startScripted(t)
	smtpServer.script("dot", "drop")
	o := outboxFilingTo(t, smtpServer.config(), srv, ca)
	id := enqueueRaw(t, o, "a", "unknown-then-sent@example.org", "Unknown", time.Time{})
	flushAll(t, o)
	if e := mustGet(t, o, id); e.State != StateUnknown || e.SentCopy != CopyOff {
		t.Fatalf("%s with copy %s, want unknown with none", e.State, e.SentCopy)
	}
	if err := o.MarkSent(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if e := mustGet(t, o, id); e.SentCopy != CopyPending {
		t.Fatalf("marked sent: copy %s, want pending", e.SentCopy)
	}
	if _, copies := flushAll(t, o); copies.Filed != 1 || len(srv.Stored("Sent")) != 1 {
		t.Fatalf("copies %+v, %d in Sent; want one filed", copies, len(srv.Stored("Sent")))
	}
	if _, dropped := smtpServer.copies("unknown-then-sent@example.org"); dropped != 1 {
		t.Errorf("the SMTP server read the message %d times, want 1", dropped)
	}
}

// TestOneCopyRefusedBeforeItTravelsDoesNotFailTheOthers: the server refuses
// a copy beyond its APPENDLIMIT (NO [TOOBIG]) before the "+" of its
// synchronizing literal, and go-imap v2.0.0-beta.8 then closes the
// connection. That copy fails for good; the copies after it in the same
// batch are filed over a new connection, not failed over the dead one.
func TestOneCopyRefusedBeforeItTravelsDoesNotFailTheOthers(t *testing.T) {
	ca := testpeer.NewCA(t, "IMAP CA")
	srv := testpeer.StartIMAP(t, testpeer.IMAPOptions{Security: testpeer.TLS, CA: ca,
		User: imapUser, Password: imapPassword, SentFolder: "Sent", AppendLimit: 4000})
	smtpServer := startSink(t)
	accts := &accountsMap{}
	accts.set("a", smtpServer.config())
	copier := &imapCopier{}
	copier.set("a", faultIMAP(srv, ca))
	o := openDir(t, t.TempDir(), accts, WithSentCopier(copier))

	first := enqueueWithBcc(t, o, "a", "Before the big one")
	bigMsg := &mail.Message{
		From:    mail.Address{Email: "anna@example.test"},
		To:      []mail.Address{{Email: "ben@example.test"}},
		Subject: "Too big for the Sent folder",
		Body:    strings.Repeat("Eine lange Zeile für den Ordner Gesendet, zu groß für ihn.\n", 100),
	}
	big, err := o.Enqueue(context.Background(), "a", bigMsg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	last := enqueueWithBcc(t, o, "a", "After the big one")
	sum, copies := flushAll(t, o)
	if sum.Sent != 3 {
		t.Fatalf("sent %+v, want all three", sum)
	}
	if copies.Filed != 2 || copies.Failed != 1 || copies.Pending != 0 {
		t.Errorf("copies %+v; want two filed and the big one failed", copies)
	}
	for _, id := range []int64{first, last} {
		if e := mustGet(t, o, id); e.SentCopy != CopyFiled || e.CopyFailure != nil {
			t.Errorf("message %d: copy %s (%+v), want filed", id, e.SentCopy, e.CopyFailure)
		}
	}
	if e := mustGet(t, o, big); e.SentCopy != CopyFailed || e.CopyFailure == nil || e.CopyFailure.Reason != string(imapclient.ReasonTooBig) {
		t.Errorf("the big message's copy: %s (%+v), want failed as too big", e.SentCopy, e.CopyFailure)
	}
	if n := len(srv.Stored("Sent")); n != 2 {
		t.Errorf("%d copies in Sent, want 2", n)
	}
	if n := copier.dialCount(); n != 2 {
		t.Errorf("%d connections, want 2: one until go-imap closed it, one for the rest", n)
	}
}

// copyOwnerOf is the process that holds the copy's claim, "" for none.
func copyOwnerOf(t *testing.T, o *Outbox, id int64) string {
	t.Helper()
	var owner string
	if err := o.db.QueryRow(`SELECT copy_owner FROM outbox_messages WHERE id = ?`, id).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	return owner
}

// TestCopyWhoseResultCannotBeRecordedIsReleasedAndFiledOnce: the copy was
// filed, but the database refused its result (locked, full). The claim is
// given back, so the next round files it (finding it already there)
// rather than leaving it taken by this process until the next start.
func TestCopyWhoseResultCannotBeRecordedIsReleasedAndFiledOnce(t *testing.T) {
	ca := testpeer.NewCA(t, "IMAP CA")
	srv := startFaultIMAP(t, ca)
	smtpServer := startSink(t)
	o := outboxFilingTo(t, smtpServer.config(), srv, ca)
	id := enqueueWithBcc(t, o, "a", "Unrecorded")
	ctx := context.Background()
	if sum, err := o.Flush(ctx); err != nil || sum.Sent != 1 {
		t.Fatalf("flush: %+v, %v", sum, err)
	}
	refused := 0
	o.recordCopyFault = func(int64) error { refused++; return errors.New("database is locked") }
	if _, err := o.FlushCopies(ctx); err != nil {
		t.Fatal(err)
	}
	o.recordCopyFault = nil
	if refused != 1 || len(srv.Stored("Sent")) != 1 {
		t.Fatalf("%d results refused, %d copies filed; want the one filed and its result refused", refused, len(srv.Stored("Sent")))
	}
	if owner := copyOwnerOf(t, o, id); owner != "" {
		t.Fatalf("the copy stays claimed by %q", owner)
	}
	if _, copies := flushAll(t, o); copies.Filed != 1 {
		t.Fatalf("next round: %+v, want filed", copies)
	}
	if n := len(srv.Stored("Sent")); n != 1 {
		t.Errorf("%d copies in Sent, want 1", n)
	}
}

// TestRetryCopyFreesAClaimNoLoopOfThisProcessHolds: a claim of this
// process whose result could be neither recorded nor released (the
// database failing on) is freed by Retry, and the copy is filed.
func TestRetryCopyFreesAClaimNoLoopOfThisProcessHolds(t *testing.T) {
	ca := testpeer.NewCA(t, "IMAP CA")
	srv := startFaultIMAP(t, ca)
	smtpServer := startSink(t)
	o := outboxFilingTo(t, smtpServer.config(), srv, ca)
	id := enqueueWithBcc(t, o, "a", "Stuck claim")
	ctx := context.Background()
	if sum, err := o.Flush(ctx); err != nil || sum.Sent != 1 {
		t.Fatalf("flush: %+v, %v", sum, err)
	}
	if _, err := o.db.Exec(`UPDATE outbox_messages SET copy_owner = ? WHERE id = ?`, o.self.id, id); err != nil {
		t.Fatal(err)
	}
	if _, copies := flushAll(t, o); copies != (CopySummary{}) {
		t.Fatalf("a claimed copy was tried: %+v", copies)
	}
	if err := o.RetryCopy(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, copies := flushAll(t, o); copies.Filed != 1 {
		t.Fatalf("after Retry: %+v, want filed", copies)
	}
	if n := len(srv.Stored("Sent")); n != 1 {
		t.Errorf("%d copies in Sent, want 1", n)
	}
}

// TestCopyOfAMessageIDGivenWithBracketsIsFoundAfterACutOff: a Message-ID
// given as "<id>" is stored so, and written once bracketed; the search
// before appending again must look for "<id>", not "<<id>>", or a copy the
// cut-off try had stored is filed a second time.
func TestCopyOfAMessageIDGivenWithBracketsIsFoundAfterACutOff(t *testing.T) {
	ca := testpeer.NewCA(t, "IMAP CA")
	srv := startFaultIMAP(t, ca)
	smtpServer := startSink(t)
	clk := newClock()
	o := outboxFilingTo(t, smtpServer.config(), srv, ca, WithClock(clk.Now))
	_, err := o.Enqueue(context.Background(), "a", &mail.Message{
		From: mail.Address{Email: "anna@example.test"}, To: []mail.Address{{Email: "ben@example.test"}},
		Subject: "Bracketed", Body: "Hallo\n", MessageID: "<given-with-brackets@postie.test>",
	}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Fault(testpeer.IMAPFault{DropAppendAfter: 200, StoreBeforeDrop: true})
	if _, copies := flushAll(t, o); copies.Pending != 1 {
		t.Fatalf("copies %+v; want the cut-off one pending", copies)
	}
	clk.Advance(copyRetryDelays[0])
	if _, copies := flushAll(t, o); copies.Filed != 1 {
		t.Fatalf("second try: %+v, want filed", copies)
	}
	if n := len(srv.Stored("Sent")); n != 1 {
		t.Errorf("%d copies in Sent, want 1", n)
	}
}
