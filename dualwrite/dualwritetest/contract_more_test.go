package dualwritetest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// This file replays the documented sample sequences "Web API Basic
// Operations Sample" (web-api-basic-operations-sample-*) and "Web API
// Conditional Operations Sample" (web-api-conditional-operations-sample-*)
// step by step on one emulator, and asserts the loud refusals of the
// documented exchanges the emulator does not implement. Fixtures are in
// testdata/contract (see its README).

// step is one documented exchange of a sample sequence.
type step struct {
	req, res string
	status   int      // when no response is documented
	headers  []string // response headers that must be present (and equal, but for ids and ETags)
	drop     []string // body keys left out of the comparison, at every level
	check    func(t *testing.T, res *http.Response, body string)
}

var (
	guidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	etagRE = regexp.MustCompile(`W/"[0-9]+"`)
)

// sequence replays steps in order. The documented ids and ETags differ from
// the emulator's: each documented OData-EntityId or ETag response header
// teaches the runner the emulator's value, which then replaces the
// documented one in later requests and in the documented responses, so that
// ids and ETags compare exactly. subst seeds that mapping.
type sequence struct {
	s     *Server
	subst map[string]string
}

func (q *sequence) replace(s string) string {
	for doc, got := range q.subst {
		s = strings.ReplaceAll(s, doc, got)
		// JSON bodies quote the ETag's quotes.
		s = strings.ReplaceAll(s, strings.ReplaceAll(doc, `"`, `\"`), strings.ReplaceAll(got, `"`, `\"`))
	}
	return s
}

func (q *sequence) learn(doc, got string, re *regexp.Regexp) {
	d, g := re.FindString(doc), re.FindString(got)
	if d != "" && g != "" {
		q.subst[d] = g
	}
}

func (q *sequence) run(t *testing.T, st step) {
	t.Helper()
	org := q.s.SalesURL
	req := readDoc(t, st.req, org)
	req.target = q.replace(req.target)
	req.body = q.replace(req.body)
	for k, vs := range req.header {
		for i := range vs {
			vs[i] = q.replace(vs[i])
		}
		req.header[k] = vs
	}
	res, body := send(t, req)
	want := exchange{status: st.status, header: http.Header{}}
	if st.res != "" {
		want = readDoc(t, st.res, org)
	}
	if res.StatusCode != want.status {
		t.Fatalf("%s: status %d, documented %d; body %s", st.req, res.StatusCode, want.status, body)
	}
	q.learn(want.header.Get("OData-EntityId"), res.Header.Get("OData-EntityId"), guidRE)
	q.learn(want.header.Get("ETag"), res.Header.Get("ETag"), etagRE)
	for _, h := range st.headers {
		if res.Header.Get(h) == "" {
			t.Errorf("%s: header %s missing", st.req, h)
		} else if w := q.replace(want.header.Get(h)); w != "" && res.Header.Get(h) != w {
			t.Errorf("%s: header %s = %q, documented %q", st.req, h, res.Header.Get(h), w)
		}
	}
	switch {
	case st.res == "" && (want.status >= 400 || want.status == http.StatusOK):
		// A refusal where the docs show success, or a query whose response
		// is not documented: st.check reads the body.
	case want.body == "" && strings.TrimSpace(body) != "":
		t.Errorf("%s: body %s, documented none", st.req, body)
	case want.body != "" && want.status >= 400:
		// Errors: the documented message (the code is "" in these docs).
		var got struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: error body %s: %v", st.req, body, err)
		}
		doc := decodeLoose(t, want.body).(map[string]any)["error"].(map[string]any)
		if m := q.replace(doc["message"].(string)); got.Error.Message != m {
			t.Errorf("%s: message %q, documented %q", st.req, got.Error.Message, m)
		}
	case want.body != "":
		drop := append([]string{"@odata.context"}, st.drop...)
		got := withoutPropertyAnnotations(etags(numbers(decodeLoose(t, body))), drop...)
		q.learnBody(decodeLoose(t, q.replace(want.body)), got)
		doc := withoutPropertyAnnotations(etags(numbers(decodeLoose(t, q.replace(want.body)))), drop...)
		if diff := cmp.Diff(doc, got); diff != "" {
			t.Errorf("%s: body differs from the documented one (-doc +emulator):\n%s", st.req, diff)
		}
	}
	if st.check != nil {
		st.check(t, res, body)
	}
}

