package onboarding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// RejectOptions tunes Reject. The zero value (or nil) disqualifies an open
// lead as "No Longer Interested", loses a qualified lead's opportunity as
// Canceled, and does not wait for Commerce.
type RejectOptions struct {
	// Reason is the lead's status reason when it is disqualified: Lost,
	// CannotContact, NoLongerInterested (the default) or Canceled.
	Reason sales.LeadStatus
	// LoseAs is the opportunity's status reason when the lead was already
	// qualified: Canceled (the default) or OutSold.
	LoseAs sales.OpportunityStatus
	// Close describes the lost opportunity; nil uses the defaults.
	Close *sales.CloseOptions
	// Confirm, when set, waits until Commerce shows the prospect
	// Rejected. Nil does not wait.
	Confirm *ConfirmOptions
	// Reviewer, Policy, Comment and Matches are recorded in the ledger
	// as for ApproveOptions; with a Reviewer's ObjectID the decision's
	// Dataverse writes are made on the reviewer's behalf.
	Reviewer *Reviewer
	Policy   Policy
	Comment  string
	Matches  []AccountMatch
}

// Reject turns the onboarding request down: it disqualifies the lead, or,
// when the lead was already qualified, loses its opportunity. With Confirm
// it waits until Commerce shows the prospect Rejected.
//
// Reject resumes where an earlier run stopped; rejecting an approved request
// (its opportunity won) returns a *ConflictError. The Outcome is returned
// even with an error.
//
// When it succeeds, Reject records the decision in the ledger, as Approve
// does.
func (s *Service) Reject(ctx context.Context, leadID uuid.UUID, o *RejectOptions) (*Outcome, error) {
	if o == nil {
		o = &RejectOptions{}
	}
	a := attribution{reviewer: o.Reviewer, policy: o.Policy, comment: o.Comment, matches: o.Matches}
	reason, loseAs := o.reasons()
	return s.decision(ctx, Reject, a, func(out *Outcome) string {
		for _, st := range out.Steps {
			if st.Name == StepLose {
				return loseAs.String()
			}
		}
		return reason.String()
	}, func(ctx context.Context) (*Outcome, error) { return s.reject(ctx, leadID, o) })
}

// reasons returns the status reasons of a rejection, defaults applied.
func (o *RejectOptions) reasons() (sales.LeadStatus, sales.OpportunityStatus) {
	reason, loseAs := o.Reason, o.LoseAs
	if reason == 0 {
		reason = sales.LeadStatusNoLongerInterested
	}
	if loseAs == 0 {
		loseAs = sales.OpportunityStatusCanceled
	}
	return reason, loseAs
}

func (s *Service) reject(ctx context.Context, leadID uuid.UUID, o *RejectOptions) (*Outcome, error) {
	reason, loseAs := o.reasons()
	if reason.State() != sales.LeadStateDisqualified {
		return &Outcome{LeadID: leadID, Decision: Reject}, d365.NewInputError("onboarding: Reject", "RejectOptions.Reason", "%s is not a reason to disqualify a lead (Lost, CannotContact, NoLongerInterested, Canceled)", reason)
	}
	if loseAs != sales.OpportunityStatusCanceled && loseAs != sales.OpportunityStatusOutSold {
		return &Outcome{LeadID: leadID, Decision: Reject}, d365.NewInputError("onboarding: Reject", "RejectOptions.LoseAs", "%s is not Canceled or OutSold", loseAs)
	}
	out := &Outcome{LeadID: leadID, Decision: Reject}
	lead, err := s.begin(ctx, out)
	if err != nil {
		return out, err
	}
	if lead.B2BProspectStatus == sales.B2BProspectStatusApproved && leadState(lead) == sales.LeadStateOpen {
		return out, &ConflictError{LeadID: leadID, Wanted: Reject, State: "the prospect is approved"}
	}
	switch leadState(lead) {
	case sales.LeadStateDisqualified:
		s.step(ctx, out, StepDisqualify, StepAlreadyDone, time.Now(), nil)
		if err := s.finishProspect(ctx, out, lead, sales.B2BProspectStatusRejected); err != nil {
			return out, err
		}
	case sales.LeadStateOpen:
		start := time.Now()
		var qualified *sales.Lead
		status, err := s.runStep(ctx, func() error {
			return s.sales.Leads.Disqualify(ctx, leadID, reason)
		}, func() (verdict, error) {
			again, err := s.sales.Leads.Get(ctx, leadID, nil)
			switch {
			case err != nil:
				return notApplied, err
			case leadState(again) == sales.LeadStateDisqualified:
				return applied, nil
			case leadState(again) == sales.LeadStateQualified:
				qualified = again
				return conflicted, errQualifiedMeanwhile
			}
			return notApplied, nil
		})
		switch {
		case err == nil:
			s.step(ctx, out, StepDisqualify, status, start, nil)
		case qualified != nil:
			// Qualified meanwhile (a concurrent approval, or a
			// salesperson): reject through its opportunity.
			s.step(ctx, out, StepDisqualify, StepFailed, start, err)
			if err := s.loseQualified(ctx, out, qualified, loseAs, o.Close); err != nil {
				return out, err
			}
		default:
			s.step(ctx, out, StepDisqualify, StepFailed, start, err)
			return out, fmt.Errorf("onboarding: reject lead %s: disqualify: %w", leadID, err)
		}
	default: // qualified: lose the opportunity instead
		if err := s.loseQualified(ctx, out, lead, loseAs, o.Close); err != nil {
			return out, err
		}
	}
	if o.Confirm != nil && s.commerce != nil {
		if err := s.confirm(ctx, out, false, o.Confirm.Timeout); err != nil {
			return out, err
		}
	}
	return out, nil
}

// errQualifiedMeanwhile stops a disqualification whose lead was qualified
// in the meantime.
var errQualifiedMeanwhile = errors.New("onboarding: the lead was qualified meanwhile")

// loseQualified rejects a qualified lead by losing its opportunity.
func (s *Service) loseQualified(ctx context.Context, out *Outcome, lead *sales.Lead, as sales.OpportunityStatus, cl *sales.CloseOptions) error {
	opp, err := s.qualifiedOpportunity(ctx, out, lead)
	if err != nil {
		return err
	}
	switch oppState(opp) {
	case sales.OpportunityStateLost:
		s.step(ctx, out, StepLose, StepAlreadyDone, time.Now(), nil)
		return s.finishProspect(ctx, out, lead, sales.B2BProspectStatusRejected)
	case sales.OpportunityStateWon:
		return &ConflictError{LeadID: out.LeadID, Wanted: Reject, State: "its opportunity is won: the partner is approved"}
	}
	return s.closeOpportunity(ctx, out, StepLose, sales.OpportunityStateLost, func() error {
		return s.sales.Opportunities.Lose(ctx, out.OpportunityID, as, cl)
	})
}
