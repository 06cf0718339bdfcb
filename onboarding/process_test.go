package onboarding_test

import (
	"context"
	"sync"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// TestProcessWithFaults decides 200 requests (two in three approved, one in
// three rejected) while the emulator injects throttling, unavailability,
// dropped connections and lost responses, then checks that every request
// ended in its decided state on both sides with no record created twice.
func TestProcessWithFaults(t *testing.T) {
	const n = 200
	e := newEnv(t, &dualwritetest.Options{Faults: &dualwritetest.Faults{
		Throttle: 0.10, Unavailable: 0.05, Drop: 0.02, LoseResponse: 0.02, Seed: 7,
	}})
	ids := e.submit(t, n)
	want := map[uuid.UUID]onboarding.Decision{}
	for i, id := range ids {
		want[id] = onboarding.Approve
		if i%3 == 2 {
			want[id] = onboarding.Reject
		}
	}
	ctx := context.Background()
	var mu sync.Mutex
	progress := 0
	sum, err := e.svc.Process(ctx, func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		return onboarding.Verdict{Decision: want[r.Lead.ID]}, nil
	}, &onboarding.ProcessOptions{
		Concurrency: 8,
		Approve:     &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Reject:      &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}},
		Progress: func(onboarding.Progress) {
			mu.Lock()
			progress++
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Failures {
		t.Errorf("decision %s on %s failed: %v", f.Decision, f.LeadID, f.Err)
	}
	if progress != n || sum.Approved+sum.Rejected+sum.Failed != n {
		t.Errorf("progress calls = %d, summary = %+v; want %d settled", progress, sum, n)
	}

	approved := 0
	for _, id := range ids {
		lead, err := e.sales.Leads.Get(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantState, wantB2B := sales.LeadStateDisqualified, sales.B2BProspectStatusRejected
		if want[id] == onboarding.Approve {
			wantState, wantB2B = sales.LeadStateQualified, sales.B2BProspectStatusApproved
			approved++
		}
		if *lead.State != wantState || lead.B2BProspectStatus != wantB2B {
			t.Errorf("lead %s is %v/%v, want %v/%v", id, *lead.State, lead.B2BProspectStatus, wantState, wantB2B)
		}
	}
	if got := e.counts(); got != [3]int{approved, approved, approved} {
		t.Errorf("accounts, contacts, opportunities = %v, want %d each: a record was created twice", got, approved)
	}
	status := map[string]int{}
	for _, p := range e.srv.Rows("Prospects") {
		status[p["B2BProspectStatus"].(string)]++
	}
	if status["Approved"] != approved || status["Rejected"] != n-approved {
		t.Errorf("Commerce prospects = %v, want %d Approved and %d Rejected", status, approved, n-approved)
	}
	if hs := e.srv.Count("CustomerHiearchies"); hs != approved {
		t.Errorf("customer hierarchies = %d, want %d", hs, approved)
	}
}
