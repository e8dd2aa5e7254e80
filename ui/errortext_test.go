package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/postie-app/postie/accounts"
	"github.com/postie-app/postie/accounts/autoconfig"
	"github.com/postie-app/postie/mail"
	"github.com/postie-app/postie/mail/imapclient"
	"github.com/postie-app/postie/mail/outbox"
	"github.com/postie-app/postie/mail/store"
)

// sampleErrors holds one error for every reason the accounts, autoconfig,
// store and mail packages report, with a fact its sentence must show.
func sampleErrors() []struct {
	err  error
	fact string
} {
	ioErr := errors.New("input/output error")
	type sample = struct {
		err  error
		fact string
	}
	invalid := func(p accounts.InvalidProblem, value string) sample {
		return sample{&accounts.InvalidError{Field: "f", Problem: p, Value: value}, value}
	}
	input := func(field, value string, p mail.InputProblem, detail string, limit int, fact string) sample {
		return sample{&mail.InputError{Field: field, Value: value, Problem: p, Detail: detail, Limit: limit}, fact}
	}
	return []sample{
		{&outbox.SettingError{Setting: outbox.SettingUndoWindow, Value: time.Hour, Max: outbox.MaxUndoWindow}, "300"},
		{&outbox.SettingError{Setting: outbox.SettingRetryLimit, Value: time.Second, Min: outbox.MinRetryLimit, Max: outbox.MaxRetryLimit}, "30"},
		invalid(accounts.InvalidName, ""),
		invalid(accounts.InvalidDisplayName, ""),
		invalid(accounts.InvalidEmail, "anna"),
		invalid(accounts.InvalidHost, "smtp example"),
		invalid(accounts.InvalidPort, ""),
		invalid(accounts.InvalidSecurity, ""),
		invalid(accounts.InvalidUsername, ""),
		invalid(accounts.InvalidCAAndPin, ""),
		invalid(accounts.InvalidPin, ""),
		invalid(accounts.InvalidMechanism, "PLAIN LOGIN"),
		invalid(accounts.InvalidCAFileRead, "/etc/ca.pem"),
		invalid(accounts.InvalidCAFileNoCert, "/etc/ca.pem"),
		{accounts.ErrCleartextPassword, "STARTTLS"},
		invalid(accounts.InvalidIMAPHost, "imap example"),
		invalid(accounts.InvalidIMAPNoHost, ""),
		invalid(accounts.InvalidIMAPPort, ""),
		invalid(accounts.InvalidIMAPSecurity, ""),
		invalid(accounts.InvalidIMAPUsername, ""),
		invalid(accounts.InvalidIMAPPin, ""),
		{accounts.ErrIMAPCleartextPassword, "IMAP"},
		invalid(accounts.InvalidSentCopy, ""),
		invalid(accounts.InvalidSentCopyNoIMAP, "IMAP"),
		{&accounts.IMAPTestError{Host: "imap.example.org", Port: 993, Err: &accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: 7 * time.Second}}, "7"},
		{&accounts.IMAPTestError{Host: "imap.example.org", Port: 993, Err: &imapclient.Error{Reason: imapclient.ReasonRefused, ServerText: "Mailbox locked"}}, "Mailbox locked"},
		{&accounts.KeyringError{Problem: accounts.KeyringUnavailable}, "GNOME Keyring"},
		{&accounts.KeyringError{Problem: accounts.KeyringLocked}, ""},
		{&accounts.KeyringError{Problem: accounts.KeyringTimedOut, Timeout: 10 * time.Second}, "10"},
		{&accounts.KeyringError{Problem: accounts.KeyringFailed, Err: ioErr}, ""},
		{fmt.Errorf("reading: %w", accounts.ErrNoSecret), ""},
		{accounts.ErrNoAccount, ""},
		{&accounts.DuplicateError{Name: "Work"}, "Work"},
		{&accounts.NotFoundError{Name: "Home"}, "Home"},
		{&accounts.NotRemovedError{Name: "Work", Err: &accounts.KeyringError{Problem: accounts.KeyringLocked}}, "Work"},
		{&accounts.SizeLimitNotSavedError{Err: ioErr}, ""},
		{&autoconfig.AddressError{Address: "", Problem: autoconfig.AddressEmpty}, ""},
		{&autoconfig.AddressError{Address: "a b@c.org", Problem: autoconfig.AddressForbiddenChar}, "a b@c.org"},
		{&autoconfig.AddressError{Address: "anna", Problem: autoconfig.AddressNoAtOrParts}, "anna"},
		{&autoconfig.AddressError{Address: "a@b", Problem: autoconfig.AddressBadDomain}, "a@b"},
		{&autoconfig.NotFoundError{Domain: "plain.test"}, "plain.test"},
		{&store.PathError{Path: "/d", Problem: store.PathCannotCreate, IsDir: true, Err: ioErr}, "/d"},
		{&store.PathError{Path: "/d/f", Problem: store.PathCannotRead, Err: ioErr}, "/d/f"},
		{&store.PathError{Path: "/d", Problem: store.PathNotAFolder, IsDir: true}, "/d"},
		{&store.PathError{Path: "/d", Problem: store.PathOtherOwner, IsDir: true, OwnerUID: 65534}, "/d"},
		{&store.PathError{Path: "/d/postie.db-wal", Problem: store.PathNotOwnFile, Mode: fs.ModeSymlink}, "/d/postie.db-wal"},
		{&store.PathError{Path: "/d", Problem: store.PathOpenToOthers, IsDir: true, Mode: 0o755, Err: fs.ErrPermission}, store.DataDirEnv},
		{&store.NewerSchemaError{Component: "outbox", Found: 9, Newest: 7}, ""},
		input("To", "", mail.InputMissing, "", 0, ""),
		input("From", "", mail.InputMissing, "", 0, ""),
		input("Message-ID", "<>", mail.InputMissing, "", 0, "<>"),
		input("To", "", mail.InputNoRecipient, "", 0, ""),
		input("Subject", "a\nb", mail.InputLineBreak, "", 0, ""),
		input("Subject", "a\x00b", mail.InputNUL, "", 0, "NUL"),
		input("", "caf\xe9", mail.InputInvalidText, "", 0, ""),
		input("text", "", mail.InputTextNotUTF8, "", 0, ""),
		input("To", "Anna Lind anna@example.org", mail.InputNameWithoutBrackets, "", 0, "Anna Lind <anna@example.org>"),
		input("", "anna", mail.InputNoAt, "", 0, "anna"),
		input("Cc", "a@@b.org", mail.InputSeveralAt, "", 0, "a@@b.org"),
		input("", "@b.org", mail.InputNothingBeforeAt, "", 0, "@b.org"),
		input("", "a@", mail.InputNothingAfterAt, "", 0, "a@"),
		input("", "a b@c.org", mail.InputSpace, "", 0, "a b@c.org"),
		input("", "Bob <b@c.org", mail.InputUnclosed, "", 0, "Bob <b@c.org"),
		input("", "a@b.org c@d.org", mail.InputSeveralAddresses, "", 0, "a@b.org c@d.org"),
		input("", "((", mail.InputNotAnAddress, "", 0, "(("),
		input("", "bbb@c.org", mail.InputLocalPartTooLong, "", 64, "64"),
		input("", "a..b@c.org", mail.InputLocalPartDots, "", 0, "a..b@c.org"),
		input("", `"a b"@c.org`, mail.InputLocalPartChar, mail.CharQuote, 0, "a b"),
		input("", "a b@c.org", mail.InputLocalPartChar, mail.CharSpace, 0, "a b@c.org"),
		input("", "a\x01@c.org", mail.InputLocalPartChar, mail.CharControl, 0, ""),
		input("", "a(@c.org", mail.InputLocalPartChar, "(", 0, "“(”"),
		input("", "a@[1]", mail.InputDomainNotIP, "[1]", 0, "[1]"),
		input("", "a@b.org.", mail.InputDomainTrailingDot, "b.org.", 0, "b.org."),
		input("", "a@b_c.org", mail.InputDomainInvalid, "b_c.org", 0, "b_c.org"),
		input("", "a@localhost", mail.InputDomainIncomplete, "localhost", 0, "localhost"),
		input("", "a@b.org", mail.InputTooLong, "", 254, "254"),
		input("Message-ID", "no at", mail.InputNotIdentifier, "", 0, "no at"),
		input("Message-ID", "abc", mail.InputIdentifierForm, "", 0, "abc"),
		input("User-Agent", "Pöstie", mail.InputNotPrintable, "", 0, "Pöstie"),
		input("attachment type", "pdf", mail.InputNotContentType, "", 0, "pdf"),
		input("attachment name", "a\nb", mail.InputLineBreak, "", 0, ""),
		input("attachment", "attachment", mail.InputNoFileChosen, "", 0, "attachment"),
		input("attachment", "/tmp", mail.InputIsFolder, "", 0, "/tmp"),
		input("attachment", "/dev/null", mail.InputNotRegular, "", 0, "/dev/null"),
		input("attachment", "/tmp/gone.pdf", mail.InputFileMissing, "", 0, "/tmp/gone.pdf"),
		input("attachment", "plan.pdf", mail.InputNoPermission, "", 0, "plan.pdf"),
		input("attachment", "disk.img", mail.InputReadFailed, "", 0, "disk.img"),
		input("To", "Bob <>", mail.InputOnlyName, "", 0, "Bob <>"),
		{&mail.InputError{Field: "To", Value: "Bob\nx <b@c.org>", Problem: mail.InputLineBreak, InName: true}, ""},
	}
}

