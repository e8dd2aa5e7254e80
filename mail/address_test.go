package mail

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Address
	}{
		{"anna@example.org", Address{Email: "anna@example.org"}},
		{"  anna@example.org  ", Address{Email: "anna@example.org"}},
		{"<anna@example.org>", Address{Email: "anna@example.org"}},
		{"Anna Lind <anna@example.org>", Address{Name: "Anna Lind", Email: "anna@example.org"}},
		{`"Lind, Anna" <anna@example.org>`, Address{Name: "Lind, Anna", Email: "anna@example.org"}},
		{"=?utf-8?q?=C3=85sa?= <asa@example.org>", Address{Name: "Åsa", Email: "asa@example.org"}},
		{"Åsa Öberg <åsa@bücher.de>", Address{Name: "Åsa Öberg", Email: "åsa@bücher.de"}},
		{"anna+news@example.org", Address{Email: "anna+news@example.org"}},
		{"anna@[192.0.2.1]", Address{Email: "anna@[192.0.2.1]"}},
	} {
		got, err := ParseAddress(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseAddressErrors(t *testing.T) {
	long := "bob@" + strings.Repeat("a.", 125) + "org"
	for _, tc := range []struct {
		in   string
		want InputError
	}{
		{"", InputError{Problem: InputMissing}},
		{"bob@@example.org", InputError{Value: "bob@@example.org", Problem: InputSeveralAt}},
		{"bob.example.org", InputError{Value: "bob.example.org", Problem: InputNoAt}},
		{"@example.org", InputError{Value: "@example.org", Problem: InputNothingBeforeAt}},
		{"bob@", InputError{Value: "bob@", Problem: InputNothingAfterAt}},
		{"bob smith@example.org", InputError{Value: "bob smith@example.org", Problem: InputSpace}},
		{"Anna Lind anna@example.org", InputError{Value: "Anna Lind anna@example.org", Problem: InputNameWithoutBrackets}},
		{"bob@localhost", InputError{Value: "bob@localhost", Problem: InputDomainIncomplete, Detail: "localhost"}},
		{"bob@exa_mple.org", InputError{Value: "bob@exa_mple.org", Problem: InputDomainInvalid, Detail: "exa_mple.org"}},
		{"bob@example..org", InputError{Value: "bob@example..org", Problem: InputDomainInvalid, Detail: "example..org"}},
		{"bob..smith@example.org", InputError{Value: "bob..smith@example.org", Problem: InputLocalPartDots}},
		{`"bob smith"@example.org`, InputError{Value: `"bob smith"@example.org`, Problem: InputLocalPartChar, Detail: CharQuote}},
		{"bob@[IPv6:2001:db8::1]", InputError{Value: "bob@[IPv6:2001:db8::1]", Problem: InputDomainNotIP, Detail: "[IPv6:2001:db8::1]"}},
		{"Bob <bob@example.org", InputError{Value: "Bob <bob@example.org", Problem: InputUnclosed}},
		{"bob@[300.1.1.1]", InputError{Value: "bob@[300.1.1.1]", Problem: InputDomainNotIP, Detail: "[300.1.1.1]"}},
		{strings.Repeat("b", 65) + "@example.org", InputError{Value: strings.Repeat("b", 65) + "@example.org", Problem: InputLocalPartTooLong, Limit: 64}},
		{long, InputError{Value: long, Problem: InputTooLong, Limit: 254}},
		{"bob\r\n@example.org", InputError{Value: "bob\r\n@example.org", Problem: InputLineBreak}},
		{"bob@example.org\xff", InputError{Value: "bob@example.org\xff", Problem: InputInvalidText}},
	} {
		_, err := ParseAddress(tc.in)
		if err == nil {
			t.Errorf("ParseAddress(%q) succeeded", tc.in)
			continue
		}
		wantInput(t, err, tc.want)
	}
}

func TestParseAddressList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Address
	}{
		{"", nil},
		{" , ; ", nil},
		{"a@example.org, b@example.org", []Address{{Email: "a@example.org"}, {Email: "b@example.org"}}},
		{"a@example.org; b@example.org;", []Address{{Email: "a@example.org"}, {Email: "b@example.org"}}},
		{"a@example.org\r\nb@example.org\nc@example.org", []Address{{Email: "a@example.org"}, {Email: "b@example.org"}, {Email: "c@example.org"}}},
		{`"Lind; Anna" <a@example.org>, Bob <b@example.org>`, []Address{{Name: "Lind; Anna", Email: "a@example.org"}, {Name: "Bob", Email: "b@example.org"}}},
		// As Outlook copies names: surname, comma, given name.
		{"Lind, Anna <a@example.org>; Berg, Bo <b@example.org>", []Address{{Name: "Lind, Anna", Email: "a@example.org"}, {Name: "Berg, Bo", Email: "b@example.org"}}},
	} {
		got, err := ParseAddressList(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseAddressList(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseAddressList("a@example.org, bob@@example.org")
	wantInput(t, err, InputError{Value: "bob@@example.org", Problem: InputSeveralAt})
	_, err = ParseAddressList("a@example.org, anna")
	wantInput(t, err, InputError{Value: "anna", Problem: InputNoAt})
}

// TestIDN checks that internationalized domains become A-labels (RFC 5890)
// in the envelope and the header fields, and that only a non-ASCII local
// part needs SMTPUTF8.
func TestIDN(t *testing.T) {
	msg := simpleMessage()
	msg.From = Address{Name: "Jörg", Email: "joerg@bücher.de"}
	msg.To = []Address{{Email: "info@例え.テスト"}}
	msg.Cc = []Address{{Email: "anna@ＥＸＡＭＰＬＥ.org"}}
	from, rcpts, smtputf8, err := msg.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	wantRcpts := []string{"info@xn--r8jz45g.xn--zckzah", "anna@example.org"}
	if from != "joerg@xn--bcher-kva.de" || !reflect.DeepEqual(rcpts, wantRcpts) || smtputf8 {
		t.Errorf("Envelope() = %q, %q, %v", from, rcpts, smtputf8)
	}
	head := headerSection(build(t, msg))
	for _, want := range []string{"From: =?utf-8?q?J=C3=B6rg?= <joerg@xn--bcher-kva.de>\r\n", "To: <info@xn--r8jz45g.xn--zckzah>\r\n", "@xn--bcher-kva.de>\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	if !isASCII(head) {
		t.Errorf("header is not ASCII:\n%s", head)
	}
}

func TestSMTPUTF8(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Message)
		want bool
	}{
		{"ASCII", func(*Message) {}, false},
		{"Unicode names and domains", func(m *Message) {
			m.From.Name = "Åsa"
			m.To = []Address{{Name: "Jörg", Email: "j@bücher.de"}}
		}, false},
		{"sender", func(m *Message) { m.From.Email = "åsa@example.org" }, true},
		{"To", func(m *Message) { m.To = []Address{{Email: "jörg@example.org"}} }, true},
		{"Cc", func(m *Message) { m.Cc = []Address{{Email: "jörg@example.org"}} }, true},
		{"Bcc", func(m *Message) { m.Bcc = []Address{{Email: "jörg@example.org"}} }, true},
		{"Reply-To", func(m *Message) { m.ReplyTo = []Address{{Email: "jörg@example.org"}} }, true},
	} {
		msg := simpleMessage()
		tc.edit(msg)
		_, _, got, err := msg.Envelope()
		if err != nil || got != tc.want {
			t.Errorf("%s: SMTPUTF8 %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// With SMTPUTF8 the header carries the address in UTF-8 (RFC 6532 §3.2).
	msg := simpleMessage()
	msg.To = []Address{{Name: "Jörg", Email: "jörg@bücher.de"}}
	if head := headerSection(build(t, msg)); !strings.Contains(head, "To: =?utf-8?q?J=C3=B6rg?= <jörg@xn--bcher-kva.de>\r\n") {
		t.Errorf("To header wrong:\n%s", head)
	}
}

func TestEnvelopeRecipientsOnce(t *testing.T) {
	msg := simpleMessage()
	msg.To = []Address{{Email: "bob@example.net"}, {Email: "carl@example.net"}}
	msg.Cc = []Address{{Email: "Bob@example.net"}}
	msg.Bcc = []Address{{Email: "dora@example.net"}, {Email: "carl@example.net"}}
	msg.ReplyTo = []Address{{Email: "list@example.net"}}
	from, rcpts, _, err := msg.Envelope()
	want := []string{"bob@example.net", "carl@example.net", "dora@example.net"}
	if err != nil || from != "anna@example.org" || !reflect.DeepEqual(rcpts, want) {
		t.Errorf("Envelope() = %q, %q, %v; want %q", from, rcpts, err, want)
	}
}
