package odata

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/vcr"
	"github.com/google/go-cmp/cmp"
)

// cassetteClient returns a client for the documented organization whose
// exchanges replay the named cassette.
func cassetteClient(t *testing.T, cassette, root string) *Client {
	t.Helper()
	base, err := ServiceURL("orgURL", root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{
		BaseURL:    base,
		Resource:   Origin(base),
		Credential: d365.StaticTokenCredential("test-token"),
		Options:    d365.ClientOptions{HTTPClient: vcr.Client(t, cassette, nil), Retry: d365.RetryOptions{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type account struct {
	ID   string `json:"accountid"`
	Name string `json:"name"`
	d365.Annotations
}

func (a *account) UnmarshalJSON(b []byte) error {
	type plain account
	return DecodeRecord(b, (*plain)(a), &a.Annotations)
}

func TestCassettePagingWithARealSkipToken(t *testing.T) {
	c := cassetteClient(t, "paging-skiptoken", "https://contoso.crm.dynamics.com/api/data/v9.1/")
	q := &d365.Query{Select: []string{"name"}, Filter: d365.Filterf("contains(name,%v)", "sample"), Count: true}
	var names []string
	var etags []string
	for a, err := range List[*account](context.Background(), c, &Request{Path: "accounts", Query: q.Encode(), Prefer: Prefer{MaxPageSize: 3}}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, a.Name)
		etags = append(etags, a.ETag)
	}
	want := []string{"Fourth Coffee (sample)", "Litware, Inc. (sample)", "Adventure Works (sample)", "Fabrikam, Inc. (sample)",
		"Blue Yonder Airlines (sample)", "City Power & Light (sample)", "Contoso Pharmaceuticals (sample)", "Alpine Ski House (sample)",
		"A. Datum Corporation (sample)", "Coho Winery (sample)"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if etags[0] != `W/"502482"` || etags[9] != `W/"502491"` {
		t.Errorf("etags = %v", etags)
	}
}

func TestCassetteStaleETagIs412(t *testing.T) {
	c := cassetteClient(t, "stale-etag-412", "https://contoso.crm.dynamics.com/api/data/v9.0/")
	_, err := c.Do(context.Background(), &Request{
		Method:  http.MethodPatch,
		Path:    "accounts(14e151db-9b4f-e611-80e0-00155da84c08)",
		Body:    []byte(`{"telephone1":"555-0002","revenue":6000000}`),
		IfMatch: `W/"628448"`,
	})
	if !errors.Is(err, d365.ErrPreconditionFailed) {
		t.Fatalf("err = %v, want ErrPreconditionFailed", err)
	}
	var e *d365.Error
	errors.As(err, &e)
	if e.Message != "The version of the existing record doesn't match the RowVersion property provided." || e.Method != "PATCH" {
		t.Errorf("error = %+v", e)
	}
}

func TestCassetteBadRequestWithAnnotations(t *testing.T) {
	c := cassetteClient(t, "bad-property-400", "https://contoso.crm.dynamics.com/api/data/v9.2/")
	q := &d365.Query{Select: []string{"Name"}}
	_, err := c.Do(context.Background(), &Request{Path: "accounts", Query: q.Encode(), Prefer: Prefer{Annotations: "*"}})
	var e *d365.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *d365.Error", err)
	}
	want := &d365.Error{
		StatusCode: 400,
		Code:       "0x0",
		Message:    "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'.",
		Details: map[string]string{
			"ErrorDetails.OperationStatus": "0",
			"ErrorDetails.SubErrorCode":    "-2146233088",
			"HelpLink":                     "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a0&client=platform",
			"InnerError.Message":           "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'.",
		},
		RequestID: "2a9d58c5-7c3b-4bb1-9a57-000000000042",
		Method:    "GET",
		URL:       "https://contoso.crm.dynamics.com/api/data/v9.2/accounts?$select=Name",
		Attempts:  1,
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}
