// Command dovecotserver runs a private Dovecot IMAP server on loopback for
// the Sent-copy benchmark (mail/outbox/bench/sentcopy.sh), with the
// configuration, test CA and passwd-file user that the tests use
// (internal/testpeer.RunDovecot): the folder marked \Sent (RFC 6154) is
// "Gesendet", and the mail is kept as Maildir under the instance's folder.
//
// Once both ports answer, it prints one line for each fact the script
// needs, then "ready":
//
//	imaps 127.0.0.1 PORT    implicit TLS (RFC 8314)
//	ca FILE                 the CA that issued the server's certificate, as PEM
//	user NAME
//	sent FOLDER             the Maildir folder of the \Sent mailbox, to count copies in
//	ready
//
// The password is given with -password, so that the script passes it to
// Postie on standard input. It ends on SIGTERM or SIGINT, or by itself
// after -lifetime, so a script that died cannot leave it running, and
// removes its folder.
//
// Usage: dovecotserver [-user NAME] [-password SECRET] [-lifetime 10m]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/postie-app/postie/internal/testpeer"
)

func main() {
	name := flag.String("user", "anna@example.test", "the IMAP user name")
	password := flag.String("password", "bench password", "the IMAP password")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "stop after this long whatever happens")
	flag.Parse()
	log.SetPrefix("dovecotserver: ")
	log.SetFlags(0)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	ca, err := testpeer.MakeCA("Sent-copy bench CA")
	if err != nil {
		log.Fatal(err)
	}
	d, err := testpeer.RunDovecot(ca, *name, *password)
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(d.Dir)
	defer d.Stop()
	caFile := filepath.Join(d.Dir, "ca.pem")
	if err := ca.WriteFileAt(caFile); err != nil {
		log.Print(err)
		return
	}
	fmt.Printf("imaps %s %d\n", d.Host, d.TLSPort)
	fmt.Printf("ca %s\n", caFile)
	fmt.Printf("user %s\n", d.User)
	// Maildir++ keeps each folder but INBOX as a dot folder of the
	// user's Maildir (home=DIR/mail/USER in the configuration).
	fmt.Printf("sent %s\n", filepath.Join(d.Dir, "mail", d.User, "Maildir", "."+d.SentFolder))
	fmt.Println("ready")
	select {
	case <-stop:
	case <-time.After(*lifetime):
		log.Print("lifetime over, stopping")
	}
}
