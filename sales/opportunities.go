package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// OpportunityService reads, creates and closes opportunities. Get it from
// Client.Opportunities.
type OpportunityService struct {
	r records[Opportunity]
}

// Create creates an opportunity from the writable columns of o that are set
// and returns its id. Name and TransactionCurrencyID are required. CustomerID
// is bound as an account unless the record says it is a contact. When o.ID
// is set the create is idempotent, as for Leads.Create.
func (s *OpportunityService) Create(ctx context.Context, o *Opportunity) (uuid.UUID, error) {
	if o == nil {
		return uuid.Nil, fmt.Errorf("sales: Opportunities.Create: the opportunity is nil")
	}
	return s.r.create(ctx, "opportunityid", o.ID, o.createFields())
}

// Get reads the opportunity with the given id, with its annotations.
func (s *OpportunityService) Get(ctx context.Context, id uuid.UUID) (*Opportunity, error) {
	return s.r.get(ctx, id)
}

// List streams the opportunities the query selects (nil: all of them).
func (s *OpportunityService) List(ctx context.Context, q *d365.Query) iter.Seq2[*Opportunity, error] {
	return s.r.list(ctx, q)
}
