package onboarding_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// decideAll returns a DecideFunc giving every request the same decision and
// counting, per lead, how often it was asked.
func decideAll(d onboarding.Decision) (onboarding.DecideFunc, map[uuid.UUID]int) {
	var mu sync.Mutex
	asked := map[uuid.UUID]int{}
	return func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		mu.Lock()
		defer mu.Unlock()
		asked[r.Lead.ID]++
		return onboarding.Verdict{Decision: d}, nil
	}, asked
}

// leadState returns a lead's statecode and msdyn_b2bprospectstatus.
func (e *env) leadState(t *testing.T, id uuid.UUID) (sales.LeadState, sales.B2BProspectStatus) {
	t.Helper()
	l, err := e.sales.Leads.Get(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return *l.State, l.B2BProspectStatus
}

// prospectStatus returns the Commerce status of each lead's prospect.
func (e *env) prospectStatus() map[string]string {
	m := map[string]string{}
	for _, p := range e.srv.Rows("Prospects") {
		m[p["ProspectId"].(string)], _ = p["B2BProspectStatus"].(string)
	}
	return m
}

// TestProcessFinishesApprovalsCutBeforeTheWin approves six requests while
// the emulator refuses two WinOpportunity calls with a 500: those two leads
// are left qualified, their opportunities open and their prospects Pending.
// A second Process must list them, finish the approvals without asking
// decide (which now rejects everything), and count them as resumed.
func TestProcessFinishesApprovalsCutBeforeTheWin(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 6)
	e.srv.FailNext("POST", "WinOpportunity", http.StatusInternalServerError)
	e.srv.FailNext("POST", "WinOpportunity", http.StatusInternalServerError)
	ctx := context.Background()
	approve, _ := decideAll(onboarding.Approve)
	sum, err := e.svc.Process(ctx, approve, &onboarding.ProcessOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Approved != 4 || sum.Failed != 2 {
		t.Fatalf("first run: %+v, want 4 approved and 2 failed", sum)
	}
	half := map[uuid.UUID]bool{}
	for _, f := range sum.Failures {
		half[f.LeadID] = true
		if st, b2b := e.leadState(t, f.LeadID); st != sales.LeadStateQualified || b2b != sales.B2BProspectStatusPending {
			t.Fatalf("lead %s after a refused win: %v/%v, want Qualified/Pending", f.LeadID, st, b2b)
		}
	}

	// The requests left half done are listed, marked as such.
	n := 0
	for r, err := range e.svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !half[r.Lead.ID] {
			t.Errorf("Pending lists lead %s, which was approved", r.Lead.ID)
			continue
		}
		if r.Unfinished != onboarding.Approve {
			t.Errorf("lead %s: Unfinished = %v, want approve", r.Lead.ID, r.Unfinished)
		}
		if r.Opportunity == nil || r.Opportunity.ID != r.Lead.QualifyingOpportunityID || *r.Opportunity.State != sales.OpportunityStateOpen {
			t.Errorf("lead %s: Opportunity = %+v, want its open qualifying opportunity", r.Lead.ID, r.Opportunity)
		}
		if r.Prospect == nil || r.Prospect.ProspectID != r.Lead.ProspectID {
			t.Errorf("lead %s: no prospect", r.Lead.ID)
		}
	}
	if n != 2 {
		t.Errorf("Pending listed %d requests, want the 2 half-done ones", n)
	}

	reject, asked := decideAll(onboarding.Reject)
	sum, err = e.svc.Process(ctx, reject, &onboarding.ProcessOptions{Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Approved != 2 || sum.Resumed != 2 || sum.Rejected+sum.Failed+sum.Skipped != 0 {
		t.Errorf("second run: %+v, want 2 approved, both resumed", sum)
	}
	if len(asked) != 0 {
		t.Errorf("decide was asked about %v: a decision already under way must not be asked again", asked)
	}
	status := e.prospectStatus()
	for _, id := range ids {
		st, b2b := e.leadState(t, id)
		if st != sales.LeadStateQualified || b2b != sales.B2BProspectStatusApproved {
			t.Errorf("lead %s: %v/%v, want Qualified/Approved", id, st, b2b)
		}
	}
	for p, s := range status {
		if s != "Approved" {
			t.Errorf("prospect %s is %s, want Approved", p, s)
		}
	}
	if got := e.counts(); got != [3]int{6, 6, 6} {
		t.Errorf("accounts, contacts, opportunities = %v, want 6 each", got)
	}
	if hs := e.srv.Count("CustomerHiearchies"); hs != 6 {
		t.Errorf("%d customer hierarchies, want 6", hs)
	}
	for _, o := range e.srv.Rows("opportunities") {
		if chaosInt(o["statecode"]) != 1 {
			t.Errorf("opportunity %v has statecode %v, want 1 (won)", o["opportunityid"], o["statecode"])
		}
	}

	// Nothing is left: a third run lists nothing and asks nothing.
	sum, err = e.svc.Process(ctx, reject, nil)
	if err != nil || sum.Approved+sum.Rejected+sum.Skipped+sum.Failed != 0 || len(asked) != 0 {
		t.Errorf("third run: %+v, %v, asked %v; want nothing to do", sum, err, asked)
	}
}

// TestProcessFinishesAnApprovalCancelledBetweenSteps cancels Process's
// context right after one lead was qualified (a deadline, a Ctrl-C); the
// next Process finishes that approval.
func TestProcessFinishesAnApprovalCancelledBetweenSteps(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{OnStep: func(id uuid.UUID, st onboarding.Step) {
		if id == ids[1] && st.Name == onboarding.StepQualify && st.Status == onboarding.StepDone {
			cancel()
		}
	}})
	approve, _ := decideAll(onboarding.Approve)
	if _, err := svc.Process(ctx, approve, &onboarding.ProcessOptions{Concurrency: 1}); err == nil {
		t.Fatal("Process with a cancelled context returned no error")
	}
	if st, b2b := e.leadState(t, ids[1]); st != sales.LeadStateQualified || b2b != sales.B2BProspectStatusPending {
		t.Fatalf("lead cut after qualifying: %v/%v, want Qualified/Pending", st, b2b)
	}
	reject, asked := decideAll(onboarding.Reject)
	sum, err := e.svc.Process(context.Background(), reject, &onboarding.ProcessOptions{Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed != 1 || sum.Approved != 1 || asked[ids[1]] != 0 {
		t.Errorf("second run: %+v, decide asked %v; want the cut approval finished without asking", sum, asked)
	}
	if st, b2b := e.leadState(t, ids[1]); st != sales.LeadStateQualified || b2b != sales.B2BProspectStatusApproved {
		t.Errorf("lead %s: %v/%v, want Qualified/Approved", ids[1], st, b2b)
	}
	if asked[ids[2]] != 1 || asked[ids[0]] != 0 {
		t.Errorf("decide asked %v: want only the request never decided (lead %s)", asked, ids[2])
	}
	if got := e.counts(); got != [3]int{2, 2, 2} {
		t.Errorf("accounts, contacts, opportunities = %v, want 2 each (the first lead and the resumed one)", got)
	}
}

// TestProcessFinishesDecisionsThatDidNotReachTheProspect builds the states
// where Sales carries a decision but the lead's msdyn_b2bprospectstatus
// (and with it the Commerce prospect) stayed Pending: an opportunity won, a
// lead disqualified, an opportunity lost. Process finishes each with the
// decision the records show, without asking decide, and Commerce ends up
// Approved or Rejected.
func TestProcessFinishesDecisionsThatDidNotReachTheProspect(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 4)
	won, disqualified, lost, open := ids[0], ids[1], ids[2], ids[3]
	ctx := context.Background()
	if _, err := e.svc.Approve(ctx, won, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reject(ctx, disqualified, nil); err != nil {
		t.Fatal(err)
	}
	q, err := e.sales.Leads.Qualify(ctx, lost, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sales.Opportunities.Lose(ctx, q.OpportunityID, sales.OpportunityStatusCanceled, nil); err != nil {
		t.Fatal(err)
	}
	// The status write that carries each decision is undone, as if it
	// had never happened; dual-write takes the prospect back to Pending.
	pending := sales.B2BProspectStatusPending
	for _, id := range ids[:3] {
		if err := e.sales.Leads.Update(ctx, id, &sales.LeadChanges{B2BProspectStatus: &pending}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for p, s := range e.prospectStatus() {
		if s != "Pending" {
			t.Fatalf("setting up: prospect %s is %s, want Pending", p, s)
		}
	}

	wantUnfinished := map[uuid.UUID]onboarding.Decision{won: onboarding.Approve, disqualified: onboarding.Reject, lost: onboarding.Reject, open: onboarding.Skip}
	wantOpp := map[uuid.UUID]bool{won: true, lost: true}
	n := 0
	for r, err := range e.svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if r.Unfinished != wantUnfinished[r.Lead.ID] {
			t.Errorf("lead %s: Unfinished = %v, want %v", r.Lead.ID, r.Unfinished, wantUnfinished[r.Lead.ID])
		}
		if (r.Opportunity != nil) != wantOpp[r.Lead.ID] {
			t.Errorf("lead %s: Opportunity = %+v, want one: %v", r.Lead.ID, r.Opportunity, wantOpp[r.Lead.ID])
		}
	}
	if n != 4 {
		t.Errorf("Pending listed %d requests, want 4", n)
	}

	skip, asked := decideAll(onboarding.Skip)
	steps := map[uuid.UUID][]string{}
	sum, err := e.svc.Process(ctx, skip, &onboarding.ProcessOptions{
		Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Reject:  &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}},
		Progress: func(p onboarding.Progress) {
			if p.Outcome != nil {
				steps[p.Request.Lead.ID] = stepsOf(p.Outcome)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (onboarding.Summary{Approved: 1, Rejected: 2, Skipped: 1, Resumed: 3}); sum.Approved != want.Approved ||
		sum.Rejected != want.Rejected || sum.Skipped != want.Skipped || sum.Resumed != want.Resumed || sum.Failed != 0 {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if len(asked) != 1 || asked[open] != 1 {
		t.Errorf("decide asked about %v, want only the open lead %s", asked, open)
	}
	for id, want := range map[uuid.UUID][]string{
		won:          {"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done", "set prospect status:done", "confirm in Commerce:done"},
		disqualified: {"read lead:done", "disqualify lead:already done", "set prospect status:done", "confirm in Commerce:done"},
		lost:         {"read lead:done", "read opportunity:done", "lose opportunity:already done", "set prospect status:done", "confirm in Commerce:done"},
	} {
		if diff := cmp.Diff(want, steps[id]); diff != "" {
			t.Errorf("steps of lead %s (-want +got):\n%s", id, diff)
		}
	}
	for id, want := range map[uuid.UUID]sales.B2BProspectStatus{won: sales.B2BProspectStatusApproved, disqualified: sales.B2BProspectStatusRejected, lost: sales.B2BProspectStatusRejected, open: sales.B2BProspectStatusPending} {
		if _, got := e.leadState(t, id); got != want {
			t.Errorf("lead %s: status %v, want %v", id, got, want)
		}
	}
	status := map[string]int{}
	for _, s := range e.prospectStatus() {
		status[s]++
	}
	if diff := cmp.Diff(map[string]int{"Approved": 1, "Rejected": 2, "Pending": 1}, status); diff != "" {
		t.Errorf("Commerce prospects (-want +got):\n%s", diff)
	}
	if got, hs := e.counts(), e.srv.Count("CustomerHiearchies"); got != [3]int{2, 2, 2} || hs != 1 {
		t.Errorf("accounts, contacts, opportunities = %v, hierarchies = %d; want 2 each (the won and the lost lead) and 1", got, hs)
	}
}

// TestPendingReadsOpportunitiesInGroups lists 120 requests, half of them
// qualified (an approval cut after its first step), in pages of 50: three
// pages of leads, one query for the opportunities of each group of 50 and
// one for its prospects, whatever the number of half-done requests.
func TestPendingReadsOpportunitiesInGroups(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 120)
	ctx := context.Background()
	opps := map[uuid.UUID]uuid.UUID{}
	for i, id := range ids {
		if i%2 == 0 {
			q, err := e.sales.Leads.Qualify(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			opps[id] = q.OpportunityID
		}
	}
	e.srv.ResetRequests()
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{PageSize: 50})
	n := 0
	for r, err := range svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Lead.ID != ids[n] {
			t.Errorf("request %d is lead %s, want %s (oldest first)", n, r.Lead.ID, ids[n])
		}
		want := onboarding.Skip
		if opps[r.Lead.ID] != uuid.Nil {
			want = onboarding.Approve
			if r.Opportunity == nil || r.Opportunity.ID != opps[r.Lead.ID] {
				t.Errorf("request %d: opportunity %+v, want %s", n, r.Opportunity, opps[r.Lead.ID])
			}
		} else if r.Opportunity != nil {
			t.Errorf("request %d: an open lead with opportunity %+v", n, r.Opportunity)
		}
		if r.Unfinished != want {
			t.Errorf("request %d: Unfinished = %v, want %v", n, r.Unfinished, want)
		}
		n++
	}
	if n != 120 {
		t.Fatalf("%d pending requests, want 120", n)
	}
	got := map[string]int{}
	for _, r := range e.srv.Requests() {
		switch {
		case r.Service == "commerce":
			got["commerce"]++
		case strings.Contains(r.Path, "leads"):
			got["leads"]++
		case strings.Contains(r.Path, "opportunities"):
			got["opportunities"]++
		default:
			got[r.Path]++
		}
	}
	if diff := cmp.Diff(map[string]int{"leads": 3, "opportunities": 3, "commerce": 3}, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestPendingRefusesANegativePageSize(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.ResetRequests()
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{PageSize: -1})
	for _, err := range svc.Pending(context.Background()) {
		if err == nil || !strings.Contains(err.Error(), "Options.PageSize") {
			t.Errorf("err = %v, want one naming Options.PageSize", err)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
