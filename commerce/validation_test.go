package commerce_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
)

// noRequests is a transport that fails the test on any request.
type noRequests struct{ t *testing.T }

func (n noRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no request expected")
}

func offlineClient(t *testing.T, company string) *commerce.Client {
	t.Helper()
	c, err := commerce.NewClient(env, d365.StaticTokenCredential("test-token"), &commerce.Options{
		ClientOptions: d365.ClientOptions{HTTPClient: &http.Client{Transport: noRequests{t}}},
		Company:       company,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// firstErr returns the first error of a listing.
func firstErr[T any](seq func(func(T, error) bool)) error {
	for _, err := range seq {
		return err
	}
	return nil
}

func TestNewClientValidation(t *testing.T) {
	cred := d365.StaticTokenCredential("test-token")
	for _, tc := range []struct {
		url, company, want string
	}{
		{"", "", "envURL"},
		{"http://contoso.operations.dynamics.com", "", "envURL"},
		{"https://contoso.operations.dynamics.com?x=1", "", "envURL"},
		{env, "us\nrt", "Options.Company"},
		{env, "  ", "Options.Company"},
	} {
		_, err := commerce.NewClient(tc.url, cred, &commerce.Options{Company: tc.company})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q, company %q) = %v, want an error naming %s", tc.url, tc.company, err, tc.want)
		}
	}
	c, err := commerce.NewClient(env+"/", cred, nil)
	if err != nil || c.Company() != "" {
		t.Errorf("NewClient(nil options) = %v, %v", c, err)
	}
}

func TestBadInputFailsBeforeAnyRequest(t *testing.T) {
	c := offlineClient(t, "usrt")
	ctx := context.Background()
	big := &commerce.ListOptions{Query: d365.Query{PageSize: 10001}}
	_, errGetProspect := c.Prospects.Get(ctx, "", "P-001", nil)
	_, errGetProspectID := c.Prospects.Get(ctx, "usrt", " ", nil)
	_, errGetCustomer := c.Customers.Get(ctx, "usrt", "", nil)
	_, errByParty := c.Customers.ByPartyNumber(ctx, "")
	_, errHierarchy := c.Hierarchies.Get(ctx, "", nil)
	_, errForOrg := c.Hierarchies.ForOrganization(ctx, "")
	_, errCreate := c.Prospects.Create(ctx, nil)
	_, errCreateCompany := offlineClient(t, "").Prospects.Create(ctx, &commerce.Prospect{ProspectName: "x"})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Prospects.Get company", errGetProspect, "company is empty"},
		{"Prospects.Get id", errGetProspectID, "ProspectId is empty"},
		{"Customers.Get account", errGetCustomer, "CustomerAccount is empty"},
		{"Customers.ByPartyNumber", errByParty, "partyNumber is empty"},
		{"Hierarchies.Get", errHierarchy, "CustomerHierarchyId is empty"},
		{"Hierarchies.ForOrganization", errForOrg, "partyNumber is empty"},
		{"Hierarchies.Nodes", firstErr(c.Hierarchies.Nodes(ctx, "")), "id is empty"},
		{"Prospects.Create nil", errCreate, "prospect is empty"},
		{"Prospects.Create company", errCreateCompany, "DataAreaID"},
		{"Prospects.Approve", c.Prospects.Approve(ctx, "usrt", "", nil), "ProspectId is empty"},
		{"Prospects.Reject", c.Prospects.Reject(ctx, "", "P-1", nil), "company is empty"},
		{"Prospects.Approve IfMatch", c.Prospects.Approve(ctx, "usrt", "P-1", &d365.UpdateOptions{IfMatch: "a\r\nb"}), "IfMatch"},
		{"Prospects.ListB2B", firstErr(c.Prospects.ListB2B(ctx, "")), "status is empty"},
		{"Prospects.List page size", firstErr(c.Prospects.List(ctx, big)), "PageSize is 10001"},
		{"Customers.List page size", firstErr(c.Customers.List(ctx, big)), "PageSize is 10001"},
		{"Prospects.List Top", firstErr(c.Prospects.List(ctx, &commerce.ListOptions{Query: d365.Query{Top: -1}})), "Query.Top"},
		{"Prospects.List company and cross-company", firstErr(c.Prospects.List(ctx, &commerce.ListOptions{Company: "usmf", CrossCompany: true})), "CrossCompany"},
		{"Hierarchies.List company", firstErr(c.Hierarchies.List(ctx, &commerce.ListOptions{Company: "usrt"})), "not company-specific"},
		{"DualWrite.List cross-company", firstErr(c.DualWrite.List(ctx, &commerce.ListOptions{CrossCompany: true})), "not company-specific"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestEnumLiterals(t *testing.T) {
	got := d365.Filterf("IsB2BProspect eq %v and B2BProspectStatus ne %v", commerce.Yes.Enum(), commerce.ProspectRejected.Enum())
	want := "IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes' and B2BProspectStatus ne Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Rejected'"
	if got != want {
		t.Errorf("filter = %s\nwant     %s", got, want)
	}
	// The values format themselves: no Enum call needed.
	if got := d365.Filterf("IsB2BProspect eq %v and B2BProspectStatus ne %v", commerce.Yes, commerce.ProspectRejected); got != want {
		t.Errorf("filter = %s\nwant     %s", got, want)
	}
	for _, c := range []struct{ got, want string }{
		{d365.Filterf("B2BProspectStatus eq %v", commerce.ProspectPending), "B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"},
		{d365.Filterf("Purpose eq %v", commerce.PurposeB2BOrganization), "Purpose eq Microsoft.Dynamics.DataEntities.CustHierarchyPurpose'B2BOrganization'"},
		{d365.Filterf("Role eq %v", commerce.RoleAdmin), "Role eq Microsoft.Dynamics.DataEntities.CustHierarchyNodeRole'Admin'"},
		{d365.Filterf("NodeType eq %v", commerce.NodeCustomer), "NodeType eq Microsoft.Dynamics.DataEntities.CustHierarchyNodeType'Customer'"},
		{d365.Filterf("Status eq %v", commerce.DualWriteQueueing), "Status eq Microsoft.Dynamics.DataEntities.DualWriteProjectStatus'Queueing'"},
		// PartyType is a string field, not an enum.
		{d365.Filterf("PartyType eq %v", commerce.PartyOrganization), "PartyType eq 'Organization'"},
	} {
		if c.got != c.want {
			t.Errorf("filter = %s\nwant     %s", c.got, c.want)
		}
	}
}
