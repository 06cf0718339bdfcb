package dualwritetest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refusal is a request the emulator must refuse as Dataverse does.
type refusal struct {
	name, method, path string
	body               any
	headers            []string
	status             int
	code, message      string
}

func (c refusal) run(t *testing.T, s *Server) {
	t.Helper()
	t.Run(c.name, func(t *testing.T) {
		r := call(t, c.method, api(s)+c.path, c.body, c.headers...)
		e, _ := r.body["error"].(map[string]any)
		got := [3]any{r.status, e["code"], e["message"]}
		if diff := cmp.Diff([3]any{c.status, c.code, c.message}, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s\nbody %s", c.method, c.path, diff, r.raw)
		}
	})
}

func TestStrictRecordRefusals(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	lead := call(t, "POST", api(s)+"leads", map[string]any{"lastname": "Silva"}, "Prefer", "return=representation").want(t, 201).body["leadid"].(string)
	acct := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Contoso"}, "Prefer", "return=representation").want(t, 201).body["accountid"].(string)
	opp := call(t, "POST", api(s)+"opportunities", map[string]any{"name": "Deal"}, "Prefer", "return=representation").want(t, 201).body["opportunityid"].(string)
	contact := call(t, "POST", api(s)+"contacts", map[string]any{"lastname": "Kim"}, "Prefer", "return=representation").want(t, 201).body["contactid"].(string)
	payload := "Error identified in Payload provided by the user for Entity :'%s'  ---->  InnerException : Microsoft.OData.ODataException: "
	for _, c := range []refusal{
		{name: "unknown column", method: "POST", path: "leads", body: map[string]any{"lastname": "X", "nosuchcolumn": 1},
			status: 400, code: "0x0", message: "An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'nosuchcolumn' was found in entity 'Microsoft.Dynamics.CRM.lead'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."},
		{name: "unknown column on update", method: "PATCH", path: "leads(" + lead + ")", body: map[string]any{"Subject": "X"},
			status: 400, code: "0x0", message: "An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'Subject' was found in entity 'Microsoft.Dynamics.CRM.lead'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."},
		{name: "wrong type", method: "POST", path: "accounts", body: map[string]any{"name": "X", "numberofemployees": "many"},
			status: 400, code: "0x80048d19", message: strings.Replace(payload, "%s", "accounts", 1) + "Cannot convert a primitive value to the expected type 'Edm.Int32'. See the inner exception for more details."},
		{name: "string too long", method: "POST", path: "leads", body: map[string]any{"lastname": strings.Repeat("x", 51)},
			status: 400, code: "0x80044331", message: "A validation error occurred.  The length of the 'lastname' attribute of the 'lead' entity exceeded the maximum allowed length of '50'."},
		{name: "choice out of range", method: "PATCH", path: "accounts(" + acct + ")", body: map[string]any{"accountcategorycode": 99},
			status: 400, code: "0x8004431a", message: "The picklist value is out of the range."},
		{name: "lookup property in a body", method: "POST", path: "contacts", body: map[string]any{"lastname": "X", "_parentcustomerid_value": acct},
			status: 400, code: "0x0", message: "An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property '_parentcustomerid_value' was found in entity 'Microsoft.Dynamics.CRM.contact'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."},
		{name: "undeclared navigation property", method: "POST", path: "contacts", body: map[string]any{"lastname": "X", "parentcustomerid@odata.bind": "/accounts(" + acct + ")"},
			status: 400, code: "0x80048d19", message: strings.Replace(payload, "%s", "contacts", 1) + "An undeclared property 'parentcustomerid' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values."},
		{name: "a lookup without a navigation property (a contact's accountid)", method: "POST", path: "contacts", body: map[string]any{"lastname": "X", "accountid@odata.bind": "/accounts(" + acct + ")"},
			status: 400, code: "0x80048d19", message: strings.Replace(payload, "%s", "contacts", 1) + "An undeclared property 'accountid' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values."},
		{name: "navigation property in the wrong case", method: "POST", path: "leads", body: map[string]any{"lastname": "X", "ParentAccountId@odata.bind": "/accounts(" + acct + ")"},
			status: 400, code: "0x80048d19", message: strings.Replace(payload, "%s", "leads", 1) + "An undeclared property 'ParentAccountId' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values."},
		{name: "bind to the wrong table", method: "POST", path: "leads", body: map[string]any{"lastname": "X", "parentaccountid@odata.bind": "/contacts(" + acct + ")"},
			status: 404, code: "0x80040217", message: "contact With Id = " + acct + " Does Not Exist"},
		{name: "bind to a record of another table", method: "POST", path: "leads", body: map[string]any{"lastname": "X", "parentaccountid@odata.bind": "/contacts(" + contact + ")"},
			status: 400, code: "0x80048d19", message: strings.Replace(payload, "%s", "leads", 1) + "The navigation property 'parentaccountid' points to 'account', not to 'contact'."},
		{name: "CreateMultiple with an unknown column", method: "POST", path: "leads/Microsoft.Dynamics.CRM.CreateMultiple", body: map[string]any{"Targets": []any{
			map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "lastname": "A"},
			map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "lastname": "B", "nosuchcolumn": 1}}},
			status: 400, code: "0x0", message: "An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'nosuchcolumn' was found in entity 'Microsoft.Dynamics.CRM.lead'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."},
		{name: "UpdateMultiple winning an opportunity", method: "POST", path: "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple", body: map[string]any{"Targets": []any{
			map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.opportunity", "opportunityid": opp, "statecode": 1}}},
			status: 400, code: "0x80100005", message: "This message can not be used to set the state of opportunity to Won. In order to set the state of opportunity to Won, use the WinOpportunityRequest message instead."},
		{name: "entity set in the wrong case", method: "GET", path: "Leads(" + lead + ")",
			status: 404, code: "0x8006088a", message: "Resource not found for the segment 'Leads'."},
		{name: "entity set in the wrong case, collection", method: "POST", path: "Accounts", body: map[string]any{"name": "X"},
			status: 404, code: "0x8006088a", message: "Resource not found for the segment 'Accounts'."},
		{name: "undeclared alternate key", method: "GET", path: "accounts(accountnumber='A1')",
			status: 400, code: "0x80060890", message: "The specified key attributes are not a defined key for the account entity"},
		{name: "unknown $select column on a record", method: "GET", path: "leads(" + lead + ")?$select=nosuchcolumn",
			status: 400, code: "0x80060888", message: "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.lead'."},
		{name: "opportunity won by PATCH", method: "PATCH", path: "opportunities(" + opp + ")", body: map[string]any{"statecode": 1, "statuscode": 3},
			status: 400, code: "0x80100005", message: "This message can not be used to set the state of opportunity to Won. In order to set the state of opportunity to Won, use the WinOpportunityRequest message instead."},
		{name: "opportunity lost by PATCH", method: "PATCH", path: "opportunities(" + opp + ")", body: map[string]any{"statecode": 2},
			status: 400, code: "0x80100005", message: "This message can not be used to set the state of opportunity to Lost. In order to set the state of opportunity to Lost, use the LoseOpportunityRequest message instead."},
		{name: "opportunity won by single-property PUT", method: "PUT", path: "opportunities(" + opp + ")/statecode", body: map[string]any{"value": 1},
			status: 400, code: "0x80100005", message: "This message can not be used to set the state of opportunity to Won. In order to set the state of opportunity to Won, use the WinOpportunityRequest message instead."},
		{name: "QualifyLead without Status", method: "POST", path: "leads(" + lead + ")/Microsoft.Dynamics.CRM.QualifyLead",
			body:   map[string]any{"CreateAccount": true, "CreateContact": false, "CreateOpportunity": false},
			status: 400, code: "0x80040203", message: "Required parameter 'Status' of the operation 'QualifyLead' is missing or null."},
		{name: "QualifyLead with a status of another state", method: "POST", path: "leads(" + lead + ")/Microsoft.Dynamics.CRM.QualifyLead",
			body:   map[string]any{"CreateAccount": true, "CreateContact": false, "CreateOpportunity": false, "Status": 4},
			status: 400, code: "0x8004431a", message: "4 is not a valid status code for state code LeadState.Qualified on lead."},
		{name: "QualifyLead with an unknown parameter", method: "POST", path: "leads(" + lead + ")/Microsoft.Dynamics.CRM.QualifyLead",
			body:   map[string]any{"CreateAccount": true, "CreateContact": false, "CreateOpportunity": false, "Status": 3, "CreateQuote": true},
			status: 400, code: "0x80048d19", message: "The parameter 'CreateQuote' in the request payload is not a valid parameter for the operation 'QualifyLead'."},
		{name: "single-property PUT of a lookup", method: "PUT", path: "leads(" + lead + ")/_parentaccountid_value", body: map[string]any{"value": acct},
			status: 400, code: "0x80060888", message: "The property '_parentaccountid_value' is a lookup: set it with PUT leads(" + lead + ")/<navigation property>/$ref."},
		{name: "single-property PUT without value", method: "PUT", path: "leads(" + lead + ")/subject", body: map[string]any{"subject": "X"},
			status: 400, code: "0x80048d19", message: "The body of PUT leads(" + lead + ")/subject must be {\"value\": <the new value>}."},
		{name: "unknown property path", method: "GET", path: "leads(" + lead + ")/nosuchcolumn",
			status: 404, code: "0x8006088a", message: "Resource not found for the segment 'nosuchcolumn'."},
		{name: "$ref with POST on a single-valued navigation property", method: "POST", path: "leads(" + lead + ")/parentaccountid/$ref", body: map[string]any{"@odata.id": "accounts(" + acct + ")"},
			status: 405, code: "0x80060888", message: "The HTTP method 'POST' is not allowed on the single-valued navigation property 'parentaccountid': use PUT or DELETE."},
		{name: "$ref to a record of the wrong table", method: "POST", path: "accounts(" + acct + ")/opportunity_customer_accounts/$ref", body: map[string]any{"@odata.id": "leads(" + lead + ")"},
			status: 400, code: "0x80048d19", message: "The navigation property 'opportunity_customer_accounts' relates opportunity records, not lead."},
		{name: "disassociating a record that is not related", method: "DELETE", path: "accounts(" + acct + ")/opportunity_customer_accounts(" + opp + ")/$ref",
			status: 404, code: "0x80040217", message: "The opportunity record " + opp + " is not related to accounts(" + acct + ") through 'opportunity_customer_accounts'."},
	} {
		c.run(t, s)
	}
	// Nothing was written by the refused requests.
	if n := s.Count("leads"); n != 1 {
		t.Errorf("%d leads after the refusals, want 1", n)
	}
	if o := call(t, "GET", api(s)+"opportunities("+opp+")?$select=statecode", nil).want(t, 200).body; num(o["statecode"]) != 0 {
		t.Errorf("the opportunity was closed by a refused request: %v", o)
	}
}