// learnBody learns the emulator's ids from a documented body: where both
// bodies hold an id at the same place and the documented one is new.
func (q *sequence) learnBody(doc, got any) {
	switch d := doc.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, v := range d {
			q.learnBody(v, g[k])
		}
	case []any:
		g, _ := got.([]any)
		for i, v := range d {
			if i < len(g) {
				q.learnBody(v, g[i])
			}
		}
	case string:
		g, _ := got.(string)
		if _, known := q.subst[d]; !known && guidRE.MatchString(d) && len(d) == 36 && guidRE.MatchString(g) && len(g) == 36 {
			q.subst[d] = g
		}
	}
}

// etags replaces every well-formed "@odata.etag" by "W/<version>": the
// versions are the emulator's own.
func etags(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "@odata.etag" && etagRE.MatchString(s) {
				x[k] = "W/<version>"
			} else {
				x[k] = etags(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = etags(e)
		}
	}
	return v
}

// names asserts a loud refusal: an error body whose message names what.
func names(what string) func(t *testing.T, res *http.Response, body string) {
	return func(t *testing.T, res *http.Response, body string) {
		t.Helper()
		if !strings.Contains(strings.ToLower(body), strings.ToLower(what)) {
			t.Errorf("%d %s does not name %q", res.StatusCode, body, what)
		}
	}
}

