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

// ApproveOptions tunes Approve. The zero value (or nil) qualifies with the
// lead's currency, wins with the default subject, and does not wait for
// Commerce.
type ApproveOptions struct {
	// CurrencyID is the opportunity's currency (a transactioncurrency id);
	// uuid.Nil means the lead's currency, or the organization's base
	// currency when the lead has none.
	CurrencyID uuid.UUID
	// Close describes the won opportunity (subject, description, actual
	// revenue, close date); nil uses the defaults of sales.CloseOptions.
	Close *sales.CloseOptions
	// Confirm, when set, waits until Commerce shows the prospect Approved,
	// with its Organization and Person customers and the customer
	// hierarchy whose Admin is the requester. Nil does not wait.
	Confirm *ConfirmOptions
	// ExistingAccountID approves the request into this existing account
	// (a partner already known: see Request.Matches) instead of creating
	// a second one. The lead's parentaccountid is set to it (one more
	// request when it is not already), and QualifyLead runs with
	// CreateAccount false and OpportunityCustomerId the account: the new
	// contact and the opportunity are the account's. uuid.Nil creates an
	// account from the lead.
	ExistingAccountID uuid.UUID
	// Reviewer, Policy and Comment say who decided and why, for the
	// ledger; with a Reviewer's ObjectID the decision's Dataverse writes
	// are made on the reviewer's behalf. Matches is the duplicate evidence
	// the decision was taken on, recorded with it.
	Reviewer *Reviewer
	Policy   Policy
	Comment  string
	Matches  []AccountMatch
}

// Approve makes the company behind the lead a business partner: it
// qualifies the lead (creating the account, the contact and the
// opportunity), wins the opportunity, and with Confirm waits until Commerce
// shows the prospect approved with its customers and hierarchy.
//
// Approve resumes where an earlier run stopped and never qualifies a lead
// twice; approving a rejected request returns a *ConflictError. The Outcome
// is returned even with an error, telling how far the run went.
//
// When it succeeds, Approve records the decision in the ledger (see
// Options.Ledger; one more request with the default note ledger). A
// decision carried out whose entry could not be recorded returns an error
// matching ErrLedger; running Approve again records it.
func (s *Service) Approve(ctx context.Context, leadID uuid.UUID, o *ApproveOptions) (*Outcome, error) {
	if o == nil {
		o = &ApproveOptions{}
	}
	a := attribution{reviewer: o.Reviewer, policy: o.Policy, comment: o.Comment, matches: o.Matches}
	return s.decision(ctx, Approve, a, func(*Outcome) string { return "" },
		func(ctx context.Context) (*Outcome, error) { return s.approve(ctx, leadID, o) })
}

