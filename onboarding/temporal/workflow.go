package temporal

import (
	"errors"
	"fmt"
	"time"

	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WorkflowName is the name Register gives Workflow.
const WorkflowName = "onboarding.Request"

// SignalDecision is the signal carrying a person's decision (a
// DecisionSignal); QueryStatus the query answering the workflow's Status.
const (
	SignalDecision = "decision"
	QueryStatus    = "status"
	// SignalConfirmed tells a workflow waiting with
	// Request.AwaitConfirmation that Commerce has the decision (no
	// payload); SignalOnLeadUpdated sends it from Dataverse webhooks.
	SignalConfirmed = "confirmed"
)

// The decisions of a DecisionSignal and a Result.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// DeadlineAction is what the workflow does when no decision came before
// Request.DecisionTimeout.
type DeadlineAction string

const (
	// DeadlineReject rejects the request (the default).
	DeadlineReject DeadlineAction = "reject"
	// DeadlineEscalate runs the escalation activity (Activities.OnEscalate)
	// and goes on waiting for a person's decision, with no deadline.
	DeadlineEscalate DeadlineAction = "escalate"
)

// Request starts Workflow for one onboarding request. Only LeadID is
// required.
type Request struct {
	// LeadID is the Sales lead of the request. It names the workflow
	// (WorkflowID), so that one request runs one workflow.
	LeadID uuid.UUID
	// DecisionTimeout is how long to wait for a person's decision; zero
	// waits without a deadline.
	DecisionTimeout time.Duration
	// AtDeadline is what happens when DecisionTimeout passes:
	// DeadlineReject (the default when empty) or DeadlineEscalate.
	AtDeadline DeadlineAction
	// RemindEvery is the interval of the reminders sent while the request
	// waits (Activities.OnRemind), counted from the start; zero sends
	// none. No reminder is sent at or after the deadline (the deadline
	// acts then), but they go on after an escalation.
	RemindEvery time.Duration
	// Approve and Reject are the options of the decision. Their Confirm
	// makes the activity wait, once Sales has the decision, until Commerce
	// shows it (keep Activity.StartToCloseTimeout above its timeout).
	Approve *onboarding.ApproveOptions
	Reject  *onboarding.RejectOptions
	// AwaitConfirmation, when positive and the decision's options set
	// Confirm, makes the confirmation driven by events: the decision is
	// carried out in Sales first (without Confirm), then the workflow
	// waits up to AwaitConfirmation for the signal SignalConfirmed, and
	// only then runs the decision again with Confirm (it resumes: nothing
	// is sent twice), which checks Commerce at once and polls it, up to
	// Confirm.Timeout, only when the event did not come or came early.
	AwaitConfirmation time.Duration
	// Activity tunes the activities' timeouts and retries.
	Activity ActivityOptions
}

// ActivityOptions tunes the activities Approve and Reject (and Inspect).
type ActivityOptions struct {
	// StartToCloseTimeout bounds one attempt; zero means 10 minutes.
	StartToCloseTimeout time.Duration
	// HeartbeatTimeout is how long an attempt may go without a heartbeat
	// before Temporal gives it to another worker; zero means 30 seconds.
	HeartbeatTimeout time.Duration
	// Retry is the retry policy; nil retries without end from 1 second,
	// doubling up to 1 minute. The non-retryable errors of ActivityError
	// are never retried, whatever the policy.
	Retry *sdktemporal.RetryPolicy
}

// DecisionSignal is a person's decision, sent with Decide (or as the
// signal SignalDecision). The first valid decision counts; later ones are
// ignored, as are invalid ones.
type DecisionSignal struct {
	// Decision is DecisionApprove or DecisionReject.
	Decision string
	// Reviewer names the person deciding. Required. The decision's ledger
	// entry (onboarding.LedgerEntry) names them, unless the Request's
	// options name a Reviewer.
	Reviewer string
	// ReviewerObjectID is the reviewer's Microsoft Entra ID object id;
	// with it the decision's Dataverse writes are made on their behalf
	// (onboarding.Reviewer.ObjectID), so that Dataverse's audit columns
	// name them. uuid.Nil records the name only.
	ReviewerObjectID uuid.UUID
	// Reason is the reviewer's reason. It becomes the description of the
	// activity that closes the opportunity, unless the Request's options
	// set one.
	Reason string
	// RejectAs is the lead's status reason for a rejection (Lost,
	// CannotContact, NoLongerInterested, Canceled); zero keeps the
	// Request's.
	RejectAs sales.LeadStatus
}

// Validate checks the decision, naming the field at fault.
func (d DecisionSignal) Validate() error {
	switch {
	case d.Decision != DecisionApprove && d.Decision != DecisionReject:
		return fmt.Errorf("onboarding/temporal: DecisionSignal.Decision is %q: want %q or %q", d.Decision, DecisionApprove, DecisionReject)
	case d.Reviewer == "":
		return errors.New("onboarding/temporal: DecisionSignal.Reviewer is empty")
	case d.RejectAs != 0 && d.RejectAs.State() != sales.LeadStateDisqualified:
		return fmt.Errorf("onboarding/temporal: DecisionSignal.RejectAs is %s: want Lost, CannotContact, NoLongerInterested or Canceled", d.RejectAs)
	case d.RejectAs != 0 && d.Decision != DecisionReject:
		return errors.New("onboarding/temporal: DecisionSignal.RejectAs is set on an approval")
	}
	return nil
}

// Who decided, in Result.DecidedBy when no reviewer did.
const (
	// DecidedByDeadline: the deadline passed (DeadlineReject).
	DecidedByDeadline = "deadline"
	// DecidedByRecords: the records already carried a decision when the
	// workflow started (an earlier run, or a person in Sales), which the
	// workflow finished.
	DecidedByRecords = "records"
)

// Result is what Workflow returns.
type Result struct {
	LeadID uuid.UUID
	// Decision is DecisionApprove or DecisionReject.
	Decision string
	// DecidedBy is the reviewer, DecidedByDeadline or DecidedByRecords.
	DecidedBy string
	// Reason is the reviewer's reason, or why the deadline decided.
	Reason string
	// Reminders counts the reminders sent; Escalated is set when the
	// request was escalated.
	Reminders int
	Escalated bool
	// Ignored counts the decision signals ignored (invalid, or after the
	// first).
	Ignored int
	// ConfirmedByEvent is set when, with Request.AwaitConfirmation, the
	// signal SignalConfirmed came before the wait ended.
	ConfirmedByEvent bool
	// Outcome is the last attempt's outcome of Approve or Reject.
	Outcome *onboarding.Outcome
}

// The phases of a Status.
const (
	PhaseInspecting = "inspecting"
	PhaseWaiting    = "waiting for a decision"
	PhaseApproving  = "approving"
	PhaseRejecting  = "rejecting"
	PhaseConfirming = "waiting for the confirmation event"
	PhaseDone       = "done"
)

// Status answers the query QueryStatus.
type Status struct {
	Phase     string
	Reminders int
	Escalated bool
	Ignored   int
	// Decision is the decision taken, nil while waiting.
	Decision *DecisionSignal
	// Deadline is when the decision deadline passes; zero without one (or
	// once escalated).
	Deadline time.Time
}

// Validate checks the request, naming the field at fault.
func (r *Request) Validate() error {
	switch {
	case r.LeadID == uuid.Nil:
		return errors.New("onboarding/temporal: Request.LeadID is empty (uuid.Nil)")
	case r.DecisionTimeout < 0:
		return fmt.Errorf("onboarding/temporal: Request.DecisionTimeout is %s: it must not be negative", r.DecisionTimeout)
	case r.RemindEvery < 0:
		return fmt.Errorf("onboarding/temporal: Request.RemindEvery is %s: it must not be negative", r.RemindEvery)
	case r.AtDeadline != "" && r.AtDeadline != DeadlineReject && r.AtDeadline != DeadlineEscalate:
		return fmt.Errorf("onboarding/temporal: Request.AtDeadline is %q: want %q or %q", r.AtDeadline, DeadlineReject, DeadlineEscalate)
	case r.AwaitConfirmation < 0:
		return fmt.Errorf("onboarding/temporal: Request.AwaitConfirmation is %s: it must not be negative", r.AwaitConfirmation)
	case r.Activity.StartToCloseTimeout < 0 || r.Activity.HeartbeatTimeout < 0:
		return errors.New("onboarding/temporal: Request.Activity timeouts must not be negative")
	}
	return nil
}

func (o ActivityOptions) activityOptions() workflow.ActivityOptions {
	ao := workflow.ActivityOptions{
		StartToCloseTimeout: o.StartToCloseTimeout,
		HeartbeatTimeout:    o.HeartbeatTimeout,
		RetryPolicy:         o.Retry,
	}
	if ao.StartToCloseTimeout == 0 {
		ao.StartToCloseTimeout = 10 * time.Minute
	}
	if ao.HeartbeatTimeout == 0 {
		ao.HeartbeatTimeout = 30 * time.Second
	}
	if ao.RetryPolicy == nil {
		ao.RetryPolicy = &sdktemporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}
	}
	return ao
}

