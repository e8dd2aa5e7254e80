package outbox

import (
	"reflect"
	"testing"
	"time"
)

// TestDraftSameContentComparesEveryField changes each field of a draft in
// turn and expects SameContent to notice, so a field added to Draft and
// forgotten in SameContent fails here. Only the fields listed as
// bookkeeping may differ.
func TestDraftSameContentComparesEveryField(t *testing.T) {
	bookkeeping := map[string]bool{"ID": true, "Updated": true}
	base := Draft{ID: 7, AccountID: "a", To: "to@example.org", Cc: "cc@example.org", Bcc: "bcc@example.org",
		Subject: "s", Body: "b", Attachments: []string{"/tmp/a.pdf"}, InReplyTo: "<p@example.org>",
		References: []string{"<r@example.org>"}, Updated: time.Unix(1, 0)}
	if !base.SameContent(base) {
		t.Fatal("a draft differs from itself")
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		field := typ.Field(i)
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch v.Interface().(type) {
		case string:
			v.SetString(v.String() + "-changed")
		case bool:
			v.SetBool(!v.Bool())
		case int64:
			v.SetInt(v.Int() + 1)
		case []string:
			v.Set(reflect.ValueOf(append(append([]string{}, v.Interface().([]string)...), "more")))
		case time.Time:
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
		default:
			t.Fatalf("field %s has type %s, which this test cannot change yet", field.Name, field.Type)
		}
		if got, want := base.SameContent(changed), bookkeeping[field.Name]; got != want {
			t.Errorf("changing %s: SameContent = %v, want %v", field.Name, got, want)
		}
	}
	if !(Draft{}).SameContent(Draft{References: []string{}, Attachments: []string{}}) {
		t.Error("no references and an empty list of them differ")
	}
}
