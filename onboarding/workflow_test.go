package onboarding_test

import (
	"context"
	"errors"
	"testing"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestApproveReachesApprovedOnBothSides(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit(t, 1)[0]
	ctx := context.Background()

	var pending []*onboarding.Request
	for r, err := range e.svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, r)
	}
	if len(pending) != 1 || pending[0].Lead.ID != id || pending[0].Prospect == nil || pending[0].Prospect.B2BProspectStatus != commerce.ProspectPending {
		t.Fatalf("pending = %+v, want the one request with its Pending prospect", pending)
	}

	out, err := e.svc.Approve(ctx, id, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"read lead:done", "qualify lead:done", "win opportunity:done", "confirm in Commerce:done"}
	if diff := cmp.Diff(want, stepsOf(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if out.AccountID == uuid.Nil || out.ContactID == uuid.Nil || out.OpportunityID == uuid.Nil || out.Resumed() {
		t.Errorf("outcome = %+v", out)
	}
	c := out.Commerce
	if c == nil || c.ProspectStatus != "Approved" || c.OrganizationAccount == "" || c.PersonAccount == "" || c.HierarchyID == "" {
		t.Fatalf("Commerce state = %+v", c)
	}

	// Check both sides independently of the workflow.
	lead, err := e.sales.Leads.Get(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *lead.State != sales.LeadStateQualified || lead.B2BProspectStatus != sales.B2BProspectStatusApproved {
		t.Errorf("lead is %v / %v, want Qualified / Approved", *lead.State, lead.B2BProspectStatus)
	}
	opp, err := e.sales.Opportunities.Get(ctx, out.OpportunityID, nil)
	if err != nil || *opp.State != sales.OpportunityStateWon {
		t.Errorf("opportunity = %+v, %v; want Won", opp, err)
	}
	org, err := e.commerce.Customers.Get(ctx, e.srv.Company(), c.OrganizationAccount, nil)
	if err != nil || org.PartyType != commerce.PartyOrganization {
		t.Errorf("organization customer = %+v, %v", org, err)
	}
	h, err := e.commerce.Hierarchies.ForOrganization(ctx, org.PartyNumber)
	if err != nil || len(h.Admins()) != 1 {
		t.Fatalf("hierarchy = %+v, %v; want one Admin", h, err)
	}
	if got := e.counts(); got != [3]int{1, 1, 1} {
		t.Errorf("accounts, contacts, opportunities = %v, want one each", got)
	}
}

func TestRejectOpenLeadDisqualifies(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit(t, 1)[0]
	out, err := e.svc.Reject(context.Background(), id, &onboarding.RejectOptions{Reason: sales.LeadStatusCannotContact, Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"read lead:done", "disqualify lead:done", "confirm in Commerce:done"}, stepsOf(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	lead, _ := e.sales.Leads.Get(context.Background(), id, nil)
	if *lead.State != sales.LeadStateDisqualified || lead.Status != sales.LeadStatusCannotContact || lead.B2BProspectStatus != sales.B2BProspectStatusRejected {
		t.Errorf("lead = %v/%v/%v", *lead.State, lead.Status, lead.B2BProspectStatus)
	}
	if out.Commerce.ProspectStatus != "Rejected" || e.counts() != [3]int{} {
		t.Errorf("Commerce %+v, records %v; want Rejected and nothing created", out.Commerce, e.counts())
	}
}

func TestRejectQualifiedLeadLosesTheOpportunity(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit(t, 1)[0]
	ctx := context.Background()
	res, err := e.sales.Leads.Qualify(ctx, id, nil) // a salesperson qualified it by hand
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.Reject(ctx, id, &onboarding.RejectOptions{LoseAs: sales.OpportunityStatusOutSold, Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"read lead:done", "read opportunity:done", "lose opportunity:done", "confirm in Commerce:done"}
	if diff := cmp.Diff(want, stepsOf(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	opp, _ := e.sales.Opportunities.Get(ctx, res.OpportunityID, nil)
	if *opp.State != sales.OpportunityStateLost || opp.Status != sales.OpportunityStatusOutSold || out.OpportunityID != res.OpportunityID {
		t.Errorf("opportunity %v/%v (outcome names %s)", *opp.State, opp.Status, out.OpportunityID)
	}
	if out.Commerce.ProspectStatus != "Rejected" {
		t.Errorf("prospect is %s", out.Commerce.ProspectStatus)
	}
}

func TestRoundTripsPerDecision(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 2)
	ctx := context.Background()
	// The decision's own requests, without the ledger's note
	// (TestLedgerNoteIsOneMoreRequest counts that one).
	e.svc = onboarding.New(e.sales, e.commerce, &onboarding.Options{Ledger: onboarding.NoLedger})
	e.srv.ResetRequests()
	if _, err := e.svc.Approve(ctx, ids[0], nil); err != nil {
		t.Fatal(err)
	}
	if n := e.salesRequests(); n != 3 {
		t.Errorf("an approval took %d requests, want 3", n)
	}
	e.srv.ResetRequests()
	if _, err := e.svc.Reject(ctx, ids[1], nil); err != nil {
		t.Fatal(err)
	}
	if n := e.salesRequests(); n != 2 {
		t.Errorf("a rejection took %d requests, want 2", n)
	}
}

func TestConflictingDecisions(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 2)
	ctx := context.Background()
	if _, err := e.svc.Reject(ctx, ids[0], nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Approve(ctx, ids[0], nil)
	var ce *onboarding.ConflictError
	if !errors.Is(err, onboarding.ErrConflict) || !errors.As(err, &ce) || ce.Wanted != onboarding.Approve {
		t.Errorf("approving a rejected lead: %v, want a ConflictError", err)
	}
	if _, err := e.svc.Approve(ctx, ids[1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reject(ctx, ids[1], nil); !errors.Is(err, onboarding.ErrConflict) {
		t.Errorf("rejecting an approved lead: %v, want ErrConflict", err)
	}
	if got := e.counts(); got != [3]int{1, 1, 1} {
		t.Errorf("records = %v, want one of each (the approval only)", got)
	}
}

func TestApproveRefusesALeadThatIsNoOnboardingRequest(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id, err := e.sales.Leads.Create(ctx, &sales.Lead{Subject: "Walk-in", LastName: "Doe", CompanyName: "Doe Inc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Approve(ctx, id, nil); !errors.Is(err, onboarding.ErrNotOnboardingRequest) {
		t.Errorf("err = %v, want ErrNotOnboardingRequest", err)
	}
	if _, err := e.svc.Approve(ctx, uuid.Nil, nil); err == nil {
		t.Error("a nil lead id was accepted")
	}
	if got := e.counts(); got != [3]int{} {
		t.Errorf("records created: %v", got)
	}
}

func TestRunningApproveTwiceIsHarmless(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit(t, 1)[0]
	ctx := context.Background()
	if _, err := e.svc.Approve(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.Approve(ctx, id, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done", "confirm in Commerce:done"}
	if diff := cmp.Diff(want, stepsOf(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if got := e.counts(); got != [3]int{1, 1, 1} {
		t.Errorf("records = %v, want one of each", got)
	}
	_ = dualwritetest.Token
}
