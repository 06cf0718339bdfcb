// Command review is an interactive review queue for a person: it shows each
// pending B2B onboarding request with its timeline and Commerce prospect,
// and asks whether to approve it, reject it (with a reason), or skip it.
//
//	go run ./examples/review
//
// With no configuration it runs on the in-process emulator, with a few
// requests waiting; see examples/internal/setup for real services.
// At each request, type a (approve), r (reject, then the number of a
// reason), s (skip: it stays pending) or q (quit).
//
// Every decision, skips included, is recorded in the decision ledger: a
// note on the lead, created on the reviewer's behalf so that Dataverse's
// createdby names them. Name the reviewer with -reviewer (or
// D365_REVIEWER) and give their Microsoft Entra ID object id with
// -reviewer-oid (or D365_REVIEWER_OID); without an object id the notes are
// created by the application and name the reviewer in their text only. On
// the emulator the reviewer defaults to a demonstration user.
//
// A request from a company Sales already has an account for (same email
// domain, web site or name) shows the matching accounts, and approving it
// adds the requester to the first one instead of creating a second account.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/examples/internal/setup"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

var (
	reviewerName = flag.String("reviewer", os.Getenv("D365_REVIEWER"), "your name, recorded in the ledger of each decision")
	reviewerOID  = flag.String("reviewer-oid", os.Getenv("D365_REVIEWER_OID"), "your Microsoft Entra ID object id: the decisions are made on your behalf (CallerObjectId)")
)

// demoReviewer is the emulator's reviewer when none is given.
const demoReviewer, demoReviewerOID = "Demo Reviewer", "3c9d5e7f-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

// reviewer returns the reviewer of the session, adding the demonstration
// user to the emulator when none is given there.
func reviewer(env *setup.Env) (*onboarding.Reviewer, error) {
	name, oid := *reviewerName, strings.TrimSpace(*reviewerOID)
	if env.Emulator != nil && name == "" && oid == "" {
		name, oid = demoReviewer, demoReviewerOID
	}
	r := &onboarding.Reviewer{Name: name}
	if oid != "" {
		id, err := uuid.Parse(oid)
		if err != nil {
			return nil, fmt.Errorf("-reviewer-oid %q is not a GUID: give your Microsoft Entra ID object id", oid)
		}
		r.ObjectID = id
		if env.Emulator != nil {
			// The emulator, like Dataverse, acts only for users it has.
			if _, err := env.Emulator.AddUser(name, id.String()); err != nil {
				return nil, err
			}
		}
	}
	if r.Name == "" && r.ObjectID == uuid.Nil {
		if u := os.Getenv("USER"); u != "" {
			r.Name = u
		} else {
			return nil, errors.New("name the reviewer with -reviewer (and -reviewer-oid): the ledger records who decided")
		}
	}
	return r, nil
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: review

Shows each pending B2B onboarding request and asks what to do with it:
a (approve), r (reject, then a reason), s (skip), q (quit).

With no configuration it runs on the in-process emulator; set the
D365_* variables of examples/internal/setup for real services.
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "review:", err)
		os.Exit(1)
	}
}

// reasons are the ways to reject, as the lead's status reason.
var reasons = []sales.LeadStatus{sales.LeadStatusLost, sales.LeadStatusCannotContact, sales.LeadStatusNoLongerInterested, sales.LeadStatusCanceled}

