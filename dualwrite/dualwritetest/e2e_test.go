package dualwritetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
)

func submit(t *testing.T, s *Server, company string) *Submitted {
	t.Helper()
	sub, err := s.SubmitOnboardingRequest(OnboardingRequest{
		FirstName: "Ana", LastName: "O'Neil", Company: company, Email: "ana@" + company + ".example",
		Phone: "+1 555 0100", ZipCode: "98052", Comments: "We sell bikes.", Channel: "000000042",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func prospect(t *testing.T, s *Server, sub *Submitted) map[string]any {
	t.Helper()
	key := fmt.Sprintf("Prospects(dataAreaId='%s',ProspectId='%s')", sub.Company, sub.ProspectID)
	return call(t, "GET", data(s)+key, nil).want(t, 200).body
}

func num(v any) int { return dataverse.IntOf(v) }

func TestEndToEndApprove(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Contoso Bikes")

	// The lead exists, is a B2B prospect, and shows in the B2B view.
	lead := call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil, "Prefer", `odata.include-annotations="*"`).want(t, 200).body
	if lead["msdyn_b2bcommerceprospect"] != true || num(lead["msdyn_b2bprospectstatus"]) != dualwrite.DataversePending ||
		lead["msdyn_prospectid"] != sub.ProspectID || lead["fullname"] != "Ana O'Neil" || lead["subject"] != "B2B onboarding request: Contoso Bikes" {
		t.Fatalf("lead = %v", lead)
	}
	if lead["msdyn_b2bprospectstatus@OData.Community.Display.V1.FormattedValue"] != "Pending" {
		t.Errorf("formatted status = %v", lead["msdyn_b2bprospectstatus@OData.Community.Display.V1.FormattedValue"])
	}
	view := call(t, "GET", api(s)+"leads?savedQuery="+B2BLeadsViewID, nil).want(t, 200).values()
	if len(view) != 1 || view[0]["leadid"] != sub.LeadID.String() {
		t.Fatalf("B2B view = %v", view)
	}
	if mine := call(t, "GET", api(s)+"leads?savedQuery="+MyOpenLeadsViewID, nil).want(t, 200).values(); len(mine) != 0 {
		t.Errorf("My open leads shows %d B2B leads", len(mine))
	}
	notes := call(t, "GET", api(s)+"annotations?$filter="+url.QueryEscape("_objectid_value eq "+sub.LeadID.String()), nil).want(t, 200).values()
	if len(notes) != 1 || notes[0]["subject"] != "Created by dual-write" {
		t.Fatalf("notes = %v", notes)
	}

	// Qualify.
	q := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
	}).want(t, 200)
	ids := map[string]string{}
	for _, v := range q.values() {
		typ := v["@odata.type"].(string)[len("#Microsoft.Dynamics.CRM."):]
		ids[typ] = v[typ+"id"].(string)
	}
	if len(ids) != 3 {
		t.Fatalf("QualifyLead returned %v", q.raw)
	}
	lead = call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["statecode"]) != 1 || num(lead["statuscode"]) != 3 || lead["_qualifyingopportunityid_value"] != ids["opportunity"] {
		t.Fatalf("qualified lead = %v", lead)
	}
	contact := call(t, "GET", api(s)+"contacts("+ids["contact"]+")", nil).want(t, 200).body
	if contact["_parentcustomerid_value"] != ids["account"] || contact["msdyn_contactpersonid"] == nil {
		t.Fatalf("contact = %v", contact)
	}
	// The account and the contact are Commerce customers now.
	custs := call(t, "GET", data(s)+"CustomersV3", nil).want(t, 200).values()
	if len(custs) != 2 {
		t.Fatalf("customers after qualify = %v", custs)
	}
	// Qualifying twice fails.
	again := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{"CreateAccount": true, "CreateContact": false, "CreateOpportunity": false, "Status": 3}).want(t, 400)
	if again.errorCode() == "" {
		t.Errorf("second qualify: %s", again.raw)
	}

	// Win.
	call(t, "POST", api(s)+"WinOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{
		"subject": "Won", "opportunityid@odata.bind": "opportunities(" + ids["opportunity"] + ")"}}).want(t, 204)
	opp := call(t, "GET", api(s)+"opportunities("+ids["opportunity"]+")", nil).want(t, 200).body
	if num(opp["statecode"]) != 1 || num(opp["statuscode"]) != 3 || opp["_originatingleadid_value"] != sub.LeadID.String() {
		t.Fatalf("won opportunity = %v", opp)
	}
	// Winning again fails.
	call(t, "POST", api(s)+"WinOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{
		"subject": "Won", "opportunityid@odata.bind": "opportunities(" + ids["opportunity"] + ")"}}).want(t, 400)

	// Commerce: approved, customers, hierarchy with the Admin node.
	if p := prospect(t, s, sub); p["B2BProspectStatus"] != "Approved" {
		t.Fatalf("prospect = %v", p)
	}
	f := url.QueryEscape("PartyType eq 'Organization'")
	orgs := call(t, "GET", data(s)+"CustomersV3?$filter="+f, nil).want(t, 200).values()
	persons := call(t, "GET", data(s)+"CustomersV3?$filter="+url.QueryEscape("PartyType eq 'Person'"), nil).want(t, 200).values()
	if len(orgs) != 1 || len(persons) != 1 || orgs[0]["OrganizationName"] != "Contoso Bikes" || persons[0]["PersonLastName"] != "O'Neil" {
		t.Fatalf("orgs %v persons %v", orgs, persons)
	}
	hs := call(t, "GET", data(s)+"CustomerHiearchies?$filter="+url.QueryEscape("OrganizationPartyNumber eq '"+orgs[0]["PartyNumber"].(string)+"'"), nil).want(t, 200).values()
	if len(hs) != 1 || hs[0]["Purpose"] != "B2BOrganization" {
		t.Fatalf("hierarchies = %v", hs)
	}
	nodes := call(t, "GET", data(s)+"CustomerHierarchyNodes", nil).want(t, 200).values()
	if len(nodes) != 1 || nodes[0]["Role"] != "Admin" || nodes[0]["NodePartyNumber"] != persons[0]["PartyNumber"] || nodes[0]["CustomerHierarchyId"] != hs[0]["CustomerHierarchyId"] {
		t.Fatalf("nodes = %v", nodes)
	}
	// Dataverse mirrors.
	acct := call(t, "GET", api(s)+"accounts("+ids["account"]+")", nil).want(t, 200).body
	if acct["accountnumber"] != orgs[0]["CustomerAccount"] {
		t.Errorf("account number %v, customer %v", acct["accountnumber"], orgs[0]["CustomerAccount"])
	}
	dh := call(t, "GET", api(s)+"msdyn_customerhierarchies", nil).want(t, 200).values()
	dn := call(t, "GET", api(s)+"msdyn_customerhierarchynodes", nil).want(t, 200).values()
	if len(dh) != 1 || dh[0]["msdyn_customerhierarchynumber"] != hs[0]["CustomerHierarchyId"] || num(dh[0]["msdyn_purpose"]) != 192350000 {
		t.Fatalf("msdyn_customerhierarchies = %v", dh)
	}
	if len(dn) != 1 || num(dn[0]["msdyn_role"]) != 192350000 || dn[0]["_msdyn_customerhierarchynumber_value"] != dh[0]["msdyn_customerhierarchyid"] {
		t.Fatalf("msdyn_customerhierarchynodes = %v", dn)
	}
	lead = call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["msdyn_b2bprospectstatus"]) != dualwrite.DataverseApproved {
		t.Errorf("lead status %v", lead["msdyn_b2bprospectstatus"])
	}
	if n := len(call(t, "GET", api(s)+"leads?savedQuery="+B2BLeadsViewID, nil).want(t, 200).values()); n != 0 {
		t.Errorf("B2B view still shows %d leads", n)
	}
}

