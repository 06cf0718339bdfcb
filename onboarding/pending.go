package onboarding

import (
	"context"
	"fmt"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// Request is an onboarding request waiting for a decision, or for the end
// of a decision an earlier run started.
type Request struct {
	// Lead is the Sales lead dual-write created for the request.
	Lead *sales.Lead
	// Prospect is the Commerce prospect behind the lead; nil without a
	// Commerce client, or when Commerce has no such prospect.
	Prospect *commerce.Prospect
	// Unfinished is the decision an earlier run (or a person in Sales)
	// started on this request and did not finish, as the records show it:
	// the lead is no longer open but its msdyn_b2bprospectstatus is still
	// Pending. It is Approve for a qualified lead whose opportunity is open
	// or won, and Reject for a disqualified lead or a lost opportunity.
	// It is Skip (the zero value) for a request still open, on which no
	// decision was taken. Process finishes an unfinished decision without
	// asking its DecideFunc.
	Unfinished Decision
	// Opportunity is the opportunity a qualified lead was qualified into
	// (its originating lead is Lead); nil for an open or disqualified lead,
	// or when Sales has no such opportunity.
	Opportunity *sales.Opportunity
	// Matches are the existing accounts that match the requester, those
	// found by the most rules first, when Options.Duplicates is set: the
	// evidence of a partner already known, to approve into
	// (Verdict.AccountID) rather than creating a second account. Nil when
	// none match, for an unfinished request, or when the search is off.
	Matches []AccountMatch
}

// Pending streams the onboarding requests waiting for a decision, oldest
// first: the Commerce B2B leads whose msdyn_b2bprospectstatus is Pending.
// Most are open leads, on which nothing was decided yet. The others carry
// a decision started and not finished (Request.Unfinished): an approval
// cut between qualifying the lead and winning its opportunity, or a
// decision taken in Sales that did not reach the prospect.
//
// Each request carries its Commerce prospect when the Service has a
// Commerce client, found in any of the served companies (see
// Options.Companies), and a qualified lead its opportunity. Pages are read
// lazily; for each group of 50 requests the prospects are read with one
// query to Commerce, and the opportunities of the qualified leads among
// them with one query to Sales; with Options.Duplicates, the existing
// accounts matching them with one query to the accounts and one to the
// contacts, and one more for the accounts of matching contacts the first
// did not return (see Request.Matches).
func (s *Service) Pending(ctx context.Context) iter.Seq2[*Request, error] {
	return s.pending(ctx, s.commerce != nil)
}

func (s *Service) pending(ctx context.Context, withProspects bool) iter.Seq2[*Request, error] {
	return func(yield func(*Request, error) bool) {
		if s.sales == nil {
			yield(nil, errNoSales)
			return
		}
		if s.pageSize < 0 {
			yield(nil, d365.NewInputError("onboarding", "Options.PageSize", "is %d: it must not be negative", s.pageSize))
			return
		}
		if s.dups != nil {
			if _, _, err := s.dups.check(); err != nil {
				yield(nil, err)
				return
			}
		}
		// Leads are held back in groups so that their prospects and
		// opportunities are read with one query per group, not one
		// request per lead.
		var group []*Request
		flush := func() bool {
			defer func() { group = group[:0] }()
			if err := s.attachOpportunities(ctx, group); err != nil {
				return yield(nil, err)
			}
			if withProspects {
				if err := s.attachProspects(ctx, group); err != nil {
					return yield(nil, err)
				}
			}
			if s.dups != nil {
				if err := s.attachMatches(ctx, group); err != nil {
					return yield(nil, err)
				}
			}
			for _, r := range group {
				if !yield(r, nil) {
					return false
				}
			}
			return true
		}
		for lead, err := range s.sales.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{
			Filter: d365.Filterf("msdyn_b2bcommerceprospect eq %v and msdyn_b2bprospectstatus eq %v",
				true, int(sales.B2BProspectStatusPending)),
			OrderBy:  []string{"createdon asc"},
			PageSize: s.pageSize,
		}}) {
			if err != nil {
				if flush() {
					yield(nil, fmt.Errorf("onboarding: listing pending requests: %w", err))
				}
				return
			}
			group = append(group, &Request{Lead: lead})
			if len(group) == prospectGroup && !flush() {
				return
			}
		}
		flush()
	}
}

