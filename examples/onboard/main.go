// Command onboard runs the B2B partner onboarding job: onboarding requests
// arrive, the pending queue is listed, a policy approves or rejects each
// request, and the resulting state in Sales and in Commerce is printed.
//
// With no configuration it runs on the in-process emulator and says so on
// its first line:
//
//	go run ./examples/onboard
//
// Against real services (see examples/internal/setup for the environment
// variables) it lists the queue and prints the decisions it would take;
// add -apply to carry them out.
//
// A run cut short (a crash, a kill, a failed step) leaves some decisions
// half done, such as a lead qualified whose opportunity was not won yet.
// The next run lists them as unfinished and finishes them without asking
// the policy again: running it again until it succeeds leaves every
// request decided exactly once (kill_test.go proves it against the
// standalone emulator, killing this program at random moments).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/examples/internal/setup"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

func main() {
	apply := flag.Bool("apply", false, "against real services, carry out the decisions (the emulator always does)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *apply); err != nil {
		fmt.Fprintln(os.Stderr, "onboard:", err)
		os.Exit(1)
	}
}

// requests are the onboarding requests the emulator receives.
var requests = []dualwritetest.OnboardingRequest{
	{FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example", Phone: "+1 425 555 0101", ZipCode: "98052", Comments: "Ten stores in Washington."},
	{FirstName: "Luis", LastName: "Ortega", Company: "Northwind Traders", Email: "l.ortega@northwind.example", Phone: "+34 91 555 0102", ZipCode: "28001", CurrencyCode: "EUR"},
	{FirstName: "Ana", LastName: "Ruiz", Company: "Tailspin Toys", Email: "ana.ruiz.toys@gmail.com", Phone: "+1 206 555 0103", ZipCode: "98101"},
	{FirstName: "Kofi", LastName: "Mensah", Company: "Wide World Importers", Email: "kofi@wideworldimporters.example", Phone: "+44 20 5550 0104", ZipCode: "EC1A 1BB"},
	{FirstName: "Sara", LastName: "Lind", Company: "A. Datum Corporation", Email: "sara.lind@outlook.com", Phone: "+46 8 555 0105", ZipCode: "111 22"},
	{FirstName: "Jon", LastName: "Park", Company: "Proseware, Inc.", Email: "jon.park@proseware.example", ZipCode: "10001", Comments: "Call me next week."},
}

// freeMail are domains a business partner should not use.
var freeMail = []string{"gmail.com", "outlook.com", "hotmail.com", "yahoo.com"}

// policy decides on a request: requests from free-mail addresses are
// rejected (the company cannot be verified), requests without a phone
// number are left for a person, the others are approved.
func policy(r *onboarding.Request) (onboarding.Verdict, string) {
	email := strings.ToLower(r.Lead.Email)
	for _, d := range freeMail {
		if strings.HasSuffix(email, "@"+d) {
			return onboarding.Verdict{Decision: onboarding.Reject, Reason: sales.LeadStatusCannotContact}, "free-mail address: the company cannot be verified"
		}
	}
	if r.Lead.Phone == "" {
		return onboarding.Verdict{Decision: onboarding.Skip}, "no phone number: left for a person to review"
	}
	return onboarding.Verdict{Decision: onboarding.Approve}, "business address and phone"
}

func run(ctx context.Context, w io.Writer, apply bool) error {
	env, err := setup.Connect(w, nil)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Emulator != nil {
		apply = true
		for _, r := range requests {
			if _, err := env.Emulator.SubmitOnboardingRequest(r); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "%d onboarding requests arrived from the B2B site.\n", len(requests))
	}
	svc := onboarding.New(env.Sales, env.Commerce, nil)

	fmt.Fprintln(w, "\nPending requests:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tREQUESTER\tE-MAIL\tPROSPECT\tDECISION\tWHY")
	var queue []*onboarding.Request
	for r, err := range svc.Pending(ctx) {
		if err != nil {
			return err
		}
		queue = append(queue, r)
		v, why := policy(r)
		decision := v.Decision.String()
		if r.Unfinished != onboarding.Skip {
			decision, why = r.Unfinished.String()+" (unfinished)", "started by an earlier run: finishing it"
		}
		prospect := "-"
		if r.Prospect != nil {
			prospect = r.Prospect.ProspectID + " (" + string(r.Prospect.B2BProspectStatus) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Lead.CompanyName, r.Lead.FullName, r.Lead.Email, prospect, decision, why)
	}
	tw.Flush()
	if len(queue) == 0 {
		fmt.Fprintln(w, "No request is waiting for a decision.")
		return nil
	}
	if !apply {
		fmt.Fprintln(w, "\nDry run against real services: nothing was changed. Run with -apply to carry out these decisions.")
		return nil
	}

	fmt.Fprintln(w, "\nApplying the decisions:")
	var mu sync.Mutex
	outcomes := map[uuid.UUID]*onboarding.Outcome{}
	sum, err := svc.Process(ctx, func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		v, _ := policy(r)
		return v, nil
	}, &onboarding.ProcessOptions{
		Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Reject:  &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}},
		Progress: func(p onboarding.Progress) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[p.Request.Lead.ID] = p.Outcome
			switch {
			case p.Err != nil:
				fmt.Fprintf(w, "  %-22s failed: %v\n", p.Request.Lead.CompanyName, p.Err)
			case p.Verdict.Decision == onboarding.Skip:
				fmt.Fprintf(w, "  %-22s skipped\n", p.Request.Lead.CompanyName)
			case p.Request.Unfinished != onboarding.Skip:
				fmt.Fprintf(w, "  %-22s %s in %d steps, finishing an earlier run\n", p.Request.Lead.CompanyName, past(p.Verdict.Decision), len(p.Outcome.Steps))
			default:
				fmt.Fprintf(w, "  %-22s %s in %d steps\n", p.Request.Lead.CompanyName, past(p.Verdict.Decision), len(p.Outcome.Steps))
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d approved, %d rejected, %d skipped, %d failed.", sum.Approved, sum.Rejected, sum.Skipped, sum.Failed)
	if sum.Resumed > 0 {
		fmt.Fprintf(w, " %d of these finished decisions an earlier run had started.", sum.Resumed)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "\nResulting state in Sales and Commerce:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tLEAD\tOPPORTUNITY\tPROSPECT\tORGANIZATION\tPERSON\tHIERARCHY")
	for _, r := range queue {
		lead, err := env.Sales.Leads.Get(ctx, r.Lead.ID, nil)
		if err != nil {
			return err
		}
		row := []string{r.Lead.CompanyName, lead.Status.String(), "-", "-", "-", "-", "-"}
		if lead.B2BProspectStatus != 0 {
			row[3] = lead.B2BProspectStatus.String()
		}
		if out := outcomes[r.Lead.ID]; out != nil {
			if out.OpportunityID != uuid.Nil {
				opp, err := env.Sales.Opportunities.Get(ctx, out.OpportunityID, nil)
				if err != nil {
					return err
				}
				row[2] = opp.Status.String()
			}
			if c := out.Commerce; c != nil {
				row[3] = c.ProspectStatus
				row[4], row[5], row[6] = dash(c.OrganizationAccount), dash(c.PersonAccount), dash(c.HierarchyID)
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if sum.Failed > 0 {
		return errors.New("some decisions failed: run again to finish them")
	}
	return nil
}

func past(d onboarding.Decision) string {
	if d == onboarding.Approve {
		return "approved"
	}
	return "rejected"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