func TestStrictNotImplemented(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	lead := call(t, "POST", api(s)+"leads", map[string]any{"lastname": "Silva"}, "Prefer", "return=representation").want(t, 201).body["leadid"].(string)
	msg := func(what string) string {
		return "The emulator does not implement " + what + "."
	}
	for _, c := range []refusal{
		{name: "solution header", method: "POST", path: "leads", body: map[string]any{"lastname": "X"}, headers: []string{"MSCRM.SolutionUniqueName", "contoso"},
			status: 501, code: "0x80060888", message: msg("the header MSCRM.SolutionUniqueName")},
		{name: "undocumented bypass value", method: "POST", path: "leads", body: map[string]any{"lastname": "X"}, headers: []string{"MSCRM.BypassBusinessLogicExecution", "CustomSync,Everything"},
			status: 400, code: "0x80048d19", message: "The value of the header MSCRM.BypassBusinessLogicExecution must be CustomSync, CustomAsync or CustomSync,CustomAsync, not CustomSync,Everything."},
		{name: "duplicate detection", method: "POST", path: "leads", body: map[string]any{"lastname": "X"}, headers: []string{"MSCRM.SuppressDuplicateDetection", "false"},
			status: 501, code: "0x80060888", message: msg("duplicate detection (the header MSCRM.SuppressDuplicateDetection: false)")},
		{name: "asynchronous request", method: "GET", path: "leads(" + lead + ")", headers: []string{"Prefer", "respond-async"},
			status: 501, code: "0x80060888", message: msg("asynchronous requests (Prefer: respond-async)")},
		{name: "unknown preference", method: "GET", path: "leads(" + lead + ")", headers: []string{"Prefer", "odata.allow-entityreferences"},
			status: 501, code: "0x80060888", message: msg("the preference Prefer: odata.allow-entityreferences")},
		{name: "documented unbound function", method: "GET", path: "RetrieveVersion()",
			status: 501, code: "0x80060888", message: msg("the function or action 'RetrieveVersion'")},
		{name: "bound action", method: "POST", path: "leads(" + lead + ")/Microsoft.Dynamics.CRM.new_Escalate", body: map[string]any{},
			status: 501, code: "0x80060888", message: msg("the function or action 'new_Escalate'")},
		{name: "deep insert", method: "POST", path: "accounts", body: map[string]any{"name": "X", "primarycontactid": map[string]any{"lastname": "Y"}},
			status: 501, code: "0x80060888", message: msg("deep insert (the navigation property 'primarycontactid' given a record)")},
		{name: "custom query parameter on a record", method: "GET", path: "leads(" + lead + ")?foo=bar",
			status: 501, code: "0x80060888", message: msg("the query parameter 'foo' on a single record")},
		{name: "many-to-many $ref", method: "POST", path: "leads(" + lead + ")/accountleads_association/$ref", body: map[string]any{"@odata.id": "accounts(" + lead + ")"},
			status: 501, code: "0x80060888", message: msg("many-to-many relationships (the navigation property 'accountleads_association')")},
		{name: "unknown navigation $ref", method: "POST", path: "leads(" + lead + ")/nosuchnav/$ref", body: map[string]any{"@odata.id": "accounts(" + lead + ")"},
			status: 404, code: "0x8006088a", message: "Resource not found for the segment 'nosuchnav'."},
	} {
		c.run(t, s)
	}
}