// rows asserts the names of a collection's rows, in order.
func rows(want ...string) func(t *testing.T, res *http.Response, body string) {
	return func(t *testing.T, _ *http.Response, body string) {
		t.Helper()
		var got struct{ Value []struct{ Name string } }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		names := []string{}
		for _, r := range got.Value {
			names = append(names, r.Name)
		}
		if want == nil {
			want = []string{}
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	}
}

// numbers turns JSON numbers into float64, so that the docs' 80000.0000
// equals the emulator's 80000.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

func TestContractBasicOperationsSample(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	q := &sequence{s: s, subst: map[string]string{}}
	steps := []step{
		{req: "web-api-basic-operations-sample-001", res: "web-api-basic-operations-sample-002", headers: []string{"OData-EntityId", "OData-Version"}},
		{req: "web-api-basic-operations-sample-003", status: 204},
		{req: "web-api-basic-operations-sample-005", res: "web-api-basic-operations-sample-006", headers: []string{"OData-Version"}},
		{req: "web-api-basic-operations-sample-007", status: 204},
		{req: "web-api-basic-operations-sample-009", status: 204},
		{req: "web-api-basic-operations-sample-011", res: "web-api-basic-operations-sample-012"},
		{req: "web-api-basic-operations-sample-013", res: "web-api-basic-operations-sample-014", headers: []string{"Preference-Applied"}},
		{req: "web-api-basic-operations-sample-017", res: "web-api-basic-operations-sample-018", headers: []string{"OData-EntityId"}},
		{req: "web-api-basic-operations-sample-019", res: "web-api-basic-operations-sample-020"},
		// Deep insert: refused loudly.
		{req: "web-api-basic-operations-sample-021", status: 501, check: func(t *testing.T, res *http.Response, body string) {
			names("deep insert")(t, res, body)
			// The account of the next steps, without its deep-inserted contact.
			r := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Fourth Coffee"}).want(t, 204)
			q.learn("6af77a42-5f0e-e611-80e0-00155da84c03", r.header.Get("OData-EntityId"), guidRE)
		}},
		{req: "web-api-basic-operations-sample-027", status: 204, check: func(t *testing.T, _ *http.Response, _ string) {
			// What -029 would read, through $expand: Peter Cambel.
			r := call(t, "GET", s.SalesURL+"/api/data/v9.0/"+q.replace("accounts(6af77a42-5f0e-e611-80e0-00155da84c03)?$select=name&$expand=contact_customer_accounts($select=fullname,jobtitle)"), nil).want(t, 200)
			got, _ := r.body["contact_customer_accounts"].([]any)
			if len(got) != 1 || got[0].(map[string]any)["fullname"] != "Peter Cambel" || got[0].(map[string]any)["jobtitle"] != "Senior Developer" {
				t.Errorf("contact_customer_accounts after -027: %s", r.raw)
			}
		}},
		// GET <collection-nav> is not implemented: refused loudly.
		{req: "web-api-basic-operations-sample-029", status: 501, check: names("contact_customer_accounts")},
		{req: "web-api-basic-operations-sample-031", status: 204},
		// No competitor table in the emulator's schema (Options.Schema can add one).
		{req: "web-api-basic-operations-sample-033", status: 404, check: names("competitors")},
		{req: "web-api-basic-operations-sample-035", res: "web-api-basic-operations-sample-036", headers: []string{"OData-EntityId"}},
		{req: "web-api-basic-operations-sample-043", status: 204},
		// The first DELETE of -045 (the others are the same request).
		{req: "web-api-basic-operations-sample-045", status: 204},
	}
	for _, st := range steps {
		q.run(t, st)
	}
}

func TestContractConditionalOperationsSample(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	const id = "14e151db-9b4f-e611-80e0-00155da84c08"
	call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": "Contoso Ltd", "revenue": 5000000,
		"telephone1": "555-0000", "description": "Parent company of Contoso Pharmaceuticals, etc."}).want(t, 204)
	first := call(t, "GET", api(s)+"accounts("+id+")?$select=name", nil).want(t, 200).header.Get("ETag")
	q := &sequence{s: s, subst: map[string]string{`W/"628448"`: first}}
	steps := []step{
		{req: "web-api-conditional-operations-sample-001", status: 304},
		{req: "web-api-conditional-operations-sample-003", status: 204},
		{req: "web-api-conditional-operations-sample-005", res: "web-api-conditional-operations-sample-006", headers: []string{"ETag"}},
		{req: "web-api-conditional-operations-sample-007", res: "web-api-conditional-operations-sample-008"},
		{req: "web-api-conditional-operations-sample-009", res: "web-api-conditional-operations-sample-010"},
		{req: "web-api-conditional-operations-sample-011", status: 204},
		{req: "web-api-conditional-operations-sample-013", res: "web-api-conditional-operations-sample-014", headers: []string{"ETag"}},
		{req: "web-api-conditional-operations-sample-016", res: "web-api-conditional-operations-sample-017"},
		{req: "web-api-conditional-operations-sample-018", status: 204},
		{req: "web-api-conditional-operations-sample-020", res: "web-api-conditional-operations-sample-021", headers: []string{"ETag"}},
		{req: "web-api-conditional-operations-sample-023", status: 204},
		{req: "web-api-conditional-operations-sample-025", res: "web-api-conditional-operations-sample-026"},
	}
	for _, st := range steps {
		q.run(t, st)
	}
}

