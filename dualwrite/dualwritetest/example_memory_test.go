package dualwritetest_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// A suite that skips the socket: the SDK's clients get the emulator's
// in-memory client, and every request runs the emulator's handlers in the
// calling goroutine, with the same rules, faults and request log as over
// HTTP, at a fraction of the CPU.
func ExampleServer_Client() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	opts := d365.ClientOptions{HTTPClient: srv.Client()}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		fmt.Println(err)
		return
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{ClientOptions: opts, Company: srv.Company()})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana@contoso.example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	lead, err := sc.Leads.Get(ctx, sub.LeadID, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := cc.Prospects.Get(ctx, sub.Company, sub.ProspectID, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lead.FullName, "/", p.ProspectID, p.B2BProspectStatus)

	// Strict as over HTTP: a column the table does not have is refused.
	_, err = sc.Table("leads").Create(ctx, map[string]any{"lastname": "X", "new_nosuchcolumn": 1})
	var de *d365.Error
	fmt.Println("refused:", errors.As(err, &de), de.StatusCode)

	// A dropped connection is the error a real one gives (io.EOF); the
	// create is not sent again, since the service may have acted on it.
	srv.InjectFault("POST", "leads", dualwritetest.FaultDrop)
	_, err = sc.Leads.Create(ctx, &sales.Lead{Subject: "Dropped", LastName: "Okafor"})
	fmt.Println("dropped:", errors.Is(err, io.EOF))

	// Nothing leaves the process: other hosts are refused.
	_, err = srv.Client().Get("https://contoso.crm.dynamics.com/api/data/v9.2/leads")
	fmt.Println(err != nil)

	// The request log: service, method, status (0: no answer), fault.
	for _, r := range srv.Requests() {
		fmt.Println(r.Service, r.Method, r.Status, r.Fault != "")
	}
	// Output:
	// Ana Silva / P-000001 Pending
	// refused: true 400
	// dropped: true
	// true
	// sales GET 200 false
	// commerce GET 200 false
	// sales POST 400 false
	// sales POST 0 true
}
