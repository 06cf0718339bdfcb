package onboarding

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
)

// Request is an onboarding request waiting for a decision.
type Request struct {
	// Lead is the Sales lead dual-write created for the request.
	Lead *sales.Lead
	// Prospect is the Commerce prospect behind the lead; nil without a
	// Commerce client, or when Commerce has no such prospect.
	Prospect *commerce.Prospect
}

// Pending streams the onboarding requests waiting for a decision: the open
// Commerce B2B leads whose msdyn_b2bprospectstatus is Pending, oldest first,
// each with its Commerce prospect when the Service has a Commerce client.
// Pages are read lazily; the prospects of 50 requests at a time are read
// with one query.
func (s *Service) Pending(ctx context.Context) iter.Seq2[*Request, error] {
	return s.pending(ctx, s.commerce != nil)
}

func (s *Service) pending(ctx context.Context, withProspects bool) iter.Seq2[*Request, error] {
	return func(yield func(*Request, error) bool) {
		if s.sales == nil {
			yield(nil, errNoSales)
			return
		}
		// Leads are held back in groups so that their prospects are read
		// with one query per group, not one request per lead.
		var group []*Request
		flush := func() bool {
			defer func() { group = group[:0] }()
			if withProspects {
				if err := s.attachProspects(ctx, group); err != nil {
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
		for lead, err := range s.sales.Leads.CommerceB2B(ctx, sales.B2BProspectStatusPending) {
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

// prospectGroup is how many prospects one query reads. Finance and
// Operations supports no "in" operator, so the query is a chain of "or":
// 50 keeps the URL well under the services' limits.
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
	var filter strings.Builder
	for i, id := range ids {
		if i > 0 {
			filter.WriteString(" or ")
		}
		filter.WriteString(d365.Filterf("ProspectId eq %v", id))
	}
	byID := make(map[string]*commerce.Prospect, len(ids))
	for p, err := range s.commerce.Prospects.List(ctx, &commerce.ListOptions{
		Query:   d365.Query{Filter: filter.String()},
		Company: s.company,
	}) {
		if err != nil {
			return fmt.Errorf("onboarding: reading the prospects of %d pending requests: %w", len(ids), err)
		}
		byID[p.ProspectID] = p
	}
	for _, r := range group {
		r.Prospect = byID[r.Lead.ProspectID]
	}
	return nil
}
