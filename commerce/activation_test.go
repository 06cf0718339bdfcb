package commerce_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/google/go-cmp/cmp"
)

// approvedPartner approves a prospect in the Commerce-only flow and returns
// the client, the organization customer and its hierarchy.
func approvedPartner(t *testing.T, srv *dualwritetest.Server) (*commerce.Client, *commerce.Customer, *commerce.Hierarchy) {
	t.Helper()
	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Prospects.Approve(ctx, sub.Company, sub.ProspectID, nil); err != nil {
		t.Fatal(err)
	}
	var org *commerce.Customer
	for cu, err := range c.Customers.List(ctx, &commerce.ListOptions{Query: d365.Query{Filter: d365.Filterf("PartyType eq %v", "Organization")}}) {
		if err != nil {
			t.Fatal(err)
		}
		org = cu
	}
	if org == nil {
		t.Fatal("approval created no organization customer")
	}
	h, err := c.Hierarchies.ForOrganization(ctx, org.PartyNumber)
	if err != nil {
		t.Fatal(err)
	}
	return c, org, h
}

// TestPartnerUserWritesAgainstEmulator adds a B2B user as Commerce does (a
// Person customer, then a User node), sets the organization's credit terms,
// and removes the user: each write reaches Dataverse through dual-write
// (contact, msdyn_customerhierarchynode), and the removal keeps the
// customer.
func TestPartnerUserWritesAgainstEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, org, h := approvedPartner(t, srv)
	ctx := context.Background()

	limit := d365.Decimal("25000")
	if err := c.Customers.Update(ctx, org.DataAreaID, org.CustomerAccount, &commerce.CustomerChanges{
		CreditLimit: &limit, CreditLimitIsMandatory: commerce.Yes, AllowOnAccount: commerce.Yes,
	}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.Customers.Get(ctx, org.DataAreaID, org.CustomerAccount, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreditLimit != "25000" || got.CreditLimitIsMandatory != commerce.Yes || got.AllowOnAccount != commerce.Yes {
		t.Errorf("credit terms = %s %s %s", got.CreditLimit, got.CreditLimitIsMandatory, got.AllowOnAccount)
	}
	for _, a := range srv.Rows("accounts") {
		if a["accountnumber"] == org.CustomerAccount && a["msdyn_creditlimitismandatory"] != true {
			t.Errorf("account after dual-write: msdyn_creditlimitismandatory = %v", a["msdyn_creditlimitismandatory"])
		}
	}

	contacts := srv.Count("contacts")
	person, err := c.Customers.Create(ctx, &commerce.Customer{
		PartyType: commerce.PartyPerson, PersonFirstName: "Robin", PersonLastName: "Buyer",
		PrimaryContactEmail: "robin@fabrikam.example", InvoiceAccount: org.CustomerAccount,
	})
	if err != nil {
		t.Fatal(err)
	}
	if person.CustomerAccount == "" || person.PartyNumber == "" || person.DataAreaID != srv.Company() {
		t.Fatalf("created customer = %+v", person)
	}
	if n := srv.Count("contacts"); n != contacts+1 {
		t.Errorf("contacts = %d, want %d (the Person customer through dual-write)", n, contacts+1)
	}
	found, err := c.Customers.ByEmail(ctx, srv.Company(), "robin@fabrikam.example", commerce.PartyPerson)
	if err != nil || len(found) != 1 || found[0].CustomerAccount != person.CustomerAccount {
		t.Errorf("ByEmail = %v, %v", found, err)
	}

	nodes := srv.Count("msdyn_customerhierarchynodes")
	n, err := c.Hierarchies.AddNode(ctx, &commerce.HierarchyNode{CustomerHierarchyID: h.CustomerHierarchyID, NodePartyNumber: person.PartyNumber, Role: commerce.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if n.Role != commerce.RoleUser || n.NodeType != commerce.NodeCustomer {
		t.Errorf("node = %+v", n)
	}
	if got := srv.Count("msdyn_customerhierarchynodes"); got != nodes+1 {
		t.Errorf("Dataverse nodes = %d, want %d", got, nodes+1)
	}
	h, err = c.Hierarchies.Get(ctx, h.CustomerHierarchyID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Admins()) != 1 || len(h.Users()) != 1 || h.Users()[0].NodePartyNumber != person.PartyNumber {
		t.Errorf("hierarchy nodes = %+v", h.Nodes)
	}

	// An unknown party and an unknown hierarchy are refused, and so is a
	// second Admin.
	for name, node := range map[string]*commerce.HierarchyNode{
		"unknown party": {CustomerHierarchyID: h.CustomerHierarchyID, NodePartyNumber: "999999999", Role: commerce.RoleUser},
		"unknown hier":  {CustomerHierarchyID: "CH-999999", NodePartyNumber: person.PartyNumber, Role: commerce.RoleUser},
	} {
		_, err := c.Hierarchies.AddNode(ctx, node)
		var e *d365.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: err = %v, want a 500 write failure", name, err)
		}
	}
	if err := c.Hierarchies.SetRole(ctx, h.CustomerHierarchyID, person.PartyNumber, commerce.RoleAdmin, nil); err == nil {
		t.Error("SetRole to a second Admin succeeded")
	}

	if err := c.Hierarchies.RemoveNode(ctx, h.CustomerHierarchyID, person.PartyNumber); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hierarchies.Node(ctx, h.CustomerHierarchyID, person.PartyNumber); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("node after removal: %v, want not found", err)
	}
	if err := c.Hierarchies.RemoveNode(ctx, h.CustomerHierarchyID, person.PartyNumber); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("second removal: %v, want not found", err)
	}
	if got := srv.Count("msdyn_customerhierarchynodes"); got != nodes {
		t.Errorf("Dataverse nodes after removal = %d, want %d", got, nodes)
	}
	if _, err := c.Customers.Get(ctx, person.DataAreaID, person.CustomerAccount, nil); err != nil {
		t.Errorf("the customer is gone with its node: %v", err)
	}
}

