package sales_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// docClient returns a client whose every request is answered with the body
// of the documented response file, recording the requests' paths and
// queries.
func docClient(t *testing.T, response string) (*sales.Client, *[]string) {
	t.Helper()
	resp, err := os.ReadFile("testdata/docs/" + response)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(resp, []byte("\n{"))
	if i < 0 {
		t.Fatalf("%s: no body", response)
	}
	body := resp[i+1:]
	var sent []string
	hc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.URL.Path+"?"+r.URL.RawQuery)
		return &http.Response{StatusCode: 200, ContentLength: int64(len(body)), Header: http.Header{"Content-Type": {"application/json; odata.metadata=minimal"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})}
	c, err := sales.NewClient("https://org.example.crm.dynamics.com", d365.StaticTokenCredential("test-token"), &sales.Options{ClientOptions: d365.ClientOptions{HTTPClient: hc}})
	if err != nil {
		t.Fatal(err)
	}
	return c, &sent
}

// The documented exchange of "Retrieve related table rows with a query"
// (retrieve-related-entities-query-007/-008): accounts with their primary
// contact (single-valued) and tasks (collection-valued, which a listing
// answers empty with a next link per account).
func TestExpandDocumentedExchange(t *testing.T) {
	req, err := os.ReadFile("testdata/docs/retrieve-related-entities-query-007.http.txt")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(req), "\n")
	_, wantQuery, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(line), " HTTP/1.1"), "?")

	c, sent := docClient(t, "retrieve-related-entities-query-008.http.txt")
	o := &sales.ListOptions{Query: d365.Query{Top: 3, Select: []string{"name"}, Expand: []string{"primarycontactid($select=contactid,fullname)", "Account_Tasks($select=subject,scheduledstart)"}}}
	var got []string
	for a, err := range c.Accounts.List(context.Background(), o) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.Name+" / "+a.PrimaryContact.FullName+" "+a.PrimaryContact.ID.String())
	}
	want := []string{
		"Fourth Coffee (sample) / Yvonne McKay (sample) c19648c3-68f7-e511-80d3-00155db53318",
		"Litware, Inc. (sample) / Susanna Stubberod (sample) c39648c3-68f7-e511-80d3-00155db53318",
		"Adventure Works (sample) / Nancy Anderson (sample) c59648c3-68f7-e511-80d3-00155db53318",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if len(*sent) != 1 {
		t.Fatalf("%d requests, want 1", len(*sent))
	}
	path, query, _ := strings.Cut((*sent)[0], "?")
	wq, err := url.ParseQuery(strings.TrimSpace(wantQuery))
	if err != nil {
		t.Fatal(err)
	}
	gq, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wq, gq); diff != "" || path != "/api/data/v9.2/accounts" {
		t.Errorf("request %s: query (-documented +sent):\n%s", path, diff)
	}

	// The same through records: the tasks are an empty collection with
	// their own next link, kept as an annotation.
	for r, err := range c.Table("accounts").List(context.Background(), o) {
		if err != nil {
			t.Fatal(err)
		}
		pc, err := sales.Expanded[sales.Contact](r, "primarycontactid")
		if err != nil || pc == nil || pc.ID == uuid.Nil {
			t.Errorf("primary contact = %+v, %v", pc, err)
		}
		tasks, err := sales.ExpandedAll[sales.Record](r, "Account_Tasks")
		if err != nil || tasks == nil || len(tasks) != 0 {
			t.Errorf("tasks = %v, %v; want an empty collection", tasks, err)
		}
		if link, ok := r.Annotation("Account_Tasks", "odata.nextLink"); !ok || !strings.HasSuffix(link, "/Account_Tasks?$select=subject,scheduledstart") {
			t.Errorf("tasks' next link = %q", link)
		}
		break
	}
}
