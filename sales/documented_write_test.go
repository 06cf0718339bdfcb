package sales_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// documentedRequest is a request of Microsoft's documentation
// (../shared/reference/dataverse-docs-examples): what the SDK must send.
type documentedRequest struct {
	method, path string
	header       map[string]string // headers that must be sent as they are
	absent       []string          // headers that must not be sent
	body         string
}

// sendsDocumented runs call against a server that records the request and
// compares it with want: method, path, the listed headers and the JSON body.
func sendsDocumented(t *testing.T, want documentedRequest, call func(ctx context.Context, c *sales.Client) error) {
	t.Helper()
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, nil
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("OData-EntityId", "http://"+r.Host+"/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := call(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("no request sent")
	}
	if got.Method != want.method || got.URL.RequestURI() != want.path {
		t.Errorf("sent %s %s, documented %s %s", got.Method, got.URL.RequestURI(), want.method, want.path)
	}
	for k, v := range want.header {
		if g := got.Header.Values(k); len(g) != 1 || g[0] != v {
			t.Errorf("header %s: %q, documented %q", k, g, v)
		}
	}
	for _, k := range want.absent {
		if g := got.Header.Values(k); len(g) > 0 {
			t.Errorf("header %s: %q sent, want none", k, g)
		}
	}
	var gb, wb any
	if err := json.Unmarshal(body, &gb); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if err := json.Unmarshal([]byte(want.body), &wb); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wb, gb); d != "" {
		t.Errorf("body (-documented +sent):\n%s", d)
	}
}

// TestDocumentedImpersonation: impersonate-another-user-web-api-001, sent
// by a client without a client-wide caller, the caller given per call.
func TestDocumentedImpersonation(t *testing.T) {
	sendsDocumented(t, documentedRequest{
		method: "POST", path: "/api/data/v9.2/accounts",
		header: map[string]string{"CallerObjectId": "e39c5d16-675b-48d1-8e67-667427e9c084", "Content-Type": "application/json; charset=utf-8"},
		body:   `{"name":"Sample Account created using impersonation"}`,
	}, func(ctx context.Context, c *sales.Client) error {
		ctx = d365.WithCallOptions(ctx, d365.CallOptions{CallerObjectID: "e39c5d16-675b-48d1-8e67-667427e9c084"})
		_, err := c.Accounts.Create(ctx, &sales.Account{Name: "Sample Account created using impersonation"})
		return err
	})
}

// TestDocumentedCreateOnlyUpsert: perform-conditional-operations-using-
// web-api-006 (an upsert that only creates), with the columns Account has
// no field for sent through Custom, numbers as written.
func TestDocumentedCreateOnlyUpsert(t *testing.T) {
	sendsDocumented(t, documentedRequest{
		method: "PATCH", path: "/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)",
		header: map[string]string{"If-None-Match": "*"},
		absent: []string{"If-Match"},
		body: `{"name": "Updated Sample Account ", "creditonhold": true, "address1_latitude": 47.639583,
			"description": "This is the updated description of the sample account", "revenue": 6000000, "accountcategorycode": 2}`,
	}, func(ctx context.Context, c *sales.Client) error {
		return c.Accounts.Upsert(ctx, sales.ByID(uuid.MustParse("00000000-0000-0000-0000-000000000001")), &sales.Account{
			Name: "Updated Sample Account ", Description: "This is the updated description of the sample account", Revenue: "6000000",
			Custom: d365.NewColumns(map[string]any{"creditonhold": true, "address1_latitude": json.Number("47.639583"), "accountcategorycode": 2}),
		}, &d365.UpsertOptions{CreateOnly: true})
	})
}
