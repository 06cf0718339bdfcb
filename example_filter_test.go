package d365_test

import (
	"fmt"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// Build a $filter from values without quoting them by hand: each %v becomes
// an OData literal of its argument's type, so a quote in a company name
// cannot end the string early and change the query.
func ExampleFilterf() {
	owner := uuid.MustParse("5f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9")
	since := time.Date(2026, 11, 23, 9, 30, 0, 250_000_000, time.FixedZone("CET", 3600))

	fmt.Println(d365.Filterf("companyname eq %v and msdyn_b2bcommerceprospect eq %v", "O'Neil Ltd", true))
	fmt.Println(d365.Filterf("_ownerid_value eq %v and createdon ge %v", owner, since))
	fmt.Println(d365.Filterf("estimatedclosedate le %v and budgetamount gt %v", d365.Date{Year: 2026, Month: time.December, Day: 31}, 5000.5))
	fmt.Println(d365.Filterf("IsB2BProspect eq %v", d365.Enum{Type: "NoYes", Value: "Yes"}))
	fmt.Println(d365.Filterf("parentaccountid eq %v", nil))
	// Output:
	// companyname eq 'O''Neil Ltd' and msdyn_b2bcommerceprospect eq true
	// _ownerid_value eq 5f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9 and createdon ge 2026-11-23T08:30:00.25Z
	// estimatedclosedate le 2026-12-31 and budgetamount gt 5000.5
	// IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes'
	// parentaccountid eq null
}