// TestPartnerWritesValidation refuses bad input before any request,
// naming the field.
func TestPartnerWritesValidation(t *testing.T) {
	c := offlineClient(t, "usrt")
	ctx := context.Background()
	bad := d365.Decimal("lots")
	neg := d365.Decimal("-1")
	for _, tc := range []struct {
		name, want string
		call       func() error
	}{
		{"update no company", "company", func() error {
			return c.Customers.Update(ctx, "", "US-001", &commerce.CustomerChanges{AllowOnAccount: commerce.Yes}, nil)
		}},
		{"update nothing", "changes", func() error { return c.Customers.Update(ctx, "usrt", "US-001", &commerce.CustomerChanges{}, nil) }},
		{"update bad limit", "CustomerChanges.CreditLimit", func() error {
			return c.Customers.Update(ctx, "usrt", "US-001", &commerce.CustomerChanges{CreditLimit: &bad}, nil)
		}},
		{"update negative limit", "CustomerChanges.CreditLimit", func() error {
			return c.Customers.Update(ctx, "usrt", "US-001", &commerce.CustomerChanges{CreditLimit: &neg}, nil)
		}},
		{"update bad enum", "CustomerChanges.AllowOnAccount", func() error {
			return c.Customers.Update(ctx, "usrt", "US-001", &commerce.CustomerChanges{AllowOnAccount: "true"}, nil)
		}},
		{"create no party type", "Customer.PartyType", func() error { _, err := c.Customers.Create(ctx, &commerce.Customer{}); return err }},
		{"create nil", "customer", func() error { _, err := c.Customers.Create(ctx, nil); return err }},
		{"by email empty", "email", func() error { _, err := c.Customers.ByEmail(ctx, "usrt", " ", ""); return err }},
		{"node no hierarchy", "HierarchyNode.CustomerHierarchyID", func() error {
			_, err := c.Hierarchies.AddNode(ctx, &commerce.HierarchyNode{NodePartyNumber: "1", Role: commerce.RoleUser})
			return err
		}},
		{"node no role", "HierarchyNode.Role", func() error {
			_, err := c.Hierarchies.AddNode(ctx, &commerce.HierarchyNode{CustomerHierarchyID: "CH-1", NodePartyNumber: "1"})
			return err
		}},
		{"node bad role", "role", func() error { return c.Hierarchies.SetRole(ctx, "CH-1", "1", "Owner", nil) }},
		{"remove no party", "partyNumber", func() error { return c.Hierarchies.RemoveNode(ctx, "CH-1", "") }},
	} {
		err := tc.call()
		var ie *d365.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an input error naming %s", tc.name, err, tc.want)
		}
	}
}

// TestPartnerWritesOnTheWire checks the requests: the compound node key,
// the PATCH body and the create's Prefer header.
func TestPartnerWritesOnTheWire(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, org, h := approvedPartner(t, srv)
	ctx := context.Background()
	srv.ResetRequests()
	limit := d365.Decimal("100.50")
	if err := c.Customers.Update(ctx, org.DataAreaID, org.CustomerAccount, &commerce.CustomerChanges{CreditLimit: &limit}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hierarchies.Node(ctx, h.CustomerHierarchyID, h.Admins()[0].NodePartyNumber); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{
		"PATCH /data/CustomersV3(dataAreaId='usrt',CustomerAccount='" + org.CustomerAccount + "')",
		"GET /data/CustomerHierarchyNodes(CustomerHierarchyId='" + h.CustomerHierarchyID + "',NodePartyNumber='" + h.Admins()[0].NodePartyNumber + "')",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