func (s *Service) approve(ctx context.Context, leadID uuid.UUID, o *ApproveOptions) (*Outcome, error) {
	out := &Outcome{LeadID: leadID, Decision: Approve}
	lead, err := s.begin(ctx, out)
	if err != nil {
		return out, err
	}

	if lead.B2BProspectStatus == sales.B2BProspectStatusRejected && leadState(lead) != sales.LeadStateQualified {
		return out, &ConflictError{LeadID: leadID, Wanted: Approve, State: "the prospect is rejected"}
	}
	oppOpen := false
	switch leadState(lead) {
	case sales.LeadStateDisqualified:
		return out, &ConflictError{LeadID: leadID, Wanted: Approve, State: "the lead is disqualified (" + lead.Status.String() + ")"}
	case sales.LeadStateOpen:
		currency := o.CurrencyID
		if currency == uuid.Nil {
			currency = lead.TransactionCurrencyID
		}
		qo := &sales.QualifyOptions{CurrencyID: currency}
		if o.ExistingAccountID != uuid.Nil {
			if err := s.linkAccount(ctx, out, lead, o.ExistingAccountID); err != nil {
				return out, err
			}
			qo.SkipAccount, qo.CustomerAccountID = true, o.ExistingAccountID
		}
		start := time.Now()
		var res *sales.QualifyResult
		status, err := s.runStep(ctx, func() (err error) {
			res, err = s.sales.Leads.Qualify(ctx, leadID, qo)
			return err
		}, func() (verdict, error) {
			// The lead may have been qualified even though the answer
			// was lost or refused.
			again, err := s.sales.Leads.Get(ctx, leadID, nil)
			switch {
			case err != nil:
				return notApplied, err
			case leadState(again) == sales.LeadStateQualified:
				lead = again
				return applied, nil
			case leadState(again) == sales.LeadStateDisqualified:
				return conflicted, &ConflictError{LeadID: leadID, Wanted: Approve, State: "the lead was disqualified meanwhile"}
			}
			return notApplied, nil
		})
		if err != nil {
			s.step(ctx, out, StepQualify, StepFailed, start, err)
			if errors.Is(err, ErrConflict) {
				return out, err
			}
			return out, fmt.Errorf("onboarding: approve lead %s: qualify: %w", leadID, err)
		}
		if status == StepDone {
			if res.OpportunityID == uuid.Nil {
				err = fmt.Errorf("onboarding: qualifying lead %s created no opportunity", leadID)
				s.step(ctx, out, StepQualify, StepFailed, start, err)
				return out, err
			}
			out.AccountID, out.ContactID, out.OpportunityID = res.AccountID, res.ContactID, res.OpportunityID
			if o.ExistingAccountID != uuid.Nil {
				out.AccountID, out.ExistingAccount = o.ExistingAccountID, true
			}
			oppOpen = true
		}
		s.step(ctx, out, StepQualify, status, start, nil)
	default: // qualified by an earlier run
		s.step(ctx, out, StepQualify, StepAlreadyDone, time.Now(), nil)
	}

	if !oppOpen {
		opp, err := s.qualifiedOpportunity(ctx, out, lead)
		if err != nil {
			return out, err
		}
		out.ExistingAccount = o.ExistingAccountID != uuid.Nil && out.AccountID == o.ExistingAccountID
		switch oppState(opp) {
		case sales.OpportunityStateWon:
			s.step(ctx, out, StepWin, StepAlreadyDone, time.Now(), nil)
			if err := s.finishProspect(ctx, out, lead, sales.B2BProspectStatusApproved); err != nil {
				return out, err
			}
		case sales.OpportunityStateLost:
			return out, &ConflictError{LeadID: leadID, Wanted: Approve, State: "its opportunity is lost (" + opp.Status.String() + ")"}
		default:
			oppOpen = true
		}
	}
	if oppOpen {
		if err := s.closeOpportunity(ctx, out, StepWin, sales.OpportunityStateWon, func() error {
			return s.sales.Opportunities.Win(ctx, out.OpportunityID, o.Close)
		}); err != nil {
			return out, err
		}
	}
	if o.Confirm != nil && s.commerce != nil {
		if err := s.confirm(ctx, out, true, o.Confirm.Timeout); err != nil {
			return out, err
		}
	}
	return out, nil
}

// linkAccount sets the lead's parentaccountid to the existing account it is
// approved into, unless it is already: Dataverse then makes the contact
// QualifyLead creates the account's, and dual-write reuses the account's
// Organization customer in Commerce.
func (s *Service) linkAccount(ctx context.Context, out *Outcome, lead *sales.Lead, account uuid.UUID) error {
	if lead.ParentAccountID == account {
		s.step(ctx, out, StepLinkAccount, StepAlreadyDone, time.Now(), nil)
		return nil
	}
	start := time.Now()
	if err := s.sales.Leads.Update(ctx, out.LeadID, &sales.LeadChanges{ParentAccountID: &account}, nil); err != nil {
		s.step(ctx, out, StepLinkAccount, StepFailed, start, err)
		return fmt.Errorf("onboarding: approve lead %s: %s %s: %w", out.LeadID, StepLinkAccount, account, err)
	}
	lead.ParentAccountID = account
	s.step(ctx, out, StepLinkAccount, StepDone, start, nil)
	return nil
}

// begin validates the call, reads the lead and checks it is an onboarding
// request.
func (s *Service) begin(ctx context.Context, out *Outcome) (*sales.Lead, error) {
	if s.sales == nil {
		return nil, errNoSales
	}
	if out.LeadID == uuid.Nil {
		return nil, d365.NewInputError("onboarding: "+out.Decision.String(), "leadID", "is empty (uuid.Nil)")
	}
	start := time.Now()
	lead, err := s.sales.Leads.Get(ctx, out.LeadID, nil)
	if err != nil {
		s.step(ctx, out, StepReadLead, StepFailed, start, err)
		return nil, fmt.Errorf("onboarding: %s lead %s: %w", out.Decision, out.LeadID, err)
	}
	s.step(ctx, out, StepReadLead, StepDone, start, nil)
	out.ProspectID = lead.ProspectID
	if lead.B2BCommerceProspect == nil || !*lead.B2BCommerceProspect {
		return nil, fmt.Errorf("%w: lead %s (%s)", ErrNotOnboardingRequest, out.LeadID, lead.Subject)
	}
	return lead, nil
}

