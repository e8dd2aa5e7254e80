package core

import (
	"testing"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail/smtpclient"
)

func TestFillIMAPFromDiscovery(t *testing.T) {
	found := &autoconfig.Result{IMAP: &autoconfig.IMAPSettings{Host: "imap.example.org", Port: 993, Security: autoconfig.TLS, Username: "anna@example.org"}}
	a := accounts.Account{Username: "anna@example.org"}
	FillIMAP(&a, found)
	if want := (accounts.IMAPServer{Host: "imap.example.org", Port: 993, Security: smtpclient.SecurityTLS}); a.IMAP != want {
		t.Errorf("IMAP = %+v, want %+v (the same user name left empty)", a.IMAP, want)
	}

	own := accounts.Account{Username: "anna@example.org"}
	found.IMAP.Username = "anna"
	FillIMAP(&own, found)
	if own.IMAP.Username != "anna" {
		t.Errorf("a different IMAP user name was dropped: %+v", own.IMAP)
	}

	given := accounts.Account{IMAP: accounts.IMAPServer{Host: "mine.example.org", Port: 143, Security: smtpclient.SecurityStartTLS}}
	FillIMAP(&given, found)
	if given.IMAP.Host != "mine.example.org" || given.IMAP.Port != 143 {
		t.Errorf("the given IMAP server was replaced: %+v", given.IMAP)
	}
	none := accounts.Account{}
	FillIMAP(&none, &autoconfig.Result{})
	FillIMAP(&none, nil)
	if none.IMAP != (accounts.IMAPServer{}) {
		t.Errorf("IMAP from nothing: %+v", none.IMAP)
	}
}

func TestProviderFilesSentCopyFollowsTheSMTPServer(t *testing.T) {
	if files, source := ProviderFilesSentCopy(accounts.Account{Email: "anna@workspace.example", Host: "smtp.gmail.com"}); !files || source == "" {
		t.Errorf("Google Workspace: %v %q", files, source)
	}
	if files, _ := ProviderFilesSentCopy(accounts.Account{Email: "anna@gmail.com", Host: "relay.example"}); files {
		t.Error("a relay files Gmail's copy")
	}
}
