package commerce_test

import (
	"context"
	"fmt"
	"log"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

// Approve a B2B onboarding request in Commerce alone (no Sales), here on the
// emulator of package dualwritetest: Commerce turns the prospect into
// Organization and Person customers and a customer hierarchy with the
// requester as its Admin.
func ExampleProspectService_Approve() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana.silva@contoso.example",
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	p, err := c.Prospects.Get(ctx, sub.Company, sub.ProspectID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ProspectID, p.CompanyName, p.B2BProspectStatus)

	// IfMatch: approve only the version just read.
	if err := c.Prospects.Approve(ctx, p.DataAreaID, p.ProspectID, &d365.UpdateOptions{IfMatch: p.ETag}); err != nil {
		log.Fatal(err)
	}
	p, err = c.Prospects.Get(ctx, sub.Company, sub.ProspectID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ProspectID, p.CompanyName, p.B2BProspectStatus)

	for h, err := range c.Hierarchies.List(ctx, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(h.CustomerHierarchyID, h.Name, h.Purpose)
		for n, err := range c.Hierarchies.Nodes(ctx, h.CustomerHierarchyID) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(" ", n.Role, n.NodeType)
		}
	}
	// Output:
	// P-000001 Contoso Bikes Pending
	// P-000001 Contoso Bikes Approved
	// CH-000001 Contoso Bikes B2BOrganization
	//   Admin Customer
}