func TestStrictRecordReads(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	r := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Contoso", "revenue": 5000000, "numberofemployees": 9500,
		"accountcategorycode": 1, "creditonhold": false, "donotpostalmail": true}, "Prefer", "return=representation").want(t, 201)
	id := r.body["accountid"].(string)
	lead := call(t, "POST", api(s)+"leads", map[string]any{"lastname": "Silva", "parentaccountid@odata.bind": "/accounts(" + id + ")"},
		"Prefer", "return=representation").want(t, 201).body["leadid"].(string)

	got := call(t, "GET", api(s)+"accounts("+id+")", nil, "Prefer", `odata.include-annotations="OData.Community.Display.V1.FormattedValue"`).want(t, 200)
	if got.header.Get("ETag") == "" || got.header.Get("ETag") != got.body["@odata.etag"] {
		t.Errorf("ETag header %q, @odata.etag %v", got.header.Get("ETag"), got.body["@odata.etag"])
	}
	if p := got.header.Get("Preference-Applied"); p != `odata.include-annotations="OData.Community.Display.V1.FormattedValue"` {
		t.Errorf("Preference-Applied %q", p)
	}
	fv := func(k string) any { return got.body[k+"@OData.Community.Display.V1.FormattedValue"] }
	wantFV := map[string]any{
		"revenue": "$5,000,000.00", "numberofemployees": "9,500", "accountcategorycode": "Preferred Customer",
		"creditonhold": "No", "donotpostalmail": "Do Not Allow", "statecode": "Active", "statuscode": "Active",
		"_transactioncurrencyid_value": "US Dollar", "_ownerid_value": "Dual-write Test",
	}
	gotFV := map[string]any{}
	for k := range wantFV {
		gotFV[k] = fv(k)
	}
	if diff := cmp.Diff(wantFV, gotFV); diff != "" {
		t.Errorf("formatted values (-want +got):\n%s", diff)
	}
	if c, ok := fv("createdon").(string); !ok || !strings.HasSuffix(c, " PM") && !strings.HasSuffix(c, " AM") {
		t.Errorf("createdon formatted as %v", fv("createdon"))
	}
	if _, ok := got.body["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]; ok {
		t.Error("lookuplogicalname sent though only formatted values were asked for")
	}
	for _, k := range []string{"_ownerid_value", "_createdby_value", "_modifiedby_value", "_owningbusinessunit_value", "_owninguser_value"} {
		if got.body[k] == nil {
			t.Errorf("%s missing from a record read without $select", k)
		}
	}
	// All annotations.
	all := call(t, "GET", api(s)+"leads("+lead+")?$select=_parentaccountid_value", nil, "Prefer", `odata.include-annotations="*"`).want(t, 200).body
	want := map[string]any{
		"_parentaccountid_value": id, "_parentaccountid_value@OData.Community.Display.V1.FormattedValue": "Contoso",
		"_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname":            "account",
		"_parentaccountid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "parentaccountid",
	}
	for k, v := range want {
		if all[k] != v {
			t.Errorf("%s = %v, want %v", k, all[k], v)
		}
	}
	// A single property, its raw value, a related record.
	if v := call(t, "GET", api(s)+"accounts("+id+")/name", nil).want(t, 200).body["value"]; v != "Contoso" {
		t.Errorf("name = %v", v)
	}
	req, _ := http.NewRequest("GET", api(s)+"accounts("+id+")/name/$value", nil)
	req.Header.Set("Authorization", "Bearer "+Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "Contoso" {
		t.Errorf("name/$value = %d %q", res.StatusCode, b)
	}
	rel := call(t, "GET", api(s)+"leads("+lead+")/parentaccountid?$select=name", nil).want(t, 200).body
	if rel["name"] != "Contoso" || rel["accountid"] != id {
		t.Errorf("related account %v", rel)
	}
	call(t, "GET", api(s)+"leads("+lead+")/parentcontactid", nil).want(t, 204)
}

