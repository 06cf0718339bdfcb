package dualwritetest_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// The emulator in your own tests: start it with the custom columns your
// organization has, point the SDK's clients at it with its credential,
// seed records, inject a fault into one request and look at what was sent.
func Example_inYourOwnTests() {
	srv := dualwritetest.NewServer(&dualwritetest.Options{
		Schema: &dualwritetest.SchemaExtension{Columns: []dualwritetest.CustomColumn{
			{Table: "lead", LogicalName: "new_vatnumber", Type: dualwritetest.String, MaxLength: 20},
		}},
	})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	// Seed: an onboarding request as the B2B site sends it, and a lead
	// with a custom column.
	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana@contoso.example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := c.Table("leads").Create(ctx, map[string]any{"lastname": "Okafor", "new_vatnumber": "GB123456789"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A column the organization does not have is refused, as Dataverse
	// refuses it.
	_, err = c.Table("leads").Create(ctx, map[string]any{"lastname": "X", "new_nosuchcolumn": 1})
	fmt.Println("unknown column refused:", err != nil)

	// Fault: the next read of the lead is throttled once; the client
	// waits out the Retry-After and tries again.
	srv.InjectFault(http.MethodGet, "leads("+id.String()+")", dualwritetest.FaultThrottle)
	lead, err := c.Table("leads").Get(ctx, id, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lead.Columns["new_vatnumber"])

	// Inspect: the requests the emulator answered, and the data.
	throttled := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			throttled++
		}
	}
	fmt.Println("throttled:", throttled)
	fmt.Println("leads:", srv.Count("leads"), "prospect:", sub.ProspectID)
	// Output:
	// unknown column refused: true
	// GB123456789
	// throttled: 1
	// leads: 2 prospect: P-000001
}