// qualifiedOpportunity reads the opportunity a qualified lead names and
// fills the outcome's ids from it.
func (s *Service) qualifiedOpportunity(ctx context.Context, out *Outcome, lead *sales.Lead) (*sales.Opportunity, error) {
	out.OpportunityID = lead.QualifyingOpportunityID
	if out.OpportunityID == uuid.Nil {
		return nil, fmt.Errorf("onboarding: %s lead %s: the lead is qualified but names no qualifying opportunity", out.Decision, out.LeadID)
	}
	start := time.Now()
	opp, err := s.sales.Opportunities.Get(ctx, out.OpportunityID, nil)
	if err != nil {
		s.step(ctx, out, StepReadOpportunity, StepFailed, start, err)
		return nil, fmt.Errorf("onboarding: %s lead %s: %w", out.Decision, out.LeadID, err)
	}
	s.step(ctx, out, StepReadOpportunity, StepDone, start, nil)
	out.AccountID = firstID(opp.ParentAccountID, lead.ParentAccountID)
	out.ContactID = firstID(opp.ParentContactID, lead.ParentContactID)
	return opp, nil
}

// closeOpportunity wins or loses the outcome's opportunity with do. When do
// fails, the opportunity is read: if it is already in the wanted state (the
// answer was lost), the step counts as recovered; if it is in the opposite
// closed state, the result is a conflict.
func (s *Service) closeOpportunity(ctx context.Context, out *Outcome, name StepName, want sales.OpportunityState, do func() error) error {
	start := time.Now()
	status, err := s.runStep(ctx, do, func() (verdict, error) {
		opp, err := s.sales.Opportunities.Get(ctx, out.OpportunityID, nil)
		if err != nil {
			return notApplied, err
		}
		switch st := oppState(opp); {
		case st == want:
			return applied, nil
		case st != sales.OpportunityStateOpen:
			return conflicted, &ConflictError{LeadID: out.LeadID, Wanted: out.Decision, State: "its opportunity is " + st.String() + " (" + opp.Status.String() + ")"}
		}
		return notApplied, nil
	})
	if err != nil {
		s.step(ctx, out, name, StepFailed, start, err)
		if errors.Is(err, ErrConflict) {
			return err
		}
		return fmt.Errorf("onboarding: %s lead %s: %s: %w", out.Decision, out.LeadID, name, err)
	}
	s.step(ctx, out, name, status, start, nil)
	return nil
}

// finishProspect sets the lead's msdyn_b2bprospectstatus to want when an
// earlier run (or a person in Sales) carried out the Sales side of the
// decision but the status stayed Pending: the prospect in Commerce follows
// the status through dual-write, and nothing else would move it.
func (s *Service) finishProspect(ctx context.Context, out *Outcome, lead *sales.Lead, want sales.B2BProspectStatus) error {
	if lead.B2BProspectStatus != sales.B2BProspectStatusPending && lead.B2BProspectStatus != 0 {
		return nil
	}
	start := time.Now()
	if err := s.sales.Leads.Update(ctx, out.LeadID, &sales.LeadChanges{B2BProspectStatus: &want}, nil); err != nil {
		s.step(ctx, out, StepProspectStatus, StepFailed, start, err)
		return fmt.Errorf("onboarding: %s lead %s: %s: %w", out.Decision, out.LeadID, StepProspectStatus, err)
	}
	s.step(ctx, out, StepProspectStatus, StepDone, start, nil)
	return nil
}

func leadState(l *sales.Lead) sales.LeadState {
	if l.State != nil {
		return *l.State
	}
	return l.Status.State()
}

func oppState(o *sales.Opportunity) sales.OpportunityState {
	if o.State != nil {
		return *o.State
	}
	switch o.Status {
	case sales.OpportunityStatusWon:
		return sales.OpportunityStateWon
	case sales.OpportunityStatusCanceled, sales.OpportunityStatusOutSold:
		return sales.OpportunityStateLost
	}
	return sales.OpportunityStateOpen
}

func firstID(ids ...uuid.UUID) uuid.UUID {
	for _, id := range ids {
		if id != uuid.Nil {
			return id
		}
	}
	return uuid.Nil
}
