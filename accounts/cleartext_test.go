package accounts

import (
	"testing"

	"github.com/postie-app/postie/mail/smtpclient"
)

func TestPasswordsGoUnencryptedOnlyToThisComputer(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":        false,
		"127.0.0.1":        false,
		"::1":              false,
		"[::1]":            false,
		"smtp.example.org": true,
		"192.0.2.1":        true,
		"[2001:db8::1]":    true,
	} {
		a := Account{Host: host, Security: smtpclient.SecurityNone}
		if got := a.sendsPasswordInClear(); got != want {
			t.Errorf("unencrypted to %s sends the password in clear = %v, want %v", host, got, want)
		}
	}
	if (Account{Host: "smtp.example.org", Security: smtpclient.SecurityStartTLS}).sendsPasswordInClear() {
		t.Error("STARTTLS counted as clear text")
	}
}
