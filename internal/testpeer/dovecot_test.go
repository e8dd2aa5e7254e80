package testpeer

import (
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestDovecotServesTheGermanSentFolder checks the peer itself: a sign-in
// over implicit TLS with the test CA, and "Gesendet" marked \Sent.
func TestDovecotServesTheGermanSentFolder(t *testing.T) {
	ca := NewCA(t, "Dovecot test CA")
	d := StartDovecot(t, ca, "anna", "s3cret-Passw0rd")
	c, err := imapclient.DialTLS(fmt.Sprintf("%s:%d", d.Host, d.TLSPort), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(d.User, d.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var sent string
	for _, b := range boxes {
		for _, a := range b.Attrs {
			if a == imap.MailboxAttrSent {
				sent = b.Mailbox
			}
		}
	}
	if sent != d.SentFolder {
		t.Fatalf("folder marked \\Sent: %q, want %q (list %+v)", sent, d.SentFolder, boxes)
	}
}
