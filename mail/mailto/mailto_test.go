package mailto

import (
	"reflect"
	"strings"
	"testing"

	"github.com/postie-app/postie/mail"
)

// The examples of RFC 6068 §6, and a few links seen in the wild.
func TestParseRFC6068Examples(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want Link
	}{
		{"mailto:chris@example.com", Link{To: "chris@example.com"}},
		{"mailto:infobot@example.com?subject=current-issue",
			Link{To: "infobot@example.com", Subject: "current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue",
			Link{To: "infobot@example.com", Body: "send current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
			Link{To: "infobot@example.com", Body: "send current-issue\r\nsend index"}},
		// The composer does not show In-Reply-To, so the link may not set it.
		{"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
			Link{To: "list@example.org"}},
		{"mailto:majordomo@example.com?body=subscribe%20bamboo-l",
			Link{To: "majordomo@example.com", Body: "subscribe bamboo-l"}},
		{"mailto:joe@example.com?cc=bob@example.com&body=hello",
			Link{To: "joe@example.com", Cc: "bob@example.com", Body: "hello"}},
		{"mailto:gorby%25kremvax@example.com", Link{To: "gorby%kremvax@example.com"}},
		{"mailto:unlikely%3Faddress@example.com?blat=foop", Link{To: "unlikely?address@example.com"}},
		{"mailto:Mike%26family@example.org", Link{To: "Mike&family@example.org"}},
		{"mailto:%22not%40me%22@example.org", Link{To: `"not@me"@example.org`}},
		{"mailto:%22oh%5C%5Cno%22@example.org", Link{To: `"oh\\no"@example.org`}},
		{"mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org",
			Link{To: `"\\\"it's\ ugly\\\""@example.org`}},
		{"mailto:user@example.org?subject=caf%C3%A9", Link{To: "user@example.org", Subject: "café"}},
		{"mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D",
			Link{To: "user@example.org", Subject: "café"}},
		{"mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
			Link{To: "user@納豆.example.org", Subject: "Test", Body: "NATTO"}},
		{"mailto:?to=addr1@an.example,addr2@an.example",
			Link{To: "addr1@an.example,addr2@an.example"}},
		{"mailto:addr1@an.example,addr2@an.example",
			Link{To: "addr1@an.example,addr2@an.example"}},
		{"mailto:addr1@an.example?to=addr2@an.example",
			Link{To: "addr1@an.example, addr2@an.example"}},
		// "+" is a plus sign, not a space, in mailto (RFC 6068 §5).
		{"MAILTO:me+tag@example.org?subject=1+1", Link{To: "me+tag@example.org", Subject: "1+1"}},
		{"mailto:a@example.org?BCC=b@example.org&bcc=c@example.org",
			Link{To: "a@example.org", Bcc: "b@example.org, c@example.org"}},
	} {
		got, err := Parse(tc.uri)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.uri, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tc.uri, *got, tc.want)
		}
	}
}

func TestParseIgnoresHeadersALinkMustNotSet(t *testing.T) {
	got, err := Parse("mailto:a@example.org?from=boss@example.org&content-type=text/html&subject=Hi%0D%0ABcc:%20evil@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := Link{To: "a@example.org", Subject: "Hi Bcc: evil@example.org"}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("got %#v, want %#v", *got, want)
	}
}

// Threading headers would go out with the message without the composer
// ever showing them, so a link cannot set them.
func TestParseDropsThreadingHeaders(t *testing.T) {
	got, err := Parse("mailto:a@example.org?in-reply-to=%3Cx@example.org%3E&References=%3Cy@example.org%3E%20%3Cz@example.org%3E&subject=Re")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Link{To: "a@example.org", Subject: "Re"}); !reflect.DeepEqual(*got, want) {
		t.Fatalf("got %#v, want %#v", *got, want)
	}
}

// A line break in an address field hid every address after it from the
// one-line field while the address parser still sent to it. Breaks and
// tabs must come out as the visible ", " separator, in every field.
func TestParseShowsAddressesAfterLineBreaksAndTabs(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want Link
	}{
		{"mailto:friend@example.org?bcc=%0Aspy@evil.example",
			Link{To: "friend@example.org", Bcc: "spy@evil.example"}},
		{"mailto:friend@example.org?bcc=%0D%0Aspy@evil.example",
			Link{To: "friend@example.org", Bcc: "spy@evil.example"}},
		{"mailto:friend@example.org?bcc=%09spy@evil.example",
			Link{To: "friend@example.org", Bcc: "spy@evil.example"}},
		{"mailto:friend@example.org?cc=boss@example.org%0D%0Aspy@evil.example%0A",
			Link{To: "friend@example.org", Cc: "boss@example.org, spy@evil.example"}},
		{"mailto:friend@example.org%0Aspy@evil.example",
			Link{To: "friend@example.org, spy@evil.example"}},
		{"mailto:?to=%0D%0A%0D%0Afriend@example.org%0D%0A%0D%0A%09spy@evil.example%0A%0A&cc=%0A",
			Link{To: "friend@example.org, spy@evil.example"}},
		{"mailto:friend@example.org?to=a@example.org,%0Ab@example.org;%0Dc@example.org%E2%80%A8d@example.org",
			Link{To: "friend@example.org, a@example.org, b@example.org, c@example.org, d@example.org"}},
	} {
		got, err := Parse(tc.uri)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.uri, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tc.uri, *got, tc.want)
		}
		// What the field shows is every address the message goes to.
		for _, field := range []string{got.To, got.Cc, got.Bcc} {
			list, err := mail.ParseAddressList(field)
			if err != nil {
				t.Errorf("Parse(%q): field %q does not parse: %v", tc.uri, field, err)
			}
			if n := strings.Count(field, "@"); len(list) != n {
				t.Errorf("Parse(%q): field %q holds %d addresses but shows %d", tc.uri, field, len(list), n)
			}
		}
	}
}

func TestParseRejectsOtherSchemesAndGarbledEscapes(t *testing.T) {
	for _, uri := range []string{"https://example.org", "a@example.org", "mailto:a%zz@example.org", "mailto:a@example.org?subject=%G1"} {
		if _, err := Parse(uri); err == nil {
			t.Errorf("Parse(%q) succeeded", uri)
		}
	}
}

// The fields go to the composer, which reads them with the mail package's
// list parser like anything typed; repeated fields must come out whole.
func TestAddressFieldsReadAsLists(t *testing.T) {
	link, err := Parse("mailto:a@example.org,b@example.org?to=c@example.org&cc=d@example.org&cc=e@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]int{link.To: 3, link.Cc: 2} {
		list, err := mail.ParseAddressList(field)
		if err != nil || len(list) != want {
			t.Errorf("ParseAddressList(%q) = %v, %v; want %d addresses", field, list, err, want)
		}
	}
}
