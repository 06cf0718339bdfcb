package dualwritetest

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The documented query exchanges, replayed through the emulator's HTTP
// handler. Each fixture in testdata/contract is a copy of the file of the
// same name in /work/shared/reference/dataverse-docs-examples (Microsoft's
// Dataverse Web API articles "Query data using the Web API"
// (query-data-web-api-*), "Retrieve related table records with a query"
// (retrieve-related-entities-query-*) and "Web API query data sample"
// (web-api-query-data-sample-*)). The comparison is that of TestContract:
// status, headers, and the shape of the body (keys, JSON types, array
// lengths), with the annotations of properties ("x@OData.Community...",
// "_x_value@Microsoft.Dynamics.CRM...") left out: formatted values and
// lookup annotations are the record rendering's, tested with the records.

// readDoc parses a documented exchange like readExchange, but also reads a
// request whose target is spread over several lines without a final
// " HTTP/1.1" (query-data-web-api-016): the target ends at the first header
// line.
func readDoc(t *testing.T, name, orgURL string) exchange {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "contract", name+".http.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	text = strings.ReplaceAll(text, "https://[Organization URI]", orgURL)
	text = strings.ReplaceAll(text, "[Organization URI]", orgURL)
	header := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*:\s`)
	lines := strings.Split(text, "\n")
	var x exchange
	x.header = http.Header{}
	i := 0
	var first strings.Builder
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if first.Len() > 0 && (l == "" || header.MatchString(l)) {
			break
		}
		first.WriteString(l)
		if strings.HasSuffix(l, "HTTP/1.1") || strings.HasPrefix(l, "HTTP/1.1") {
			i++
			break
		}
	}
	fl := first.String()
	if strings.HasPrefix(fl, "HTTP/1.1 ") {
		x.status, _ = strconv.Atoi(strings.Fields(fl)[1])
	} else {
		fl = strings.TrimSpace(strings.TrimSuffix(fl, "HTTP/1.1"))
		x.method, x.target, _ = strings.Cut(fl, " ")
		x.target = strings.TrimSpace(x.target)
	}
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			i++
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			break
		}
		x.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(strings.Join(lines[min(i, len(lines)):], "\n")))
	for sc.Scan() {
		body.WriteString(sc.Text())
		body.WriteByte('\n')
	}
	x.body = strings.TrimSpace(body.String())
	return x
}

// withoutPropertyAnnotations drops the annotations of properties (keys
// "x@term"), and the keys in drop, at every level.
func withoutPropertyAnnotations(v any, drop ...string) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if (strings.Contains(k, "@") && !strings.HasPrefix(k, "@")) || contains(drop, k) {
				continue
			}
			m[k] = withoutPropertyAnnotations(e, drop...)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutPropertyAnnotations(e, drop...)
		}
		return out
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sampleAccounts creates the accounts of "Query data using the Web API"
// (query-data-web-api-*, retrieve-related-entities-query-*): ten accounts
// with their primary contacts (Blue Yonder Airlines shares Nancy
// Anderson).
func sampleAccounts(t *testing.T, s *Server) {
	type row struct{ account, accountID, contact, contactID string }
	rows := []row{
		{"Fourth Coffee (sample)", "36dbf27c-8efb-e511-80d2-00155db07c77", "Yvonne McKay (sample)", "9cdbf27c-8efb-e511-80d2-00155db07c77"},
		{"Litware, Inc. (sample)", "38dbf27c-8efb-e511-80d2-00155db07c77", "Susanna Stubberod (sample)", "9edbf27c-8efb-e511-80d2-00155db07c77"},
		{"Adventure Works (sample)", "3adbf27c-8efb-e511-80d2-00155db07c77", "Nancy Anderson (sample)", "a0dbf27c-8efb-e511-80d2-00155db07c77"},
		{"Fabrikam, Inc. (sample)", "3cdbf27c-8efb-e511-80d2-00155db07c77", "Maria Campbell (sample)", "a2dbf27c-8efb-e511-80d2-00155db07c77"},
		{"Blue Yonder Airlines (sample)", "3edbf27c-8efb-e511-80d2-00155db07c77", "", "a0dbf27c-8efb-e511-80d2-00155db07c77"},
		{"City Power & Light (sample)", "40dbf27c-8efb-e511-80d2-00155db07c77", "Scott Konersmann (sample)", "a6dbf27c-8efb-e511-80d2-00155db07c77"},
		{"Contoso Pharmaceuticals (sample)", "42dbf27c-8efb-e511-80d2-00155db07c77", "Robert Lyon (sample)", "a8dbf27c-8efb-e511-80d2-00155db07c77"},
		{"Alpine Ski House (sample)", "44dbf27c-8efb-e511-80d2-00155db07c77", "Paul Cannon (sample)", "aadbf27c-8efb-e511-80d2-00155db07c77"},
		{"A. Datum Corporation (sample)", "46dbf27c-8efb-e511-80d2-00155db07c77", "Rene Valdes (sample)", "acdbf27c-8efb-e511-80d2-00155db07c77"},
		{"Coho Winery (sample)", "48dbf27c-8efb-e511-80d2-00155db07c77", "Jim Glynn (sample)", "aedbf27c-8efb-e511-80d2-00155db07c77"},
	}
	for _, r := range rows {
		if r.contact != "" {
			first, last, _ := strings.Cut(r.contact, " ")
			call(t, "POST", api(s)+"contacts", map[string]any{"contactid": r.contactID, "firstname": first, "lastname": last}).want(t, 204)
		}
		call(t, "POST", api(s)+"accounts", map[string]any{"accountid": r.accountID, "name": r.account,
			"primarycontactid@odata.bind": "/contacts(" + r.contactID + ")"}).want(t, 204)
	}
}

// childAccounts is sampleAccounts with two child accounts of Adventure
// Works (query-data-web-api-017).
func childAccounts(t *testing.T, s *Server) {
	sampleAccounts(t, s)
	for i, id := range []string{"915e89f5-29fc-e511-80d2-00155db07c77", "03312500-2afc-e511-80d2-00155db07c77"} {
		call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": fmt.Sprintf("Sample Child Account %d", i+1),
			"parentaccountid@odata.bind": "/accounts(3adbf27c-8efb-e511-80d2-00155db07c77)"}).want(t, 204)
	}
}

// contosoContacts creates the records of the "Web API query data sample"
// (web-api-query-data-sample-001.json, without the tasks, which the
// emulator has no table for): Contoso, Ltd. with its primary contact
// Yvonne McKay and nine more contacts whose company is Contoso.
func contosoContacts(accountID, yvonneID string) func(t *testing.T, s *Server) {
	return func(t *testing.T, s *Server) {
		contacts := []struct {
			first, last, job string
			income           int
		}{
			{"Yvonne", "McKay (sample)", "Coffee Master", 45000},
			{"Susanna", "Stubberod (sample)", "Senior Purchaser", 52000},
			{"Nancy", "Anderson (sample)", "Activities Manager", 55500},
			{"Maria", "Cambell (sample)", "Accounts Manager", 31000},
			{"Nancy", "Anderson (sample)", "Logistics Specialist", 63500},
			{"Scott", "Konersmann (sample)", "Accounts Manager", 38000},
			{"Robert", "Lyon (sample)", "Senior Technician", 78000},
			{"Paul", "Cannon (sample)", "Ski Instructor", 68500},
			{"Rene", "Valdes (sample)", "Data Analyst III", 86000},
			{"Jim", "Glynn (sample)", "Senior International Sales Manager", 81400},
		}
		for i, c := range contacts {
			body := map[string]any{"firstname": c.first, "lastname": c.last, "jobtitle": c.job, "annualincome": c.income,
				"transactioncurrencyid@odata.bind": "/transactioncurrencies(" + USDCurrencyID + ")"}
			if i == 0 {
				body["contactid"] = yvonneID
				call(t, "POST", api(s)+"contacts", body).want(t, 204)
				call(t, "POST", api(s)+"accounts", map[string]any{"accountid": accountID, "name": "Contoso, Ltd. (sample)",
					"primarycontactid@odata.bind": "/contacts(" + yvonneID + ")"}).want(t, 204)
				continue
			}
			body["parentcustomerid_account@odata.bind"] = "/accounts(" + accountID + ")"
			call(t, "POST", api(s)+"contacts", body).want(t, 204)
		}
	}
}

func TestQueryContract(t *testing.T) {
	contoso := contosoContacts("b2546951-c543-e611-80d5-00155da84802", "b3546951-c543-e611-80d5-00155da84802")
	cases := []struct {
		req, res string
		setup    func(t *testing.T, s *Server)
		headers  []string // response headers that must be present
		drop     []string // keys left out of the comparison, with why
		rows     bool     // the rows are the documented ones, in order
		check    func(t *testing.T, got map[string]any)
		raw      func(t *testing.T, body string)
	}{
		// Query data using the Web API: $select with $top.
		{req: "query-data-web-api-001", res: "query-data-web-api-002", setup: sampleAccounts,
			rows: true},
		// odata.maxpagesize=3: a page of three and a nextLink.
		{req: "query-data-web-api-004", res: "query-data-web-api-005", setup: sampleAccounts, headers: []string{"Preference-Applied"}},
		// A filter through a single-valued navigation property.
		{req: "query-data-web-api-014", res: "query-data-web-api-015", setup: sampleAccounts,
			rows: true},
		{req: "query-data-web-api-016", res: "query-data-web-api-017", setup: childAccounts,
			rows: true},
		// <set>/$count: the number as plain text.
		{req: "query-data-web-api-024", res: "query-data-web-api-025", setup: sampleAccounts, headers: []string{"Content-Type"},
			raw: func(t *testing.T, body string) {
				if body != "10" {
					t.Errorf("body %q, documented 10", body)
				}
			}},
		// Retrieve related table records with a query: $expand of a lookup, and /$ref.
		{req: "retrieve-related-entities-query-001", res: "retrieve-related-entities-query-002", setup: sampleAccounts,
			// Blue Yonder is the fifth of the documented rows.
			check: func(t *testing.T, got map[string]any) {
				v := got["value"].([]any)[4].(map[string]any)
				if pc := v["primarycontactid"].(map[string]any); pc["fullname"] != "Nancy Anderson (sample)" {
					t.Errorf("Blue Yonder's primarycontactid = %v", pc)
				}
			}},
		{req: "retrieve-related-entities-query-003", res: "retrieve-related-entities-query-004", setup: sampleAccounts},

		// Web API query data sample, section 2: query functions.
		{req: "web-api-query-data-sample-004", res: "web-api-query-data-sample-005", setup: contoso, headers: []string{"Preference-Applied"}},
		{req: "web-api-query-data-sample-006", res: "web-api-query-data-sample-007", setup: contoso},
		{req: "web-api-query-data-sample-008", res: "web-api-query-data-sample-009", setup: contoso,
			rows: true},
		{req: "web-api-query-data-sample-010", res: "web-api-query-data-sample-011", setup: contoso,
			rows: true},
		// Section 3: ordering and parameter aliases.
		{req: "web-api-query-data-sample-012", res: "web-api-query-data-sample-013", setup: contoso,
			rows: true},
		{req: "web-api-query-data-sample-014", res: "web-api-query-data-sample-015", setup: contoso,
			rows: true},
		// Section 4: $count=true with odata.maxpagesize.
		{req: "web-api-query-data-sample-018", res: "web-api-query-data-sample-019", setup: contoso},
		// Section 5: pagination, and the documented second page: its
		// $skiptoken names a contact of Microsoft's run, which is not in
		// the emulator, so the page number decides.
		{req: "web-api-query-data-sample-020", res: "web-api-query-data-sample-021", setup: contoso},
		{req: "web-api-query-data-sample-022", res: "web-api-query-data-sample-023", setup: contoso,
			rows: true},
		// Section 6: $expand on a single record. The sample of 2016
		// (v9.0) shows an @odata.etag in the expanded lookup, the current
		// "Retrieve related table records" articles none (as
		// retrieve-related-entities-query-002): it is left out.
		{req: "web-api-query-data-sample-024", res: "web-api-query-data-sample-025", setup: contoso, drop: []string{"@odata.etag"}, headers: []string{"ETag"}},
		// The sample of 2016 shows the expanded collection's rows without
		// the lookup relating them to the record, the current "Join tables
		// using OData" with it (_regardingobjectid_value of Account_Tasks):
		// the emulator follows the current article, so it is left out here.
		{req: "web-api-query-data-sample-026", res: "web-api-query-data-sample-027", setup: contoso, drop: []string{"_primarycontactid_value"}},
		{req: "web-api-query-data-sample-028", res: "web-api-query-data-sample-029", drop: []string{"_parentcustomerid_value"},
			setup: contosoContacts("86546951-c543-e611-80d5-00155da84802", "87546951-c543-e611-80d5-00155da84802")},
		// Section 8: FetchXML, all rows, then page 3 of 4 rows.
		{req: "web-api-query-data-sample-033", res: "web-api-query-data-sample-034", setup: contoso},
		{req: "web-api-query-data-sample-036", res: "web-api-query-data-sample-037", setup: contoso,
			rows: true},
		// Section 9: a saved query and a user query, by id.
		{req: "web-api-query-data-sample-040", res: "web-api-query-data-sample-041", setup: func(t *testing.T, s *Server) {
			contoso(t, s)
			call(t, "POST", api(s)+"savedqueries", map[string]any{"savedqueryid": "00000000-0000-0000-00aa-000010001002", "name": "Active Accounts",
				"returnedtypecode": "account", "querytype": 0,
				"fetchxml": `<fetch version="1.0" mapping="logical"><entity name="account"><attribute name="name"/><attribute name="primarycontactid"/><attribute name="accountid"/><order attribute="name"/><filter type="and"><condition attribute="statecode" operator="eq" value="0"/></filter></entity></fetch>`}).want(t, 204)
		}},
		{req: "web-api-query-data-sample-043", res: "web-api-query-data-sample-044", setup: func(t *testing.T, s *Server) {
			contoso(t, s)
			// The user query of the sample (its FetchXML is not printed):
			// managers earning more than 55,000, by name.
			call(t, "POST", api(s)+"userqueries", map[string]any{"userqueryid": "7ec390ab-c943-e611-80d5-00155da84802", "name": "My User Query",
				"returnedtypecode": "contact", "querytype": 0,
				"fetchxml": `<fetch version="1.0" mapping="logical"><entity name="contact"><attribute name="fullname"/><attribute name="contactid"/><attribute name="jobtitle"/><attribute name="annualincome"/><order attribute="fullname"/><filter type="and"><condition attribute="jobtitle" operator="like" value="%Manager%"/><condition attribute="annualincome" operator="gt" value="55000"/></filter></entity></fetch>`}).want(t, 204)
		}, rows: true},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s := NewServer(nil)
			defer s.Close()
			org := s.SalesURL
			c.setup(t, s)
			res, body := send(t, readDoc(t, c.req, org))
			want := readDoc(t, c.res, org)
			if res.StatusCode != want.status {
				t.Fatalf("status %d, documented %d; body %s", res.StatusCode, want.status, body)
			}
			for _, h := range c.headers {
				if res.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
				if w := want.header.Get(h); w != "" && h != "ETag" && !strings.HasPrefix(res.Header.Get(h), w) && !contains(res.Header.Values(h), w) {
					t.Errorf("header %s = %q, documented %q", h, res.Header.Values(h), w)
				}
			}
			if c.raw != nil {
				c.raw(t, body)
				return
			}
			got, doc := decodeLoose(t, body), decodeLoose(t, want.body)
			got, doc = withoutPropertyAnnotations(got, c.drop...), withoutPropertyAnnotations(doc, c.drop...)
			if diff := cmp.Diff(shape(doc), shape(got)); diff != "" {
				t.Errorf("body shape differs from the documented one (-doc +emulator):\n%s\nbody: %s", diff, body)
			}
			if c.rows {
				if diff := cmp.Diff(rowNames(doc), rowNames(got)); diff != "" {
					t.Errorf("rows (-documented +emulator):\n%s", diff)
				}
			}
			if c.check != nil {
				c.check(t, got.(map[string]any))
			}
		})
	}
}

// rowNames lists the rows of a collection body by name (fullname, or
// name) and job title.
func rowNames(body any) []string {
	var out []string
	m, _ := body.(map[string]any)
	list, _ := m["value"].([]any)
	for _, v := range list {
		r, _ := v.(map[string]any)
		n, ok := r["fullname"]
		if !ok {
			n = r["name"]
		}
		out = append(out, fmt.Sprintf("%v|%v", n, r["jobtitle"]))
	}
	return out
}
