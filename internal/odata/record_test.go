package odata

import (
	"encoding/json"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

type annotatedLead struct {
	ID        string       `json:"leadid"`
	Status    int          `json:"statuscode"`
	Revenue   d365.Decimal `json:"revenue"`
	ParentAcc string       `json:"_parentaccountid_value"`
	d365.Annotations
}

func (l *annotatedLead) UnmarshalJSON(b []byte) error {
	type plain annotatedLead
	return DecodeRecord(b, (*plain)(l), &l.Annotations)
}

func TestDecodeRecordKeepsAnnotations(t *testing.T) {
	// Shape of retrieve-entity-using-web-api with odata.include-annotations="*".
	data := `{"@odata.etag":"W/\"502482\"","leadid":"l1","statuscode":3,
		"statuscode@OData.Community.Display.V1.FormattedValue":"Qualified",
		"revenue":12345678901234.5678,
		"_parentaccountid_value":"a1",
		"_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"account",
		"_parentaccountid_value@OData.Community.Display.V1.FormattedValue":"Fourth Coffee (sample)"}`
	var l annotatedLead
	if err := json.Unmarshal([]byte(data), &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != "l1" || l.Status != 3 || l.Revenue != "12345678901234.5678" || l.ETag != `W/"502482"` {
		t.Errorf("decoded %+v", l)
	}
	got := map[string]string{
		"status":  l.FormattedValue("statuscode"),
		"parent":  l.FormattedValue("_parentaccountid_value"),
		"logical": l.LookupLogicalName("_parentaccountid_value"),
		"missing": l.FormattedValue("subject"),
	}
	want := map[string]string{"status": "Qualified", "parent": "Fourth Coffee (sample)", "logical": "account", "missing": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

func TestDecodeRecordInAPage(t *testing.T) {
	var p page[*annotatedLead]
	if err := json.Unmarshal([]byte(`{"value":[{"@odata.etag":"W/\"1\"","leadid":"a"},{"leadid":"b"}]}`), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Value) != 2 || p.Value[0].ETag != `W/"1"` || p.Value[1].ETag != "" || p.Value[1].Raw != nil {
		t.Errorf("page decoded as %+v %+v", p.Value[0], p.Value[1])
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"@odata.etag":"W/\"1\"","leadid":"a","statuscode":1,"x@y":{"z":[1]}}`)
	f.Add(`{"revenue":"12.5"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		var l annotatedLead
		_ = json.Unmarshal([]byte(data), &l)
	})
}
