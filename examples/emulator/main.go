// Command emulator serves the dualwritetest emulator of Dynamics 365 Sales
// (Dataverse), Commerce headquarters and dual-write on loopback, so that
// programs in any language can try the B2B onboarding process without
// Microsoft services.
//
//	go run ./examples/emulator -sales-addr 127.0.0.1:8081 -commerce-addr 127.0.0.1:8082 -demo
//
// It prints the service URLs and the bearer token to send, then "Press
// Ctrl-C to stop." once it serves, and stops on Ctrl-C. With -demo it
// submits a sample onboarding request at start, with -requests N that many
// generated ones (one in five from a free-mail address, one in seven
// without a phone number), before it says it serves. To
// submit more, POST a JSON onboarding request ({"FirstName": "Ana",
// "LastName": "Silva", "Company": "Contoso", "Email": "ana@contoso.example"})
// to the Sales URL + /dualwritetest/onboarding with the token, or create a
// B2B prospect (IsB2BProspect "Yes") in the Commerce Prospects entity.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

func main() {
	var (
		salesAddr    = flag.String("sales-addr", "127.0.0.1:0", "address of the Sales (Dataverse) service; port 0 picks a free one")
		commerceAddr = flag.String("commerce-addr", "127.0.0.1:0", "address of the Commerce (Finance and Operations) service")
		company      = flag.String("company", dualwritetest.DefaultCompany, "default company (dataAreaId)")
		requests     = flag.Int("limit-requests", 0, "service protection: requests per window per user (0 = off; Dataverse: 6000)")
		window       = flag.Duration("limit-window", 300*time.Second, "service protection: sliding window")
		concurrent   = flag.Int("limit-concurrent", 0, "service protection: concurrent requests per user (0 = off; Dataverse: 52)")
		throttle     = flag.Float64("fault-throttle", 0, "rate of injected 429 answers (0..1)")
		unavailable  = flag.Float64("fault-unavailable", 0, "rate of injected 503 answers (0..1)")
		drop         = flag.Float64("fault-drop", 0, "rate of connections dropped before acting (0..1)")
		lose         = flag.Float64("fault-lose-response", 0, "rate of requests acted on whose response is lost (0..1)")
		seed         = flag.Int64("fault-seed", 1, "seed of the fault injection")
		verbose      = flag.Bool("v", false, "log every request")
		demo         = flag.Bool("demo", false, "submit a sample onboarding request at start")
		generated    = flag.Int("requests", 0, "submit this many generated onboarding requests at start")
	)
	flag.Parse()

	opt := &dualwritetest.Options{Company: *company, SalesAddr: *salesAddr, CommerceAddr: *commerceAddr}
	if *requests > 0 || *concurrent > 0 {
		opt.Limits = &dualwritetest.Limits{Requests: *requests, Window: *window, Concurrent: *concurrent}
	}
	if *throttle+*unavailable+*drop+*lose > 0 {
		opt.Faults = &dualwritetest.Faults{Throttle: *throttle, Unavailable: *unavailable, Drop: *drop, LoseResponse: *lose, Seed: *seed}
	}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := dualwritetest.NewServer(opt)
	defer s.Close()

	fmt.Println("dualwritetest emulator of Dynamics 365 Sales + Commerce + dual-write (not Microsoft services)")
	fmt.Printf("Sales org URL:      %s   (Web API: %s/api/data/v9.2/)\n", s.SalesURL, s.SalesURL)
	fmt.Printf("Commerce env URL:   %s   (OData: %s/data/)\n", s.CommerceURL, s.CommerceURL)
	fmt.Printf("Token endpoint:     %s\n", s.TokenURL)
	fmt.Printf("Send the header:    Authorization: Bearer %s\n", dualwritetest.Token)
	fmt.Printf("B2B leads view id:  %s   (GET leads?savedQuery=<id>)\n", dualwritetest.B2BLeadsViewID)
	fmt.Printf("Submit requests:    POST %s%s  {\"FirstName\":..,\"LastName\":..,\"Company\":..,\"Email\":..}\n", s.SalesURL, dualwritetest.OnboardingPath)
	if *demo {
		sub, err := s.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana@contoso.example",
			Phone: "+1 555 0100", ZipCode: "98052", Comments: "We would like to buy for our 12 stores.",
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "demo request:", err)
			os.Exit(1)
		}
		fmt.Printf("Demo request:       prospect %s (company %s), lead %s\n", sub.ProspectID, sub.Company, sub.LeadID)
	}
	if *generated < 0 {
		fmt.Fprintln(os.Stderr, "-requests is negative")
		os.Exit(2)
	}
	for i := range *generated {
		if _, err := s.SubmitOnboardingRequest(generatedRequest(i)); err != nil {
			fmt.Fprintln(os.Stderr, "generated request:", err)
			os.Exit(1)
		}
	}
	if *generated > 0 {
		fmt.Printf("Generated requests: %d\n", *generated)
	}
	fmt.Println("Press Ctrl-C to stop.")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("stopping")
}

// generatedRequest is the i-th onboarding request of -requests: one in five
// comes from a free-mail address and one in seven has no phone number, so
// that a policy has requests to approve, to reject and to leave alone.
func generatedRequest(i int) dualwritetest.OnboardingRequest {
	r := dualwritetest.OnboardingRequest{
		FirstName: "Requester", LastName: fmt.Sprintf("%05d", i),
		Company: fmt.Sprintf("Generated %05d Ltd", i), Email: fmt.Sprintf("buyer%05d@generated%05d.example", i, i),
		Phone: "+1 425 555 0100", ZipCode: "98052",
	}
	if i%5 == 4 {
		r.Email = fmt.Sprintf("generated.buyer%05d@gmail.com", i)
	}
	if i%7 == 6 {
		r.Phone = ""
	}
	return r
}
