package dualwritetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

// Start the emulator, submit an onboarding request as the B2B site would,
// and read the lead dual-write created, with plain net/http.
func Example() {
	s := dualwritetest.NewServer(nil)
	defer s.Close()

	sub, err := s.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana@contoso.example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	req, _ := http.NewRequest("GET", s.SalesURL+"/api/data/v9.2/leads("+sub.LeadID.String()+")?$select=subject,fullname,msdyn_b2bprospectstatus", nil)
	req.Header.Set("Authorization", "Bearer "+dualwritetest.Token)
	req.Header.Set("Prefer", `odata.include-annotations="*"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var lead map[string]any
	dec := json.NewDecoder(res.Body)
	dec.UseNumber() // keep choice values such as 192350000 as written
	dec.Decode(&lead)

	fmt.Println(res.Status)
	fmt.Println(lead["subject"])
	fmt.Println(lead["fullname"])
	fmt.Println(lead["msdyn_b2bprospectstatus"], lead["msdyn_b2bprospectstatus@OData.Community.Display.V1.FormattedValue"])
	fmt.Println(sub.ProspectID)
	// Output:
	// 200 OK
	// B2B onboarding request: Contoso Bikes
	// Ana Silva
	// 192350000 Pending
	// P-000001
}
