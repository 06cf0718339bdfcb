package onboarding_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestResumeAfterAFailureAtEachStep fails one step of a first approval or
// rejection, then runs the same decision again: the second run finishes
// the job, and no record exists twice.
func TestResumeAfterAFailureAtEachStep(t *testing.T) {
	for _, tc := range []struct {
		name      string
		decision  onboarding.Decision
		arm       func(*dualwritetest.Server)
		firstErr  bool
		first     []string
		second    []string
		wantCount [3]int
	}{{
		name:      "qualify refused",
		decision:  onboarding.Approve,
		arm:       func(s *dualwritetest.Server) { s.FailNext("POST", "QualifyLead", http.StatusInternalServerError) },
		firstErr:  true,
		first:     []string{"read lead:done", "qualify lead:failed"},
		second:    []string{"read lead:done", "qualify lead:done", "win opportunity:done"},
		wantCount: [3]int{1, 1, 1},
	}, {
		name:      "qualify done, win refused",
		decision:  onboarding.Approve,
		arm:       func(s *dualwritetest.Server) { s.FailNext("POST", "WinOpportunity", http.StatusInternalServerError) },
		firstErr:  true,
		first:     []string{"read lead:done", "qualify lead:done", "win opportunity:failed"},
		second:    []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:done"},
		wantCount: [3]int{1, 1, 1},
	}, {
		name:      "qualify done, its response lost",
		decision:  onboarding.Approve,
		arm:       func(s *dualwritetest.Server) { s.InjectFault("POST", "QualifyLead", dualwritetest.FaultLoseResponse) },
		first:     []string{"read lead:done", "qualify lead:recovered", "read opportunity:done", "win opportunity:done"},
		second:    []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done"},
		wantCount: [3]int{1, 1, 1},
	}, {
		name:     "win done, its response lost",
		decision: onboarding.Approve,
		arm: func(s *dualwritetest.Server) {
			s.InjectFault("POST", "WinOpportunity", dualwritetest.FaultLoseResponse)
		},
		first:     []string{"read lead:done", "qualify lead:done", "win opportunity:recovered"},
		second:    []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done"},
		wantCount: [3]int{1, 1, 1},
	}, {
		name:     "win dropped before acting",
		decision: onboarding.Approve,
		// Reading the opportunity proves the win was not applied: it is
		// sent again in the same run.
		arm:       func(s *dualwritetest.Server) { s.InjectFault("POST", "WinOpportunity", dualwritetest.FaultDrop) },
		first:     []string{"read lead:done", "qualify lead:done", "win opportunity:done"},
		second:    []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done"},
		wantCount: [3]int{1, 1, 1},
	}, {
		name:     "disqualify done, its response lost",
		decision: onboarding.Reject,
		// Disqualify is an idempotent PATCH: the client resends it.
		arm:    func(s *dualwritetest.Server) { s.InjectFault("PATCH", "leads(", dualwritetest.FaultLoseResponse) },
		first:  []string{"read lead:done", "disqualify lead:done"},
		second: []string{"read lead:done", "disqualify lead:already done"},
	}, {
		name:     "disqualify refused",
		decision: onboarding.Reject,
		arm:      func(s *dualwritetest.Server) { s.FailNext("PATCH", "leads(", http.StatusServiceUnavailable) },
		// A 503 is retried by the client: the first run succeeds.
		first:  []string{"read lead:done", "disqualify lead:done"},
		second: []string{"read lead:done", "disqualify lead:already done"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			id := e.submit(t, 1)[0]
			ctx := context.Background()
			run := func() (*onboarding.Outcome, error) {
				if tc.decision == onboarding.Approve {
					return e.svc.Approve(ctx, id, nil)
				}
				return e.svc.Reject(ctx, id, nil)
			}
			tc.arm(e.srv)
			out, err := run()
			if (err != nil) != tc.firstErr {
				t.Fatalf("first run: err = %v, want error: %v", err, tc.firstErr)
			}
			if diff := cmp.Diff(tc.first, stepsOf(out)); diff != "" {
				t.Errorf("first run steps (-want +got):\n%s", diff)
			}
			out, err = run()
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if diff := cmp.Diff(tc.second, stepsOf(out)); diff != "" {
				t.Errorf("second run steps (-want +got):\n%s", diff)
			}
			if got := e.counts(); got != tc.wantCount {
				t.Errorf("accounts, contacts, opportunities = %v, want %v", got, tc.wantCount)
			}
			_, err = run() // and a third time changes nothing
			if err != nil || e.counts() != tc.wantCount {
				t.Errorf("third run: %v, records %v", err, e.counts())
			}
		})
	}
}

// TestResumeAfterCancellation cancels the context of an approval at each of
// its requests in turn, then approves again without a deadline.
func TestResumeAfterCancellation(t *testing.T) {
	for cut := 1; cut <= 3; cut++ {
		e := newEnv(t, nil)
		id := e.submit(t, 1)[0]
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{OnStep: func(_ uuid.UUID, st onboarding.Step) {
			n++
			if n == cut {
				cancel()
			}
		}})
		svc.Approve(ctx, id, nil)
		cancel()
		if _, err := e.svc.Approve(context.Background(), id, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}); err != nil {
			t.Fatalf("cut after step %d: resume failed: %v", cut, err)
		}
		if got := e.counts(); got != [3]int{1, 1, 1} {
			t.Errorf("cut after step %d: records = %v, want one of each", cut, got)
		}
	}
}
