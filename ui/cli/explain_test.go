package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/store"
)

// The command line words a refused address as it always has: the mail
// package gives the facts, explain the sentence.
func TestExplainParsedAddresses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "The address is empty."},
		{"bob@@example.org", `The address "bob@@example.org" is not valid: it has more than one @.`},
		{"bob.example.org", `The address "bob.example.org" is not valid: it has no @.`},
		{"@example.org", `The address "@example.org" is not valid: there is nothing before the @.`},
		{"bob@", `The address "bob@" is not valid: there is nothing after the @.`},
		{"bob smith@example.org", `The address "bob smith@example.org" is not valid: it contains a space.`},
		{"bob@localhost", `The address "bob@localhost" is not valid: the domain "localhost" is incomplete; it needs a dot, as in example.org.`},
		{"bob@exa_mple.org", `The address "bob@exa_mple.org" is not valid: "exa_mple.org" is not a valid domain name.`},
		{"bob@example..org", `The address "bob@example..org" is not valid: "example..org" is not a valid domain name.`},
		{"bob..smith@example.org", `The address "bob..smith@example.org" is not valid: the part before the @ cannot start or end with a dot or have two dots in a row.`},
		{`"bob smith"@example.org`, `The address "\"bob smith\"@example.org" is not valid: the part before the @ cannot contain a quotation mark.`},
		{"bob@[IPv6:2001:db8::1]", `The address "bob@[IPv6:2001:db8::1]" is not valid: "[IPv6:2001:db8::1]" is not an IP address.`},
		{"Bob <bob@example.org", `The address "Bob <bob@example.org" is not valid: a quotation mark, bracket or parenthesis is not closed.`},
		{"bob@[300.1.1.1]", `The address "bob@[300.1.1.1]" is not valid: "[300.1.1.1]" is not an IP address.`},
		{strings.Repeat("b", 65) + "@example.org", `The address "` + strings.Repeat("b", 65) + `@example.org" is not valid: the part before the @ is longer than 64 characters.`},
		{"bob@" + strings.Repeat("a.", 125) + "org", `The address "bob@` + strings.Repeat("a.", 48) + `…" is not valid: it is longer than 254 characters.`},
		{"bob\r\n@example.org", `The address "bob\r\n@example.org" is not valid: it contains a line break.`},
		{"bob@example.org\xff", `The address "bob@example.org\xff" is not valid: it contains characters that are not valid text.`},
	} {
		_, err := mail.ParseAddress(tc.in)
		if got := explain(err); got != tc.want {
			t.Errorf("ParseAddress(%q):\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func validMessage() *mail.Message {
	return &mail.Message{
		From:    mail.Address{Name: "Anna Lind", Email: "anna@example.org"},
		To:      []mail.Address{{Name: "Bob", Email: "bob@example.net"}},
		Subject: "Hello",
		Body:    "Hi Bob,\nsee you.\n",
	}
}

func openString(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func TestExplainValidateErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "report.pdf")
	for _, tc := range []struct {
		name, field, want string
		edit              func(*mail.Message)
	}{
		{"no recipient", "To", "There is no recipient; add at least one address in To, Cc or Bcc.", func(m *mail.Message) { m.To = nil }},
		{"no sender", "From", "The sender's address is missing.", func(m *mail.Message) { m.From = mail.Address{} }},
		{"invalid To", "To", `The address "bob@@example.org" in To is not valid: it has more than one @.`, func(m *mail.Message) { m.To = []mail.Address{{Email: "bob@@example.org"}} }},
		{"invalid Cc with name", "Cc", `The address "Carl <carl@example>" in Cc is not valid: the domain "example" is incomplete; it needs a dot, as in example.org.`, func(m *mail.Message) { m.Cc = []mail.Address{{Name: "Carl", Email: "carl@example"}} }},
		{"empty Bcc", "Bcc", "An address in Bcc is empty.", func(m *mail.Message) { m.Bcc = []mail.Address{{}} }},
		{"missing file", "attachment", `The attachment "` + missing + `" cannot be read: the file does not exist.`, func(m *mail.Message) { m.Attachments = []mail.Attachment{{Path: missing}} }},
		{"folder", "attachment", `The attachment "` + dir + `" cannot be read: it is a folder, not a file.`, func(m *mail.Message) { m.Attachments = []mail.Attachment{{Path: dir}} }},
		{"device", "attachment", `The attachment "/dev/null" cannot be read: it is not an ordinary file.`, func(m *mail.Message) { m.Attachments = []mail.Attachment{{Path: "/dev/null"}} }},
		{"no file", "attachment", `The attachment "attachment" cannot be read: no file was chosen.`, func(m *mail.Message) { m.Attachments = []mail.Attachment{{}} }},
		{"bad type", "attachment type", `The attachment type "pdf" cannot be used: it is not a content type such as application/pdf.`, func(m *mail.Message) {
			m.Attachments = []mail.Attachment{{Name: "a.pdf", ContentType: "pdf", Open: openString("")}}
		}},
		{"bad Message-ID", "Message-ID", `The Message-ID "no at sign" cannot be used: it may only contain letters, digits and punctuation, without spaces or angle brackets.`, func(m *mail.Message) { m.MessageID = "no at sign" }},
		{"long type", "attachment type", "", func(m *mail.Message) {
			m.Attachments = []mail.Attachment{{Name: "a", ContentType: "application/" + strings.Repeat("a", 1200), Open: openString("")}}
		}},
		{"long parameter name", "attachment type", "", func(m *mail.Message) {
			m.Attachments = []mail.Attachment{{Name: "a", ContentType: "text/plain; " + strings.Repeat("a", 1200) + "=b", Open: openString("")}}
		}},
		{"trailing dot", "To", `The address "bob@example.org." in To is not valid: the domain "example.org." ends with a dot.`, func(m *mail.Message) { m.To = []mail.Address{{Email: "bob@example.org."}} }},
		{"ideographic trailing dot", "To", `The address "bob@例え。テスト。" in To is not valid: the domain "例え。テスト。" ends with a dot.`, func(m *mail.Message) { m.To = []mail.Address{{Email: "bob@例え。テスト。"}} }},
		{"bad In-Reply-To", "In-Reply-To", `The In-Reply-To "<a@example.org> <b@exa<mple.org>" cannot be used: it may only contain letters, digits and punctuation, without spaces or angle brackets.`, func(m *mail.Message) { m.InReplyTo = "<a@example.org> <b@exa<mple.org>" }},
		{"Message-ID without domain", "Message-ID", `The Message-ID "abc" cannot be used: it is not of the form identifier@example.org.`, func(m *mail.Message) { m.MessageID = "abc" }},
		{"text not UTF-8", "text", "The text contains characters that are not valid UTF-8; save it as UTF-8 and try again.", func(m *mail.Message) { m.Body = "caf\xe9" }},
		{"subject not UTF-8", "Subject", `The Subject "caf\xe9" cannot be used: it contains characters that are not valid text.`, func(m *mail.Message) { m.Subject = "caf\xe9" }},
	} {
		msg := validMessage()
		tc.edit(msg)
		err := msg.Validate()
		var input *mail.InputError
		if !errors.As(err, &input) || input.Field != tc.field {
			t.Errorf("%s: Validate = %v, want an InputError in %s", tc.name, err, tc.field)
			continue
		}
		if got := explain(err); tc.want != "" && got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	denied := &fs.PathError{Op: "open", Path: "/secret/plan.pdf", Err: fs.ErrPermission}
	msg := validMessage()
	msg.Attachments = []mail.Attachment{{Name: "plan.pdf", Open: func() (io.ReadCloser, error) { return nil, denied }}}
	_, err := msg.WriteTo(io.Discard)
	if got, want := explain(err), `The attachment "plan.pdf" cannot be read: you do not have permission to read it.`; got != want {
		t.Errorf("denied attachment:\n got %s\nwant %s", got, want)
	}
	readFailed := &mail.InputError{Field: "attachment", Value: "disk.img", Problem: mail.InputReadFailed, Err: errors.New("input/output error")}
	if got, want := explain(readFailed), `The attachment "disk.img" cannot be read: reading it failed (input/output error).`; got != want {
		t.Errorf("read failure:\n got %s\nwant %s", got, want)
	}
}

// Every fact the accounts, autoconfig and store packages report becomes a
// sentence that names what it is about, never the log text.
func TestExplainAccountAndStoreErrors(t *testing.T) {
	ioErr := errors.New("input/output error")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&accounts.InvalidError{Field: "name", Problem: accounts.InvalidName}, "The account name must be a short line of text."},
		{&outbox.SettingError{Setting: outbox.SettingUndoWindow, Value: time.Hour, Max: outbox.MaxUndoWindow}, "The undo time must be between 0 and 300 seconds."},
		{&outbox.SettingError{Setting: outbox.SettingRetryLimit, Value: time.Second, Min: outbox.MinRetryLimit, Max: outbox.MaxRetryLimit},
			"Postie can keep trying for between 1 minute and 30 days, not 1s."},
		{&bodyReadError{path: "-", err: ioErr}, "The text could not be read from standard input: input/output error"},
		{&accounts.InvalidError{Field: "display name", Problem: accounts.InvalidDisplayName}, "The display name must be a single line of text."},
		{&accounts.InvalidError{Field: "email", Problem: accounts.InvalidEmail, Value: "anna"}, `"anna" is not an email address. It needs a name, an @ and a domain, like anna@example.org.`},
		{&accounts.InvalidError{Field: "host", Problem: accounts.InvalidHost, Value: "smtp example"}, `"smtp example" is not a server name. It looks like smtp.example.org.`},
		{&accounts.InvalidError{Field: "port", Problem: accounts.InvalidPort, Value: "0"}, "The server port must be a number from 1 to 65535 (usually 465 or 587)."},
		{&accounts.InvalidError{Field: "security", Problem: accounts.InvalidSecurity, Value: "ssl"}, `The security must be tls, starttls or none, not "ssl".`},
		{&accounts.InvalidError{Field: "username", Problem: accounts.InvalidUsername}, "The user name must be a single line of text."},
		{&accounts.InvalidError{Field: "certificate", Problem: accounts.InvalidCAAndPin}, "Use either a certificate authority file or a pinned certificate, not both."},
		{&accounts.InvalidError{Field: "pin", Problem: accounts.InvalidPin, Value: "ab"}, "The certificate fingerprint must be 64 hexadecimal digits (a SHA-256 fingerprint)."},
		{&accounts.InvalidError{Field: "mechanisms", Problem: accounts.InvalidMechanism, Value: "PLAIN LOGIN"}, `"PLAIN LOGIN" is not an authentication mechanism name such as PLAIN or XOAUTH2.`},
		{&accounts.InvalidError{Field: "CA file", Problem: accounts.InvalidCAFileRead, Value: "/ca.pem", Err: ioErr}, "Postie cannot read the certificate authority file /ca.pem: input/output error"},
		{&accounts.InvalidError{Field: "CA file", Problem: accounts.InvalidCAFileNoCert, Value: "/ca.pem"}, "The file /ca.pem holds no certificate in PEM format (the text starting with -----BEGIN CERTIFICATE-----)."},
		{accounts.ErrCleartextPassword, "Postie will not send your password over an unencrypted connection. Choose tls or starttls as the security."},
		{&accounts.InvalidError{Field: "IMAP host", Problem: accounts.InvalidIMAPHost, Value: "imap example"}, `"imap example" is not a server name. The IMAP server looks like imap.example.org.`},
		{&accounts.InvalidError{Field: "IMAP host", Problem: accounts.InvalidIMAPNoHost}, "--imap-port, --imap-security, --imap-user and --imap-pin-sha256 need --imap-host, the IMAP server's name."},
		{&accounts.InvalidError{Field: "IMAP port", Problem: accounts.InvalidIMAPPort, Value: "0"}, "The IMAP server port must be a number from 1 to 65535 (usually 993 or 143)."},
		{&accounts.InvalidError{Field: "IMAP security", Problem: accounts.InvalidIMAPSecurity, Value: "ssl"}, `The IMAP security must be tls, starttls or none, not "ssl".`},
		{&accounts.InvalidError{Field: "IMAP username", Problem: accounts.InvalidIMAPUsername}, "The IMAP user name must be a single line of text."},
		{&accounts.InvalidError{Field: "IMAP pin", Problem: accounts.InvalidIMAPPin}, "--imap-pin-sha256 must be 64 hexadecimal digits (a SHA-256 fingerprint)."},
		{accounts.ErrIMAPCleartextPassword, "Postie will not send your password to the IMAP server over an unencrypted connection. Choose tls or starttls as --imap-security."},
		{&accounts.InvalidError{Field: "sent copy", Problem: accounts.InvalidSentCopy, Value: "sometimes"}, `--sent-copy must be auto, always or never, not "sometimes".`},
		{&accounts.InvalidError{Field: "sent copy", Problem: accounts.InvalidSentCopyNoIMAP}, "--sent-copy always needs the IMAP server (--imap-host) to save the copy on."},
		{&accounts.IMAPTestError{Host: "imap.example.org", Port: 993, Err: &accounts.KeyringError{Problem: accounts.KeyringLocked}},
			"Sending works; saving copies to Sent does not (IMAP server imap.example.org:993): Your password store is locked. Unlock it (your desktop may be showing a prompt) and try again."},
		{&accounts.IMAPTestError{Host: "imap.example.org", Port: 993, Err: &imapclient.Error{Stage: imapclient.StageAuth, Reason: imapclient.ReasonLoginRefused}},
			"Sending works; saving copies to Sent does not (IMAP server imap.example.org:993): the incoming (IMAP) server refused the user name or password. Check them with `postie accounts test`."},
		{&accounts.KeyringError{Problem: accounts.KeyringUnavailable}, "No password store is available on this computer, so Postie cannot save your password. Install or start one (such as GNOME Keyring or KWallet) and try again."},
		{&accounts.KeyringError{Problem: accounts.KeyringLocked}, "Your password store is locked. Unlock it (your desktop may be showing a prompt) and try again."},
		{&accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: 10 * time.Second}, "Your password store did not answer within 10s. It may be waiting for you to unlock it in a window that is hidden; unlock it and try again."},
		{&accounts.KeyringError{Problem: accounts.KeyringFailed, Err: ioErr}, "Postie could not use your password store: input/output error."},
		{fmt.Errorf("reading: %w", accounts.ErrNoSecret), "Postie has no saved password for this account. Please enter it again."},
		{accounts.ErrNoAccount, "There is no account yet. Add one with `postie accounts add --email ADDRESS`."},
		{&accounts.DuplicateError{Name: "Work"}, `An account named "Work" already exists. Choose another name.`},
		{&accounts.NotFoundError{Name: "Home"}, "There is no account named \"Home\". `postie accounts list` shows the accounts."},
		{&accounts.NotRemovedError{Name: "Work", Err: &accounts.KeyringError{Problem: accounts.KeyringLocked}}, `The account "Work" was not removed, because its saved password could not be deleted. Your password store is locked. Unlock it (your desktop may be showing a prompt) and try again.`},
		{&accounts.SizeLimitNotSavedError{Err: ioErr}, "The connection works, but Postie could not save the server's size limit: input/output error"},
		{&autoconfig.AddressError{Address: "anna", Problem: autoconfig.AddressNoAtOrParts}, `"anna" is not an email address Postie can look up: it needs a name, an @ and a domain, like anna@example.org`},
		{&autoconfig.AddressError{Address: "", Problem: autoconfig.AddressEmpty}, `"" is not an email address Postie can look up: it is empty`},
		{&autoconfig.AddressError{Address: "a b@c.org", Problem: autoconfig.AddressForbiddenChar}, `"a b@c.org" is not an email address Postie can look up: it contains spaces or punctuation that an address cannot hold`},
		{&autoconfig.AddressError{Address: "a@b", Problem: autoconfig.AddressBadDomain}, `"a@b" is not an email address Postie can look up: the part after the @ is not a valid domain name`},
		{&autoconfig.NotFoundError{Domain: "plain.test"}, "Postie could not find the outgoing mail settings for plain.test by itself. Please ask your email provider for its SMTP server name, port and security, and enter them yourself."},
		{fmt.Errorf("data folder: %w", &store.PathError{Path: "/d", Problem: store.PathCannotCreate, IsDir: true, Err: ioErr}), "Postie cannot create the folder /d: input/output error"},
		{&store.PathError{Path: "/d/f", Problem: store.PathCannotRead, Err: ioErr}, "Postie cannot read the file /d/f: input/output error"},
		{&store.PathError{Path: "/d", Problem: store.PathNotAFolder, IsDir: true}, "/d is a file, not a folder; Postie needs a folder there."},
		{&store.PathError{Path: "/d/postie.db-wal", Problem: store.PathNotOwnFile, Mode: fs.ModeSymlink}, "/d/postie.db-wal is not a file Postie made: it is a link, a special file or another user's file, so Postie will not write to it. Move it away, or choose another folder (set POSTIE_DATA_DIR)."},
		{&store.PathError{Path: "/d", Problem: store.PathOtherOwner, IsDir: true, OwnerUID: 65534}, "The folder /d belongs to another user of this computer (user ID 65534), who could read the messages Postie keeps there; choose a folder of your own (set POSTIE_DATA_DIR)."},
		{&store.PathError{Path: "/d", Problem: store.PathOpenToOthers, IsDir: true, Mode: 0o755, Err: fs.ErrPermission}, "The folder /d can be read by other users of this computer (permissions 0755) and Postie could not change that: permission denied; run `chmod 700 /d`, or choose another folder (set POSTIE_DATA_DIR)."},
		{&store.PathError{Path: "/d/f", Problem: store.PathOpenToOthers, Mode: 0o644, Err: fs.ErrPermission}, "The file /d/f can be read by other users of this computer (permissions 0644) and Postie could not change that: permission denied; run `chmod 600 /d/f`."},
		{&store.NewerSchemaError{Component: "outbox", Found: 9, Newest: 7}, "The outbox tables were written by a newer version of Postie (schema 9, this version knows 7); please update Postie."},
	} {
		if got := explain(tc.err); got != tc.want {
			t.Errorf("explain(%v):\n got %s\nwant %s", tc.err, got, tc.want)
		}
	}
}

