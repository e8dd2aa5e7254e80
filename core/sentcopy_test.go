package core

import (
	"testing"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/smtpclient"
)

// TestCopyPlanFollowsTheAccountsChoice: "never" and an account without an
// IMAP server file nothing; "always" files even where the provider files
// its own; "automatic" files unless the provider table says the provider
// does (autoconfig.FilesOwnSentCopy).
func TestCopyPlanFollowsTheAccountsChoice(t *testing.T) {
	imap := accounts.IMAPServer{Host: "imap.example.org", Port: 993, Security: smtpclient.SecurityTLS}
	gmail := accounts.IMAPServer{Host: "imap.gmail.com", Port: 993, Security: smtpclient.SecurityTLS}
	gmailFiles, _ := autoconfig.FilesOwnSentCopy("anna@gmail.com", "smtp.gmail.com")
	autoAtGmail := outbox.CopyPending
	if gmailFiles {
		autoAtGmail = outbox.CopySkipped
	}
	for _, tc := range []struct {
		name string
		a    accounts.Account
		want outbox.SentCopy
	}{
		{"never", accounts.Account{Email: "anna@example.org", Host: "smtp.example.org", IMAP: imap, SentCopy: accounts.SentCopyNever}, outbox.CopyOff},
		{"no IMAP server", accounts.Account{Email: "anna@example.org", Host: "smtp.example.org", SentCopy: accounts.SentCopyAlways}, outbox.CopyOff},
		{"auto elsewhere", accounts.Account{Email: "anna@example.org", Host: "smtp.example.org", IMAP: imap, SentCopy: accounts.SentCopyAuto}, outbox.CopyPending},
		{"always at Gmail", accounts.Account{Email: "anna@gmail.com", Host: "smtp.gmail.com", IMAP: gmail, SentCopy: accounts.SentCopyAlways}, outbox.CopyPending},
		{"auto at Gmail", accounts.Account{Email: "anna@gmail.com", Host: "smtp.gmail.com", IMAP: gmail, SentCopy: accounts.SentCopyAuto}, autoAtGmail},
	} {
		if got := copyPlanOf(tc.a).Copy; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
