package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/postie-app/postie/mail/smtpclient"
	"github.com/postie-app/postie/mail/store"
)

// Tests with several processes re-run this test binary as a child that
// opens the outbox in $POSTIE_OUTBOX_DIR and flushes it to the server at
// $POSTIE_OUTBOX_SMTP.

const (
	childEnv    = "POSTIE_OUTBOX_CHILD"
	childDirEnv = "POSTIE_OUTBOX_DIR"
	childSMTP   = "POSTIE_OUTBOX_SMTP"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "flush" {
		os.Exit(childFlush())
	}
	os.Exit(m.Run())
}

func childFlush() int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := store.Open(os.Getenv(childDirEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	host, port, _ := net.SplitHostPort(os.Getenv(childSMTP))
	p, _ := strconv.Atoi(port)
	accts := &accountsMap{}
	accts.set("acct", smtpclient.Config{Host: host, Port: p, Security: smtpclient.SecurityNone})
	o, err := Open(db, accts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer o.Close()
	sum, err := o.Flush(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Printf("%+v\n", sum)
	return 0
}

// startChild starts a flushing child process.
func startChild(t *testing.T, dir, smtpAddr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=flush", childDirEnv+"="+dir, childSMTP+"="+smtpAddr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// exited returns a channel closed when cmd has exited.
func exited(cmd *exec.Cmd) <-chan error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done
}

// TestCrashSafety kills a child with SIGKILL at a random point of its
// sends, 50 times, over one data directory. After every kill the next
// process to open the outbox finds each message in exactly one of sent,
// queued, retrying and unknown; none is lost; and the server holds exactly
// one copy of every sent message, none of a queued or retrying one, and at
// most one of an unknown one.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	srv := startSink(t)
	rng := rand.New(rand.NewPCG(6, uint64(time.Now().UnixNano())))
	var ids []int64
	msgIDs := map[int64]string{}
	kills := 0
	for iter := 0; iter < 50; iter++ {
		o := openDir(t, dir, &accountsMap{})
		for j := 0; j < 2; j++ {
			msgID := fmt.Sprintf("crash-%d-%d@example.org", iter, j)
			id := enqueueRaw(t, o, "acct", msgID, "Crash test", time.Time{})
			ids = append(ids, id)
			msgIDs[id] = msgID
		}
		queued, err := o.Count(context.Background(), Query{States: []State{StateQueued}})
		if err != nil {
			t.Fatal(err)
		}
		o.Close()

		phases := []string{"mail", "rcpt", "data", "data-late"}
		phase := phases[rng.IntN(len(phases))]
		at := 1 + rng.IntN(queued)
		trapPhase := phase
		if phase == "data-late" {
			trapPhase = "data" // not blocking: the reply goes out at once
		}
		tr := newTrap(trapPhase, at, phase != "data-late")
		srv.SetTrap(tr)
		child := startChild(t, dir, srv.Addr())
		done := exited(child)
		select {
		case <-tr.Hit:
			if phase == "data-late" {
				// Let the reply and the child's record of it race the kill.
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			}
			child.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		case err := <-done:
			if err != nil {
				t.Fatalf("iteration %d: child failed: %v", iter, err)
			}
			t.Logf("iteration %d: the child finished before the trap %s/%d of %d queued", iter, phase, at, queued)
		}
		close(tr.Release)
		srv.SetTrap(nil)
		checkCrashInvariants(t, dir, srv, ids, msgIDs, iter)
	}
	if kills < 40 {
		t.Errorf("only %d of 50 children were killed mid-send", kills)
	}
}

func checkCrashInvariants(t *testing.T, dir string, srv *sink, ids []int64, msgIDs map[int64]string, iter int) {
	t.Helper()
	o := openDir(t, dir, &accountsMap{}) // start-up recovery runs here
	defer o.Close()
	entries, err := o.List(context.Background(), Query{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ids) {
		t.Fatalf("iteration %d: %d messages in the outbox, %d enqueued", iter, len(entries), len(ids))
	}
	for _, e := range entries {
		copies := srv.count(msgIDs[e.ID])
		switch e.State {
		case StateSent:
			if copies != 1 {
				t.Fatalf("iteration %d: sent message %d has %d copies on the server", iter, e.ID, copies)
			}
		case StateQueued, StateRetrying:
			if copies != 0 {
				t.Fatalf("iteration %d: %s message %d already has %d copies on the server", iter, e.State, e.ID, copies)
			}
		case StateUnknown:
			if copies > 1 {
				t.Fatalf("iteration %d: unknown message %d has %d copies", iter, e.ID, copies)
			}
		default:
			t.Fatalf("iteration %d: message %d is %s", iter, e.ID, e.State)
		}
	}
}

// TestTwoProcessesFlushTheSameOutbox starts two children on one outbox at
// once; the server holds the first message of each connection until both
// processes are sending, so they really overlap. Every message is
// delivered exactly once.
func TestTwoProcessesFlushTheSameOutbox(t *testing.T) {
	dir := t.TempDir()
	srv := startSink(t)
	o := openDir(t, dir, &accountsMap{})
	msgIDs := map[int64]string{}
	for i := 0; i < 200; i++ {
		msgID := fmt.Sprintf("twice-%d@example.org", i)
		msgIDs[enqueueRaw(t, o, "acct", msgID, "Concurrency", time.Time{})] = msgID
	}
	var once sync.Once
	both := make(chan struct{})
	var data atomic.Int32
	srv.OnDot(func(string) error {
		// The first message waits for a second one, which can only come
		// from the other process, as each sends one message at a time.
		if data.Add(1) >= 2 {
			once.Do(func() { close(both) })
		}
		select {
		case <-both:
		case <-time.After(20 * time.Second):
		}
		return nil
	})
	a, b := startChild(t, dir, srv.Addr()), startChild(t, dir, srv.Addr())
	if err := <-exited(a); err != nil {
		t.Fatal(err)
	}
	if err := <-exited(b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-both:
	default:
		t.Fatal("the two processes never sent at the same time")
	}
	for id, msgID := range msgIDs {
		if n := srv.count(msgID); n != 1 {
			t.Errorf("message %s delivered %d times", msgID, n)
		}
		if d := mustGet(t, o, id); d.State != StateSent || d.AttemptCount != 1 {
			t.Errorf("message %d: %s after %d attempts", id, d.State, d.AttemptCount)
		}
	}
	if _, sessions := srv.Stats(); sessions < 2 {
		t.Errorf("%d connections, want one per process", sessions)
	}
}

// TestStartingDoesNotTakeOverALiveSend opens the outbox while another
// process is in the middle of a send: its message stays "sending" and is
// delivered once. When that process is then killed, the next start turns
// its message into "unknown".
func TestStartingDoesNotTakeOverALiveSend(t *testing.T) {
	dir := t.TempDir()
	srv := startSink(t)
	o := openDir(t, dir, &accountsMap{})
	first := enqueueRaw(t, o, "acct", "live-1@example.org", "Live", time.Time{})
	o.Close()

	tr := newTrap("data", 1, true)
	srv.SetTrap(tr)
	child := startChild(t, dir, srv.Addr())
	done := exited(child)
	<-tr.Hit
	o2 := openDir(t, dir, &accountsMap{})
	if err := o2.recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, o2, first); d.State != StateSending {
		t.Fatalf("a live process's message became %s", d.State)
	}
	close(tr.Release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, o2, first); d.State != StateSent || srv.count("live-1@example.org") != 1 {
		t.Fatalf("message is %s with %d copies", d.State, srv.count("live-1@example.org"))
	}

	second := enqueueRaw(t, o2, "acct", "live-2@example.org", "Killed", time.Time{})
	tr = newTrap("data", 1, true)
	srv.SetTrap(tr)
	child = startChild(t, dir, srv.Addr())
	done = exited(child)
	<-tr.Hit
	child.Process.Signal(syscall.SIGKILL)
	<-done
	close(tr.Release)
	o3 := openDir(t, dir, &accountsMap{})
	d := mustGet(t, o3, second)
	if d.State != StateUnknown || len(d.Attempts) != 1 || d.Attempts[0].Class != string(smtpclient.UnknownOutcome) {
		t.Fatalf("killed sender's message: %s, attempts %+v", d.State, d.Attempts)
	}
	// Never retried by itself.
	if sum, err := o3.Flush(context.Background()); err != nil || sum != (Summary{}) {
		t.Fatalf("flush of an unknown message: %+v, %v", sum, err)
	}
}
