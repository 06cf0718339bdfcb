package onboarding

import (
	"context"
	"errors"
	"fmt"
	"iter"

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
// Pages are read lazily.
func (s *Service) Pending(ctx context.Context) iter.Seq2[*Request, error] {
	return s.pending(ctx, s.commerce != nil)
}

func (s *Service) pending(ctx context.Context, withProspects bool) iter.Seq2[*Request, error] {
	return func(yield func(*Request, error) bool) {
		if s.sales == nil {
			yield(nil, errNoSales)
			return
		}
		for lead, err := range s.sales.Leads.CommerceB2B(ctx, sales.B2BProspectStatusPending) {
			if err != nil {
				yield(nil, fmt.Errorf("onboarding: listing pending requests: %w", err))
				return
			}
			req := &Request{Lead: lead}
			if withProspects && lead.ProspectID != "" {
				p, err := s.commerce.Prospects.Get(ctx, s.company, lead.ProspectID)
				switch {
				case errors.Is(err, d365.ErrNotFound):
				case err != nil:
					if !yield(nil, fmt.Errorf("onboarding: reading prospect %s of lead %s: %w", lead.ProspectID, lead.ID, err)) {
						return
					}
					continue
				default:
					req.Prospect = p
				}
			}
			if !yield(req, nil) {
				return
			}
		}
	}
}
