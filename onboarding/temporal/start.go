package temporal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// WorkflowID is the id of the workflow of the request whose lead is
// leadID: "onboarding-lead-" and the lead id. Start uses it, so a request
// runs at most one workflow at a time.
func WorkflowID(leadID uuid.UUID) string { return "onboarding-lead-" + leadID.String() }

// Register registers Workflow (as WorkflowName) and the activities of a
// (see RegisterActivities) on a worker.
func Register(r worker.Registry, a *Activities) {
	r.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: WorkflowName})
	RegisterActivities(r, a)
}

// RegisterActivities registers the activities of a under the Activity*
// names, for a worker that runs the activities but not the workflow.
func RegisterActivities(r worker.ActivityRegistry, a *Activities) {
	r.RegisterActivityWithOptions(a.Inspect, activity.RegisterOptions{Name: ActivityInspect})
	r.RegisterActivityWithOptions(a.Approve, activity.RegisterOptions{Name: ActivityApprove})
	r.RegisterActivityWithOptions(a.Reject, activity.RegisterOptions{Name: ActivityReject})
	r.RegisterActivityWithOptions(a.Remind, activity.RegisterOptions{Name: ActivityRemind})
	r.RegisterActivityWithOptions(a.Escalate, activity.RegisterOptions{Name: ActivityEscalate})
}

// Start starts the workflow of a request, with the options o (give at
// least TaskQueue) under the id WorkflowID(r.LeadID). When the request
// already has a workflow running, or one that completed (or was terminated
// or canceled), nothing is started: Start returns that workflow's run and
// started false. Only a request whose last workflow failed or timed out
// starts again. Start sets o's ID, WorkflowIDReusePolicy,
// WorkflowIDConflictPolicy and WorkflowExecutionErrorWhenAlreadyStarted.
// The request is validated first, before any call.
func Start(ctx context.Context, c client.Client, o client.StartWorkflowOptions, r Request) (run client.WorkflowRun, started bool, err error) {
	if err := r.Validate(); err != nil {
		return nil, false, err
	}
	if o.TaskQueue == "" {
		return nil, false, errors.New("onboarding/temporal: Start: StartWorkflowOptions.TaskQueue is empty")
	}
	o.ID = WorkflowID(r.LeadID)
	o.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	o.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	o.WorkflowExecutionErrorWhenAlreadyStarted = true
	run, err = c.ExecuteWorkflow(ctx, o, WorkflowName, r)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return c.GetWorkflow(ctx, o.ID, already.RunId), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("onboarding/temporal: starting %s: %w", o.ID, err)
	}
	return run, true, nil
}

// Decide sends a person's decision to the workflow of the request whose
// lead is leadID. The decision is validated first.
func Decide(ctx context.Context, c client.Client, leadID uuid.UUID, d DecisionSignal) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := c.SignalWorkflow(ctx, WorkflowID(leadID), "", SignalDecision, d); err != nil {
		return fmt.Errorf("onboarding/temporal: sending the decision to %s: %w", WorkflowID(leadID), err)
	}
	return nil
}

// StartOnLeadCreated returns a webhook.Func that starts the workflow of a
// request the moment Dataverse creates its lead: register it with
// webhook.NewHandler on a webhook step for Create on lead. Each workflow
// is template with the event's lead id. Events other than a Create on
// lead, and leads the event's Target shows are not Pending Commerce B2B
// prospects, start nothing. A replayed delivery (or a second event for the
// same lead) starts nothing either: see Start.
//
// started, when set, is called with each workflow started.
func StartOnLeadCreated(c client.Client, o client.StartWorkflowOptions, template Request, started func(leadID uuid.UUID, run client.WorkflowRun)) webhook.Func {
	return func(ctx context.Context, e *webhook.Event) error {
		x := e.Context
		if x == nil || !strings.EqualFold(x.MessageName, "Create") || !strings.EqualFold(x.PrimaryEntityName, "lead") {
			return nil
		}
		if x.PrimaryEntityID == uuid.Nil {
			return errors.New("onboarding/temporal: a Create on lead without PrimaryEntityId")
		}
		if t := x.Target(); t != nil && !e.SizeExceeded && !pendingTarget(t) {
			return nil
		}
		r := template
		r.LeadID = x.PrimaryEntityID
		run, ok, err := Start(ctx, c, o, r)
		if err != nil {
			return err
		}
		if ok && started != nil {
			started(r.LeadID, run)
		}
		return nil
	}
}

// pendingTarget reports whether a Target may be a Pending B2B prospect:
// false only when it carries the columns and they say otherwise.
func pendingTarget(t *webhook.Entity) bool {
	if t.Has("msdyn_b2bcommerceprospect") {
		if b, ok := t.Bool("msdyn_b2bcommerceprospect"); !ok || !b {
			return false
		}
	}
	if v, ok := t.OptionSet("msdyn_b2bprospectstatus"); ok && v != int(sales.B2BProspectStatusPending) {
		return false
	}
	return true
}

// SignalOnLeadUpdated returns a webhook.Func that drives the confirmation
// of Request.AwaitConfirmation by events: register it with
// webhook.NewHandler on a webhook step for Update on lead (Create and Update
// may share one handler: call StartOnLeadCreated's function and this one
// in turn). For an Update on lead whose Target sets
// msdyn_b2bprospectstatus to Approved or Rejected (the status dual-write
// carries to the Commerce prospect), or a size-exceeded Update (no
// Target), it sends SignalConfirmed to the request's workflow. A lead
// without a running workflow is no error. The signal only tells the
// workflow to check Commerce now: the check itself decides.
func SignalOnLeadUpdated(c client.Client) webhook.Func {
	return func(ctx context.Context, e *webhook.Event) error {
		x := e.Context
		if x == nil || !strings.EqualFold(x.MessageName, "Update") || !strings.EqualFold(x.PrimaryEntityName, "lead") || x.PrimaryEntityID == uuid.Nil {
			return nil
		}
		if t := x.Target(); !e.SizeExceeded {
			if t == nil {
				return nil
			}
			v, ok := t.OptionSet("msdyn_b2bprospectstatus")
			if !ok || (v != int(sales.B2BProspectStatusApproved) && v != int(sales.B2BProspectStatusRejected)) {
				return nil
			}
		}
		err := c.SignalWorkflow(ctx, WorkflowID(x.PrimaryEntityID), "", SignalConfirmed, nil)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("onboarding/temporal: signalling %s: %w", WorkflowID(x.PrimaryEntityID), err)
		}
		return nil
	}
}
