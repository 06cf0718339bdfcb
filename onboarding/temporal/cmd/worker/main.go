// Command worker runs the onboarding workflow and its activities on a
// Temporal task queue, and optionally a Dataverse webhook receiver that
// starts a workflow the moment a lead is created.
//
// Against real services (the D365_* and TEMPORAL_* variables of
// internal/connect):
//
//	D365_SALES_URL=https://contoso.crm.dynamics.com \
//	D365_COMMERCE_URL=https://contoso.operations.dynamics.com D365_COMPANY=usrt \
//	D365_TENANT_ID=... D365_CLIENT_ID=... D365_CLIENT_SECRET=... \
//	TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=onboarding \
//	D365_WEBHOOK_KEY=... go run ./cmd/worker -listen :8080
//
// On the in-process emulator, with a Temporal server (go run ./cmd/devserver,
// or temporal server start-dev):
//
//	go run ./cmd/worker -emulator -submit 2
//
// The emulator's webhook calls the receiver, which starts a workflow per
// request (Create of lead) and signals the Commerce confirmation (Update of
// lead, see -await-confirmation); decide with cmd/starter. Run several workers on the same task
// queue: a request whose worker stops or hangs is finished by another.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	otemporal "github.com/b2bflow/d365/onboarding/temporal"
	"github.com/b2bflow/d365/onboarding/temporal/internal/connect"
	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

func main() {
	var (
		emulator    = flag.Bool("emulator", false, "run on the in-process d365 emulator instead of the D365_* services")
		submit      = flag.Int("submit", 1, "with -emulator: onboarding requests to submit at start")
		listen      = flag.String("listen", "", "serve the Dataverse webhook receiver on this address (path /dataverse/webhook); with -emulator 127.0.0.1:0 by default")
		deadline    = flag.Duration("deadline", 72*time.Hour, "how long a request waits for a decision (0: no deadline)")
		atDeadline  = flag.String("at-deadline", "reject", "what happens at the deadline: reject or escalate")
		remindEvery = flag.Duration("remind-every", 24*time.Hour, "interval of the reminders while a request waits (0: none)")
		confirm     = flag.Bool("confirm", true, "wait until Commerce shows the decision (needs D365_COMMERCE_URL)")
		await       = flag.Duration("await-confirmation", 0, "with -confirm: wait this long for the webhook of the lead's Update to Approved/Rejected before checking Commerce (0: check at once, polling)")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	template := otemporal.Request{DecisionTimeout: *deadline, AtDeadline: otemporal.DeadlineAction(*atDeadline), RemindEvery: *remindEvery,
		AwaitConfirmation: *await}
	if *confirm {
		template.Approve = &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}
		template.Reject = &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}}
	}
	if err := run(ctx, log, *emulator, *submit, *listen, template); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, emulated bool, submit int, listen string, template otemporal.Request) error {
	check := template
	check.LeadID = uuid.New() // each request's own, in StartOnLeadCreated
	if err := check.Validate(); err != nil {
		return err
	}
	key := os.Getenv("D365_WEBHOOK_KEY")
	if emulated && listen == "" {
		listen = "127.0.0.1:0"
	}
	if listen != "" && key == "" && !emulated {
		return errors.New("-listen needs D365_WEBHOOK_KEY, the key given when the webhook was registered (WebhookKey authentication)")
	}
	var ln net.Listener
	if listen != "" {
		var err error
		if ln, err = net.Listen("tcp", listen); err != nil {
			return err
		}
		defer ln.Close()
	}

	var sc *sales.Client
	var cc *commerce.Client
	var emu *dualwritetest.Server
	if emulated {
		if key == "" {
			key = uuid.NewString()
		}
		emu = dualwritetest.NewServer(&dualwritetest.Options{Webhooks: []dualwritetest.Webhook{{
			URL: "http://" + ln.Addr().String() + "/dataverse/webhook", Code: key,
			Messages: []string{"Create", "Update"}, Entities: []string{"lead"},
		}}})
		defer emu.Close()
		var err error
		if sc, err = sales.NewClient(emu.SalesURL, emu.Credential(), nil); err != nil {
			return err
		}
		if cc, err = commerce.NewClient(emu.CommerceURL, emu.Credential(), &commerce.Options{Company: emu.Company()}); err != nil {
			return err
		}
		fmt.Printf("emulator: Sales %s, Commerce %s (token %s)\n", emu.SalesURL, emu.CommerceURL, dualwritetest.Token)
	} else {
		var err error
		if sc, cc, err = connect.D365(d365.ClientOptions{Logger: log}); err != nil {
			return err
		}
	}

	opts := connect.TemporalOptions()
	opts.Logger = sdklog.NewStructuredLogger(log)
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", opts.HostPort, err)
	}
	defer c.Close()
	queue := connect.TaskQueue()
	w := worker.New(c, queue, worker.Options{})
	otemporal.Register(w, &otemporal.Activities{Service: onboarding.New(sc, cc, &onboarding.Options{Logger: log}), Sales: sc, Logger: log})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	fmt.Printf("worker: task queue %q on %s, namespace %q\n", queue, opts.HostPort, opts.Namespace)

	if ln != nil {
		start := otemporal.StartOnLeadCreated(c, client.StartWorkflowOptions{TaskQueue: queue}, template,
			func(id uuid.UUID, run client.WorkflowRun) {
				fmt.Printf("started %s for lead %s\n", run.GetID(), id)
			})
		confirmed := otemporal.SignalOnLeadUpdated(c)
		h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
			if err := start(ctx, e); err != nil {
				return err
			}
			return confirmed(ctx, e)
		}, &webhook.Options{Auth: webhook.Auth{Code: key}, OnError: func(e *webhook.Event, err error) {
			log.Error("webhook event", "error", err)
		}})
		if err != nil {
			return err
		}
		defer h.Close(context.Background())
		mux := http.NewServeMux()
		mux.Handle("/dataverse/webhook", h)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Printf("webhook receiver: http://%s/dataverse/webhook\n", ln.Addr())
	}

	if emu != nil {
		for i := range submit {
			sub, err := emu.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
				FirstName: "Avery", LastName: fmt.Sprintf("Buyer %d", i+1), Company: fmt.Sprintf("Partner %d Ltd", i+1),
				Email: fmt.Sprintf("avery%d@partner.example", i+1), Phone: "+1 425 555 0100", ZipCode: "98052",
			})
			if err != nil {
				return err
			}
			fmt.Printf("submitted lead %s; decide with:\n  go run ./cmd/starter -lead %s -approve -reviewer you\n", sub.LeadID, sub.LeadID)
		}
	}
	<-ctx.Done()
	return nil
}
