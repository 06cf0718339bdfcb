package finops

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire/wiretest"
	"github.com/google/go-cmp/cmp"
)

func TestServiceAlone(t *testing.T) {
	s := &Service{Store: store.New(), Company: "usrt"}
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.URL = ts.URL
	post := func(body string) (int, http.Header, map[string]any) {
		res, m := wiretest.Do(t, "POST", ts.URL+"/data/Prospects", body, "Content-Type", "application/json")
		return res.StatusCode, res.Header, m
	}
	status, h, body := post(`{"PersonFirstName":"Ana","PersonLastName":"Silva","IsB2BProspect":"Yes"}`)
	if status != 201 || h.Get("Location") != ts.URL+"/data/Prospects(dataAreaId='usrt',ProspectId='P-000001')" {
		t.Fatalf("create: %d, Location %q", status, h.Get("Location"))
	}
	for f, want := range map[string]any{"dataAreaId": "usrt", "ProspectId": "P-000001", "ProspectName": "Ana Silva",
		"B2BProspectStatus": "Pending", "ProspectPartyNumber": "000001001", "FollowUpDate": "1900-01-01T00:00:00Z"} {
		if body[f] != want {
			t.Errorf("%s = %v, want %v", f, body[f], want)
		}
	}
	status, _, body = post(`{"IsB2BProspect":"Maybe"}`)
	msg := "An error has occurred: the value 'Maybe' is not valid for the enum field IsB2BProspect (valid: No, Yes)."
	want := map[string]any{"error": map[string]any{"code": "", "message": msg, "innererror": map[string]any{
		"message": msg, "type": "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataException", "stacktrace": "",
	}}}
	if status != 400 {
		t.Errorf("bad enum: %d, want 400", status)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("bad enum (-want +got):\n%s", diff)
	}
	if n := s.Store.FinOps("Prospects").Len(); n != 1 {
		t.Errorf("%d prospects, want 1", n)
	}
}

func TestRefusals(t *testing.T) {
	s := &Service{Store: store.New(), Company: "usrt"}
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.URL = ts.URL
	send := func(method, path, body string, headers ...string) (int, string) {
		res, m := wiretest.Do(t, method, ts.URL+"/data/"+path, body, headers...)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		return res.StatusCode, msg
	}
	type answer struct {
		Status  int
		Message string
	}
	if st, msg := send("POST", "Prospects", `{"ProspectId":"P-1"}`); st != 201 {
		t.Fatalf("create: %d %s", st, msg)
	}
	for _, c := range []struct {
		method, path, body string
		headers            []string
		want               answer
	}{
		{"POST", "Prospects", `{"ProspectId":"P-1"}`, nil, answer{400, "Write failed for table row of type 'Prospects'. Infolog: Error: The record already exists."}},
		{"GET", "Prospects(ProspectId='P-2')", "", nil, answer{404, "No Prospects record with key (ProspectId='P-2') was found."}},
		{"PATCH", "Prospects(ProspectId='P-1')", `{}`, []string{"If-Match", `W/"x"`}, answer{412, "The record has been changed by another user since it was read (the ETag does not match)."}},
		{"GET", "prospects", "", nil, answer{404, "Resource not found for the segment 'prospects'."}},
		{"GET", "CustomerHierarchyNodes(CustomerHierarchyId='CH-1')", "", nil, answer{400, "The key of CustomerHierarchyNodes needs the field NodePartyNumber."}},
	} {
		st, msg := send(c.method, c.path, c.body, c.headers...)
		if diff := cmp.Diff(c.want, answer{st, msg}); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", c.method, c.path, diff)
		}
	}
}
