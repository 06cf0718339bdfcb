package sales_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
)

// fetchRecorder records the query of every request it passes on.
type fetchRecorder struct {
	mu      sync.Mutex
	queries []string
	prefers []string
}

func (r *fetchRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.queries = append(r.queries, req.URL.Query().Get("fetchXml"))
	r.prefers = append(r.prefers, req.Header.Get("Prefer"))
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// recorded returns a sales client of a fresh emulator whose requests rec
// records, with the accounts named.
func fetchRecorded(t *testing.T, names ...string) (*sales.Client, *fetchRecorder) {
	t.Helper()
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	rec := &fetchRecorder{}
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: d365.ClientOptions{HTTPClient: &http.Client{Transport: rec}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		rev := d365.Decimal([]string{"100", "200", "300", "400", "500"}[i%5])
		if _, err := c.Accounts.Create(context.Background(), &sales.Account{Name: n, Description: "fetch", Revenue: rev}); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	rec.queries, rec.prefers = nil, nil
	rec.mu.Unlock()
	return c, rec
}

func TestFetchPagesWithThePagingCookie(t *testing.T) {
	c, rec := fetchRecorded(t, "A", "B", "C", "D", "E")
	const fetch = `<fetch count="2"><entity name="account"><attribute name="name"/><filter><condition attribute="description" operator="eq" value="fetch"/></filter><order attribute="name"/></entity></fetch>`
	var got []string
	for a, err := range sales.Fetch[sales.Account](context.Background(), c, "accounts", fetch) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a.Name)
	}
	if diff := cmp.Diff([]string{"A", "B", "C", "D", "E"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if len(rec.queries) != 3 {
		t.Fatalf("%d requests, want 3 pages: %q", len(rec.queries), rec.queries)
	}
	if rec.queries[0] != fetch {
		t.Errorf("first request's fetch = %s, want it as written", rec.queries[0])
	}
	for i, q := range rec.queries[1:] {
		page := []string{`page="2"`, `page="3"`}[i]
		if !strings.Contains(q, page) || !strings.Contains(q, `paging-cookie="&lt;cookie page=`) {
			t.Errorf("request %d's fetch = %s, want %s and the paging cookie", i+2, q, page)
		}
	}
	for _, p := range rec.prefers {
		if !strings.Contains(p, `odata.include-annotations="*"`) {
			t.Errorf("Prefer = %q, want the annotations asked for", p)
		}
	}
}

func TestFetchTopIsOnePage(t *testing.T) {
	c, rec := fetchRecorded(t, "A", "B", "C")
	n := 0
	for _, err := range sales.Fetch[sales.Record](context.Background(), c, "accounts", `<fetch top="2"><entity name="account"><attribute name="name"/></entity></fetch>`) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 || len(rec.queries) != 1 {
		t.Errorf("%d rows in %d requests, want 2 in 1", n, len(rec.queries))
	}
}

func TestAggregateFetchXMLAndApply(t *testing.T) {
	c, _ := fetchRecorded(t, "A", "B", "C")
	type total struct {
		Total d365.Decimal `json:"total"`
		N     int          `json:"n"`
	}
	ctx := context.Background()
	rows, err := sales.Aggregate[total](ctx, c, "accounts", `<fetch aggregate="true"><entity name="account">
	  <attribute name="revenue" alias="total" aggregate="sum"/>
	  <attribute name="accountid" alias="n" aggregate="count"/>
	  <filter><condition attribute="description" operator="eq" value="fetch"/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !is600(rows[0].Total) || rows[0].N != 3 {
		t.Errorf("FetchXML aggregate = %+v", rows)
	}
	rows, err = sales.Apply[total](ctx, c, "accounts", "filter(description eq 'fetch')/aggregate(revenue with sum as total,$count as n)")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !is600(rows[0].Total) || rows[0].N != 3 {
		t.Errorf("$apply = %+v", rows)
	}
}

func TestFetchInputErrors(t *testing.T) {
	c, rec := fetchRecorded(t)
	ctx := context.Background()
	cases := map[string]func() error{
		"empty": func() error {
			_, err := sales.Aggregate[sales.Record](ctx, c, "accounts", " ")
			return err
		},
		"not aggregate": func() error {
			_, err := sales.Aggregate[sales.Record](ctx, c, "accounts", `<fetch><entity name="account"/></fetch>`)
			return err
		},
		"not fetch": func() error {
			for _, err := range sales.Fetch[sales.Record](ctx, c, "accounts", `<query/>`) {
				return err
			}
			return nil
		},
		"malformed": func() error {
			for _, err := range sales.Fetch[sales.Record](ctx, c, "accounts", `<fetch><entity name="account"></fetch>`) {
				return err
			}
			return nil
		},
		"bad set": func() error {
			for _, err := range sales.Fetch[sales.Record](ctx, c, "accounts?x=1", `<fetch><entity name="account"/></fetch>`) {
				return err
			}
			return nil
		},
		"empty apply": func() error {
			_, err := sales.Apply[sales.Record](ctx, c, "accounts", "")
			return err
		},
	}
	for name, f := range cases {
		field := map[string]string{"bad set": "table name", "empty apply": "apply"}[name]
		if field == "" {
			field = "fetchXML"
		}
		var ie *d365.InputError
		if err := f(); !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%s: err = %v, want an input error naming %s", name, err, field)
		}
	}
	if len(rec.queries) != 0 {
		t.Errorf("%d requests sent for bad input", len(rec.queries))
	}
}

func is600(d d365.Decimal) bool {
	f, err := d.Float64()
	return err == nil && f == 600
}