// hookOptions are the options of the reminder and escalation activities:
// a few attempts, since a missed reminder must not hold the request.
var hookOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy:         &sdktemporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
}

// Workflow onboards one request: it reads the lead (Inspect), waits for a
// person's decision (the signal SignalDecision), sending reminders every
// Request.RemindEvery, and at Request.DecisionTimeout rejects or escalates
// (Request.AtDeadline); then it approves or rejects with the resumable
// activities. A lead whose records already carry a decision (qualified or
// disqualified by an earlier run, or by a person in Sales) is finished
// without waiting. Its state is answered to the query QueryStatus.
//
// The workflow fails with the activity's error when the decision cannot be
// carried out: a non-retryable ErrTypeConflict (approving a rejected
// request), ErrTypeNotOnboardingRequest, ErrTypeInvalidInput or
// ErrTypeClientError, or the last error once the retry policy gives up.
func Workflow(ctx workflow.Context, r Request) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, sdktemporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	log := workflow.GetLogger(ctx)
	st := &Status{Phase: PhaseInspecting}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return *st, nil }); err != nil {
		return nil, err
	}
	actx := workflow.WithActivityOptions(ctx, r.Activity.activityOptions())
	var info LeadInfo
	if err := workflow.ExecuteActivity(actx, ActivityInspect, r.LeadID).Get(ctx, &info); err != nil {
		return nil, err
	}
	res := &Result{LeadID: r.LeadID}
	var d DecisionSignal
	switch info.Decided {
	case onboarding.Approve:
		d = DecisionSignal{Decision: DecisionApprove}
		res.DecidedBy = DecidedByRecords
	case onboarding.Reject:
		d = DecisionSignal{Decision: DecisionReject}
		res.DecidedBy = DecidedByRecords
	default:
		st.Phase = PhaseWaiting
		var err error
		if d, err = wait(ctx, r, st, res); err != nil {
			return nil, err
		}
	}
	st.Decision = &d
	res.Decision, res.Reason, res.Ignored = d.Decision, d.Reason, st.Ignored
	if res.DecidedBy == "" {
		res.DecidedBy = d.Reviewer
	}
	log.Info("onboarding: decided", "lead", r.LeadID, "decision", d.Decision, "by", res.DecidedBy)

	var out onboarding.Outcome
	var err error
	if d.Decision == DecisionApprove {
		st.Phase = PhaseApproving
		o := onboarding.ApproveOptions{}
		if r.Approve != nil {
			o = *r.Approve
		}
		if o.Close == nil && d.Reviewer != "" {
			o.Close = &sales.CloseOptions{Description: closeText("Approved", d)}
		}
		o.Reviewer, o.Comment = attribute(o.Reviewer, o.Comment, d)
		if r.AwaitConfirmation > 0 && o.Confirm != nil {
			salesOnly := o
			salesOnly.Confirm = nil
			err = workflow.ExecuteActivity(actx, ActivityApprove, r.LeadID, &salesOnly).Get(ctx, &out)
			if err == nil {
				st.Phase = PhaseConfirming
				res.ConfirmedByEvent = awaitConfirmed(ctx, r.AwaitConfirmation)
			}
		}
		if err == nil {
			err = workflow.ExecuteActivity(actx, ActivityApprove, r.LeadID, &o).Get(ctx, &out)
		}
	} else {
		st.Phase = PhaseRejecting
		o := onboarding.RejectOptions{}
		if r.Reject != nil {
			o = *r.Reject
		}
		if d.RejectAs != 0 {
			o.Reason = d.RejectAs
		}
		if o.Close == nil && (d.Reviewer != "" || res.DecidedBy == DecidedByDeadline) {
			o.Close = &sales.CloseOptions{Description: closeText("Rejected", d)}
		}
		o.Reviewer, o.Comment = attribute(o.Reviewer, o.Comment, d)
		if r.AwaitConfirmation > 0 && o.Confirm != nil {
			salesOnly := o
			salesOnly.Confirm = nil
			err = workflow.ExecuteActivity(actx, ActivityReject, r.LeadID, &salesOnly).Get(ctx, &out)
			if err == nil {
				st.Phase = PhaseConfirming
				res.ConfirmedByEvent = awaitConfirmed(ctx, r.AwaitConfirmation)
			}
		}
		if err == nil {
			err = workflow.ExecuteActivity(actx, ActivityReject, r.LeadID, &o).Get(ctx, &out)
		}
	}
	if err != nil {
		return nil, err
	}
	res.Outcome = &out
	st.Phase = PhaseDone
	// Decisions sent while the decision ran are ignored.
	st.Ignored += drain(workflow.GetSignalChannel(ctx, SignalDecision))
	res.Ignored = st.Ignored
	return res, nil
}

