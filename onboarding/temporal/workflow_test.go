package temporal

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

var lead = uuid.MustParse("7a0c5b8e-1d2f-4e3a-9b4c-5d6e7f8a9b0c")

// newTestEnv is a test workflow environment with the workflow and the
// activities registered; tests mock the activities they use.
func newTestEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger(t))
	env := s.NewTestWorkflowEnvironment()
	Register(env, &Activities{})
	env.SetTestTimeout(time.Minute)
	return env
}

// openLead mocks Inspect with an open lead.
func openLead(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(ActivityInspect, mock.Anything, lead).Return(&LeadInfo{LeadID: lead, State: sales.LeadStateOpen,
		ProspectStatus: sales.B2BProspectStatusPending}, nil)
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) *Result {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("the workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var r Result
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestSignalApproves(t *testing.T) {
	env := newTestEnv(t)
	openLead(env)
	var got *onboarding.ApproveOptions
	approvedAt := time.Time{}
	env.OnActivity(ActivityApprove, mock.Anything, lead, mock.Anything).Return(
		func(ctx context.Context, id uuid.UUID, o *onboarding.ApproveOptions) (*onboarding.Outcome, error) {
			got, approvedAt = o, env.Now()
			return &onboarding.Outcome{LeadID: id, Decision: onboarding.Approve}, nil
		})
	start := env.Now()
	// An invalid decision first: ignored; then the reviewer's.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: "maybe", Reviewer: "dana"})
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana", Reason: "credit checked"})
	}, 26*time.Hour)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		if err != nil {
			t.Error(err)
			return
		}
		var st Status
		if err := v.Get(&st); err != nil {
			t.Error(err)
		}
		if st.Phase != PhaseWaiting || st.Ignored != 1 || st.Reminders != 1 || !st.Deadline.Equal(start.Add(72*time.Hour)) {
			t.Errorf("status while waiting = %+v", st)
		}
	}, 25*time.Hour)
	env.OnActivity(ActivityRemind, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, DecisionTimeout: 72 * time.Hour, RemindEvery: 24 * time.Hour})

	r := result(t, env)
	want := &Result{LeadID: lead, Decision: DecisionApprove, DecidedBy: "dana", Reason: "credit checked", Reminders: 1, Ignored: 1,
		Outcome: &onboarding.Outcome{LeadID: lead, Decision: onboarding.Approve}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got == nil || got.Close == nil || got.Close.Description != "Approved by dana: credit checked" {
		t.Errorf("approve options = %+v, want the reviewer's reason as the close description", got)
	}
	if got != nil && (got.Reviewer == nil || *got.Reviewer != (onboarding.Reviewer{Name: "dana"}) || got.Comment != "credit checked") {
		t.Errorf("approve options: Reviewer %+v, Comment %q; want dana and the reason, for the ledger", got.Reviewer, got.Comment)
	}
	if d := approvedAt.Sub(start); d != 26*time.Hour {
		t.Errorf("approved %s after the start, want when the signal came (26h)", d)
	}
	env.AssertActivityNumberOfCalls(t, ActivityReject, 0)
	env.AssertActivityNumberOfCalls(t, ActivityRemind, 1)
}

func TestSignalRejectsWithReason(t *testing.T) {
	env := newTestEnv(t)
	openLead(env)
	var got *onboarding.RejectOptions
	env.OnActivity(ActivityReject, mock.Anything, lead, mock.Anything).Return(
		func(ctx context.Context, id uuid.UUID, o *onboarding.RejectOptions) (*onboarding.Outcome, error) {
			got = o
			return &onboarding.Outcome{LeadID: id, Decision: onboarding.Reject}, nil
		})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: DecisionReject, Reviewer: "lee", Reason: "no VAT number", RejectAs: sales.LeadStatusCannotContact})
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: DecisionApprove, Reviewer: "kim"})
	}, time.Hour)
	env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, Reject: &onboarding.RejectOptions{Reason: sales.LeadStatusLost}})

	r := result(t, env)
	if r.Decision != DecisionReject || r.DecidedBy != "lee" || r.Ignored != 1 {
		t.Errorf("result = %+v, want rejected by lee, the second decision ignored", r)
	}
	want := &onboarding.RejectOptions{Reason: sales.LeadStatusCannotContact, Close: &sales.CloseOptions{Description: "Rejected by lee: no VAT number"},
		Reviewer: &onboarding.Reviewer{Name: "lee"}, Comment: "no VAT number"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reject options (-want +got):\n%s", diff)
	}
	env.AssertActivityNumberOfCalls(t, ActivityApprove, 0)
}

