package sales

import (
	"cmp"
	"context"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// LeadService reads and writes leads (the leads entity set). Get it from
// Client.Leads.
type LeadService struct{ entitySet }

// Create creates a lead from the writable columns of l that are set and
// returns its id. Subject is required.
//
// When l.ID is set, the lead is created with that id and the request is
// idempotent: it is retried after a lost connection or a gateway failure,
// and a retry that finds the lead already created counts as success.
func (s *LeadService) Create(ctx context.Context, l *Lead) (uuid.UUID, error) {
	if l == nil {
		return uuid.Nil, d365.NewInputError(s.op("Create"), "lead", "is nil")
	}
	body, err := l.createBody()
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	return s.create(ctx, "Create", l.ID, body)
}

// Get reads the lead with the given id, with its annotations and the
// columns o selects (nil: every column). A missing lead fails with an error
// matching d365.ErrNotFound.
func (s *LeadService) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Lead, error) {
	return get[Lead](ctx, s.entitySet, id, o)
}

// List streams the leads o selects (nil: all of them), page by page.
// Query.Top caps the number of leads, Query.PageSize the size of a page.
// Stop early by breaking out of the loop.
func (s *LeadService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Lead, error] {
	return list[Lead](ctx, s.entitySet, o)
}

// Pages streams the leads o selects a page at a time, with the total count
// (Query.Count) and each page's next link, from which ListOptions.NextLink
// resumes the listing.
func (s *LeadService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Lead], error] {
	return pages[Lead](ctx, s.entitySet, o)
}

// Update changes the columns set in changes, and only those. With
// o.IfMatch (an ETag, such as lead.ETag) the update happens only if the lead
// did not change since it was read, else it fails with an error matching
// d365.ErrPreconditionFailed. Without it the update sends "If-Match: *", so
// that it fails with d365.ErrNotFound instead of creating a lead.
func (s *LeadService) Update(ctx context.Context, id uuid.UUID, changes *LeadChanges, o *d365.UpdateOptions) error {
	body, err := (&leadWrite{leadCreate: leadCreate{LeadChanges: *cmp.Or(changes, &LeadChanges{})}}).body("LeadChanges", false)
	if err != nil {
		return s.input("Update", err)
	}
	return s.update(ctx, "Update", id, body, o)
}

// Delete deletes the lead.
func (s *LeadService) Delete(ctx context.Context, id uuid.UUID) error {
	return s.remove(ctx, id)
}

// ListB2B streams the "All commerce B2B leads" population with the given
// B2B prospect status: the open leads dual-write created from Commerce B2B
// onboarding requests (B2BCommerceProspect true), oldest first.
func (s *LeadService) ListB2B(ctx context.Context, status B2BProspectStatus) iter.Seq2[*Lead, error] {
	if !status.valid() {
		return odata.Fail[*Lead](d365.NewInputError(s.op("ListB2B"), "status", "%d is not a B2B prospect status", int(status)))
	}
	col := odata.Column[Lead]
	return s.List(ctx, &ListOptions{Query: d365.Query{
		Filter: d365.Filterf(col("State")+" eq %v and "+col("B2BCommerceProspect")+" eq %v and "+col("B2BProspectStatus")+" eq %v",
			int(LeadStateOpen), true, int(status)),
		OrderBy: []string{col("CreatedOn") + " asc"},
	}})
}
