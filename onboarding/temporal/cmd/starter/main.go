// Command starter starts the onboarding workflow of a request, sends a
// person's decision to it, or shows its state, on the Temporal service of
// the TEMPORAL_* variables (see internal/connect).
//
//	go run ./cmd/starter -lead <id>                                  # start (a second start starts nothing)
//	go run ./cmd/starter -lead <id> -approve -reviewer dana -reason "credit checked"
//	go run ./cmd/starter -lead <id> -reject -reviewer dana -reject-as CannotContact
//	go run ./cmd/starter -lead <id> -status                          # the query "status"
//	go run ./cmd/starter -lead <id> -wait                            # the result, as JSON
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/b2bflow/d365/onboarding"
	otemporal "github.com/b2bflow/d365/onboarding/temporal"
	"github.com/b2bflow/d365/onboarding/temporal/internal/connect"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
)

func main() {
	var (
		lead        = flag.String("lead", "", "the lead id of the request (required)")
		approve     = flag.Bool("approve", false, "send an approval")
		reject      = flag.Bool("reject", false, "send a rejection")
		reviewer    = flag.String("reviewer", "", "who decides (with -approve or -reject)")
		reason      = flag.String("reason", "", "the reviewer's reason")
		reviewerOID = flag.String("reviewer-oid", "", "the reviewer's Entra ID object id: the decision's Dataverse writes are made on their behalf (optional)")
		rejectAs    = flag.String("reject-as", "", "the lead's status reason for a rejection: Lost, CannotContact, NoLongerInterested, Canceled")
		status      = flag.Bool("status", false, "print the workflow's status")
		waitResult  = flag.Bool("wait", false, "wait for the workflow's result and print it")
		deadline    = flag.Duration("deadline", 72*time.Hour, "on start: how long to wait for a decision (0: no deadline)")
		atDeadline  = flag.String("at-deadline", "reject", "on start: reject or escalate at the deadline")
		remindEvery = flag.Duration("remind-every", 24*time.Hour, "on start: interval of the reminders (0: none)")
		confirm     = flag.Bool("confirm", true, "on start: wait until Commerce shows the decision")
	)
	flag.Parse()
	oid := uuid.Nil
	if *reviewerOID != "" {
		var err error
		if oid, err = uuid.Parse(*reviewerOID); err != nil {
			fmt.Fprintf(os.Stderr, "starter: -reviewer-oid %q: %v\n", *reviewerOID, err)
			os.Exit(2)
		}
	}
	if err := run(oid, *lead, *approve, *reject, *reviewer, *reason, *rejectAs, *status, *waitResult,
		otemporal.Request{DecisionTimeout: *deadline, AtDeadline: otemporal.DeadlineAction(*atDeadline), RemindEvery: *remindEvery}, *confirm); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

var reasons = map[string]sales.LeadStatus{
	"lost": sales.LeadStatusLost, "cannotcontact": sales.LeadStatusCannotContact,
	"nolongerinterested": sales.LeadStatusNoLongerInterested, "canceled": sales.LeadStatusCanceled,
}

func run(reviewerOID uuid.UUID, lead string, approve, reject bool, reviewer, reason, rejectAs string, status, waitResult bool, r otemporal.Request, confirm bool) error {
	id, err := uuid.Parse(lead)
	if err != nil {
		return fmt.Errorf("-lead %q: %w", lead, err)
	}
	if approve && reject {
		return errors.New("-approve and -reject both given")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if waitResult {
		cancel()
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
	}
	opts := connect.TemporalOptions()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", opts.HostPort, err)
	}
	defer c.Close()

	switch {
	case approve || reject:
		d := otemporal.DecisionSignal{Decision: otemporal.DecisionApprove, Reviewer: reviewer, ReviewerObjectID: reviewerOID, Reason: reason}
		if reject {
			d.Decision = otemporal.DecisionReject
		}
		if rejectAs != "" {
			as, ok := reasons[strings.ToLower(rejectAs)]
			if !ok {
				return fmt.Errorf("-reject-as %q: want Lost, CannotContact, NoLongerInterested or Canceled", rejectAs)
			}
			d.RejectAs = as
		}
		if err := otemporal.Decide(ctx, c, id, d); err != nil {
			return err
		}
		fmt.Printf("sent %s by %s to %s\n", d.Decision, reviewer, otemporal.WorkflowID(id))
	case status:
		v, err := c.QueryWorkflow(ctx, otemporal.WorkflowID(id), "", otemporal.QueryStatus)
		if err != nil {
			return err
		}
		var st otemporal.Status
		if err := v.Get(&st); err != nil {
			return err
		}
		return printJSON(st)
	case waitResult:
		var res otemporal.Result
		if err := c.GetWorkflow(ctx, otemporal.WorkflowID(id), "").Get(ctx, &res); err != nil {
			return err
		}
		return printJSON(res)
	default:
		r.LeadID = id
		if confirm {
			r.Approve = &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}
			r.Reject = &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}}
		}
		run, started, err := otemporal.Start(ctx, c, client.StartWorkflowOptions{TaskQueue: connect.TaskQueue()}, r)
		if err != nil {
			return err
		}
		verb := "started"
		if !started {
			verb = "already exists:"
		}
		fmt.Printf("%s %s (run %s)\n", verb, run.GetID(), run.GetRunID())
	}
	return nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