func TestDeadlineRejects(t *testing.T) {
	env := newTestEnv(t)
	openLead(env)
	var rejectedAt time.Time
	env.OnActivity(ActivityReject, mock.Anything, lead, mock.Anything).Return(
		func(ctx context.Context, id uuid.UUID, o *onboarding.RejectOptions) (*onboarding.Outcome, error) {
			rejectedAt = env.Now()
			return &onboarding.Outcome{LeadID: id, Decision: onboarding.Reject}, nil
		})
	var reminders []Reminder
	env.OnActivity(ActivityRemind, mock.Anything, mock.Anything).Return(func(ctx context.Context, r Reminder) error {
		reminders = append(reminders, r)
		return errors.New("the mail server is down") // a failed reminder does not stop the request
	})
	start := env.Now()
	env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, DecisionTimeout: 72 * time.Hour, RemindEvery: 30 * time.Hour})

	r := result(t, env)
	if r.Decision != DecisionReject || r.DecidedBy != DecidedByDeadline || r.Reason != "no decision within 72h0m0s" || r.Reminders != 2 {
		t.Errorf("result = %+v", r)
	}
	if d := rejectedAt.Sub(start); d != 72*time.Hour {
		t.Errorf("rejected %s after the start, want at the deadline", d)
	}
	// Two reminders (30h, 60h: on schedule, though each failed and was
	// tried three times, per hookOptions).
	if len(reminders) != 6 || reminders[0].N != 1 || reminders[5].N != 2 || reminders[5].Waiting != 60*time.Hour {
		t.Errorf("reminders = %+v", reminders)
	}
}

func TestDeadlineEscalatesThenWaits(t *testing.T) {
	env := newTestEnv(t)
	openLead(env)
	var escalations []Escalation
	env.OnActivity(ActivityEscalate, mock.Anything, mock.Anything).Return(func(ctx context.Context, e Escalation) error {
		escalations = append(escalations, e)
		return nil
	})
	var reminded []time.Duration
	env.OnActivity(ActivityRemind, mock.Anything, mock.Anything).Return(func(ctx context.Context, r Reminder) error {
		reminded = append(reminded, r.Waiting)
		return nil
	})
	env.OnActivity(ActivityApprove, mock.Anything, lead, mock.Anything).Return(&onboarding.Outcome{LeadID: lead, Decision: onboarding.Approve}, nil)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: DecisionApprove, Reviewer: "manager"})
	}, 100*time.Hour)
	env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, DecisionTimeout: 48 * time.Hour, AtDeadline: DeadlineEscalate, RemindEvery: 24 * time.Hour})

	r := result(t, env)
	if r.Decision != DecisionApprove || r.DecidedBy != "manager" || !r.Escalated || r.Reminders != 3 {
		t.Errorf("result = %+v, want approved by manager after escalating, 3 reminders", r)
	}
	// None at the deadline (48h): the escalation is sent then; they go on
	// after it.
	if diff := cmp.Diff([]time.Duration{24 * time.Hour, 72 * time.Hour, 96 * time.Hour}, reminded); diff != "" {
		t.Errorf("reminders sent after (-want +got):\n%s", diff)
	}
	want := []Escalation{{LeadID: lead, WorkflowID: "default-test-workflow-id", Waiting: 48 * time.Hour}}
	if diff := cmp.Diff(want, escalations); diff != "" {
		t.Errorf("escalations (-want +got):\n%s", diff)
	}
	env.AssertActivityNumberOfCalls(t, ActivityReject, 0)
}

