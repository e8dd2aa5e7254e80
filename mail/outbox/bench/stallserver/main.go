// Command stallserver is an SMTP server on loopback for the stalled-send
// benchmark (mail/outbox/bench/stall.sh): it accepts every
// message, but holds its reply to the first one's final dot until it gets
// SIGUSR1, as a slow or overloaded server does. The client then waits for
// that reply with the message in "sending" while the account's other
// messages wait behind it.
//
// It prints "listening PORT" once it listens, "stalled" when the first
// message's body is read and its reply held, and "received N" after each
// message it accepted, so that the script knows where the send is without
// guessing. It ends on SIGTERM or SIGINT, or by itself after -lifetime, so a
// script that died cannot leave it running.
//
// Usage: stallserver [-lifetime 10m]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

func main() {
	lifetime := flag.Duration("lifetime", 10*time.Minute, "stop after this long whatever happens")
	flag.Parse()

	release := make(chan os.Signal, 1)
	signal.Notify(release, syscall.SIGUSR1)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	b := &backend{release: release}
	srv := smtp.NewServer(b)
	srv.Domain = "stall.test"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(os.Stderr, "stallserver: ", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	go srv.Serve(ln)
	select {
	case <-stop:
	case <-time.After(*lifetime):
		log.Print("stallserver: lifetime over, stopping")
	}
	srv.Close()
}

type backend struct {
	release <-chan os.Signal

	mu       sync.Mutex
	received int
	stalled  bool
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct{ b *backend }

func (*session) Mail(string, *smtp.MailOptions) error { return nil }
func (*session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*session) Reset()                               {}
func (*session) Logout() error                        { return nil }

// Data reads the whole body, then holds the first message's reply until
// SIGUSR1. go-smtp sends the reply when Data returns.
func (s *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	b := s.b
	b.mu.Lock()
	first := !b.stalled
	b.stalled = true
	b.mu.Unlock()
	if first {
		fmt.Println("stalled")
		<-b.release
	}
	b.mu.Lock()
	b.received++
	fmt.Printf("received %d\n", b.received)
	b.mu.Unlock()
	return nil
}
