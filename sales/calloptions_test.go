package sales_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
)

// TestCallOptionsOnEmulator checks end to end that one client acts for two
// reviewers and bypasses custom logic per call: the emulator accepts the
// documented headers and the tag, and logs them.
func TestCallOptionsOnEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, oid := range map[string]string{"Alice": "a1a1a1a1-0000-4000-8000-000000000001", "Bob": "b2b2b2b2-0000-4000-8000-000000000002"} {
		if _, err := srv.AddUser(name, oid); err != nil {
			t.Fatal(err)
		}
	}
	alice := d365.WithCallOptions(ctx, d365.CallOptions{CallerObjectID: "a1a1a1a1-0000-4000-8000-000000000001", Tag: "review"})
	bob := d365.WithCallOptions(ctx, d365.CallOptions{
		CallerObjectID: "b2b2b2b2-0000-4000-8000-000000000002", BypassCustomPluginExecution: true,
		BypassCustomSync: true, BypassCustomAsync: true,
	})
	id, err := c.Leads.Create(alice, &sales.Lead{Subject: "Per-call options", LastName: "Calls"})
	if err != nil {
		t.Fatal(err)
	}
	job := "Buyer"
	if err := c.Leads.Update(bob, id, &sales.LeadChanges{JobTitle: &job}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leads.Get(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	var got []dualwritetest.Request
	for _, r := range srv.Requests() {
		if r.Service == "sales" {
			r.Path = strings.TrimPrefix(r.Path, "/api/data/v9.2/")
			got = append(got, r)
		}
	}
	want := []dualwritetest.Request{
		{Service: "sales", Method: "POST", Path: "leads?tag=review", Status: http.StatusNoContent,
			Header: headers("CallerObjectId", "a1a1a1a1-0000-4000-8000-000000000001")},
		{Service: "sales", Method: "PATCH", Path: "leads(" + id.String() + ")", Status: http.StatusNoContent,
			Header: headers("CallerObjectId", "b2b2b2b2-0000-4000-8000-000000000002",
				"MSCRM.BypassCustomPluginExecution", "true",
				"MSCRM.BypassBusinessLogicExecution", "CustomSync,CustomAsync")},
		{Service: "sales", Method: "GET", Path: "leads(" + id.String() + ")", Status: http.StatusOK},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// headers returns a header of name, value pairs.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// Impersonation per call: one shared client creates each reviewer's note
// on their behalf, with the reviewer's Microsoft Entra ID object id in the
// context.
func Example_impersonationPerCall() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil) // shared by every reviewer
	if err != nil {
		log.Fatal(err)
	}
	reviewers := []string{"a1a1a1a1-0000-4000-8000-000000000001", "b2b2b2b2-0000-4000-8000-000000000002"}
	for i, oid := range reviewers {
		// The emulator, like Dataverse, knows the users it acts for.
		if _, err := srv.AddUser(fmt.Sprintf("Reviewer %d", i+1), oid); err != nil {
			log.Fatal(err)
		}
	}
	for i, oid := range reviewers {
		ctx := d365.WithCallOptions(context.Background(), d365.CallOptions{CallerObjectID: oid})
		if _, err := c.Leads.Create(ctx, &sales.Lead{Subject: fmt.Sprintf("Reviewed lead %d", i+1), LastName: "Review"}); err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			fmt.Println(r.Method, r.Path, "as", r.Header.Get("CallerObjectId"))
		}
	}
	// Output:
	// POST /api/data/v9.2/leads as a1a1a1a1-0000-4000-8000-000000000001
	// POST /api/data/v9.2/leads as b2b2b2b2-0000-4000-8000-000000000002
}