func TestEndToEndDisqualify(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Fabrikam")
	// A bad state/status pair is refused.
	call(t, "PATCH", api(s)+"leads("+sub.LeadID.String()+")", map[string]any{"statecode": 2, "statuscode": 3}).want(t, 400)
	call(t, "PATCH", api(s)+"leads("+sub.LeadID.String()+")", map[string]any{"statecode": 2, "statuscode": 6}).want(t, 204)
	lead := call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["msdyn_b2bprospectstatus"]) != dualwrite.DataverseRejected {
		t.Fatalf("lead = %v", lead)
	}
	if p := prospect(t, s, sub); p["B2BProspectStatus"] != "Rejected" {
		t.Fatalf("prospect = %v", p)
	}
	if n := s.Count("CustomersV3"); n != 0 {
		t.Errorf("%d customers after a rejection", n)
	}
	// A disqualified lead cannot be qualified.
	call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{"CreateAccount": false, "CreateContact": false, "CreateOpportunity": true, "Status": 3}).want(t, 400)
}

func TestEndToEndLose(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Northwind")
	q := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
		"OpportunityCurrencyId": map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.transactioncurrency", "transactioncurrencyid": EURCurrencyID},
	}).want(t, 200)
	var oppID string
	for _, v := range q.values() {
		if v["@odata.type"] == "#Microsoft.Dynamics.CRM.opportunity" {
			oppID = v["opportunityid"].(string)
			if v["_transactioncurrencyid_value"] != EURCurrencyID {
				t.Errorf("currency = %v", v["_transactioncurrencyid_value"])
			}
		}
	}
	call(t, "POST", api(s)+"LoseOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{
		"subject": "Lost", "opportunityid@odata.bind": "/opportunities(" + oppID + ")"}}).want(t, 400) // 3 is not a Lost status
	call(t, "POST", api(s)+"LoseOpportunity", map[string]any{"Status": 5, "OpportunityClose": map[string]any{
		"subject": "Lost", "opportunityid@odata.bind": "/opportunities(" + oppID + ")"}}).want(t, 204)
	if p := prospect(t, s, sub); p["B2BProspectStatus"] != "Rejected" {
		t.Fatalf("prospect = %v", p)
	}
	opp := call(t, "GET", api(s)+"opportunities("+oppID+")?$select=statecode,statuscode", nil).want(t, 200).body
	if num(opp["statecode"]) != 2 || num(opp["statuscode"]) != 5 {
		t.Fatalf("opportunity = %v", opp)
	}
	if n := s.Count("CustomerHiearchies"); n != 0 {
		t.Errorf("%d hierarchies after a loss", n)
	}
}

