package odata

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

type customRecord struct {
	d365.Annotations
	Name   string         `json:"name,omitempty"`
	Amount d365.Decimal   `json:"amount,omitempty"`
	Custom map[string]any `json:"-" d365:"custom"`
}

type customWrite struct {
	Name    string         `json:"name"`
	Account string         `json:"parentaccountid@odata.bind"`
	Custom  map[string]any `json:"-" d365:"custom"`
}

// TestDecodeRecordCustom checks that the columns a type does not name are
// kept, numbers in their exact text, and that annotations and named
// columns are not.
func TestDecodeRecordCustom(t *testing.T) {
	data := []byte(`{"@odata.etag":"W/\"1\"","name":"Contoso","NAME2":1,"amount":1.50,` +
		`"new_vatnumber":"DE123","new_big":12345678901234567890.123456789,"new_small":1e-7,` +
		`"new_flag":true,"new_none":null,"new_obj":{"a":[1,2.0]},"new_big@OData.Community.Display.V1.FormattedValue":"12,345"}`)
	var r customRecord
	if err := DecodeRecord(data, &r, &r.Annotations); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"NAME2":         json.Number("1"),
		"new_vatnumber": "DE123",
		"new_big":       json.Number("12345678901234567890.123456789"),
		"new_small":     json.Number("1e-7"),
		"new_flag":      true,
		"new_none":      nil,
		"new_obj":       map[string]any{"a": []any{json.Number("1"), json.Number("2.0")}},
	}
	if d := cmp.Diff(want, r.Custom); d != "" {
		t.Errorf("Custom (-want +got):\n%s", d)
	}
	if r.Name != "Contoso" || r.Amount != "1.50" || r.FormattedValue("new_big") != "12,345" {
		t.Errorf("record %+v", r)
	}
	// Written back, every number keeps its text.
	b, err := json.Marshal(r.Custom)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"NAME2":1,"new_big":12345678901234567890.123456789,"new_flag":true,"new_none":null,"new_obj":{"a":[1,2.0]},"new_small":1e-7,"new_vatnumber":"DE123"}`; string(b) != want {
		t.Errorf("re-encoded %s, want %s", b, want)
	}
	var none customRecord
	if err := DecodeRecord([]byte(`{"name":"x","@odata.etag":"W/\"2\""}`), &none, &none.Annotations); err != nil || none.Custom != nil {
		t.Errorf("no custom column: Custom %v, err %v; want nil", none.Custom, err)
	}
}

// TestMembersCustom checks that custom columns merge into the body and that
// a bad name or a name the type has a field for is refused.
func TestMembersCustom(t *testing.T) {
	m, err := Members(&customWrite{Name: "Contoso", Custom: map[string]any{"new_vatnumber": "DE123", "new_big": json.Number("1.10"), "new_regionid@odata.bind": "/new_regions(1)"}}, "W", true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "Contoso", "new_vatnumber": "DE123", "new_big": json.Number("1.10"), "new_regionid@odata.bind": "/new_regions(1)"}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
	if m, err := Members(&customWrite{Name: "x"}, "W", true); err != nil || len(m) != 1 {
		t.Errorf("nil Custom: %v, %v; want only name", m, err)
	}
	for k, field := range map[string]string{
		"name":               "W.Custom[name]",
		"NAME":               "W.Custom[NAME]",
		"parentaccountid":    "W.Custom[parentaccountid]",
		"bad name":           "W.Custom[bad name]",
		"new_x?$filter=1":    "W.Custom[new_x?$filter=1]",
		"":                   "W.Custom[]",
		"@odata.bind":        "W.Custom[@odata.bind]",
		"new_x@odata.bindxx": "W.Custom[new_x@odata.bindxx]",
	} {
		_, err := Members(&customWrite{Custom: map[string]any{k: 1}}, "W", false)
		var ie *d365.InputError
		if !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%q: error %v, want an InputError naming %s", k, err, field)
		}
	}
}
