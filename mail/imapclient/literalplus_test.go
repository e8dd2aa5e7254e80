package imapclient_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postie-app/postie/internal/testpeer"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/smtpclient"
)

// awaitedContinuation reports whether the transcript shows the server's
// continuation request, which a client sending {N+} never waits for.
func awaitedContinuation(log *lines) bool {
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.HasPrefix(l, "S: +") {
			return true
		}
	}
	return false
}

// The literal header on the wire for each size, with and without LITERAL+
// (RFC 7888): the go-imap server offers LITERAL- always (IMAP4rev1), and
// LITERAL+ when told to. Plain text on loopback, so that Received shows
// the bytes as they went.
func TestAppendSendsANonSynchronizingLiteralWhereLiteralPlusIsOffered(t *testing.T) {
	cases := []struct {
		literalPlus bool
		size        int
		header      string
		waits       bool
		appendLimit uint32
	}{
		{true, 4095, "{4095+}\r\n", false, 0},
		{true, 4096, "{4096+}\r\n", false, 0},
		{true, 4097, "{4097+}\r\n", false, 0},
		{true, 300_000, "{300000+}\r\n", false, 0},
		// Within the server's APPENDLIMIT (RFC 7889).
		{true, 300_000, "{300000+}\r\n", false, 300_000},
		// LITERAL- alone: {N+} up to 4096 bytes only (RFC 7888 §5).
		{false, 4096, "{4096+}\r\n", false, 0},
		{false, 4097, "{4097}\r\n", true, 0},
		{false, 300_000, "{300000}\r\n", true, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("LITERAL+=%v/%d/APPENDLIMIT=%d", tc.literalPlus, tc.size, tc.appendLimit), func(t *testing.T) {
			s, cfg, log := startFaulty(t, testpeer.IMAPOptions{
				SentFolder: "Sent", Security: testpeer.None, LiteralPlus: tc.literalPlus, AppendLimit: tc.appendLimit,
			})
			c := dial(t, cfg)
			msg := message(fmt.Sprintf("<lit-%d@postie.test>", tc.size), tc.size)
			if err := c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.Received(), " APPEND \"Sent\" (\\Seen) ") || !strings.Contains(s.Received(), tc.header) {
				t.Errorf("the server did not receive the literal header %q:\n%s", tc.header, before(s.Received(), tc.header))
			}
			if got := awaitedContinuation(log); got != tc.waits {
				t.Errorf("continuation request awaited: %v, want %v\n%s", got, tc.waits, log)
			}
			if stored := s.Stored("Sent"); len(stored) != 1 || !bytes.Equal(stored[0], msg) {
				t.Fatalf("stored %d messages, want exactly the %d bytes appended", len(stored), len(msg))
			}
			// The same connection goes on: the literal ended where the server
			// expected it to.
			if found, err := c.HasMessageID(context.Background(), "Sent", fmt.Sprintf("<lit-%d@postie.test>", tc.size), time.Time{}); err != nil || !found {
				t.Fatalf("after the APPEND, HasMessageID = %v, %v; want true", found, err)
			}
		})
	}
}

// before shows the APPEND line of what the server received, for a failure.
func before(received, _ string) string {
	i := strings.Index(received, " APPEND ")
	if i < 0 {
		return "(no APPEND)"
	}
	j := strings.Index(received[i:], "\n")
	if j < 0 {
		j = len(received) - i
	}
	return received[i : i+j]
}

// A message beyond the server's APPENDLIMIT (RFC 7889) goes synchronizing
// even with LITERAL+: the server refuses it [TOOBIG] before it travels,
// instead of having to swallow or cut off a non-synchronizing literal.
func TestAppendBeyondTheAppendLimitIsRefusedBeforeTheMessageTravels(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", Security: testpeer.None, LiteralPlus: true, AppendLimit: 300_000})
	c := dial(t, cfg)
	msg := message("<too-big@postie.test>", 300_001)
	e := asError(t, c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()))
	if e.Code != "TOOBIG" || e.MayBeFiled {
		t.Fatalf("error %+v; want [TOOBIG], not filed", e)
	}
	if received := s.Received(); !strings.Contains(received, "{300001}\r\n") || len(received) > 10_000 {
		t.Fatalf("received %d bytes, %s; want the synchronizing header and no message", len(received), before(received, ""))
	}
	// go-imap v2.0.0-beta.8 closes the connection after a refused
	// synchronizing literal (its encoder keeps the error), with or without
	// LITERAL+: TestAClientThatGoIMAPClosedSaysSoAtOnce.
}