// TestContractMore replays single documented exchanges on a seeded
// emulator, and asserts the loud refusals of those it does not implement.
func TestContractMore(t *testing.T) {
	const (
		acct    = "00000000-0000-0000-0000-000000000001"
		contact = "c59648c3-68f7-e511-80d3-00155db53318"
	)
	adventureWorks := func(t *testing.T, s *Server) {
		call(t, "POST", api(s)+"contacts", map[string]any{"contactid": contact, "firstname": "Nancy", "lastname": "Anderson (sample)"}).want(t, 204)
		call(t, "POST", api(s)+"accounts", map[string]any{"accountid": acct, "name": "Adventure Works (sample)",
			"primarycontactid@odata.bind": "/contacts(" + contact + ")"}).want(t, 204)
	}
	seeded := func(t *testing.T, s *Server, _ *sequence) { adventureWorks(t, s) }
	cases := []struct {
		step
		setup func(t *testing.T, s *Server, q *sequence)
	}{
		{step: step{req: "create-entity-web-api-003", status: 501, check: names("deep insert")}},
		{step: step{req: "create-entity-web-api-005", res: "create-entity-web-api-006", headers: []string{"OData-EntityId"}},
			setup: func(t *testing.T, s *Server, _ *sequence) {
				call(t, "POST", api(s)+"contacts", map[string]any{"contactid": acct, "lastname": "Smith"}).want(t, 204)
			}},
		{step: step{req: "create-entity-web-api-007", status: 501, check: names("InitializeFrom")}},
		{step: step{req: "retrieve-entity-using-web-api-010", status: 404, check: names("AccountTasks")}, setup: seeded},
		{step: step{req: "retrieve-entity-using-web-api-012", status: 404, check: names("Account_Tasks")}, setup: seeded},
		{step: step{req: "retrieve-entity-using-web-api-013", res: "retrieve-entity-using-web-api-014"}, setup: seeded},
		{step: step{req: "retrieve-entity-using-web-api-015", res: "retrieve-entity-using-web-api-016"}, setup: seeded},
		{step: step{req: "retrieve-entity-using-web-api-017", status: 501, check: names("Account_Tasks")}},
		{step: step{req: "retrieve-entity-using-web-api-019", status: 501, check: names("Account_Tasks")}},
		{step: step{req: "retrieve-entity-using-web-api-021", status: 501, check: names("Account_Tasks")}},
		{step: step{req: "retrieve-entity-using-web-api-022", status: 501, check: names("Account_Tasks")}},
		{step: step{req: "retrieve-entity-using-web-api-023", status: 501, check: names("Account_Tasks")}},
		{step: step{req: "perform-conditional-operations-using-web-api-001", res: "perform-conditional-operations-using-web-api-002"},
			setup: func(t *testing.T, s *Server, q *sequence) {
				adventureWorks(t, s)
				q.subst[`W/"468026"`] = call(t, "GET", api(s)+"accounts("+acct+")?$select=name", nil).want(t, 200).header.Get("ETag")
			}},
		{step: step{req: "manage-duplicate-detection-create-update-003", status: 501, check: names("MSCRM.SuppressDuplicateDetection")},
			setup: func(t *testing.T, s *Server, _ *sequence) {
				call(t, "POST", api(s)+"leads", map[string]any{"leadid": "c4567bb6-47a3-e711-811b-e0071b6ac1b1", "lastname": "Orton"}).want(t, 204)
			}},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s := NewServer(nil)
			defer s.Close()
			q := &sequence{s: s, subst: map[string]string{}}
			if c.setup != nil {
				c.setup(t, s, q)
			}
			q.run(t, c.step)
		})
	}
}

// TestContractImpersonation replays the documented create with the
// CallerObjectId header: accepted, the record created. The documented
// createdby/createdonbehalfby of -003/-004 are checked by
// TestImpersonationSetsTheAuditColumns (the docs' record id is not a
// GUID, so -003 is not replayed as it is).
func TestContractImpersonation(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	// The documented user behind the CallerObjectId of -001 (-004).
	if _, err := s.AddUser("Impersonated User", "e39c5d16-675b-48d1-8e67-667427e9c084"); err != nil {
		t.Fatal(err)
	}
	q := &sequence{s: s, subst: map[string]string{}}
	q.run(t, step{req: "impersonate-another-user-web-api-001", res: "impersonate-another-user-web-api-002", headers: []string{"OData-Version"}, // the docs' id is not a GUID
		check: func(t *testing.T, res *http.Response, _ string) {
			got := call(t, "GET", res.Header.Get("OData-EntityId")+"?$select=name", nil).want(t, 200)
			if got.body["name"] != "Sample Account created using impersonation" {
				t.Errorf("created record: %s", got.raw)
			}
		}})
}

