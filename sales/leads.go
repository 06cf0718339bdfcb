package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// LeadService reads and writes leads (the leads entity set). Get it from
// Client.Leads.
type LeadService struct {
	r records[Lead]
}

// Create creates a lead from the writable columns of l that are set and
// returns its id. Subject is required.
//
// When l.ID is set, the lead is created with that id and the request is
// idempotent: it is retried after a lost connection or a gateway failure,
// and a retry that finds the lead already created counts as success.
func (s *LeadService) Create(ctx context.Context, l *Lead) (uuid.UUID, error) {
	if l == nil {
		return uuid.Nil, fmt.Errorf("sales: Leads.Create: the lead is nil")
	}
	return s.r.create(ctx, "leadid", l.ID, l.createFields())
}

// Get reads the lead with the given id, with its annotations. A missing
// lead fails with an error matching d365.ErrNotFound.
func (s *LeadService) Get(ctx context.Context, id uuid.UUID) (*Lead, error) {
	return s.r.get(ctx, id)
}

// List streams the leads the query selects (nil: all of them), page by
// page. Query.Top caps the number of leads, Query.PageSize the size of a
// page. Stop early by breaking out of the loop.
func (s *LeadService) List(ctx context.Context, q *d365.Query) iter.Seq2[*Lead, error] {
	return s.r.list(ctx, q)
}

// Update changes the columns set in changes, and only those. With
// o.IfMatch (an ETag, such as lead.ETag) the update happens only if the lead
// did not change since it was read, else it fails with an error matching
// d365.ErrPreconditionFailed. Without it the update sends "If-Match: *", so
// that it fails with d365.ErrNotFound instead of creating a lead.
func (s *LeadService) Update(ctx context.Context, id uuid.UUID, changes *LeadChanges, o *UpdateOptions) error {
	return s.r.update(ctx, id, changes.fields(), o)
}

// Delete deletes the lead.
func (s *LeadService) Delete(ctx context.Context, id uuid.UUID) error {
	return s.r.remove(ctx, id)
}

// CommerceB2B streams the "All commerce B2B leads" population with the
// given B2B prospect status: the open leads dual-write created from Commerce
// B2B onboarding requests (msdyn_b2bcommerceprospect eq true), oldest first.
func (s *LeadService) CommerceB2B(ctx context.Context, status B2BProspectStatus) iter.Seq2[*Lead, error] {
	if !status.valid() {
		return func(yield func(*Lead, error) bool) {
			yield(nil, fmt.Errorf("sales: Leads.CommerceB2B: status %d is not a B2B prospect status", int(status)))
		}
	}
	return s.r.list(ctx, &d365.Query{
		Filter: d365.Filterf("statecode eq %v and msdyn_b2bcommerceprospect eq %v and msdyn_b2bprospectstatus eq %v",
			int(LeadStateOpen), true, int(status)),
		OrderBy: []string{"createdon asc"},
	})
}
