package dualwritetest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDataverseCRUD(t *testing.T) {
	// accountnumber is no alternate key out of the box: the test declares one.
	// msdyn_widgets is a custom table: the test declares it.
	s := NewServer(&Options{Schema: &SchemaExtension{
		Keys:   []AlternateKey{{Table: "account", Columns: []string{"accountnumber"}}},
		Tables: []CustomTable{{LogicalName: "msdyn_widget", EntitySet: "msdyn_widgets"}},
	}})
	defer s.Close()
	id := "11111111-2222-3333-4444-555555555555"
	// Client-chosen id, return=representation, lookups by bind.
	r := call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": "Parent"}, "Prefer", "return=representation").want(t, 201)
	if r.body["accountid"] != id || r.body["@odata.etag"] == nil || !strings.HasSuffix(r.body["@odata.context"].(string), "$metadata#accounts/$entity") {
		t.Fatalf("created %v", r.body)
	}
	call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": "Again"}).want(t, 412)
	c := call(t, "POST", api(s)+"contacts", map[string]any{"firstname": "Ana", "lastname": "Silva", "parentcustomerid_account@odata.bind": "/accounts(" + id + ")"}).want(t, 204)
	loc := c.header.Get("OData-EntityId")
	contact := call(t, "GET", loc, nil, "Prefer", `odata.include-annotations="*"`).want(t, 200).body
	want := map[string]any{
		"fullname": "Ana Silva", "_parentcustomerid_value": id,
		"_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":            "account",
		"_parentcustomerid_value@OData.Community.Display.V1.FormattedValue":           "Parent",
		"_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "parentcustomerid_account",
	}
	got := map[string]any{}
	for k := range want {
		got[k] = contact[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("contact (-want +got):\n%s", diff)
	}
	// Binding to a missing record fails.
	call(t, "POST", api(s)+"contacts", map[string]any{"lastname": "X", "parentcustomerid_account@odata.bind": "accounts(00000000-0000-0000-0000-000000000009)"}).want(t, 404)
	// Writing a _value column is refused.
	call(t, "POST", api(s)+"contacts", map[string]any{"_parentcustomerid_value": id}).want(t, 400)

	// ETags: If-Match, If-None-Match, 304.
	acct := call(t, "GET", api(s)+"accounts("+id+")", nil).want(t, 200)
	etag := acct.body["@odata.etag"].(string)
	call(t, "GET", api(s)+"accounts("+id+")", nil, "If-None-Match", etag).want(t, 304)
	call(t, "PATCH", api(s)+"accounts("+id+")", map[string]any{"name": "Renamed"}, "If-Match", etag).want(t, 204)
	call(t, "PATCH", api(s)+"accounts("+id+")", map[string]any{"name": "Stale"}, "If-Match", etag).want(t, 412)
	// Upsert: a PATCH to a missing id creates, unless If-Match: *.
	nid := "99999999-2222-3333-4444-555555555555"
	call(t, "PATCH", api(s)+"accounts("+nid+")", map[string]any{"name": "Upserted"}, "If-Match", "*").want(t, 404)
	call(t, "PATCH", api(s)+"accounts("+nid+")", map[string]any{"name": "Upserted"}).want(t, 204)
	call(t, "PATCH", api(s)+"accounts("+nid+")", map[string]any{"name": "Upserted"}, "If-None-Match", "*").want(t, 412)
	// Alternate keys, with a doubled quote.
	call(t, "PATCH", api(s)+"accounts(accountnumber='O''Neil-1')", map[string]any{"name": "By key"}).want(t, 204)
	byKey := call(t, "GET", api(s)+"accounts(accountnumber='O''Neil-1')?$select=name", nil).want(t, 200).body
	if byKey["name"] != "By key" || byKey["accountid"] == nil {
		t.Errorf("by key: %v", byKey)
	}
	// 404 shape, with annotations when asked.
	nf := call(t, "GET", api(s)+"leads(00000000-0000-0000-0000-000000000001)", nil, "Prefer", `odata.include-annotations="*"`).want(t, 404)
	e := nf.body["error"].(map[string]any)
	if nf.errorCode() != "0x80040217" || e["message"] != "lead With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist" || e["@Microsoft.PowerApps.CDS.HelpLink"] == nil {
		t.Errorf("404: %s", nf.raw)
	}
	if nf.header.Get("x-ms-service-request-id") == "" || nf.header.Get("OData-Version") != "4.0" {
		t.Errorf("headers %v", nf.header)
	}
	call(t, "GET", api(s)+"nosuchthings", nil).want(t, 404)
	call(t, "DELETE", api(s)+"accounts("+nid+")", nil).want(t, 204)
	call(t, "GET", api(s)+"accounts("+nid+")", nil).want(t, 404)
	// Custom tables, declared in Options.Schema; an undeclared one is 404.
	call(t, "POST", api(s)+"msdyn_gadgets", map[string]any{"msdyn_name": "g"}).want(t, 404)
	call(t, "POST", api(s)+"msdyn_widgets", map[string]any{"msdyn_name": "w"}).want(t, 204)
	if s.Count("msdyn_widgets") != 1 {
		t.Error("msdyn_widgets not stored")
	}
	// WhoAmI, notes bound without a slash.
	if call(t, "GET", api(s)+"WhoAmI", nil).want(t, 200).body["UserId"] == nil {
		t.Error("WhoAmI without UserId")
	}
}

func TestDataverseQuery(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	for _, n := range []string{"Alpha", "beta", "Gamma O'Hara", "delta", "Epsilon"} {
		call(t, "POST", api(s)+"accounts", map[string]any{"name": n, "numberofemployees": len(n)}).want(t, 204)
	}
	q := func(filter string, extra ...string) []string {
		t.Helper()
		u := api(s) + "accounts?$select=name&$orderby=name&$filter=" + url.QueryEscape(filter)
		r := call(t, "GET", u, nil, extra...).want(t, 200)
		var out []string
		for _, v := range r.values() {
			out = append(out, v["name"].(string))
		}
		return out
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"name eq 'alpha'", []string{"Alpha"}},
		{"name eq 'Gamma O''Hara'", []string{"Gamma O'Hara"}},
		{"contains(name,'ta') and not startswith(name,'b')", []string{"delta"}},
		{"numberofemployees gt 5 or endswith(name,'a')", []string{"Alpha", "beta", "delta", "Epsilon", "Gamma O'Hara"}},
		{"(numberofemployees ge 5 and numberofemployees le 5)", []string{"Alpha", "delta"}},
		{"numberofemployees lt 5", []string{"beta"}},
		{"name ne 'Alpha' and accountnumber eq null and createdon gt 2000-01-01T00:00:00Z", []string{"beta", "delta", "Epsilon", "Gamma O'Hara"}},
	} {
		if diff := cmp.Diff(c.want, q(c.filter)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.filter, diff)
		}
	}
	call(t, "GET", api(s)+"accounts?$filter="+url.QueryEscape("name eq"), nil).want(t, 400)
	call(t, "GET", api(s)+"accounts?$skip=2", nil).want(t, 400)
	top := call(t, "GET", api(s)+"accounts?$top=2&$orderby=name%20desc", nil).want(t, 200).values()
	if len(top) != 2 || top[0]["name"] != "Gamma O'Hara" {
		t.Errorf("top: %v", top)
	}
	// Paging through every page.
	var names []string
	link := api(s) + "accounts?$select=name&$count=true"
	for pages := 0; link != ""; pages++ {
		r := call(t, "GET", link, nil, "Prefer", "odata.maxpagesize=2").want(t, 200)
		if r.header.Get("Preference-Applied") != "odata.maxpagesize=2" || num(r.body["@odata.count"]) != 5 {
			t.Fatalf("page %d: %v %s", pages, r.header, r.raw)
		}
		for _, v := range r.values() {
			names = append(names, v["name"].(string))
		}
		link, _ = r.body["@odata.nextLink"].(string)
	}
	if len(names) != 5 {
		t.Fatalf("paged %v", names)
	}
}