// Every reason becomes a whole sentence in every language: not the log
// text, placeholders filled, the facts shown, and the German one is German.
func TestErrorMessagesAreSentencesInEveryLanguage(t *testing.T) {
	samples := sampleErrors()
	english := map[int]string{}
	for _, code := range []string{"en", "de", "fr", "es"} {
		t.Run(code, func(t *testing.T) {
			useLanguage(t, code)
			for i, s := range samples {
				got := errorMessage(s.err)
				switch {
				case got == "" || got == s.err.Error():
					t.Errorf("%v: no sentence: %q", s.err, got)
				case strings.Contains(got, "%!") || strings.Contains(got, "%s") || strings.Contains(got, "%d") || strings.Contains(got, "%q"):
					t.Errorf("%v: placeholder not filled: %q", s.err, got)
				case !strings.Contains(got, s.fact):
					t.Errorf("%v: %q does not show %q", s.err, got, s.fact)
				}
				switch code {
				case "en":
					english[i] = got
				case "de":
					if got == english[i] {
						t.Errorf("%v: German is the English %q", s.err, got)
					}
				}
			}
		})
	}
}

func TestHintMessagesInEveryLanguage(t *testing.T) {
	kinds := []autoconfig.HintKind{autoconfig.HintAppPassword, autoconfig.HintAppPasswordWithTwoFactor, autoconfig.HintOAuthOnly,
		autoconfig.HintEnableSMTP, autoconfig.HintEnableSMTPAndAppPassword, autoconfig.HintAdminEnableSMTP, autoconfig.HintProviderInstruction}
	confirmations := []autoconfig.Confirmation{
		{Because: autoconfig.ConfirmFoundViaMX, Domain: "workspace.test", MXHost: "aspmx.l.google.com", Host: "smtp.gmail.com", Operator: "Gmail"},
		{Because: autoconfig.ConfirmHostOutsideDomain, Domain: "outside.test", Host: "smtp.hoster.test", Operator: "hoster.test"},
	}
	english := map[string]string{}
	for _, code := range []string{"en", "de", "fr", "es"} {
		t.Run(code, func(t *testing.T) {
			useLanguage(t, code)
			check := func(what, got string, facts ...string) {
				if got == "" || strings.Contains(got, "%!") || strings.Contains(got, "%s") {
					t.Errorf("%s: %q", what, got)
				}
				for _, f := range facts {
					if !strings.Contains(got, f) {
						t.Errorf("%s: %q does not show %q", what, got, f)
					}
				}
				if code == "en" {
					english[what] = got
				} else if code == "de" && got == english[what] {
					t.Errorf("%s: German is the English %q", what, got)
				}
			}
			for _, kind := range kinds {
				h := autoconfig.Hint{Kind: kind, Provider: "Example Mail", HelpURL: "https://help.example/apps", Instruction: "Turn it on."}
				facts := []string{"https://help.example/apps"}
				if kind != autoconfig.HintAdminEnableSMTP && kind != autoconfig.HintProviderInstruction {
					facts = append(facts, "Example Mail")
				}
				check(string(kind), hintMessage(h), facts...)
			}
			for _, c := range confirmations {
				check(string(c.Because), confirmationMessage(c), c.Domain, c.Operator)
			}
			if got := hintMessage(autoconfig.Hint{}); got != "" {
				t.Errorf("no hint = %q", got)
			}
		})
	}
}

// A German user who types an address without an @ in the account wizard
// reads why in German, next to the address.
func TestAccountWizardExplainsABadAddressInGerman(t *testing.T) {
	useLanguage(t, "de")
	w := openDemoWindow(t)
	z := newAccountWizard(w, nil, func() { t.Fatal("an account without an address was saved") })
	test.Type(z.email, "anna.example.org")
	test.Type(z.password, "secret")
	test.Tap(z.continueButton)
	w.settle()
	const want = `Die Adresse "anna.example.org" ist ungültig: das @ fehlt.`
	if !z.emailErr.Visible() || z.emailErr.Text != want {
		t.Fatalf("address problem = %q (visible %v), want %q", z.emailErr.Text, z.emailErr.Visible(), want)
	}
	// The hint follows the address as it is typed. (Gmail's goes with
	// "Use an app password instead" now: see wizard_signin_test.go.)
	z.email.SetText("anna@icloud.com")
	if !z.hint.Visible() || !strings.Contains(z.hint.Text, "App-Passwort") || !strings.Contains(z.hint.Text, "https://account.apple.com") {
		t.Fatalf("iCloud hint = %q (visible %v), want the German one with Apple's page", z.hint.Text, z.hint.Visible())
	}
}
