package dataverse

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// TestWriteRecordIsTheRenderedMap checks that a record read or written
// with return=representation (writeRecord, which writes members without a
// map) answers byte for byte what the map out renders answers through
// WriteJSON, for every combination of $select and annotation preference.
func TestWriteRecordIsTheRenderedMap(t *testing.T) {
	sch, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: store.New(), Schema: sch, BaseCurrencyID: "0b3c5a2e-1d3f-4e4a-9a11-00000000c001",
		UserID: "0b3c5a2e-1d3f-4e4a-9a11-00000000a001", BusinessUnitID: "0b3c5a2e-1d3f-4e4a-9a11-00000000b001"}
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.URL = ts.URL
	root := ts.URL + "/api/data/v9.2/"
	const account = "6f1c1a8e-0b5e-4b8a-9d7e-000000000001"
	const lead = "6f1c1a8e-0b5e-4b8a-9d7e-000000000002"
	if res, body := do(t, "POST", root+"accounts", `{"accountid":"`+account+`","name":"Contoso <&> \"Bikes\"","revenue":5000000}`); res.StatusCode != 204 {
		t.Fatalf("create account: %d %v", res.StatusCode, body)
	}
	res, body := do(t, "POST", root+"leads", `{"leadid":"`+lead+`","firstname":"Ana","lastname":"Silva é","companyname":"Contoso","leadsourcecode":8,
		"budgetamount":12345.5,"numberofemployees":1200,"donotemail":true,"estimatedclosedate":"2026-12-24",
		"parentaccountid@odata.bind":"/accounts(`+account+`)","description":"line\nbreak\ttab \u2028"}`)
	if res.StatusCode != 204 {
		t.Fatalf("create lead: %d %v", res.StatusCode, body)
	}
	tb, _, _ := s.table("leads")
	e := tb.Get(lead)
	for _, sel := range []string{"", "fullname", "fullname,budgetamount,_parentaccountid_value,leadsourcecode,fullname", "leadid,donotemail,estimatedclosedate"} {
		for _, prefer := range []string{"", `odata.include-annotations="*"`, `odata.include-annotations="OData.Community.Display.V1.FormattedValue"`,
			`odata.include-annotations="Microsoft.Dynamics.CRM.*,-Microsoft.Dynamics.CRM.associatednavigationproperty"`, `return=representation,odata.include-annotations="-*"`} {
			url := root + "leads(" + lead + ")"
			if sel != "" {
				url += "?$select=" + sel
			}
			req := httptest.NewRequest("GET", url, nil)
			if prefer != "" {
				req.Header.Set("Prefer", prefer)
			}
			// what the handlers answered before writeRecord
			want := httptest.NewRecorder()
			d := &request{w: want, r: req, base: root, prefer: prefer}
			ssel := wire.SelectList(sel)
			out := d.filterAnnotations(s.out(tb, e, ssel, d.annotations()))
			out["@odata.context"] = d.base + "$metadata#" + tb.Name + wire.SelectContext(ssel) + "/$entity"
			wire.WriteJSON(want, http.StatusOK, out)

			got := httptest.NewRecorder()
			s.writeRecord(&request{w: got, r: req, base: root, prefer: prefer}, tb, e, http.StatusOK)
			if got.Body.String() != want.Body.String() || got.Code != want.Code {
				t.Errorf("$select=%s, Prefer %s:\n got %d %s\nwant %d %s", sel, prefer, got.Code, got.Body, want.Code, want.Body)
			}

			// and over HTTP
			hreq, _ := http.NewRequest("GET", url, nil)
			hreq.Header.Set("Authorization", "Bearer x")
			if prefer != "" {
				hreq.Header.Set("Prefer", prefer)
			}
			hres, err := http.DefaultClient.Do(hreq)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(hres.Body)
			hres.Body.Close()
			if hres.StatusCode != 200 || string(raw) != want.Body.String() {
				t.Errorf("GET $select=%s, Prefer %s:\n got %d %s\nwant %s", sel, prefer, hres.StatusCode, raw, want.Body)
			}
		}
	}
}
