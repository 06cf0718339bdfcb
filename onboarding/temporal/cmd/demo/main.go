// Command demo runs the durable onboarding end to end in one process, with
// nothing installed: a Temporal server (go.temporal.io/server/temporaltest),
// the d365 emulator, a webhook receiver, two workers on one task queue and
// a starter.
//
//	go run ./cmd/demo
//
// Three onboarding requests arrive; the emulator's webhook starts a
// workflow for each, and its webhook of the lead's update to Approved or
// Rejected tells the workflow to confirm in Commerce. A reviewer approves the first and rejects the second
// (signals); nobody decides on the third, which gets reminders and is
// rejected at its deadline. The results and the records on the emulator
// are printed.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"text/tabwriter"
	"time"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	otemporal "github.com/b2bflow/d365/onboarding/temporal"
	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const queue = "onboarding"

func run(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ts := temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: sdklog.NewStructuredLogger(log)}))
	defer ts.Stop()
	fmt.Printf("Temporal server (in process) at %s, namespace %s\n", ts.GetFrontendHostPort(), ts.GetDefaultNamespace())
	c := ts.GetDefaultClient()

	// The webhook receiver starts a workflow per request created.
	template := otemporal.Request{
		DecisionTimeout: 3 * time.Second, AtDeadline: otemporal.DeadlineReject, RemindEvery: time.Second,
		AwaitConfirmation: time.Minute,
		Approve:           &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Reject:            &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}},
	}
	started := make(chan uuid.UUID, 8)
	start := otemporal.StartOnLeadCreated(c, client.StartWorkflowOptions{TaskQueue: queue}, template,
		func(id uuid.UUID, run client.WorkflowRun) {
			fmt.Printf("webhook: lead %s created: started %s\n", id, run.GetID())
			started <- id
		})
	confirmed := otemporal.SignalOnLeadUpdated(c)
	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
		if err := start(ctx, e); err != nil {
			return err
		}
		return confirmed(ctx, e)
	}, &webhook.Options{Auth: webhook.Auth{Code: "demo-key"}, OnError: func(_ *webhook.Event, err error) { log.Error("webhook", "error", err) }})
	if err != nil {
		return err
	}
	defer h.Close(context.Background())
	recv := httptest.NewServer(h)
	defer recv.Close()

	emu := dualwritetest.NewServer(&dualwritetest.Options{Webhooks: []dualwritetest.Webhook{{
		URL: recv.URL, Code: "demo-key", Messages: []string{"Create", "Update"}, Entities: []string{"lead"},
	}}})
	defer emu.Close()
	sc, err := sales.NewClient(emu.SalesURL, emu.Credential(), nil)
	if err != nil {
		return err
	}
	cc, err := commerce.NewClient(emu.CommerceURL, emu.Credential(), &commerce.Options{Company: emu.Company()})
	if err != nil {
		return err
	}
	fmt.Printf("d365 emulator: Sales %s, Commerce %s\n", emu.SalesURL, emu.CommerceURL)

	for i := range 2 {
		w := worker.New(ts.NewClientWithOptions(client.Options{Logger: sdklog.NewStructuredLogger(log)}), queue, worker.Options{Identity: fmt.Sprintf("worker-%d", i+1)})
		otemporal.Register(w, &otemporal.Activities{
			Service: onboarding.New(sc, cc, nil), Sales: sc, Logger: log,
			OnRemind: func(_ context.Context, r otemporal.Reminder) error {
				fmt.Printf("reminder %d: lead %s waits for a decision (%s)\n", r.N, r.LeadID, r.Waiting.Round(time.Second))
				return nil
			},
		})
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
	}

	companies := []string{"Fabrikam Retail", "Northwind Traders", "Proseware, Inc."}
	var ids []uuid.UUID
	for i, company := range companies {
		sub, err := emu.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Avery", LastName: fmt.Sprintf("Buyer %d", i+1), Company: company,
			Email: fmt.Sprintf("avery%d@partner.example", i+1), Phone: "+1 425 555 0100", ZipCode: "98052",
		})
		if err != nil {
			return err
		}
		ids = append(ids, sub.LeadID)
	}
	for range ids {
		select {
		case <-started:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the webhooks: %w", ctx.Err())
		}
	}

	if err := otemporal.Decide(ctx, c, ids[0], otemporal.DecisionSignal{Decision: otemporal.DecisionApprove, Reviewer: "dana", Reason: "credit checked"}); err != nil {
		return err
	}
	if err := otemporal.Decide(ctx, c, ids[1], otemporal.DecisionSignal{Decision: otemporal.DecisionReject, Reviewer: "dana",
		Reason: "no trade register entry", RejectAs: sales.LeadStatusCannotContact}); err != nil {
		return err
	}
	fmt.Println("dana approved the first request and rejected the second; nobody decides on the third")

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "company\tdecision\tby\treminders\tconfirmed by\tCommerce prospect")
	for i, id := range ids {
		var r otemporal.Result
		if err := c.GetWorkflow(ctx, otemporal.WorkflowID(id), "").Get(ctx, &r); err != nil {
			return err
		}
		st := ""
		if r.Outcome.Commerce != nil {
			st = r.Outcome.Commerce.ProspectStatus
		}
		by := "polling"
		if r.ConfirmedByEvent {
			by = "webhook event"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", companies[i], r.Decision, r.DecidedBy, r.Reminders, by, st)
	}
	tw.Flush()
	fmt.Printf("records on the emulator: %d accounts, %d contacts, %d opportunities\n",
		emu.Count("accounts"), emu.Count("contacts"), emu.Count("opportunities"))
	return nil
}