// TestContractFunctions replays the documented WhoAmI and WinOpportunity
// calls, and asserts that the other documented functions and actions are
// refused naming them: 501 for an unknown function or action, 404 naming
// the segment for a table the schema does not have (incidents, queues) or
// an unbound custom action (sample_CreateCustomer).
func TestContractFunctions(t *testing.T) {
	cases := []struct {
		step
		setup func(t *testing.T, s *Server)
	}{
		{step: step{req: "use-web-api-functions-008", res: "use-web-api-functions-009", headers: []string{"OData-Version"}}},
		{step: step{req: "web-api-functions-actions-sample-005", res: "web-api-functions-actions-sample-006", headers: []string{"OData-Version"}}},
		{step: step{req: "web-api-functions-actions-sample-011", status: 204}, setup: func(t *testing.T, s *Server) {
			call(t, "POST", api(s)+"opportunities", map[string]any{"opportunityid": "47920da5-fb4a-e611-80d5-00155da84802", "name": "Sample"}).want(t, 204)
		}},
		{step: step{req: "use-web-api-functions-001", status: 501, check: names("GetTimeZoneCodeByLocalizedName")}},
		{step: step{req: "use-web-api-functions-002", status: 501, check: names("GetTimeZoneCodeByLocalizedName")}},
		{step: step{req: "web-api-functions-actions-sample-007", status: 501, check: names("GetTimeZoneCodeByLocalizedName")}},
		{step: step{req: "use-web-api-functions-003", status: 501, check: names("RetrievePrincipalAccess")}},
		{step: step{req: "web-api-functions-actions-sample-015", status: 501, check: names("sample_AddNoteToContact")}},
		{step: step{req: "use-web-api-functions-005", status: 404, check: names("incidents")}},
		{step: step{req: "web-api-functions-actions-sample-009", status: 404, check: names("incidents")}},
		{step: step{req: "web-api-functions-actions-sample-013", status: 404, check: names("queues")}},
		{step: step{req: "web-api-functions-actions-sample-019", status: 404, check: names("sample_CreateCustomer")}},
		{step: step{req: "web-api-functions-actions-sample-021", status: 404, check: names("sample_CreateCustomer")}},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s := NewServer(nil)
			defer s.Close()
			if c.setup != nil {
				c.setup(t, s)
			}
			q := &sequence{s: s, subst: map[string]string{}}
			q.run(t, c.step)
		})
	}
}