func TestCommerceOnlyApprove(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Litware")
	p := prospect(t, s, sub)
	key := fmt.Sprintf("Prospects(dataAreaId='%s',ProspectId='%s')", sub.Company, sub.ProspectID)
	call(t, "PATCH", data(s)+key, map[string]any{"B2BProspectStatus": "Bogus"}).want(t, 400)
	call(t, "PATCH", data(s)+key, map[string]any{"B2BProspectStatus": "Approved"}, "If-Match", "W/\"stale\"").want(t, 412)
	call(t, "PATCH", data(s)+key, map[string]any{"B2BProspectStatus": "Approved"}, "If-Match", p["@odata.etag"].(string)).want(t, 204)
	lead := call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["msdyn_b2bprospectstatus"]) != dualwrite.DataverseApproved {
		t.Fatalf("lead = %v", lead)
	}
	if s.Count("CustomersV3") != 2 || s.Count("accounts") != 1 || s.Count("contacts") != 1 || s.Count("CustomerHierarchyNodes") != 1 || s.Count("msdyn_customerhierarchynodes") != 1 {
		t.Fatalf("customers %d accounts %d contacts %d nodes %d/%d", s.Count("CustomersV3"), s.Count("accounts"), s.Count("contacts"), s.Count("CustomerHierarchyNodes"), s.Count("msdyn_customerhierarchynodes"))
	}
}