func TestStrictAlternateKeys(t *testing.T) {
	s := NewServer(&Options{Schema: &SchemaExtension{Keys: []AlternateKey{{Table: "account", Columns: []string{"accountnumber"}}}}})
	defer s.Close()
	call(t, "PATCH", api(s)+"accounts(accountnumber='A-1')", map[string]any{"name": "Upserted"}).want(t, 204)
	if got := call(t, "GET", api(s)+"accounts(accountnumber='A-1')?$select=name", nil).want(t, 200).body; got["name"] != "Upserted" {
		t.Errorf("by key %v", got)
	}
	refusal{name: "miss", method: "GET", path: "accounts(accountnumber='B-2')", status: 404, code: "0x80060891",
		message: "A record with the specified key values does not exist in account entity"}.run(t, s)
	refusal{name: "miss on delete", method: "DELETE", path: "accounts(accountnumber='B-2')", status: 404, code: "0x80060891",
		message: "A record with the specified key values does not exist in account entity"}.run(t, s)
	refusal{name: "other columns", method: "GET", path: "accounts(name='Upserted')", status: 400, code: "0x80060890",
		message: "The specified key attributes are not a defined key for the account entity"}.run(t, s)
	refusal{name: "bind through a missing key", method: "POST", path: "contacts", body: map[string]any{"lastname": "X", "parentcustomerid_account@odata.bind": "accounts(accountnumber='B-2')"},
		status: 404, code: "0x80060891", message: "A record with the specified key values does not exist in account entity"}.run(t, s)
	call(t, "POST", api(s)+"contacts", map[string]any{"lastname": "X", "parentcustomerid_account@odata.bind": "accounts(accountnumber='A-1')"}).want(t, 204)
}

