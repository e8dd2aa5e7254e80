package mailto

import (
	"reflect"
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
		{"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
			Link{To: "list@example.org", InReplyTo: "<3469A91.D10AF4C@example.com>"}},
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