func TestSyncFailureRollsBack(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Adatum")
	s.FailSync("CustomersV3")
	r := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
	}).want(t, 400)
	if r.errorCode() != "0x80040265" {
		t.Errorf("code %q", r.errorCode())
	}
	if s.Count("accounts")+s.Count("contacts")+s.Count("opportunities")+s.Count("CustomersV3") != 0 {
		t.Fatalf("the failed qualify left records behind")
	}
	lead := call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["statecode"]) != 0 {
		t.Fatalf("lead = %v", lead)
	}
	// The next attempt works.
	call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{
		"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3,
	}).want(t, 200)
}

func TestUnauthorized(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	res, err := http.Get(api(s) + "leads")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 || body["error"]["message"] == "" {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
}

func TestOnboardingEndpoint(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	r := call(t, "POST", s.SalesURL+OnboardingPath, map[string]any{"LastName": "Kim", "Company": "Wingtip", "Email": "kim@wingtip.example"}).want(t, 201)
	if r.body["LeadID"] == "" || r.body["ProspectID"] != "P-000001" {
		t.Fatalf("%s", r.raw)
	}
	call(t, "POST", s.SalesURL+OnboardingPath, map[string]any{"LastName": "Kim"}).want(t, 400)
}

func TestDataverseStatusPatch(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Proseware")
	// A value the choice does not have is refused by Dataverse itself
	// (0x8004431a, before dual-write runs): nothing changes.
	r := call(t, "PATCH", api(s)+"leads("+sub.LeadID.String()+")", map[string]any{"msdyn_b2bprospectstatus": 5}).want(t, 400)
	if r.errorCode() != "0x8004431a" || !strings.Contains(r.raw, "picklist value is out of the range") {
		t.Errorf("unknown status: %s", r.raw)
	}
	lead := call(t, "GET", api(s)+"leads("+sub.LeadID.String()+")", nil).want(t, 200).body
	if num(lead["msdyn_b2bprospectstatus"]) != dualwrite.DataversePending {
		t.Fatalf("lead changed: %v", lead)
	}
	// Approving directly on the lead approves the prospect, which creates the
	// customers and the hierarchy, mirrored back as account and contact.
	call(t, "PATCH", api(s)+"leads("+sub.LeadID.String()+")", map[string]any{"msdyn_b2bprospectstatus": dualwrite.DataverseApproved, "telephone1": "+1 555 0199"}).want(t, 204)
	p := prospect(t, s, sub)
	if p["B2BProspectStatus"] != "Approved" || p["PrimaryPhoneNumber"] != "+1 555 0199" {
		t.Fatalf("prospect = %v", p)
	}
	if s.Count("CustomersV3") != 2 || s.Count("accounts") != 1 || s.Count("contacts") != 1 || s.Count("msdyn_customerhierarchies") != 1 {
		t.Fatalf("customers %d accounts %d contacts %d hierarchies %d", s.Count("CustomersV3"), s.Count("accounts"), s.Count("contacts"), s.Count("msdyn_customerhierarchies"))
	}
	contact := s.Rows("contacts")[0]
	if contact["lastname"] != "O'Neil" || contact["msdyn_contactpersonid"] == nil || contact["_msdyn_partyid_value"] == nil {
		t.Errorf("contact = %v", contact)
	}
}

func TestTokenAndCredential(t *testing.T) {
	s := NewServer(&Options{Faults: &Faults{Throttle: 1}}) // faults never touch the token endpoint
	defer s.Close()
	res, err := http.PostForm(s.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok["access_token"] != Token || tok["token_type"] != "Bearer" {
		t.Fatalf("%d %v", res.StatusCode, tok)
	}
	ot, err := s.Credential().Token(t.Context(), s.SalesURL)
	if err != nil || ot.AccessToken != Token {
		t.Fatalf("credential: %v %v", ot, err)
	}
	// Commerce refuses a wrong token in its own error shape.
	req, _ := http.NewRequest("GET", data(s)+"Prospects", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 401 || body["error"]["innererror"] == nil {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
}
