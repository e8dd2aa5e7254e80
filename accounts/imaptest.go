package accounts

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
