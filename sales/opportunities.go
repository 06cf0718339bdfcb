package sales

import (
	"context"
	"github.com/b2bflow/d365/internal/odata"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// OpportunityService reads, creates and closes opportunities. Get it from
// Client.Opportunities.
type OpportunityService struct{ entitySet }

// Create creates an opportunity from the writable columns of o that are set
// and returns its id. Name and TransactionCurrencyID are required. CustomerID
// is bound as an account unless the record says it is a contact. When o.ID
// is set the create is idempotent, as for Leads.Create.
func (s *OpportunityService) Create(ctx context.Context, o *Opportunity) (uuid.UUID, error) {
	if o == nil {
		return uuid.Nil, d365.NewInputError(s.op("Create"), "opportunity", "is nil")
	}
	body, err := odata.Members(o.write(), "Opportunity", true)
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	return s.create(ctx, "Create", o.ID, body)
}

// Get reads the opportunity with the given id, with its annotations and the
// columns o selects (nil: every column).
func (s *OpportunityService) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Opportunity, error) {
	return get[Opportunity](ctx, s.entitySet, id, o)
}

// List streams the opportunities o selects (nil: all of them).
func (s *OpportunityService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Opportunity, error] {
	return list[Opportunity](ctx, s.entitySet, o)
}

// Pages streams the opportunities o selects a page at a time (see
// LeadService.Pages).
func (s *OpportunityService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Opportunity], error] {
	return pages[Opportunity](ctx, s.entitySet, o)
}