// After go-imap closed the connection over a refused synchronizing
// literal, the Client knows it is closed: the next step says so at once
// (ReasonClosed, nothing sent), rather than trying the dead connection
// and reporting it lost; Broken tells a caller to dial again.
func TestAClientThatGoIMAPClosedSaysSoAtOnce(t *testing.T) {
	for _, literalPlus := range []bool{false, true} {
		t.Run(fmt.Sprintf("LITERAL+ %v", literalPlus), func(t *testing.T) {
			s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", Security: testpeer.None, LiteralPlus: literalPlus, AppendLimit: 300_000})
			c := dial(t, cfg)
			if c.Broken() {
				t.Fatal("a new Client is broken")
			}
			big := message("<too-big@postie.test>", 300_001)
			if e := asError(t, c.Append(context.Background(), "Sent", int64(len(big)), bytes.NewReader(big), time.Now())); e.Code != "TOOBIG" {
				t.Fatalf("error %+v; want [TOOBIG]", e)
			}
			if !c.Broken() {
				t.Error("the Client does not know that go-imap closed its connection")
			}
			sentBefore := len(s.Received())
			small := message("<small@postie.test>", 1000)
			e := asError(t, c.Append(context.Background(), "Sent", int64(len(small)), bytes.NewReader(small), time.Now()))
			if e.Reason != imapclient.ReasonClosed || e.Class != imapclient.Temporary || e.MayBeFiled {
				t.Errorf("the next APPEND: %+v; want closed, temporary, not filed", e)
			}
			if _, err := c.HasMessageID(context.Background(), "Sent", "<small@postie.test>", time.Time{}); asError(t, err).Reason != imapclient.ReasonClosed {
				t.Errorf("the next SEARCH: %v; want closed", err)
			}
			if got := len(s.Received()); got != sentBefore {
				t.Errorf("the server received %d more bytes after the Client was closed", got-sentBefore)
			}
			// A new Client files it.
			c2 := dial(t, cfg)
			defer c2.Close()
			if err := c2.Append(context.Background(), "Sent", int64(len(small)), bytes.NewReader(small), time.Now()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Dovecot offers LITERAL+: the copy goes without waiting, and what comes
// back is byte for byte what went, at the sizes around go-imap's 4 KiB
// switch and at 1 MiB.
func TestAppendToDovecotWithLiteralPlusIsByteIdentical(t *testing.T) {
	ca := testpeer.NewCA(t, "Dovecot CA")
	d := testpeer.StartDovecot(t, ca, dovecotUser, dovecotPassword)
	ctx := context.Background()
	var log lines
	c, err := imapclient.Dial(ctx, dovecotConfig(d, smtpclient.SecurityTLS, &log))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sizes := []int{4095, 4096, 4097, 1 << 20}
	want := map[int][]byte{}
	for _, size := range sizes {
		msg := message(fmt.Sprintf("<dovecot-lit-%d@postie.test>", size), size)
		want[len(msg)] = msg
		if err := c.Append(ctx, "Gesendet", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if header := fmt.Sprintf("{%d+} (%d bytes follow, not shown)", size, size); !strings.Contains(log.String(), header) {
			t.Errorf("%d bytes: the transcript lacks %q:\n%s", size, header, log.String())
		}
	}
	if awaitedContinuation(&log) {
		t.Errorf("a continuation request was awaited although Dovecot offers LITERAL+:\n%s", log.String())
	}
	msgs := readBack(t, d, "Gesendet")
	if len(msgs) != len(sizes) {
		t.Fatalf("%d messages in Gesendet, want %d", len(msgs), len(sizes))
	}
	for _, m := range msgs {
		body := m.BodySection[0].Bytes
		if !bytes.Equal(body, want[len(body)]) {
			t.Errorf("the filed copy of %d bytes differs from the one appended", len(body))
		}
		delete(want, len(body))
	}
	if len(want) > 0 {
		t.Errorf("%d copies missing", len(want))
	}
}

// A server that refuses the command reads the non-synchronizing literal
// whole, then says NO (RFC 7888 §3): the refusal keeps its code, and the
// connection stays in step.
func TestRefusalAfterANonSynchronizingLiteralKeepsItsCode(t *testing.T) {
	for _, code := range []imap.ResponseCode{imap.ResponseCodeOverQuota, imap.ResponseCodeTryCreate} {
		t.Run(string(code), func(t *testing.T) {
			s, cfg, log := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", Security: testpeer.None, LiteralPlus: true})
			c := dial(t, cfg)
			msg := message("<refused@postie.test>", 100_000)
			s.Fault(testpeer.IMAPFault{AppendCode: code})
			e := asError(t, c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()))
			if e.Code != string(code) || e.Stage != imapclient.StageAppend || e.MayBeFiled || e.Folder != "Sent" {
				t.Fatalf("error %+v; want append [%s] in Sent, not filed", e, code)
			}
			if !strings.Contains(s.Received(), fmt.Sprintf("{%d+}\r\n", len(msg))) || awaitedContinuation(log) {
				t.Fatalf("the message did not go as a non-synchronizing literal:\n%s", log)
			}
			s.Fault(testpeer.IMAPFault{})
			if err := c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
				t.Fatalf("after the refusal, the same connection should file: %v", err)
			}
			if n := len(s.Stored("Sent")); n != 1 {
				t.Fatalf("%d copies stored, want 1", n)
			}
		})
	}
}

// A hang-up in the middle of a non-synchronizing literal may have filed
// the copy, as with a synchronizing one.
func TestHangUpDuringANonSynchronizingLiteralMayHaveFiled(t *testing.T) {
	s, cfg, _ := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", Security: testpeer.None, LiteralPlus: true})
	c := dial(t, cfg)
	msg := message("<drop-lit@postie.test>", 2<<20)
	defer func() {
		if !strings.Contains(s.Received(), fmt.Sprintf("{%d+}\r\n", len(msg))) {
			t.Errorf("the message did not go as a non-synchronizing literal: %s", before(s.Received(), ""))
		}
	}()
	s.Fault(testpeer.IMAPFault{DropAppendAfter: 100_000})
	e := asError(t, c.Append(context.Background(), "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()))
	if !e.MayBeFiled || e.Code != "" || e.Stage != imapclient.StageAppend {
		t.Fatalf("error %+v; want append, may be filed, no code", e)
	}
}

// An untagged response the server sends unasked, begun before the APPEND
// and ended after its literal header arrived: the continuation request
// Postie gives go-imap must come after it, not inside it.
func TestUnaskedResponseAroundTheAppendArrivesWhole(t *testing.T) {
	for _, literalPlus := range []bool{true, false} {
		t.Run(fmt.Sprintf("LITERAL+=%v", literalPlus), func(t *testing.T) {
			s, cfg, log := startFaulty(t, testpeer.IMAPOptions{SentFolder: "Sent", Security: testpeer.None, LiteralPlus: literalPlus})
			c := dial(t, cfg)
			ctx := context.Background()
			// Learn the capabilities now, so that no CAPABILITY command
			// comes between the SEARCH and the APPEND below.
			if folder, err := c.SentFolder(ctx, ""); err != nil || folder != "Sent" {
				t.Fatalf("SentFolder = %q, %v", folder, err)
			}
			for i := range 3 {
				id := fmt.Sprintf("<unasked-%d@postie.test>", i)
				msg := message(id, 50_000)
				s.Fault(testpeer.IMAPFault{UntaggedAroundAppend: "* OK [ALERT] Unasked: your mailbox is almost full\r\n"})
				// The SEARCH's tagged answer carries the first half.
				if found, err := c.HasMessageID(ctx, "Sent", id, time.Time{}); err != nil || found {
					t.Fatalf("HasMessageID = %v, %v; want false", found, err)
				}
				if err := c.Append(ctx, "Sent", int64(len(msg)), bytes.NewReader(msg), time.Now()); err != nil {
					t.Fatalf("copy %d: %v\n%s", i, err, log)
				}
			}
			if n := len(s.Stored("Sent")); n != 3 {
				t.Fatalf("%d copies stored, want 3", n)
			}
			if n := strings.Count(log.String(), "S: * OK [ALERT] Unasked: your mailbox is almost full"); n != 3 {
				t.Fatalf("the unasked response arrived whole %d times, want 3:\n%s", n, log)
			}
		})
	}
}
