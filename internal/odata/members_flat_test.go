package odata

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// flatStatus is a named int, written by encoding/json.
type flatStatus int

// flatInner is embedded by pointer, and repeats a name of flatWrite.
type flatInner struct {
	Note   *string `json:"notetext"`
	Amount *d365.Decimal
	Owner  *uuid.UUID `json:"ownerid@odata.bind" d365:"bind=systemusers"`
}

// flatChanges is embedded by value, as LeadChanges is in leadWrite.
type flatChanges struct {
	Subject *string       `json:"subject" d365:"required,max=5"`
	Count   *int          `json:"count"`
	Flag    *bool         `json:"flag"`
	Amount  *d365.Decimal `json:"budgetamount"`
	Status  *flatStatus   `json:"statuscode"`
	Account *uuid.UUID    `json:"parentaccountid@odata.bind" d365:"bind=accounts"`
	Odd     *string       `json:"a<b>"`
	Bad     *string       `json:"badbind@odata.bind" d365:"bind=weird\"set"`
}

// flatWrite has every shape the fast path knows: top-level values, a
// by-value and a by-pointer embedded struct, a name set twice, an id sent
// as itself, a required field.
type flatWrite struct {
	Type  string    `json:"@odata.type,omitempty"`
	ID    uuid.UUID `json:"leadid,omitzero"`
	Title string    `json:"subject" d365:"max=8"` // the same name as flatChanges.Subject
	flatChanges
	*flatInner
	Custom map[string]any `json:"-" d365:"custom"`
}

// FuzzMembersJSON holds the fast path of MembersJSON to what encoding/json
// writes for Members' map, and to its errors, for any mix of set fields.
func FuzzMembersJSON(f *testing.F) {
	f.Add(uint16(0xffff), "Ana", "12.50", 7, true)
	f.Add(uint16(0), "", "", 0, false)
	f.Add(uint16(0x5555), "toolongtext", "1e3", -1, true)
	f.Add(uint16(0xaaaa), "é<&>\"", "-0.5", 1<<40, false)
	f.Add(uint16(0x0f0f), "\xff", "00", 2, true)
	f.Fuzz(func(t *testing.T, set uint16, s, dec string, n int, b bool) {
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(s))
		if set&(1<<12) != 0 {
			id = uuid.Nil
		}
		amount, st := d365.Decimal(dec), flatStatus(n)
		w := &flatWrite{}
		on := func(bit int) bool { return set&(1<<bit) != 0 }
		if on(0) {
			w.Type = "#Microsoft.Dynamics.CRM.lead"
		}
		if on(1) {
			w.ID = id
		}
		if on(2) {
			w.Title = s
		}
		if on(3) {
			w.Subject = &s
		}
		if on(4) {
			w.Count = &n
		}
		if on(5) {
			w.Flag = &b
		}
		if on(6) {
			w.flatChanges.Amount = &amount
		}
		if on(7) {
			w.Status = &st
		}
		if on(8) {
			w.Account = &id
		}
		if on(9) {
			w.Odd = &s
		}
		if on(10) {
			w.flatInner = &flatInner{}
			if on(11) {
				w.Note, w.flatInner.Amount = &s, &amount
			}
			if on(13) {
				w.Owner = &id
			}
		}
		if on(14) {
			w.Bad = &id2str
		}
		for _, create := range []bool{false, true} {
			m, merr := Members(w, "W", create)
			got, gerr := MembersJSON(w, "W", create)
			if merr != nil || gerr != nil {
				if merr == nil || gerr == nil || merr.Error() != gerr.Error() {
					t.Fatalf("%+v (create %v): MembersJSON error %v, Members error %v", w, create, gerr, merr)
				}
				continue
			}
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("%+v (create %v):\nMembersJSON      %s\nMembers encoded  %s", w, create, got, want)
			}
		}
	})
}

var id2str = "x"

// The fast path writes the usual bodies itself: it does not hand them to
// the general path.
func TestFlatPathWritesValidBodies(t *testing.T) {
	s, n, b, amount := "Ana", 3, true, d365.Decimal("12.50")
	id := uuid.MustParse("dbce9d1c-c29c-ee11-be36-000d3abf077e")
	w := &flatWrite{ID: id, Title: "Topic", flatChanges: flatChanges{Subject: &s, Count: &n, Flag: &b, Amount: &amount, Account: &id}}
	body, ok := flatMembersJSON(reflectElem(w), true)
	if !ok {
		t.Fatal("the fast path gave up on a valid body")
	}
	want := `{"budgetamount":12.50,"count":3,"flag":true,"leadid":"dbce9d1c-c29c-ee11-be36-000d3abf077e",` +
		`"parentaccountid@odata.bind":"/accounts(dbce9d1c-c29c-ee11-be36-000d3abf077e)","subject":"Ana"}`
	if string(body) != want {
		t.Errorf("body\n%s\nwant\n%s", body, want)
	}
	// A required column missing: the general path reports it.
	if _, ok := flatMembersJSON(reflectElem(&flatWrite{}), true); ok {
		t.Error("the fast path wrote a create without its required column")
	}
}

func reflectElem(v any) reflect.Value { return reflect.ValueOf(v).Elem() }
