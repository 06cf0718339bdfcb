package dualwritetest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rawGet sends a GET with the emulator's token and returns the status, the
// headers and the body as text (for answers that are not JSON objects).
func rawGet(t *testing.T, u string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// get is call for a GET whose URL may hold spaces (sent as %20).
func get(t *testing.T, u string, body any, headers ...string) resp {
	t.Helper()
	return call(t, "GET", strings.ReplaceAll(u, " ", "%20"), body, headers...)
}

func newAccount(t *testing.T, s *Server, body map[string]any) string {
	t.Helper()
	r := call(t, "POST", api(s)+"accounts", body, "Prefer", "return=representation").want(t, 201)
	return r.body["accountid"].(string)
}

func nextLink(t *testing.T, r resp) string {
	t.Helper()
	l, ok := r.body["@odata.nextLink"].(string)
	if !ok {
		t.Fatalf("no @odata.nextLink: %s", r.raw)
	}
	return l
}

func accountNames(r resp) []string {
	var out []string
	for _, v := range r.values() {
		out = append(out, v["name"].(string))
	}
	return out
}

// The last row of a page leaves the filter before the next page is read:
// the next page starts after it in the query's order, and no row is
// skipped (the page number alone would skip "C").
func TestQueryPagingAfterTheLastRowLeftTheFilter(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	var ids []string
	for _, n := range []string{"A", "B", "C", "D", "E"} {
		ids = append(ids, newAccount(t, s, map[string]any{"name": n, "description": "paged"}))
	}
	q := api(s) + "accounts?$select=name&$filter=description eq 'paged'&$orderby=name"
	first := get(t, q, nil, "Prefer", "odata.maxpagesize=2").want(t, 200)
	if diff := cmp.Diff([]string{"A", "B"}, accountNames(first)); diff != "" {
		t.Fatalf("page 1 (-want +got):\n%s", diff)
	}
	call(t, "PATCH", api(s)+"accounts("+ids[1]+")", map[string]any{"description": "moved"}).want(t, 204)
	next := get(t, nextLink(t, first), nil, "Prefer", "odata.maxpagesize=2").want(t, 200)
	if diff := cmp.Diff([]string{"C", "D"}, accountNames(next)); diff != "" {
		t.Errorf("page 2 after B left the filter (-want +got):\n%s", diff)
	}
	// The last row deleted: the same.
	call(t, "DELETE", api(s)+"accounts("+ids[3]+")", nil).want(t, 204)
	last := get(t, nextLink(t, next), nil, "Prefer", "odata.maxpagesize=2").want(t, 200)
	if diff := cmp.Diff([]string{"E"}, accountNames(last)); diff != "" {
		t.Errorf("page 3 after D was deleted (-want +got):\n%s", diff)
	}
}

// $top and odata.maxpagesize together: "If you include both, $top is
// ignored." (Page results using OData).
func TestQueryTopIgnoredWithPageSize(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	for _, n := range []string{"A", "B", "C", "D"} {
		newAccount(t, s, map[string]any{"name": n})
	}
	r := get(t, api(s)+"accounts?$select=name&$orderby=name&$top=1", nil, "Prefer", "odata.maxpagesize=3").want(t, 200)
	if diff := cmp.Diff([]string{"A", "B", "C"}, accountNames(r)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if r.body["@odata.nextLink"] == nil {
		t.Error("no nextLink: $top was not ignored")
	}
	r = get(t, api(s)+"accounts?$select=name&$orderby=name&$top=2", nil).want(t, 200)
	if diff := cmp.Diff([]string{"A", "B"}, accountNames(r)); diff != "" {
		t.Errorf("$top alone (-want +got):\n%s", diff)
	}
}

// Change tracking ("Use change tracking to synchronize data with external
// systems"): the delta link returns the new and changed rows, then the
// deleted ones as $deletedEntity.
func TestQueryChangeTracking(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	kept := newAccount(t, s, map[string]any{"name": "Kept"})
	changed := newAccount(t, s, map[string]any{"name": "Changed"})
	gone := newAccount(t, s, map[string]any{"name": "Gone"})
	initial := get(t, api(s)+"accounts?$select=name", nil, "Prefer", "odata.track-changes").want(t, 200)
	if got := initial.header.Get("Preference-Applied"); got != "odata.track-changes" {
		t.Errorf("Preference-Applied = %q", got)
	}
	link, _ := initial.body["@odata.deltaLink"].(string)
	if !strings.HasPrefix(link, api(s)+"accounts?$select=name&$deltatoken=") {
		t.Fatalf("@odata.deltaLink = %q", link)
	}
	if len(initial.values()) != 3 {
		t.Errorf("initial rows: %v", initial.raw)
	}
	added := newAccount(t, s, map[string]any{"name": "Added"})
	call(t, "PATCH", api(s)+"accounts("+changed+")", map[string]any{"name": "Changed again"}).want(t, 204)
	call(t, "DELETE", api(s)+"accounts("+gone+")", nil).want(t, 204)

	delta := get(t, link, nil).want(t, 200)
	var got []map[string]any
	for _, v := range delta.values() {
		delete(v, "@odata.etag")
		got = append(got, v)
	}
	want := []map[string]any{
		{"accountid": added, "name": "Added"},
		{"accountid": changed, "name": "Changed again"},
		{"@odata.context": api(s) + "$metadata#accounts/$deletedEntity", "id": gone, "reason": "deleted"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delta rows (-want +got):\n%s", diff)
	}
	if c := delta.body["@odata.context"]; c != api(s)+"$metadata#accounts(name)/$delta" {
		t.Errorf("@odata.context = %v", c)
	}
	_ = kept
	// The next delta link has nothing new; <set>/$count counts the changes.
	nextDelta, _ := delta.body["@odata.deltaLink"].(string)
	next := get(t, nextDelta, nil).want(t, 200)
	if len(next.values()) != 0 {
		t.Errorf("second delta: %s", next.raw)
	}
	tok := link[strings.Index(link, "$deltatoken=")+len("$deltatoken="):]
	status, _, body := rawGet(t, api(s)+"accounts/$count?$deltatoken="+tok)
	if status != 200 || body != "3" {
		t.Errorf("$count of the changes: %d %q, want 200 \"3\"", status, body)
	}
	// The documented refusal of the options change tracking does not take.
	r := get(t, api(s)+"accounts?$select=name&$filter=name eq 'Kept'", nil, "Prefer", "odata.track-changes").want(t, 400)
	if msg := r.body["error"].(map[string]any)["message"]; msg != `The "filter" query parameter isn't supported when Change Tracking is enabled.` {
		t.Errorf("message %v", msg)
	}
}

func TestQueryCountPlainText(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	for _, n := range []string{"A", "B", "C"} {
		newAccount(t, s, map[string]any{"name": n})
	}
	status, h, body := rawGet(t, api(s)+"accounts/$count?$filter="+url.QueryEscape("name ne 'B'"))
	if status != 200 || body != "2" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("got %d %q %q, want 200 \"2\" text/plain", status, body, h.Get("Content-Type"))
	}
	r := get(t, api(s)+"accounts?$select=name&$count=true&$filter=name ne 'B'", nil).want(t, 200)
	if n := num(r.body["@odata.count"]); n != 2 {
		t.Errorf("@odata.count = %v", r.body["@odata.count"])
	}
}

func TestQueryExpandAndLookupFilter(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	parent := newAccount(t, s, map[string]any{"name": "Parent"})
	child := newAccount(t, s, map[string]any{"name": "Child", "parentaccountid@odata.bind": "/accounts(" + parent + ")"})
	newAccount(t, s, map[string]any{"name": "Other"})

	r := get(t, api(s)+"accounts("+child+")?$select=name&$expand=parentaccountid($select=name)", nil).want(t, 200)
	etag := r.header.Get("ETag")
	if etag == "" || etag != r.body["@odata.etag"] {
		t.Errorf("ETag header %q, @odata.etag %v", etag, r.body["@odata.etag"])
	}
	get(t, api(s)+"accounts("+child+")?$select=name&$expand=parentaccountid($select=name)", nil, "If-None-Match", etag).want(t, 304)
	// One record's expanded lookup carries its ETag, as documented
	// (web-api-basic-operations-sample-020, retrieve-entity-using-web-api-014).
	parentETag := get(t, api(s)+"accounts("+parent+")?$select=name", nil).want(t, 200).header.Get("ETag")
	want := map[string]any{"@odata.context": api(s) + "$metadata#accounts(name,parentaccountid(name))/$entity",
		"accountid": child, "name": "Child", "parentaccountid": map[string]any{"@odata.etag": parentETag, "accountid": parent, "name": "Parent"}}
	delete(r.body, "@odata.etag")
	if diff := cmp.Diff(want, r.body); diff != "" {
		t.Errorf("single-valued $expand (-want +got):\n%s", diff)
	}
	r = get(t, api(s)+"accounts?$select=name&$filter=accountid eq "+parent+"&$expand=account_parent_account($select=name;$orderby=name)", nil).want(t, 200)
	kids := r.values()[0]["account_parent_account"].([]any)
	if len(kids) != 1 || kids[0].(map[string]any)["name"] != "Child" {
		t.Errorf("collection-valued $expand: %s", r.raw)
	}
	r = get(t, api(s)+"accounts?$select=name&$filter=parentaccountid/accountid eq "+parent, nil).want(t, 200)
	if diff := cmp.Diff([]string{"Child"}, accountNames(r)); diff != "" {
		t.Errorf("filter through a lookup (-want +got):\n%s", diff)
	}
	r = get(t, api(s)+"accounts?$select=name&$filter="+url.QueryEscape("Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=['Parent','Other'])")+"&$orderby=name", nil).want(t, 200)
	if diff := cmp.Diff([]string{"Other", "Parent"}, accountNames(r)); diff != "" {
		t.Errorf("Microsoft.Dynamics.CRM.In (-want +got):\n%s", diff)
	}
}

func TestQueryApplyAndFetchXML(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	for i, n := range []string{"A", "B", "C"} {
		newAccount(t, s, map[string]any{"name": n, "revenue": 100 * (i + 1), "description": "agg"})
	}
	r := get(t, api(s)+"accounts?$apply="+url.QueryEscape("filter(description eq 'agg')/aggregate(revenue with sum as total,$count as n)"), nil).want(t, 200)
	v := r.values()
	if len(v) != 1 || num(v[0]["total"]) != 600 || num(v[0]["n"]) != 3 {
		t.Errorf("$apply: %s", r.raw)
	}
	fetch := `<fetch count="2"><entity name="account"><attribute name="name"/><filter><condition attribute="description" operator="eq" value="agg"/></filter><order attribute="name"/></entity></fetch>`
	u := api(s) + "accounts?fetchXml=" + url.PathEscape(fetch)
	plain := get(t, u, nil).want(t, 200)
	if _, ok := plain.body["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"]; ok {
		t.Error("paging cookie sent without being asked for")
	}
	paged := get(t, u, nil, "Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.fetchxmlpagingcookie,Microsoft.Dynamics.CRM.morerecords"`).want(t, 200)
	if paged.body["@Microsoft.Dynamics.CRM.morerecords"] != true {
		t.Errorf("morerecords: %s", paged.raw)
	}
	if c, _ := paged.body["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"].(string); !strings.HasPrefix(c, `<cookie pagenumber="2" pagingcookie="`) {
		t.Errorf("paging cookie %q", c)
	}
	if diff := cmp.Diff([]string{"A", "B"}, accountNames(paged)); diff != "" {
		t.Errorf("page 1 (-want +got):\n%s", diff)
	}
	agg := `<fetch aggregate="true"><entity name="account"><attribute name="revenue" alias="total" aggregate="sum"/><filter><condition attribute="description" operator="eq" value="agg"/></filter></entity></fetch>`
	r = get(t, api(s)+"accounts?fetchXml="+url.PathEscape(agg), nil).want(t, 200)
	if v := r.values(); len(v) != 1 || num(v[0]["total"]) != 600 {
		t.Errorf("aggregate: %s", r.raw)
	}
	// The entity must be the entity set's.
	r = get(t, api(s)+"contacts?fetchXml="+url.PathEscape(fetch), nil).want(t, 400)
	if r.errorCode() != "0x80040203" {
		t.Errorf("code %s", r.errorCode())
	}
}

// Nothing the emulator does not implement is answered with 200.
func TestQueryRefusals(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	fetch := url.PathEscape(`<fetch><entity name="account"><attribute name="name"/></entity></fetch>`)
	cases := []struct {
		name, path string
		headers    []string
		status     int
		contains   string // in the message
	}{
		{"unknown preference", "accounts?$select=name", []string{"Prefer", "respond-async"}, 501, "respond-async"},
		{"$skip", "accounts?$skip=2", nil, 400, "$skip"},
		{"$levels", "accounts?$levels=2", nil, 501, "$levels"},
		{"unknown option", "accounts?$nosuch=1", nil, 400, "$nosuch"},
		{"unknown parameter", "accounts?foo=1", nil, 400, "foo"},
		{"$expand=*", "accounts?$expand=*", nil, 501, "*"},
		{"$apply transformation", "accounts?$apply=" + url.QueryEscape("compute(revenue mul 2 as r)"), nil, 501, "compute"},
		{"fetchXml with $select", "accounts?fetchXml=" + fetch + "&$select=name", nil, 501, "$select"},
		{"fetchXml with track-changes", "accounts?fetchXml=" + fetch, []string{"Prefer", "odata.track-changes"}, 501, "change tracking"},
		{"unknown column in $select", "accounts?$select=nosuchcolumn", nil, 400, "nosuchcolumn"},
		{"savedQuery missing", "accounts?savedQuery=00000000-0000-0000-0000-00000000abcd", nil, 404, "Does Not Exist"},
		{"userQuery missing", "contacts?userQuery=00000000-0000-0000-0000-00000000abcd", nil, 404, "Does Not Exist"},
		{"expand to a table the emulator lacks", "accounts?$expand=Account_Tasks($select=subject)", nil, 501, "task"},
		{"$metadata parameter", "$metadata?$format=json", nil, 501, "$format"},
		{"EntityDefinitions option", "EntityDefinitions?$top=1", nil, 501, "$top"},
		{"record with $filter", "systemusers(" + systemUserID + ")?$filter=fullname eq 'x'", nil, 400, "$filter"},
		{"record with a preference", "systemusers(" + systemUserID + ")", []string{"Prefer", "respond-async"}, 501, "respond-async"},
		{"savedQuery with track-changes", "leads?savedQuery=" + B2BLeadsViewID, []string{"Prefer", "odata.track-changes"}, 501, "change tracking"},
		{"GlobalOptionSetDefinitions", "GlobalOptionSetDefinitions(Name='x')", nil, 501, "GlobalOptionSetDefinitions"},
		{"EntityDefinitions/$count", "EntityDefinitions/$count", nil, 501, "$count"},
		{"metadata $filter beyond eq", "EntityDefinitions?$filter=" + url.QueryEscape("startswith(LogicalName,'l')"), nil, 501, "startswith"},
		{"EntityDefinitions relationship path", "EntityDefinitions(LogicalName='lead')/OneToManyRelationships", nil, 501, "OneToManyRelationships"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, api(s)+c.path, nil, c.headers...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			msg, _ := r.body["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, c.contains) {
				t.Errorf("message %q does not name %q", msg, c.contains)
			}
		})
	}
}

func TestQueryMetadata(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	status, h, body := rawGet(t, api(s)+"$metadata")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/xml") || !strings.Contains(body, `<EntityType Name="lead"`) || !strings.Contains(body, `<EntitySet Name="leads"`) {
		t.Errorf("$metadata: %d %s %.200s", status, h.Get("Content-Type"), body)
	}
	r := get(t, api(s)+"EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName eq 'lead'", nil).want(t, 200)
	v := r.values()
	if len(v) != 1 || v[0]["EntitySetName"] != "leads" || v[0]["MetadataId"] == nil || len(v[0]) != 3 {
		t.Errorf("EntityDefinitions filtered: %s", r.raw)
	}
	// The path DynamicsWebApi and the SDK's choice labels read.
	r = get(t, api(s)+"EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='statuscode')/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$select=LogicalName&$expand=OptionSet", nil).want(t, 200)
	if r.body["LogicalName"] != "statuscode" {
		t.Fatalf("attribute: %s", r.raw)
	}
	opts, _ := r.body["OptionSet"].(map[string]any)["Options"].([]any)
	labels := map[int]string{}
	for _, o := range opts {
		m := o.(map[string]any)
		l := m["Label"].(map[string]any)["UserLocalizedLabel"].(map[string]any)["Label"].(string)
		labels[num(m["Value"])] = l
	}
	if labels[1] != "New" || labels[3] != "Qualified" {
		t.Errorf("statuscode labels: %v", labels)
	}
	r = get(t, api(s)+"EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)", nil).want(t, 200)
	if len(r.values()) == 0 {
		t.Errorf("picklists: %s", r.raw)
	}
	for _, a := range r.values() {
		if a["@odata.type"] != "#Microsoft.Dynamics.CRM.PicklistAttributeMetadata" || a["OptionSet"] == nil {
			t.Errorf("picklist %v", a)
		}
	}
	r = get(t, api(s)+"EntityDefinitions(LogicalName='lead')?$select=LogicalName", nil).want(t, 200)
	if _, ok := r.body["Attributes"]; ok {
		t.Error("Attributes without $expand")
	}
	get(t, api(s)+"EntityDefinitions(LogicalName='nosuch')", nil).want(t, 404)
}