func TestExplainHintsAndConfirmations(t *testing.T) {
	for _, kind := range []autoconfig.HintKind{autoconfig.HintAppPassword, autoconfig.HintAppPasswordWithTwoFactor,
		autoconfig.HintOAuthOnly, autoconfig.HintEnableSMTP, autoconfig.HintEnableSMTPAndAppPassword} {
		got := explainHint(autoconfig.Hint{Kind: kind, Provider: "Example Mail", HelpURL: "https://help.example"})
		if !strings.Contains(got, "Example Mail") || !strings.HasSuffix(got, " (https://help.example)") || strings.Contains(got, string(kind)) {
			t.Errorf("hint %s = %q, want a sentence naming the provider and its page", kind, got)
		}
	}
	if got := explainHint(autoconfig.Hint{Kind: autoconfig.HintAdminEnableSMTP, Provider: "Microsoft 365"}); !strings.Contains(got, "Authenticated SMTP") {
		t.Errorf("admin hint = %q", got)
	}
	if got := explainHint(autoconfig.Hint{Kind: autoconfig.HintProviderInstruction, Instruction: "Turn it on.", HelpURL: "https://x.example"}); got != "Turn it on. (https://x.example)" {
		t.Errorf("provider instruction = %q", got)
	}
	if got := explainHint(autoconfig.Hint{}); got != "" {
		t.Errorf("no hint = %q", got)
	}
	viaMX := autoconfig.Confirmation{Because: autoconfig.ConfirmFoundViaMX, Domain: "workspace.test", MXHost: "aspmx.l.google.com", Host: "smtp.gmail.com", Operator: "Gmail"}
	if got, want := explainConfirmation(viaMX), "Postie found these settings because mail for workspace.test is received by aspmx.l.google.com. Use them only if Gmail really handles your email."; got != want {
		t.Errorf("via MX:\n got %s\nwant %s", got, want)
	}
	outside := autoconfig.Confirmation{Because: autoconfig.ConfirmHostOutsideDomain, Domain: "outside.test", Host: "smtp.hoster.test", Operator: "hoster.test"}
	if got, want := explainConfirmation(outside), "These settings send your mail through smtp.hoster.test, which does not belong to outside.test. Use them only if hoster.test really handles your email."; got != want {
		t.Errorf("outside:\n got %s\nwant %s", got, want)
	}
}
