package odata

import (
	"bytes"
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

func TestScanPageDecodesEachRecord(t *testing.T) {
	body := []byte(`{"@odata.context":"x","value":[ {"@odata.etag":"W/\"1\"","leadid":"a"} ,{"leadid":"b","x@y":[1,{"z":"]"}]}],"@odata.nextLink":"https://h/n?$skiptoken=%3Ccookie%3E"}`)
	ps := newPageStream(bytes.NewReader(body), 0)
	var got []*annotatedLead
	for raw := ps.next(); raw != nil; raw = ps.next() {
		l := new(annotatedLead)
		if err := unmarshal(raw, l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	next, _, err := ps.info()
	if err != nil || next != "https://h/n?$skiptoken=%3Ccookie%3E" {
		t.Fatalf("page: next %q, %v", next, err)
	}
	if len(got) != 2 || got[0].ETag != `W/"1"` || got[1].ETag != "" || string(got[1].Raw["x@y"]) != `[1,{"z":"]"}]` {
		t.Errorf("records %+v", got)
	}
	for _, bad := range []string{`[]`, `{"value":{}}`, `{"value":[1,}`, `{"value":[{"a":1}`, `{"a" 1}`, `{"value":[]`, ``,
		`{"value":[],"value":[]}`} {
		if _, err := scannedPage([]byte(bad)); err == nil {
			t.Errorf("page %q: no error", bad)
		}
	}
}

func TestEscapedAnnotationNames(t *testing.T) {
	var l annotatedLead
	if err := json.Unmarshal([]byte(`{"leadid":"a","statuscode\u0040OData.Community.Display.V1.FormattedValue":"New","x\"y":1,"p@odata.bind":"/accounts(1)"}`), &l); err != nil {
		t.Fatal(err)
	}
	if l.FormattedValue("statuscode") != "New" || len(l.Raw) != 1 {
		t.Errorf("annotations = %v", l.Raw)
	}
}

func FuzzScanPage(f *testing.F) {
	f.Add(`{"value":[{"leadid":"a","s@t":"v"},{"leadid":"b"}],"@odata.nextLink":"x"}`)
	f.Add(`{"value":[ ] }`)
	f.Add(`{"value":["\"]",{"a":[{"b":"}"}]}]}`)
	for _, s := range pageCases {
		f.Add(s)
	}
	// The scanner reads what encoding/json reads (scan_test.go): the same
	// records, next link and count, each record's fields and annotations,
	// or an error from both.
	f.Fuzz(func(t *testing.T, body string) {
		comparePage(t, []byte(body))
	})
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"@odata.etag":"W/\"1\"","leadid":"a","statuscode":1,"x@y":{"z":[1]}}`)
	f.Add(`{"revenue":"12.5"}`)
	f.Add(`[]`)
	for _, s := range recordCases {
		f.Add(s)
	}
	// DecodeRecord reads what encoding/json reads (scan_test.go).
	f.Fuzz(func(t *testing.T, data string) {
		compareLead(t, []byte(data), "record")
	})
}