func TestRecordsDecisionFinishedWithoutWaiting(t *testing.T) {
	for _, c := range []struct {
		decided  onboarding.Decision
		activity string
		want     string
	}{
		{onboarding.Approve, ActivityApprove, DecisionApprove},
		{onboarding.Reject, ActivityReject, DecisionReject},
	} {
		t.Run(c.want, func(t *testing.T) {
			env := newTestEnv(t)
			env.OnActivity(ActivityInspect, mock.Anything, lead).Return(&LeadInfo{LeadID: lead, Decided: c.decided}, nil)
			env.OnActivity(c.activity, mock.Anything, lead, mock.Anything).Return(&onboarding.Outcome{LeadID: lead, Decision: c.decided}, nil)
			start := env.Now()
			env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, DecisionTimeout: time.Hour})
			r := result(t, env)
			if r.Decision != c.want || r.DecidedBy != DecidedByRecords {
				t.Errorf("result = %+v", r)
			}
			if !env.Now().Equal(start) {
				t.Errorf("the workflow waited %s", env.Now().Sub(start))
			}
		})
	}
}

func TestWorkflowRefusesBadRequest(t *testing.T) {
	for name, r := range map[string]Request{
		"LeadID":          {},
		"AtDeadline":      {LeadID: lead, AtDeadline: "ignore"},
		"DecisionTimeout": {LeadID: lead, DecisionTimeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			env.ExecuteWorkflow(WorkflowName, r)
			var ae *sdktemporal.ApplicationError
			if err := env.GetWorkflowError(); !errors.As(err, &ae) || ae.Type() != ErrTypeInvalidInput || !ae.NonRetryable() {
				t.Fatalf("error = %v, want a non-retryable %s", err, ErrTypeInvalidInput)
			}
			env.AssertActivityNumberOfCalls(t, ActivityInspect, 0)
		})
	}
}

// attempts mocks Approve with the errors of the successive attempts (then
// success), and records each attempt's number and start time.
type attempts struct {
	errs  []error
	calls []int
	at    []time.Time
}

func (a *attempts) mock(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(ActivityApprove, mock.Anything, lead, mock.Anything).Return(
		func(ctx context.Context, id uuid.UUID, o *onboarding.ApproveOptions) (*onboarding.Outcome, error) {
			n := int(activity.GetInfo(ctx).Attempt)
			a.calls, a.at = append(a.calls, n), append(a.at, env.Now())
			if n <= len(a.errs) {
				return nil, ActivityError(a.errs[n-1], &onboarding.Outcome{LeadID: id, Decision: onboarding.Approve})
			}
			return &onboarding.Outcome{LeadID: id, Decision: onboarding.Approve}, nil
		})
}

func approveNow(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDecision, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"})
	}, time.Minute)
}

func TestRetryAfterIsTheNextRetryDelay(t *testing.T) {
	env := newTestEnv(t)
	openLead(env)
	throttled := &d365.Error{StatusCode: http.StatusTooManyRequests, RetryAfter: 2 * time.Minute}
	a := &attempts{errs: []error{
		throttled,
		&d365.Error{StatusCode: http.StatusServiceUnavailable}, // no Retry-After: the policy's backoff
	}}
	a.mock(env)
	approveNow(env)
	env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead})
	result(t, env)
	if diff := cmp.Diff([]int{1, 2, 3}, a.calls); diff != "" {
		t.Fatalf("attempts (-want +got):\n%s", diff)
	}
	// The policy's first interval is 1s and doubles; the 429 asked for 2
	// minutes.
	if d := a.at[1].Sub(a.at[0]); d != 2*time.Minute {
		t.Errorf("second attempt %s after the first, want the Retry-After (2m)", d)
	}
	if d := a.at[2].Sub(a.at[1]); d != 2*time.Second {
		t.Errorf("third attempt %s after the second, want the policy's backoff (2s)", d)
	}
}

