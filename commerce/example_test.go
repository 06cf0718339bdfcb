package commerce_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
)

// fakeHQ starts a stand-in for a Commerce headquarters environment that
// answers just the calls of the examples, with canned Finance and Operations
// records. Real programs pass their environment URL instead, such as
// https://contoso.operations.dynamics.com.
func fakeHQ() *httptest.Server {
	answers := map[string]string{
		"/data/Prospects": `{"value":[
			{"@odata.etag":"W/\"JzEsNTYzNzE0NDU3NjsxLDU2MzcxNDQ1NzYn\"","dataAreaId":"usrt","ProspectId":"P-001",
			 "CompanyName":"Fabrikam Cycles","ProspectName":"Ana Ruiz","IsB2BProspect":"Yes","B2BProspectStatus":"Pending"}]}`,
		"/data/CustomerHiearchies": `{"value":[
			{"CustomerHierarchyId":"CH-000017","Name":"Fabrikam Cycles","Purpose":"B2BOrganization","OrganizationPartyNumber":"000001234"}]}`,
		"/data/CustomerHierarchyNodes": `{"value":[
			{"CustomerHierarchyId":"CH-000017","NodePartyNumber":"000001240","Role":"Admin","NodeType":"Customer"},
			{"CustomerHierarchyId":"CH-000017","NodePartyNumber":"000001241","Role":"User","NodeType":"Customer"}]}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
}

// List the B2B onboarding requests that wait for a decision in the default
// company.
func Example_pendingProspects() {
	hq := fakeHQ()
	defer hq.Close()

	c, err := commerce.NewClient(hq.URL, d365.StaticTokenCredential("token"), &commerce.Options{Company: "usrt"})
	if err != nil {
		log.Fatal(err)
	}
	for p, err := range c.Prospects.ListB2B(context.Background(), commerce.ProspectPending) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s/%s %s (%s): %s\n", p.DataAreaID, p.ProspectID, p.CompanyName, p.ProspectName, p.B2BProspectStatus)
	}
	// Output:
	// usrt/P-001 Fabrikam Cycles (Ana Ruiz): Pending
}

// Read the customer hierarchy that approving an organization's B2B prospect
// created, with its nodes.
func Example_hierarchy() {
	hq := fakeHQ()
	defer hq.Close()

	c, err := commerce.NewClient(hq.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		log.Fatal(err)
	}
	h, err := c.Hierarchies.ForOrganization(context.Background(), "000001234")
	if err != nil {
		log.Fatal(err) // errors.Is(err, d365.ErrNotFound) when not approved yet
	}
	fmt.Println(h.CustomerHierarchyID, h.Name, h.Purpose)
	for _, n := range h.Nodes {
		fmt.Println(" ", n.NodePartyNumber, n.Role)
	}
	// Output:
	// CH-000017 Fabrikam Cycles B2BOrganization
	//   000001240 Admin
	//   000001241 User
}