// prospectGroup is how many prospects (and opportunities) one query
// reads. Finance and Operations supports no "in" operator, so the query is
// a chain of "or": 50 keeps the URL well under the services' limits.
const prospectGroup = 50

// attachProspects reads the prospects of a group of requests with one query
// and attaches them. A request whose prospect does not exist keeps a nil
// Prospect.
func (s *Service) attachProspects(ctx context.Context, group []*Request) error {
	var ids []string
	for _, r := range group {
		if r.Lead.ProspectID != "" {
			ids = append(ids, r.Lead.ProspectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	filter := anyOf("ProspectId", ids, func(id string) any { return id })
	if s.cos.err != nil {
		return s.cos.err
	}
	// One query per Commerce client: its companies' prospects (one
	// company, or several cross-company).
	byID := make(map[string][]*commerce.Prospect, len(ids))
	for _, g := range s.clientGroups() {
		for p, err := range g.c.Prospects.List(ctx, g.prospectQuery(filter)) {
			if err != nil {
				return fmt.Errorf("onboarding: reading the prospects of %d pending requests: %w", len(ids), err)
			}
			byID[p.ProspectID] = append(byID[p.ProspectID], p)
		}
	}
	for _, r := range group {
		r.Prospect = pickProspect(r.Lead, byID[r.Lead.ProspectID])
		s.remember(r.Prospect)
	}
	return nil
}

// attachOpportunities marks the requests of a group whose lead is no longer
// open with the decision under way, reading the opportunities of the
// qualified leads with one query.
func (s *Service) attachOpportunities(ctx context.Context, group []*Request) error {
	var qualified []*Request
	for _, r := range group {
		switch leadState(r.Lead) {
		case sales.LeadStateQualified:
			// Qualifying is the first step of an approval; a lost
			// opportunity below turns it into a rejection.
			r.Unfinished = Approve
			qualified = append(qualified, r)
		case sales.LeadStateDisqualified:
			r.Unfinished = Reject
		}
	}
	if len(qualified) == 0 {
		return nil
	}
	filter := anyOf("_originatingleadid_value", qualified, func(r *Request) any { return r.Lead.ID })
	byLead := make(map[uuid.UUID][]*sales.Opportunity, len(qualified))
	for o, err := range s.sales.Opportunities.List(ctx, &sales.ListOptions{Query: d365.Query{
		Select: []string{"opportunityid", "name", "statecode", "statuscode", "_originatingleadid_value",
			"_parentaccountid_value", "_parentcontactid_value", "_customerid_value"},
		Filter: filter,
	}}) {
		if err != nil {
			return fmt.Errorf("onboarding: reading the opportunities of %d qualified leads: %w", len(qualified), err)
		}
		byLead[o.OriginatingLeadID] = append(byLead[o.OriginatingLeadID], o)
	}
	for _, r := range qualified {
		r.Opportunity = pickOpportunity(r.Lead, byLead[r.Lead.ID])
		if r.Opportunity != nil && oppState(r.Opportunity) == sales.OpportunityStateLost {
			r.Unfinished = Reject
		}
	}
	return nil
}

// pickOpportunity chooses, among the opportunities that originate from a
// lead, the one the lead names as its qualifying opportunity, or else the
// only one.
func pickOpportunity(lead *sales.Lead, opps []*sales.Opportunity) *sales.Opportunity {
	for _, o := range opps {
		if o.ID == lead.QualifyingOpportunityID {
			return o
		}
	}
	if len(opps) == 1 {
		return opps[0]
	}
	return nil
}