func run(ctx context.Context, in io.Reader, w io.Writer) error {
	env, err := setup.Connect(w, nil)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Emulator != nil {
		for _, r := range []dualwritetest.OnboardingRequest{
			{FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example", Phone: "+1 425 555 0101", ZipCode: "98052", Comments: "Ten stores in Washington."},
			{FirstName: "Ana", LastName: "Ruiz", Company: "Tailspin Toys", Email: "ana.ruiz.toys@gmail.com", Phone: "+1 206 555 0103", ZipCode: "98101"},
			{FirstName: "Jon", LastName: "Park", Company: "Proseware, Inc.", Email: "jon.park@proseware.example", ZipCode: "10001"},
		} {
			if _, err := env.Emulator.SubmitOnboardingRequest(r); err != nil {
				return err
			}
		}
	}
	rv, err := reviewer(env)
	if err != nil {
		return err
	}
	if rv.ObjectID != uuid.Nil {
		fmt.Fprintf(w, "Reviewing as %s: decisions are made on your behalf and recorded on each lead's timeline.\n", rv)
	} else {
		fmt.Fprintf(w, "Reviewing as %s (no -reviewer-oid: the ledger names you, Dataverse's createdby names the application).\n", rv)
	}
	policy := onboarding.Policy{Name: "examples/review", Version: "1"}
	svc := onboarding.New(env.Sales, env.Commerce, &onboarding.Options{Duplicates: &onboarding.DuplicateOptions{}})
	var queue []*onboarding.Request
	for r, err := range svc.Pending(ctx) {
		if err != nil {
			return err
		}
		queue = append(queue, r)
	}
	fmt.Fprintf(w, "%d onboarding requests are waiting for a decision.\n", len(queue))
	sc := bufio.NewScanner(in)
	ask := func(prompt string) (string, bool) {
		fmt.Fprint(w, prompt)
		if !sc.Scan() {
			fmt.Fprintln(w)
			return "", false
		}
		return strings.ToLower(strings.TrimSpace(sc.Text())), true
	}
	left := 0 // requests seen and left pending: skipped or failed
	for i, r := range queue {
		show(ctx, w, env.Sales, i+1, len(queue), r)
	prompt:
		answer, ok := ask("[a]pprove, [r]eject, [s]kip, [q]uit? ")
		if !ok || answer == "q" {
			fmt.Fprintf(w, "Stopped; the remaining requests stay pending. Left: %s.\n", requests(left+len(queue)-i))
			return nil
		}
		var out *onboarding.Outcome
		switch answer {
		case "a":
			ao := &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}, Reviewer: rv, Policy: policy, Matches: r.Matches}
			if len(r.Matches) > 0 {
				ao.ExistingAccountID = r.Matches[0].AccountID
				fmt.Fprintf(w, "Approving into the existing account %s.\n", r.Matches[0].Name)
			}
			out, err = svc.Approve(ctx, r.Lead.ID, ao)
		case "r":
			for n, reason := range reasons {
				fmt.Fprintf(w, "  %d. %s\n", n+1, reason)
			}
			pick, ok := ask("Reason? ")
			n := 0
			fmt.Sscan(pick, &n)
			if !ok || n < 1 || n > len(reasons) {
				fmt.Fprintln(w, "No such reason.")
				goto prompt
			}
			out, err = svc.Reject(ctx, r.Lead.ID, &onboarding.RejectOptions{Reason: reasons[n-1], Confirm: &onboarding.ConfirmOptions{},
				Reviewer: rv, Policy: policy, Matches: r.Matches})
		case "s":
			left++
			if _, err := svc.Skip(ctx, r.Lead.ID, &onboarding.SkipOptions{Reviewer: rv, Policy: policy, Matches: r.Matches}); err != nil {
				fmt.Fprintf(w, "Skipped, but not recorded in the ledger: %v\n", err)
				continue
			}
			fmt.Fprintln(w, "Skipped.")
			continue
		default:
			fmt.Fprintf(w, "Unknown answer %q: type a, r, s or q.\n", answer)
			goto prompt
		}
		var conflict *onboarding.ConflictError
		switch {
		case errors.As(err, &conflict):
			fmt.Fprintf(w, "Not done: %s.\n", conflict.State)
		case err != nil:
			left++
			fmt.Fprintf(w, "Failed: %v\nRun the review again to finish it.\n", err)
		default:
			fmt.Fprintf(w, "Done: %s", out.Decision)
			if c := out.Commerce; c != nil {
				fmt.Fprintf(w, "; Commerce shows the prospect %s", c.ProspectStatus)
				if c.OrganizationAccount != "" {
					fmt.Fprintf(w, ", customer %s, hierarchy %s", c.OrganizationAccount, c.HierarchyID)
				}
			}
			fmt.Fprintln(w, ".")
			if out.Ledger != nil {
				fmt.Fprintf(w, "Recorded on the lead's timeline: %q by %s.\n", out.Ledger.Subject(), rv)
			}
		}
	}
	if left > 0 {
		fmt.Fprintf(w, "Reviewed every request; %s still pending.\n", requests(left))
		return nil
	}
	fmt.Fprintln(w, "The queue is empty.")
	return nil
}

// requests is "1 request" or "n requests".
func requests(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}

// show prints a request: the lead, its Commerce prospect, its timeline.
func show(ctx context.Context, w io.Writer, s *sales.Client, n, total int, r *onboarding.Request) {
	l := r.Lead
	fmt.Fprintf(w, "\n[%d/%d] %s\n", n, total, l.CompanyName)
	fmt.Fprintf(w, "  requester  %s <%s>  %s\n", l.FullName, l.Email, l.Phone)
	fmt.Fprintf(w, "  received   %s\n", l.CreatedOn.Format("2006-01-02 15:04"))
	if p := r.Prospect; p != nil {
		fmt.Fprintf(w, "  prospect   %s in Commerce (%s), ZIP %s\n", p.ProspectID, p.B2BProspectStatus, p.AddressZipCode)
	}
	if l.Description != "" {
		fmt.Fprintf(w, "  comments   %s\n", l.Description)
	}
	for _, m := range r.Matches {
		fmt.Fprintf(w, "  existing   account %s %s (%s)\n", m.Name, m.AccountNumber, strings.Join(m.Rules, ", "))
	}
	for note, err := range s.Notes.ForLead(ctx, l.ID) {
		if err != nil {
			fmt.Fprintf(w, "  timeline   (unavailable: %v)\n", err)
			break
		}
		fmt.Fprintf(w, "  timeline   %s\n", note.Subject)
	}
}