func TestStrictCustomSchema(t *testing.T) {
	s := NewServer(&Options{Schema: &SchemaExtension{
		Tables: []CustomTable{{LogicalName: "new_project", EntitySet: "new_projects"}},
		Columns: []CustomColumn{
			{Table: "lead", LogicalName: "new_tier", Type: Picklist, Options: map[int]string{1: "Gold", 2: "Silver"}},
			{Table: "new_project", LogicalName: "new_budget", Type: Money},
			{Table: "new_project", LogicalName: "new_accountid", Type: Lookup, Target: "account"},
		},
	}})
	defer s.Close()
	lead := call(t, "POST", api(s)+"leads", map[string]any{"lastname": "X", "new_tier": 1}, "Prefer", "return=representation").want(t, 201).body
	call(t, "POST", api(s)+"leads", map[string]any{"lastname": "X", "new_tier": 3}).want(t, 400)
	call(t, "POST", api(s)+"leads", map[string]any{"lastname": "X", "new_other": 3}).want(t, 400)
	got := call(t, "GET", api(s)+"leads("+lead["leadid"].(string)+")?$select=new_tier", nil, "Prefer", `odata.include-annotations="*"`).want(t, 200).body
	if got["new_tier@OData.Community.Display.V1.FormattedValue"] != "Gold" {
		t.Errorf("custom choice %v", got)
	}
	acct := call(t, "POST", api(s)+"accounts", map[string]any{"name": "A"}, "Prefer", "return=representation").want(t, 201).body["accountid"].(string)
	p := call(t, "POST", api(s)+"new_projects", map[string]any{"new_name": "P", "new_budget": 12.5, "new_accountid@odata.bind": "/accounts(" + acct + ")"},
		"Prefer", "return=representation").want(t, 201).body
	if p["_new_accountid_value"] != acct || p["_ownerid_value"] == nil {
		t.Errorf("custom table record %v", p)
	}
	if n := s.Count("new_projects"); n != 1 {
		t.Errorf("%d new_projects", n)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Options.Schema") {
			t.Errorf("NewServer with a bad extension: recovered %v", r)
		}
	}()
	NewServer(&Options{Schema: &SchemaExtension{Columns: []CustomColumn{{Table: "nosuchtable", LogicalName: "new_x", Type: String}}}})
}