// TestContractMoreQueries replays the remaining documented queries of
// "Query data using the Web API" and the "Web API query data sample" on
// the data of query_contract_test.go, and asserts the refusals of those on
// tables the emulator does not have.
func TestContractMoreQueries(t *testing.T) {
	// revenues gives three of the sample accounts a revenue and Litware
	// 1000 employees.
	revenues := func(t *testing.T, s *Server) {
		sampleAccounts(t, s)
		for id, body := range map[string]map[string]any{
			"36dbf27c-8efb-e511-80d2-00155db07c77": {"revenue": 100000},
			"38dbf27c-8efb-e511-80d2-00155db07c77": {"revenue": 300000, "numberofemployees": 1000},
			"3adbf27c-8efb-e511-80d2-00155db07c77": {"revenue": 200000},
		} {
			call(t, "PATCH", api(s)+"accounts("+id+")", body).want(t, 204)
		}
	}
	contoso := contosoContacts("b2546951-c543-e611-80d5-00155da84802", "b848fdee-c143-e611-80d5-00155da84802") // the id of the request; the response shows another
	cases := []struct {
		step
		setup func(t *testing.T, s *Server)
	}{
		// Formatted values of a boolean, a choice, a whole number and money
		// ("transactioncurrencyid_value" is the article's misspelling).
		{step: step{req: "query-data-web-api-027", res: "query-data-web-api-028", headers: []string{"Preference-Applied"},
			drop: []string{"transactioncurrencyid_value", "_transactioncurrencyid_value"},
			check: func(t *testing.T, _ *http.Response, body string) {
				doc := decodeLoose(t, readDoc(t, "query-data-web-api-028", "").body).(map[string]any)["value"].([]any)[0].(map[string]any)
				got := decodeLoose(t, body).(map[string]any)["value"].([]any)[0].(map[string]any)
				for k, v := range doc {
					if strings.HasSuffix(k, "@OData.Community.Display.V1.FormattedValue") && got[k] != v {
						t.Errorf("%s = %v, documented %v", k, got[k], v)
					}
				}
			}},
			setup: func(t *testing.T, s *Server) {
				sampleAccounts(t, s)
				call(t, "PATCH", api(s)+"accounts(36dbf27c-8efb-e511-80d2-00155db07c77)", map[string]any{"donotpostalmail": false,
					"accountratingcode": 1, "numberofemployees": 9500, "revenue": 100000}).want(t, 204)
			}},
		// Requests documented without a response: the rows they select.
		{step: step{req: "query-data-web-api-003", status: 200, check: rows("Fourth Coffee (sample)", "Litware, Inc. (sample)", "Adventure Works (sample)")}, setup: revenues},
		{step: step{req: "query-data-web-api-006", status: 200, check: rows("Litware, Inc. (sample)", "Adventure Works (sample)")}, setup: revenues},
		{step: step{req: "query-data-web-api-008", status: 200, check: rows("Litware, Inc. (sample)")}, setup: revenues},
		{step: step{req: "query-data-web-api-019", status: 200, check: rows("Fourth Coffee (sample)", "Adventure Works (sample)", "Litware, Inc. (sample)")}, setup: revenues},
		{step: step{req: "use-web-api-functions-010", status: 200, check: rows("Fourth Coffee (sample)", "Litware, Inc. (sample)", "Adventure Works (sample)",
			"Fabrikam, Inc. (sample)", "Blue Yonder Airlines (sample)", "City Power & Light (sample)", "Contoso Pharmaceuticals (sample)",
			"Alpine Ski House (sample)", "A. Datum Corporation (sample)", "Coho Winery (sample)")}, setup: sampleAccounts},
		{step: step{req: "use-web-api-functions-013", status: 200, check: rows()}, setup: sampleAccounts},
		{step: step{req: "use-web-api-functions-014", status: 200, check: rows()}, setup: sampleAccounts},
		// A single contact with the base currency.
		{step: step{req: "web-api-query-data-sample-002", res: "web-api-query-data-sample-003", headers: []string{"ETag"}}, setup: contoso},
		// No incident or task table (Options.Schema can add tables).
		{step: step{req: "query-data-web-api-029", status: 404, check: names("incidents")}},
		{step: step{req: "query-data-web-api-031", status: 501, check: names("Account_Tasks")}, setup: sampleAccounts},
		{step: step{req: "query-data-web-api-033", status: 501, check: names("Account_Tasks")}, setup: sampleAccounts},
		{step: step{req: "web-api-query-data-sample-030", status: 501, check: names("Account_Tasks")}, setup: contoso},
		// The saved query of section 9, found by name.
		{step: step{req: "web-api-query-data-sample-038", res: "web-api-query-data-sample-039"}, setup: func(t *testing.T, s *Server) {
			call(t, "POST", api(s)+"savedqueries", map[string]any{"savedqueryid": "00000000-0000-0000-00aa-000010001002", "name": "Active Accounts",
				"returnedtypecode": "account", "querytype": 0,
				"fetchxml": `<fetch version="1.0" mapping="logical"><entity name="account"><attribute name="name"/></entity></fetch>`}).want(t, 204)
		}},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s := NewServer(nil)
			defer s.Close()
			if c.setup != nil {
				c.setup(t, s)
			}
			q := &sequence{s: s, subst: map[string]string{}}
			q.run(t, c.step)
		})
	}
}
