package dataverse

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire/wiretest"
	"github.com/google/go-cmp/cmp"
)

// syncFunc is a Syncer made of a function.
type syncFunc func(t *store.Tx, tb *store.Table, id string, prev, rec store.Record) error

func (f syncFunc) AfterDataverseWrite(t *store.Tx, tb *store.Table, id string, prev, rec store.Record) error {
	return f(t, tb, id, prev, rec)
}

// serve starts the service alone on an httptest server.
func serve(t *testing.T, sync Syncer) (*Service, *httptest.Server) {
	t.Helper()
	s := &Service{Store: store.New(), Sync: sync, BaseCurrencyID: "0b3c5a2e-1d3f-4e4a-9a11-00000000c001"}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s, ts
}

var do = wiretest.Do

func TestServiceAlone(t *testing.T) {
	var synced []string
	s, ts := serve(t, syncFunc(func(_ *store.Tx, tb *store.Table, id string, prev, _ store.Record) error {
		synced = append(synced, tb.Logical+" "+id+map[bool]string{true: " new", false: " update"}[prev == nil])
		return nil
	}))
	root := ts.URL + "/api/data/v9.2/"
	const id = "6f1c1a8e-0b5e-4b8a-9d7e-000000000001"
	res, _ := do(t, "POST", root+"accounts", `{"accountid":"`+id+`","name":"Contoso"}`)
	if res.StatusCode != 204 || res.Header.Get("OData-EntityId") != root+"accounts("+id+")" {
		t.Fatalf("create: %d, OData-EntityId %q", res.StatusCode, res.Header.Get("OData-EntityId"))
	}
	res, body := do(t, "GET", root+"accounts("+id+")?$select=name", "")
	if res.StatusCode != 200 {
		t.Fatalf("get: %d", res.StatusCode)
	}
	want := map[string]any{
		"@odata.context": root + "$metadata#accounts(name)/$entity", "@odata.etag": body["@odata.etag"],
		"name": "Contoso", "accountid": id,
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
	if e := s.Store.Dataverse("account").Get(id); e == nil || e.Rec()["_transactioncurrencyid_value"] != s.BaseCurrencyID {
		t.Errorf("the account does not have the base currency: %v", e)
	}
	if diff := cmp.Diff([]string{"account " + id + " new"}, synced); diff != "" {
		t.Errorf("synced (-want +got):\n%s", diff)
	}
}

func TestSyncFailureRollsBack(t *testing.T) {
	s, ts := serve(t, syncFunc(func(*store.Tx, *store.Table, string, store.Record, store.Record) error {
		return errors.New("refused")
	}))
	res, body := do(t, "POST", ts.URL+"/api/data/v9.2/leads", `{"lastname":"Silva"}`)
	want := map[string]any{"error": map[string]any{"code": "0x80040203", "message": "refused"}}
	if res.StatusCode != 400 || !cmp.Equal(want, body) {
		t.Errorf("create: %d %v, want 400 %v", res.StatusCode, body, want)
	}
	if n := s.Store.Dataverse("leads").Len(); n != 0 {
		t.Errorf("%d leads stored after the sync failed, want 0", n)
	}
}

func TestWriteErrorShape(t *testing.T) {
	_, ts := serve(t, nil)
	res, body := do(t, "GET", ts.URL+"/api/data/v9.2/nosuchset", "", "Prefer", `odata.include-annotations="*"`)
	want := map[string]any{"error": map[string]any{
		"code":    "0x8006088a",
		"message": "Resource not found for the segment 'nosuchset'.",
		"@Microsoft.PowerApps.CDS.ErrorDetails.HttpStatusCode": "404",
		"@Microsoft.PowerApps.CDS.HelpLink":                    "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a8006088a&client=platform",
		"@Microsoft.PowerApps.CDS.TraceText":                   "[dualwritetest] Resource not found for the segment 'nosuchset'.",
		"@Microsoft.PowerApps.CDS.InnerError.Message":          "Resource not found for the segment 'nosuchset'.",
	}}
	if res.StatusCode != 404 {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}