func TestStrictSDKShapes(t *testing.T) {
	// The bodies of the SDK's own requests pass the checks: a lead with
	// the B2B columns, a note bound to it, an opportunity closed through
	// the actions.
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Proseware")
	call(t, "POST", api(s)+"annotations", map[string]any{"subject": "Note", "notetext": "Hi", "objectid_lead@odata.bind": "/leads(" + sub.LeadID.String() + ")"}).want(t, 204)
	q := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
		"OpportunityCurrencyId": map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.transactioncurrency", "transactioncurrencyid": USDCurrencyID},
	}).want(t, 200)
	if ctx := q.body["@odata.context"]; !strings.HasSuffix(ctx.(string), "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)") {
		t.Errorf("QualifyLead context %v", ctx)
	}
	var types []string
	for _, v := range q.values() {
		types = append(types, v["@odata.type"].(string))
	}
	if diff := cmp.Diff([]string{"#Microsoft.Dynamics.CRM.account", "#Microsoft.Dynamics.CRM.contact", "#Microsoft.Dynamics.CRM.opportunity"}, types); diff != "" {
		t.Errorf("QualifyLead created (-want +got):\n%s", diff)
	}

	// The QualifyLead body of domain.md, with its three optional
	// parameters, is accepted.
	acct := q.values()[0]["accountid"].(string)
	const campaign = "7d3a0f1e-5b6c-4d2e-8f90-0000000ca001"
	other := submit(t, s, "Fabrikam")
	q2 := call(t, "POST", api(s)+"leads("+other.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": false, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
		"OpportunityCurrencyId": map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.transactioncurrency", "transactioncurrencyid": EURCurrencyID},
		"OpportunityCustomerId": map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": acct},
		"SourceCampaignId":      map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.campaign", "campaignid": campaign},
	}).want(t, 200)
	oppID := q2.values()[1]["opportunityid"].(string)
	o := call(t, "GET", api(s)+"opportunities("+oppID+")?$select=_campaignid_value,_customerid_value,_transactioncurrencyid_value", nil).want(t, 200).body
	if o["_campaignid_value"] != campaign || o["_customerid_value"] != acct || o["_transactioncurrencyid_value"] != EURCurrencyID {
		t.Errorf("opportunity from the documented QualifyLead body: %v", o)
	}
}