func closeText(verb string, d DecisionSignal) string {
	s := verb
	if d.Reviewer != "" {
		s += " by " + d.Reviewer
	}
	if d.Reason != "" {
		s += ": " + d.Reason
	}
	return s
}

// wait waits for a person's decision, sending the reminders, until the
// deadline decides.
func wait(ctx workflow.Context, r Request, st *Status, res *Result) (DecisionSignal, error) {
	log := workflow.GetLogger(ctx)
	hctx := workflow.WithActivityOptions(ctx, hookOptions)
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	start := workflow.Now(ctx)
	wid := workflow.GetInfo(ctx).WorkflowExecution.ID
	sig := workflow.GetSignalChannel(ctx, SignalDecision)

	var deadline, remind workflow.Future
	if r.DecisionTimeout > 0 {
		deadline = workflow.NewTimer(tctx, r.DecisionTimeout)
		st.Deadline = start.Add(r.DecisionTimeout)
	}
	// schedule sets the timer of the next reminder, which keeps to the
	// schedule (start + k × RemindEvery) however long the last one took; a
	// reminder whose time passed is skipped, and so is one at or after the
	// deadline.
	schedule := func() {
		remind = nil
		if r.RemindEvery <= 0 {
			return
		}
		waited := workflow.Now(ctx).Sub(start)
		next := (waited/r.RemindEvery + 1) * r.RemindEvery
		if deadline != nil && next >= r.DecisionTimeout {
			return
		}
		remind = workflow.NewTimer(tctx, next-waited)
	}
	schedule()
	for {
		var got *DecisionSignal
		var deadlinePassed, remindDue bool
		s := workflow.NewSelector(ctx)
		s.AddReceive(sig, func(c workflow.ReceiveChannel, _ bool) {
			var d DecisionSignal
			c.Receive(ctx, &d)
			if err := d.Validate(); err != nil {
				st.Ignored++
				log.Warn("onboarding: decision signal ignored", "error", err)
				return
			}
			got = &d
		})
		if deadline != nil {
			s.AddFuture(deadline, func(workflow.Future) { deadlinePassed = true })
		}
		if remind != nil {
			s.AddFuture(remind, func(workflow.Future) { remindDue = true })
		}
		s.Select(ctx)
		switch {
		case got != nil:
			st.Ignored += drain(sig)
			return *got, nil
		case deadlinePassed:
			deadline = nil
			st.Deadline = time.Time{}
			waited := workflow.Now(ctx).Sub(start)
			if r.AtDeadline == DeadlineEscalate {
				st.Escalated, res.Escalated = true, true
				e := Escalation{LeadID: r.LeadID, WorkflowID: wid, Waiting: waited}
				if err := workflow.ExecuteActivity(hctx, ActivityEscalate, e).Get(ctx, nil); err != nil {
					log.Error("onboarding: escalation failed", "error", err)
				}
				if remind == nil {
					schedule() // the reminders go on after the escalation
				}
				continue
			}
			res.DecidedBy = DecidedByDeadline
			return DecisionSignal{Decision: DecisionReject, Reason: fmt.Sprintf("no decision within %s", r.DecisionTimeout)}, nil
		case remindDue:
			st.Reminders++
			res.Reminders = st.Reminders
			rm := Reminder{LeadID: r.LeadID, WorkflowID: wid, N: st.Reminders, Waiting: workflow.Now(ctx).Sub(start),
				Deadline: st.Deadline, Escalated: st.Escalated}
			if err := workflow.ExecuteActivity(hctx, ActivityRemind, rm).Get(ctx, nil); err != nil {
				log.Error("onboarding: reminder failed", "error", err)
			}
			schedule()
		}
	}
}

// drain receives the signals waiting on c, and counts them.
func drain(c workflow.ReceiveChannel) int {
	n := 0
	for {
		var d DecisionSignal
		if !c.ReceiveAsync(&d) {
			return n
		}
		n++
	}
}

// awaitConfirmed waits up to d for the signal SignalConfirmed, and reports
// whether it came.
func awaitConfirmed(ctx workflow.Context, d time.Duration) bool {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	got := false
	s := workflow.NewSelector(ctx)
	s.AddReceive(workflow.GetSignalChannel(ctx, SignalConfirmed), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		got = true
	})
	s.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) {})
	s.Select(ctx)
	return got
}

// attribute returns the reviewer and comment of the decision's ledger
// entry: those of the Request's options when set, else the signal's.
func attribute(r *onboarding.Reviewer, comment string, d DecisionSignal) (*onboarding.Reviewer, string) {
	if r == nil && d.Reviewer != "" {
		r = &onboarding.Reviewer{ObjectID: d.ReviewerObjectID, Name: d.Reviewer}
	}
	if comment == "" {
		comment = d.Reason
	}
	return r, comment
}