func TestNonRetryableErrorsStopTheWorkflow(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		typ  string
	}{
		{"conflict", &onboarding.ConflictError{LeadID: lead, Wanted: onboarding.Approve, State: "the prospect is rejected"}, ErrTypeConflict},
		{"invalid input", d365.NewInputError("onboarding: approve", "leadID", "is empty"), ErrTypeInvalidInput},
		{"not onboarding", onboarding.ErrNotOnboardingRequest, ErrTypeNotOnboardingRequest},
		{"404", &d365.Error{StatusCode: http.StatusNotFound}, ErrTypeClientError},
		{"403", &d365.Error{StatusCode: http.StatusForbidden}, ErrTypeClientError},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newTestEnv(t)
			openLead(env)
			a := &attempts{errs: []error{c.err, c.err, c.err}}
			a.mock(env)
			approveNow(env)
			env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead})
			var ae *sdktemporal.ApplicationError
			err := env.GetWorkflowError()
			if !errors.As(err, &ae) || ae.Type() != c.typ || !ae.NonRetryable() {
				t.Fatalf("workflow error = %v, want a non-retryable %s", err, c.typ)
			}
			var out onboarding.Outcome
			if !ae.HasDetails() || ae.Details(&out) != nil || out.LeadID != lead {
				t.Errorf("details = %+v, want the outcome", out)
			}
			if diff := cmp.Diff([]int{1}, a.calls); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryableErrorsAreRetried(t *testing.T) {
	for _, err := range []error{
		&d365.Error{StatusCode: http.StatusRequestTimeout},
		&d365.Error{StatusCode: http.StatusTooManyRequests}, // no Retry-After
		&d365.Error{StatusCode: http.StatusBadGateway},
		d365.ErrOutcomeUnknown,
		context.DeadlineExceeded,
	} {
		t.Run(err.Error(), func(t *testing.T) {
			env := newTestEnv(t)
			openLead(env)
			a := &attempts{errs: []error{err}}
			a.mock(env)
			approveNow(env)
			env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead})
			result(t, env)
			if diff := cmp.Diff([]int{1, 2}, a.calls); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAwaitConfirmation(t *testing.T) {
	for _, c := range []struct {
		name    string
		signal  time.Duration // 0: no event
		byEvent bool
		after   time.Duration // from the Sales side to the confirmation
	}{
		{"event", 10 * time.Minute, true, 10 * time.Minute},
		{"no event: polling after the wait", 0, false, time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newTestEnv(t)
			openLead(env)
			var confirms []bool
			var at []time.Time
			env.OnActivity(ActivityApprove, mock.Anything, lead, mock.Anything).Return(
				func(ctx context.Context, id uuid.UUID, o *onboarding.ApproveOptions) (*onboarding.Outcome, error) {
					confirms, at = append(confirms, o.Confirm != nil), append(at, env.Now())
					return &onboarding.Outcome{LeadID: id, Decision: onboarding.Approve}, nil
				})
			approveNow(env)
			if c.signal > 0 {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalConfirmed, nil) }, time.Minute+c.signal)
			}
			env.ExecuteWorkflow(WorkflowName, Request{LeadID: lead, AwaitConfirmation: time.Hour,
				Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{Timeout: time.Minute}}})
			r := result(t, env)
			if r.ConfirmedByEvent != c.byEvent {
				t.Errorf("ConfirmedByEvent = %v, want %v", r.ConfirmedByEvent, c.byEvent)
			}
			if diff := cmp.Diff([]bool{false, true}, confirms); diff != "" {
				t.Fatalf("Confirm of each run (-want +got):\n%s", diff)
			}
			if d := at[1].Sub(at[0]); d != c.after {
				t.Errorf("confirmed %s after the Sales side, want %s", d, c.after)
			}
		})
	}
}
