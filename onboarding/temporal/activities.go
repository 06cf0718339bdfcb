package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
)

// The names the activities are registered under by Register.
const (
	ActivityInspect  = "onboarding.Inspect"
	ActivityApprove  = "onboarding.Approve"
	ActivityReject   = "onboarding.Reject"
	ActivityRemind   = "onboarding.Remind"
	ActivityEscalate = "onboarding.Escalate"
)

// Activities are the activities of Workflow: the resumable steps of an
// onboarding.Service (Approve and Reject resume where an earlier attempt
// stopped and never act twice, so Temporal may run them again after a
// worker stops or hangs), a read of the lead, and the hooks for reminders
// and escalations. Their errors go through ActivityError. Register them
// with Register.
//
// While Approve or Reject runs, the activity heartbeats every third of
// its heartbeat timeout, so that a worker that stops or hangs is noticed
// and the attempt is given to another worker.
type Activities struct {
	// Service carries out the decisions. Required.
	Service *onboarding.Service
	// Sales reads the lead when a workflow starts (Inspect). Required.
	Sales *sales.Client
	// OnRemind is called for each reminder the workflow sends while it waits
	// for a decision (tell the reviewers by mail or chat); nil only logs.
	OnRemind func(ctx context.Context, r Reminder) error
	// OnEscalate is called when the decision deadline passes and the
	// workflow's AtDeadline is DeadlineEscalate; nil only logs.
	OnEscalate func(ctx context.Context, e Escalation) error
	// Logger receives a record for each reminder and escalation; nil is
	// slog.Default().
	Logger *slog.Logger
}

// Reminder is what Activities.OnRemind is given.
type Reminder struct {
	LeadID     uuid.UUID
	WorkflowID string
	// N counts the reminders of the request, from 1.
	N int
	// Waiting is how long the request has waited for a decision.
	Waiting time.Duration
	// Deadline is when the deadline passes; zero without one.
	Deadline time.Time
	// Escalated is set once the request was escalated.
	Escalated bool
}

// Escalation is what Activities.OnEscalate is given.
type Escalation struct {
	LeadID     uuid.UUID
	WorkflowID string
	// Waiting is how long the request has waited for a decision.
	Waiting time.Duration
}

// LeadInfo is what Inspect found on the lead of a request.
type LeadInfo struct {
	LeadID     uuid.UUID
	Subject    string
	ProspectID string
	State      sales.LeadState
	// ProspectStatus is the lead's msdyn_b2bprospectstatus.
	ProspectStatus sales.B2BProspectStatus
	// Decided is the decision the records already carry, finished or not:
	// Approve for a qualified lead whose opportunity is open or won,
	// Reject for a disqualified lead or a lost opportunity, Skip for an
	// open lead (nothing decided yet).
	Decided onboarding.Decision
}

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// Inspect reads the lead of a request and tells what the records already
// decided. A lead that is not an onboarding request is a non-retryable
// ErrTypeNotOnboardingRequest error.
func (a *Activities) Inspect(ctx context.Context, leadID uuid.UUID) (*LeadInfo, error) {
	if a.Sales == nil {
		return nil, ActivityError(errors.New("onboarding/temporal: Activities.Sales is nil"))
	}
	lead, err := a.Sales.Leads.Get(ctx, leadID, nil)
	if err != nil {
		return nil, ActivityError(fmt.Errorf("onboarding/temporal: reading lead %s: %w", leadID, err))
	}
	if lead.B2BCommerceProspect == nil || !*lead.B2BCommerceProspect {
		return nil, ActivityError(fmt.Errorf("%w: lead %s (%s)", onboarding.ErrNotOnboardingRequest, leadID, lead.Subject))
	}
	info := &LeadInfo{LeadID: leadID, Subject: lead.Subject, ProspectID: lead.ProspectID,
		State: lead.Status.State(), ProspectStatus: lead.B2BProspectStatus}
	if lead.State != nil {
		info.State = *lead.State
	}
	switch info.State {
	case sales.LeadStateDisqualified:
		info.Decided = onboarding.Reject
	case sales.LeadStateQualified:
		info.Decided = onboarding.Approve
		if lead.QualifyingOpportunityID != uuid.Nil {
			opp, err := a.Sales.Opportunities.Get(ctx, lead.QualifyingOpportunityID, nil)
			if err != nil {
				return nil, ActivityError(fmt.Errorf("onboarding/temporal: reading opportunity %s of lead %s: %w", lead.QualifyingOpportunityID, leadID, err))
			}
			if lost(opp) {
				info.Decided = onboarding.Reject
			}
		}
	}
	return info, nil
}

func lost(o *sales.Opportunity) bool {
	if o.State != nil {
		return *o.State == sales.OpportunityStateLost
	}
	return o.Status == sales.OpportunityStatusCanceled || o.Status == sales.OpportunityStatusOutSold
}

// Approve runs onboarding.Service.Approve, heartbeating while it runs.
func (a *Activities) Approve(ctx context.Context, leadID uuid.UUID, o *onboarding.ApproveOptions) (*onboarding.Outcome, error) {
	return a.decide(ctx, func(ctx context.Context) (*onboarding.Outcome, error) { return a.Service.Approve(ctx, leadID, o) })
}

// Reject runs onboarding.Service.Reject, heartbeating while it runs.
func (a *Activities) Reject(ctx context.Context, leadID uuid.UUID, o *onboarding.RejectOptions) (*onboarding.Outcome, error) {
	return a.decide(ctx, func(ctx context.Context) (*onboarding.Outcome, error) { return a.Service.Reject(ctx, leadID, o) })
}

func (a *Activities) decide(ctx context.Context, f func(context.Context) (*onboarding.Outcome, error)) (*onboarding.Outcome, error) {
	if a.Service == nil {
		return nil, ActivityError(errors.New("onboarding/temporal: Activities.Service is nil"))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if every := activity.GetInfo(ctx).HeartbeatTimeout / 3; every > 0 {
		go heartbeat(ctx, every)
	}
	out, err := f(ctx)
	if err != nil {
		return nil, ActivityError(err, out)
	}
	return out, nil
}

// heartbeat records a heartbeat every interval until ctx ends.
func heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			activity.RecordHeartbeat(ctx)
		}
	}
}

// Remind calls the OnRemind hook (or logs the reminder).
func (a *Activities) Remind(ctx context.Context, r Reminder) error {
	a.logger().InfoContext(ctx, "onboarding: reminder: a request waits for a decision",
		slog.String("lead", r.LeadID.String()), slog.Int("n", r.N), slog.Duration("waiting", r.Waiting))
	if a.OnRemind == nil {
		return nil
	}
	return a.OnRemind(ctx, r)
}

// Escalate calls the OnEscalate hook (or logs the escalation).
func (a *Activities) Escalate(ctx context.Context, e Escalation) error {
	a.logger().WarnContext(ctx, "onboarding: escalation: no decision before the deadline",
		slog.String("lead", e.LeadID.String()), slog.Duration("waiting", e.Waiting))
	if a.OnEscalate == nil {
		return nil
	}
	return a.OnEscalate(ctx, e)
}
