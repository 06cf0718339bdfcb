package dualwritetest

import (
	"net/url"
	"strings"
	"testing"
)

// TestPartnerUsersOnTheWire adds a B2B user the way headquarters does, over
// raw OData: a Person customer (which dual-write makes a sellable contact),
// then a User node of the partner's hierarchy (mirrored to
// msdyn_customerhierarchynodes); then removes the node (the mirror goes,
// the customer stays). The node entity is as strict as the others: unknown
// fields 400, missing key fields and broken relations refused as write
// failures (500), PUT 501.
func TestPartnerUsersOnTheWire(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Coho")
	call(t, "PATCH", data(s)+"Prospects(dataAreaId='usrt',ProspectId='"+sub.ProspectID+"')", map[string]any{"B2BProspectStatus": "Approved"}).want(t, 204)
	h := call(t, "GET", data(s)+"CustomerHiearchies", nil).want(t, 200).values()
	if len(h) != 1 {
		t.Fatalf("hierarchies: %v", h)
	}
	hid := h[0]["CustomerHierarchyId"].(string)

	r := call(t, "POST", data(s)+"CustomersV3", map[string]any{"dataAreaId": "usrt", "PartyType": "Person", "PersonLastName": "X", "InvoiceAccount": "NO-SUCH"}).want(t, 500)
	if !strings.Contains(r.raw, "InvoiceAccount") {
		t.Errorf("unknown invoice account: %s", r.raw)
	}
	contacts := s.Count("contacts")
	c := call(t, "POST", data(s)+"CustomersV3", map[string]any{
		"dataAreaId": "usrt", "PartyType": "Person", "PersonFirstName": "Robin", "PersonLastName": "Buyer",
		"PrimaryContactEmail": "robin@coho.example",
	}).want(t, 201).body
	party, account := c["PartyNumber"].(string), c["CustomerAccount"].(string)
	if party == "" || account == "" {
		t.Fatalf("created customer: %v", c)
	}
	if s.Count("contacts") != contacts+1 {
		t.Errorf("contacts = %d, want %d", s.Count("contacts"), contacts+1)
	}
	found := false
	for _, ct := range s.Rows("contacts") {
		if ct["msdyn_contactpersonid"] == account {
			found = ct["msdyn_sellable"] == true && ct["firstname"] == "Robin" && ct["lastname"] == "Buyer" && ct["emailaddress1"] == "robin@coho.example"
		}
	}
	if !found {
		t.Errorf("no sellable contact for %s: %v", account, s.Rows("contacts"))
	}

	nodes := s.Count("msdyn_customerhierarchynodes")
	for _, tc := range []struct {
		body   map[string]any
		status int
		text   string
	}{
		{map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": party, "Role": "User", "Color": "red"}, 400, "Color"},
		{map[string]any{"CustomerHierarchyId": hid, "Role": "User"}, 500, "NodePartyNumber"},
		{map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": party}, 500, "Role"},
		{map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": party, "Role": "Owner"}, 400, "Owner"},
		{map[string]any{"CustomerHierarchyId": "CH-404", "NodePartyNumber": party, "Role": "User"}, 500, "CH-404"},
		{map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": "000404404", "Role": "User"}, 500, "000404404"},
		{map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": party, "Role": "Admin"}, 500, "Admin"},
	} {
		r := call(t, "POST", data(s)+"CustomerHierarchyNodes", tc.body).want(t, tc.status)
		if !strings.Contains(r.raw, tc.text) {
			t.Errorf("%v: %s, want it to name %s", tc.body, r.raw, tc.text)
		}
	}
	if got := s.Count("CustomerHierarchyNodes"); got != 1 {
		t.Fatalf("refused nodes were stored: %d nodes", got)
	}
	n := call(t, "POST", data(s)+"CustomerHierarchyNodes", map[string]any{"CustomerHierarchyId": hid, "NodePartyNumber": party, "Role": "User", "NodeType": "Customer"}).want(t, 201).body
	if n["Role"] != "User" || n["VersionRemoved"] == nil {
		t.Errorf("node: %v", n)
	}
	if s.Count("msdyn_customerhierarchynodes") != nodes+1 {
		t.Errorf("mirrored nodes = %d, want %d", s.Count("msdyn_customerhierarchynodes"), nodes+1)
	}
	key := "CustomerHierarchyNodes(CustomerHierarchyId='" + hid + "',NodePartyNumber='" + party + "')"
	call(t, "PUT", data(s)+key, map[string]any{"Role": "User"}).want(t, 501)
	call(t, "GET", data(s)+"CustomerHierarchyNodes('"+hid+"')", nil).want(t, 400) // both key fields are required
	f := url.QueryEscape("CustomerHierarchyId eq '" + hid + "' and Role eq Microsoft.Dynamics.DataEntities.CustHierarchyNodeRole'User'")
	if rows := call(t, "GET", data(s)+"CustomerHierarchyNodes?$filter="+f, nil).want(t, 200).values(); len(rows) != 1 {
		t.Errorf("User nodes: %v", rows)
	}

	// A failed mirror rolls the removal back.
	s.FailSync("msdyn_customerhierarchynodes")
	call(t, "DELETE", data(s)+key, nil).want(t, 500)
	call(t, "GET", data(s)+key, nil).want(t, 200)
	call(t, "DELETE", data(s)+key, nil).want(t, 204)
	call(t, "GET", data(s)+key, nil).want(t, 404)
	call(t, "DELETE", data(s)+key, nil).want(t, 404)
	if s.Count("msdyn_customerhierarchynodes") != nodes {
		t.Errorf("mirrored nodes after removal = %d, want %d", s.Count("msdyn_customerhierarchynodes"), nodes)
	}
	call(t, "GET", data(s)+"CustomersV3(dataAreaId='usrt',CustomerAccount='"+account+"')", nil).want(t, 200)
}

// TestOnboardingRequestInAnotherCompany submits a request in usmf: the
// prospect is there (seen cross-company only), and approving its lead
// creates its customers there too.
func TestOnboardingRequestInAnotherCompany(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub, err := s.SubmitOnboardingRequest(OnboardingRequest{LastName: "Kim", Company: "Beta Ltd", Email: "kim@beta.example", DataAreaID: "USMF"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Company != "usmf" {
		t.Errorf("Submitted.Company = %q", sub.Company)
	}
	if n := len(call(t, "GET", data(s)+"Prospects", nil).want(t, 200).values()); n != 0 {
		t.Errorf("the default company sees %d prospects", n)
	}
	call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead",
		map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}).want(t, 200)
	rows := call(t, "GET", data(s)+"CustomersV3?cross-company=true", nil).want(t, 200).values()
	if len(rows) != 2 {
		t.Fatalf("customers: %v", rows)
	}
	for _, c := range rows {
		if c["dataAreaId"] != "usmf" {
			t.Errorf("customer %v is in %v, want usmf", c["CustomerAccount"], c["dataAreaId"])
		}
	}
}
