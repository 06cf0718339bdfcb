package odata

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// marshalBody writes a body byte for byte as encoding/json does.
func TestMarshalBodyIsEncodingJSON(t *testing.T) {
	n := 3
	bodies := []any{
		map[string]any{},
		map[string]any{"subject": "B2B onboarding", "z": 1, "a": true, "m": nil, "n": -42, "f": false},
		map[string]any{"html": "<a href=\"x\">&</a>", "ctl": "a\tb\nc\x00\x1f", "uni": "é — ü", "bad": "\xff\xfe", "sep": "\u2028\u2029", "del": "\x7f", `k"ey\`: "v"},
		map[string]any{"budgetamount": d365.Decimal("5000000.50"), "id": uuid.MustParse("dbce9d1c-c29c-ee11-be36-000d3abf077e"),
			"on": time.Date(2024, 1, 7, 23, 25, 0, 0, time.UTC), "num": json.Number("12.3400"), "p": &n,
			"obj": map[string]any{"b": []any{1, "x", nil}, "a": 1.5}, "f": 0.1},
		map[string]any{"parentaccountid@odata.bind": "/accounts(00000000-0000-0000-0000-000000000001)"},
		[]int{1, 2},
		struct{ A string }{"<"},
	}
	for _, b := range bodies {
		want, werr := json.Marshal(b)
		got, gerr := marshalBody(b)
		if (werr == nil) != (gerr == nil) || string(got) != string(want) {
			t.Errorf("marshalBody(%#v) = %s, %v; encoding/json: %s, %v", b, got, gerr, want, werr)
		}
	}
	if _, err := marshalBody(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel in a body: no error")
	}
}

func FuzzMarshalBody(f *testing.F) {
	f.Add("subject", "B2B <onboarding> & \"more\"", "x", 5, true)
	f.Add("\xff", "\u2028", "", -1, false)
	f.Fuzz(func(t *testing.T, k1, v1, k2 string, n int, b bool) {
		m := map[string]any{k1: v1, k2: n, k1 + k2: b, v1: nil}
		want, _ := json.Marshal(m)
		got, err := marshalBody(m)
		if err != nil || string(got) != string(want) {
			t.Fatalf("marshalBody(%q) = %s, %v; encoding/json: %s", m, got, err, want)
		}
	})
}

// MembersJSON writes what json.Marshal writes for Members' map, with the
// same errors.
func TestMembersJSONIsMembersEncoded(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	s, empty, long, f := "a<b>&\"c\"", "", "abcdef", true
	amount, bad, nilID := d365.Decimal("12.50"), d365.Decimal("1,5"), uuid.Nil
	for _, w := range []any{
		&write{Hidden: "x", ID: id, Subject: &s, Amount: &amount, Account: &id, Skip: "x", inner: inner{Flag: &f}},
		&write{Subject: &s},
		&write{},
		&write{Subject: &empty},
		&write{Subject: &long},
		&write{Amount: &bad},
		&write{Account: &nilID},
		(*write)(nil),
		&customWrite{Name: "Contoso", Account: "/accounts(1)", Custom: map[string]any{"new_vatnumber": "DE123", "new_big": json.Number("1.10")}},
		&customWrite{Name: "x", Custom: map[string]any{"name": 1}},
		&customWrite{Name: "y"},
	} {
		for _, create := range []bool{false, true} {
			m, merr := Members(w, "W", create)
			want, _ := json.Marshal(m)
			got, gerr := MembersJSON(w, "W", create)
			if merr != nil || gerr != nil {
				if merr == nil || gerr == nil || merr.Error() != gerr.Error() {
					t.Errorf("%+v (create %v): MembersJSON error %v, Members error %v", w, create, gerr, merr)
				}
				continue
			}
			if string(got) != string(want) {
				t.Errorf("%+v (create %v): MembersJSON %s, Members encoded %s", w, create, got, want)
			}
		}
	}
}
