package imapclient

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestTranscriptRedactsSignInAndHidesLiterals feeds both directions as
// go-imap writes and reads them, split at awkward places.
func TestTranscriptRedactsSignInAndHidesLiterals(t *testing.T) {
	var got []string
	tr := newTranscript(func(l string) { got = append(got, l) })
	tr.secrets("pa55-word")
	feed := func(side func([]byte), s string) {
		for i := 0; i < len(s); i += 7 { // in pieces, as TCP delivers
			side([]byte(s[i:min(i+7, len(s))]))
		}
	}
	feed(tr.client, "T1 LOGIN anna {9}\r\n")
	feed(tr.server, "+ Ready\r\n")
	feed(tr.client, "pa55-word\r\n")
	feed(tr.server, "T1 NO [AUTHENTICATIONFAILED] nope\r\n")
	feed(tr.client, "T2 AUTHENTICATE PLAIN\r\n")
	feed(tr.server, "+ \r\n")
	feed(tr.client, "AGFubmEAcGE1NS13b3Jk\r\n")
	feed(tr.server, "T2 OK signed in\r\n")
	feed(tr.client, "T3 APPEND Sent (\\Seen) \"29-Nov-2026 14:05:00 +0100\" {12}\r\n")
	feed(tr.server, "+ go ahead\r\n")
	feed(tr.client, "Secret body!\r\n")
	feed(tr.server, "* 1 FETCH (BODY[] {5}\r\nhello)\r\nT4 OK done\r\n")
	text := strings.Join(got, "\n")
	for _, leak := range []string{"pa55", "AGFubmEAcGE1NS13b3Jk", "Secret body", "hello"} {
		if strings.Contains(text, leak) {
			t.Fatalf("%q in the transcript:\n%s", leak, text)
		}
	}
	for _, want := range []string{"C: T1 LOGIN [redacted]", "C: T2 AUTHENTICATE PLAIN", "C: [redacted]", "S: T2 OK signed in",
		"C: T3 APPEND Sent (\\Seen) \"29-Nov-2026 14:05:00 +0100\" {12} (12 bytes follow, not shown)", "S: T4 OK done"} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
}

// TestPickSentFolderOrder covers the order without a server: the mark,
// the remembered folder, the usual names inside the personal namespace;
// never INBOX.
func TestPickSentFolderOrder(t *testing.T) {
	list := func(names ...string) []*imap.ListData {
		var l []*imap.ListData
		for _, n := range names {
			d := &imap.ListData{Mailbox: n, Delim: '.'}
			if strings.HasPrefix(n, "!") {
				d.Mailbox, d.Attrs = n[1:], []imap.MailboxAttr{imap.MailboxAttrSent}
			}
			if strings.HasPrefix(n, "#") {
				d.Mailbox, d.Attrs = n[1:], []imap.MailboxAttr{imap.MailboxAttrNoSelect}
			}
			l = append(l, d)
		}
		return l
	}
	courier := &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "INBOX.", Delim: '.'}}}
	for _, tc := range []struct {
		folders    []*imap.ListData
		ns         *imap.NamespaceData
		remembered string
		want       string
	}{
		{list("INBOX", "INBOX.Drafts", "INBOX.Sent"), courier, "", "INBOX.Sent"},
		{list("INBOX", "INBOX.Drafts", "INBOX.Sent"), nil, "", "INBOX.Sent"},
		{list("INBOX", "sent items"), nil, "", "sent items"},
		{list("INBOX", "#Sent", "Sent Messages"), nil, "", "Sent Messages"},
		{list("INBOX", "!A", "!B"), nil, "B", "B"},
		{list("INBOX", "!A", "Sent"), nil, "Sent", "A"},
		{list("INBOX", "Old Sent"), nil, "Old Sent", "Old Sent"},
		{list("INBOX", "Drafts"), courier, "", ""},
		// INBOX is never the Sent folder, marked or remembered.
		{list("!INBOX", "!Gesendet"), nil, "", "Gesendet"},
		{list("!inbox", "Sent"), nil, "", "Sent"},
		{list("!INBOX", "Drafts"), nil, "INBOX", ""},
	} {
		got := pickSentFolder(tc.folders, tc.remembered, personalPrefix(tc.ns, tc.folders))
		if got != tc.want {
			t.Errorf("pickSentFolder(%v, %q) = %q, want %q", names(tc.folders), tc.remembered, got, tc.want)
		}
	}
	if p := personalPrefix(courier, nil); p+newSentName != "INBOX.Sent" {
		t.Errorf("created folder would be %q, want INBOX.Sent", p+newSentName)
	}
}

func names(l []*imap.ListData) []string {
	var n []string
	for _, d := range l {
		n = append(n, d.Mailbox)
	}
	return n
}

// The password is also scrubbed in the form go-imap sends it quoted, which
// escapes `"` and `\` only (a tab stays a tab).
func TestGoIMAPQuotedMatchesTheWireForm(t *testing.T) {
	if got, want := goIMAPQuoted("a\"b\tc\\d"), "\"a\\\"b\tc\\\\d\""; got != want {
		t.Fatalf("goIMAPQuoted = %q, want %q", got, want)
	}
}
