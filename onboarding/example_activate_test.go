package onboarding_test

import (
	"context"
	"fmt"
	"log"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/onboarding"
)

func ExampleService_Activate() {
	svc, srv, leadID := connect()
	defer srv.Close()
	ctx := context.Background()
	if _, err := svc.Approve(ctx, leadID, nil); err != nil {
		log.Fatal(err)
	}

	yes := true
	o := &onboarding.ActivateOptions{
		Credit: onboarding.CreditTerms{CreditLimit: d365.Decimal("25000"), Mandatory: &yes, AllowOnAccount: &yes},
		Users: []onboarding.PartnerUser{
			{FirstName: "Robin", LastName: "Buyer", Email: "robin@fabrikam.example"},
			{FirstName: "Sam", LastName: "Orders", Email: "sam@fabrikam.example"},
		},
	}
	out, err := svc.Activate(ctx, leadID, o)
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range out.Steps[3:] { // after reading the lead, the opportunity and Commerce
		fmt.Println(st.Name, st.Subject, "-", st.Status)
	}
	for _, u := range out.Users {
		fmt.Printf("%s %s: customer %s, invoiced to %s\n", u.Role, u.Email, u.CustomerAccount, u.InvoiceAccount)
	}

	// Running it again finds everything done.
	again, err := svc.Activate(ctx, leadID, o)
	if err != nil {
		log.Fatal(err)
	}
	done := 0
	for _, st := range again.Steps {
		if st.Status == onboarding.StepAlreadyDone {
			done++
		}
	}
	fmt.Println("again:", done, "steps already done")
	// Output:
	// set credit terms  - done
	// invoice admin to organization  - done
	// create user customer robin@fabrikam.example - done
	// add user to hierarchy robin@fabrikam.example - done
	// create user customer sam@fabrikam.example - done
	// add user to hierarchy sam@fabrikam.example - done
	// Admin mia.chen@fabrikam.example: customer US-002, invoiced to US-001
	// User robin@fabrikam.example: customer US-003, invoiced to US-001
	// User sam@fabrikam.example: customer US-004, invoiced to US-001
	// again: 6 steps already done
}
