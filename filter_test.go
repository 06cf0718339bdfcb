package d365_test

import (
	"math"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

type leadStatus int

// status is an F&O enum type as SDK packages declare one: a string that
// formats itself as its typed literal.
type status string

func (s status) Enum() d365.Enum { return d365.Enum{Type: "RetailB2BProspectStatus", Value: string(s)} }

func TestFilterf(t *testing.T) {
	id := uuid.MustParse("c0ffee00-0000-0000-0000-000000000001")
	when := time.Date(2024, 5, 1, 11, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	name := "O'Neil"
	var nilName *string
	pending := status("Pending")
	var nilStatus *status
	for _, tc := range []struct {
		got, want string
	}{
		{d365.Filterf("name eq %v", "O'Neil"), "name eq 'O''Neil'"},
		{d365.Filterf("name eq %v", "x' or 1 eq 1 or name eq '"), "name eq 'x'' or 1 eq 1 or name eq '''"},
		{d365.Filterf("_parentaccountid_value eq %v", id), "_parentaccountid_value eq c0ffee00-0000-0000-0000-000000000001"},
		{d365.Filterf("createdon gt %v", when), "createdon gt 2024-05-01T09:30:00Z"},
		{d365.Filterf("estimatedclosedate eq %v", d365.Date{Year: 2023, Month: 6, Day: 25}), "estimatedclosedate eq 2023-06-25"},
		{d365.Filterf("msdyn_b2bcommerceprospect eq %v and statecode eq %v", true, 0), "msdyn_b2bcommerceprospect eq true and statecode eq 0"},
		{d365.Filterf("statuscode eq %v", leadStatus(3)), "statuscode eq 3"},
		{d365.Filterf("revenue gt %v and x lt %v", 1.5, d365.Decimal("12345678901234.5678")), "revenue gt 1.5 and x lt 12345678901234.5678"},
		{d365.Filterf("IsB2BProspect eq %v", d365.Enum{Type: "NoYes", Value: "Yes"}), "IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes'"},
		{d365.Filterf("B2BProspectStatus eq %v", d365.Enum{Type: "RetailB2BProspectStatus", Value: "it's"}), "B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'it''s'"},
		{d365.Filterf("name eq %v", &name), "name eq 'O''Neil'"},
		{d365.Filterf("name eq %v and x eq %v", nilName, nil), "name eq null and x eq null"},
		{d365.Filterf("x eq %v", math.NaN()), "x eq %!(d365: NaN has no OData literal)"},
		{d365.Filterf("x eq %v", struct{}{}), "x eq %!(d365: no OData literal for type struct {})"},
		{d365.Filterf("x eq %v", d365.Enum{Type: "No Yes)", Value: "Yes"}), `x eq %!(d365: enum type "No Yes)" is not a name)`},
		{d365.Filterf("x eq %v", d365.Enum{Type: "NoYes"}), `x eq %!(d365: enum value of type NoYes is empty)`},
		// An EnumValuer is its typed literal, never a plain string.
		{d365.Filterf("B2BProspectStatus eq %v", status("Pending")), "B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"},
		{d365.Filterf("B2BProspectStatus ne %v", &pending), "B2BProspectStatus ne Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"},
		{d365.Filterf("B2BProspectStatus eq %v", nilStatus), "B2BProspectStatus eq null"},
		{d365.Filterf("B2BProspectStatus eq %v", status("")), `B2BProspectStatus eq %!(d365: enum value of type RetailB2BProspectStatus is empty)`},
		// Times keep at most milliseconds, trailing zeros dropped.
		{d365.Filterf("modifiedon ge %v", time.Date(2024, 5, 1, 9, 30, 0, 250_000_000, time.UTC)), "modifiedon ge 2024-05-01T09:30:00.25Z"},
		{d365.Filterf("modifiedon ge %v", time.Date(2024, 5, 1, 9, 30, 0, 123_456_789, time.UTC)), "modifiedon ge 2024-05-01T09:30:00.123Z"},
		// Verbs other than %v are not honoured: an invalid literal names them.
		{d365.Filterf("lastname eq %s", "O'Neil"), "lastname eq %!s(d365.Filterf: use %v for every value)"},
		{d365.Filterf("statecode eq %d", 0), "statecode eq %!d(d365.Filterf: use %v for every value)"},
		{d365.Filterf("lastname eq %q", "x"), "lastname eq %!q(d365.Filterf: use %v for every value)"},
		{d365.Filterf("name eq %+v", "a"), "name eq 'a'"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

func FuzzFilterfString(f *testing.F) {
	f.Add("O'Neil")
	f.Add("'')) or true or ((''")
	f.Fuzz(func(t *testing.T, s string) {
		got := d365.Filterf("name eq %v", s)
		lit := got[len("name eq "):]
		// The literal must be one quoted string: unquote it and compare.
		if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			t.Fatalf("%q became %q", s, got)
		}
		body := lit[1 : len(lit)-1]
		var out []byte
		for i := 0; i < len(body); i++ {
			if body[i] == '\'' {
				if i+1 >= len(body) || body[i+1] != '\'' {
					t.Fatalf("%q: a lone quote escapes the literal: %q", s, got)
				}
				i++
			}
			out = append(out, body[i])
		}
		if string(out) != s {
			t.Fatalf("%q round-tripped to %q", s, out)
		}
	})
}
