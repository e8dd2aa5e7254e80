package accounts

import (
	"github.com/postie-app/postie/mail/imapclient"
)

// IMAPConfig returns the settings imapclient needs to file copies on the
// account's IMAP server, with the secret that signs in there (see
// Store.IMAPSecret). The CA file and the pinned certificate are the
// account's; imapclient uses the pin only if it was accepted for the IMAP
// server's own host and port (PinFor).
func (a Account) IMAPConfig(secret string) imapclient.Config {
	return imapclient.Config{
		Host:      a.IMAP.Host,
		Port:      a.IMAP.Port,
		Security:  a.IMAP.Security,
		Username:  a.IMAPUsername(),
		Secret:    secret,
		OAuth:     a.IsOAuth(),
		CAFile:    a.CAFile,
		PinSHA256: a.PinSHA256,
		PinFor:    a.PinFor,
	}
}

// IMAPTestError says that the connection test could send, but could not
// sign in to the IMAP server, so copies cannot be filed in the Sent
// folder. Err is imapclient's failure (an *imapclient.Error with its
// facts), or the keyring's for the IMAP server's own password. The front
// ends explain it apart from an SMTP failure: sending works.
type IMAPTestError struct {
	Host string // the IMAP server tested
	Port int
	Err  error
}

func (e *IMAPTestError) Error() string {
	return "sending works, but the IMAP server for the Sent copy failed: " + e.Err.Error()
}

func (e *IMAPTestError) Unwrap() error { return e.Err }
