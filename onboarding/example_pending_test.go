package onboarding_test

import (
	"context"
	"fmt"
	"log"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
)

// List the onboarding requests waiting for a decision, each with its Sales
// lead and its Commerce prospect.
func ExampleService_Pending() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	for _, r := range []dualwritetest.OnboardingRequest{
		{FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example"},
		{FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana.silva@contoso.example"},
	} {
		if _, err := srv.SubmitOnboardingRequest(r); err != nil {
			log.Fatal(err)
		}
	}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		log.Fatal(err)
	}
	svc := onboarding.New(sc, cc, nil)

	for r, err := range svc.Pending(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (%s %s, %s): prospect %s %s\n", r.Lead.CompanyName, r.Lead.FirstName, r.Lead.LastName,
			r.Lead.Email, r.Prospect.ProspectID, r.Prospect.B2BProspectStatus)
	}
	// Output:
	// Fabrikam Retail (Mia Chen, mia.chen@fabrikam.example): prospect P-000001 Pending
	// Contoso Bikes (Ana Silva, ana.silva@contoso.example): prospect P-000002 Pending
}
