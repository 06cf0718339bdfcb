package onboarding_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// connect starts the emulator with one onboarding request waiting and
// returns a Service over it. With real services, build the clients with
// sales.NewClient and commerce.NewClient and a d365 credential instead.
func connect() (*onboarding.Service, *dualwritetest.Server, uuid.UUID) {
	srv := dualwritetest.NewServer(nil)
	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail",
		Email: "mia.chen@fabrikam.example", Phone: "+1 425 555 0101",
	})
	if err != nil {
		log.Fatal(err)
	}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		log.Fatal(err)
	}
	return onboarding.New(sc, cc, nil), srv, sub.LeadID
}

func ExampleService_Approve() {
	svc, srv, leadID := connect()
	defer srv.Close()

	out, err := svc.Approve(context.Background(), leadID, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range out.Steps {
		fmt.Printf("%s: %s\n", st.Name, st.Status)
	}
	fmt.Println("prospect:", out.Commerce.ProspectStatus)
	fmt.Println("hierarchy:", out.Commerce.HierarchyID)
	// Output:
	// read lead: done
	// qualify lead: done
	// win opportunity: done
	// confirm in Commerce: done
	// prospect: Approved
	// hierarchy: CH-000001
}

func ExampleService_Reject() {
	svc, srv, leadID := connect()
	defer srv.Close()

	out, err := svc.Reject(context.Background(), leadID, &onboarding.RejectOptions{
		Reason:  sales.LeadStatusCannotContact,
		Confirm: &onboarding.ConfirmOptions{},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prospect:", out.Commerce.ProspectStatus)
	// Output:
	// prospect: Rejected
}

func ExampleService_Process() {
	svc, srv, _ := connect()
	defer srv.Close()

	// Approve every request that came with a phone number.
	sum, err := svc.Process(context.Background(), func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		if r.Lead.Phone == "" {
			return onboarding.Verdict{Decision: onboarding.Skip}, nil
		}
		return onboarding.Verdict{Decision: onboarding.Approve}, nil
	}, &onboarding.ProcessOptions{
		Progress: func(p onboarding.Progress) {
			fmt.Printf("%s: %s\n", p.Request.Lead.CompanyName, p.Verdict.Decision)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d approved, %d rejected, %d failed\n", sum.Approved, sum.Rejected, sum.Failed)
	// Output:
	// Fabrikam Retail: approve
	// 1 approved, 0 rejected, 0 failed
}

// ExampleParseLedgerEntry reads a decision back from the text of its
// ledger note.
func ExampleParseLedgerEntry() {
	e := &onboarding.LedgerEntry{
		ID: uuid.MustParse("0a3b1c2d-0000-5000-8000-000000000001"), LeadID: uuid.MustParse("0a3b1c2d-0000-4000-8000-0000000000aa"),
		Decision: onboarding.Reject, Reason: "Cannot Contact",
		Reviewer: &onboarding.Reviewer{Name: "Jane Doe"}, Policy: onboarding.Policy{Name: "partner-review", Version: "3"},
		At: time.Date(2026, 6, 18, 14, 5, 0, 0, time.UTC),
	}
	text, err := e.Text()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Subject())
	fmt.Println(strings.SplitN(text, "\n", 2)[0])
	back, err := onboarding.ParseLedgerEntry(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Decision, back.Reason, back.Reviewer, back.At.Equal(e.At))
	// Output:
	// Onboarding decision: rejected (Cannot Contact)
	// Rejected by Jane Doe (policy partner-review v3) on 2026-06-18T14:05:00Z.
	// reject Cannot Contact Jane Doe true
}
