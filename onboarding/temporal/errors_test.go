package temporal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	sdktemporal "go.temporal.io/sdk/temporal"
)

func TestActivityError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("onboarding: approve lead %s: qualify: %w", lead, err) }
	for _, c := range []struct {
		name         string
		err          error
		typ          string // "" for an error returned as it is
		nonRetryable bool
		next         time.Duration
	}{
		{"conflict", wrap(&onboarding.ConflictError{LeadID: lead, Wanted: onboarding.Approve, State: "the lead is disqualified"}), ErrTypeConflict, true, 0},
		{"invalid input", d365.NewInputError("onboarding: Reject", "RejectOptions.Reason", "is Qualified"), ErrTypeInvalidInput, true, 0},
		{"not onboarding", fmt.Errorf("%w: lead %s", onboarding.ErrNotOnboardingRequest, lead), ErrTypeNotOnboardingRequest, true, 0},
		{"400", wrap(&d365.Error{StatusCode: 400}), ErrTypeClientError, true, 0},
		{"404", wrap(&d365.Error{StatusCode: 404}), ErrTypeClientError, true, 0},
		{"412", wrap(&d365.Error{StatusCode: 412}), ErrTypeClientError, true, 0},
		{"429 Retry-After", wrap(&d365.Error{StatusCode: 429, RetryAfter: 90 * time.Second}), ErrTypeThrottled, false, 90 * time.Second},
		{"503 Retry-After", wrap(&d365.Error{StatusCode: 503, RetryAfter: 5 * time.Second}), ErrTypeThrottled, false, 5 * time.Second},
		{"429", wrap(&d365.Error{StatusCode: 429}), "", false, 0},
		{"408", wrap(&d365.Error{StatusCode: 408}), "", false, 0},
		{"500", wrap(&d365.Error{StatusCode: 500}), "", false, 0},
		{"outcome unknown", wrap(d365.ErrOutcomeUnknown), "", false, 0},
		{"canceled", wrap(context.Canceled), "", false, 0},
		{"transport", errors.New("dial tcp: connection refused"), "", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ActivityError(c.err, &onboarding.Outcome{LeadID: lead})
			var ae *sdktemporal.ApplicationError
			if c.typ == "" {
				if got != c.err {
					t.Fatalf("ActivityError = %v, want the error as it is", got)
				}
				return
			}
			if !errors.As(got, &ae) {
				t.Fatalf("ActivityError = %T %v, want an *ApplicationError", got, got)
			}
			if ae.Type() != c.typ || ae.NonRetryable() != c.nonRetryable || ae.NextRetryDelay() != c.next {
				t.Errorf("type %q nonRetryable %v next %s, want %q %v %s", ae.Type(), ae.NonRetryable(), ae.NextRetryDelay(), c.typ, c.nonRetryable, c.next)
			}
			if !errors.Is(got, c.err) {
				t.Errorf("the cause is lost: %v", got)
			}
			var out *onboarding.Outcome // not serialized yet: the value given
			if err := ae.Details(&out); err != nil || out == nil || out.LeadID != lead {
				t.Errorf("details = %+v, %v; want the outcome", out, err)
			}
		})
	}
	if ActivityError(nil) != nil {
		t.Error("ActivityError(nil) is not nil")
	}
}

// A real client's 429, when the service asks for a wait longer than the
// client accepts (RetryOptions.MaxRetryAfter), reaches the activity with
// its Retry-After, which becomes the next retry delay: the worker's slot is
// freed while Temporal waits.
func TestApproveActivityThrottledOnEmulator(t *testing.T) {
	e := newEmulator(t, &emulatorOptions{retryAfter: 3 * time.Minute, maxRetryAfter: time.Second})
	id := e.submit(t)
	e.srv.InjectFault(http.MethodGet, "leads(", dualwritetest.FaultThrottle)
	env := activityEnv(t, e.activities())
	_, err := env.ExecuteActivity(ActivityApprove, id, &onboarding.ApproveOptions{})
	var ae *sdktemporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != ErrTypeThrottled || ae.NextRetryDelay() != 3*time.Minute || ae.NonRetryable() {
		t.Fatalf("error = %v, want a retryable %s with NextRetryDelay 3m", err, ErrTypeThrottled)
	}
	if n := e.srv.Count("opportunities"); n != 0 {
		t.Errorf("%d opportunities after a throttled read, want 0", n)
	}
	if _, err := env.ExecuteActivity(ActivityApprove, id, &onboarding.ApproveOptions{}); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if n := e.srv.Count("opportunities"); n != 1 {
		t.Errorf("%d opportunities, want 1", n)
	}
}
