package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// ChangesOptions selects what a Changes call reads.
type ChangesOptions struct {
	// Select names the columns of the new and changed rows ($select). It
	// applies to the first call only: a delta link holds the query, so
	// Select is not sent with DeltaLink (a sync loop can pass the same
	// options every time).
	Select []string
	// DeltaLink resumes from the delta link of an earlier call
	// (Changes.DeltaLink): only the rows created, changed or deleted since
	// are read. Empty: every row is read, as new.
	DeltaLink string
	// PageSize asks for pages of at most this many rows
	// (odata.maxpagesize); 0 leaves the service's default.
	PageSize int
}

// Change is one row of a table's changes: a new or changed record, or the
// id of a deleted one.
type Change[T any] struct {
	// Record is the new or changed record, nil when it was deleted.
	Record *T
	// Deleted is the id of the deleted record, uuid.Nil unless Record is
	// nil.
	Deleted uuid.UUID
}

// Changes is a change-tracking read of one table (Prefer:
// odata.track-changes): iterate All, then save DeltaLink to read only the
// next changes later. The table must have change tracking enabled.
type Changes[T any] struct {
	seq   iter.Seq2[odata.Change[T], error]
	err   error
	delta string
}

// All yields the new and changed rows, then the deleted ones. After an
// error is yielded the iteration ends.
func (c *Changes[T]) All() iter.Seq2[*Change[T], error] {
	return func(yield func(*Change[T], error) bool) {
		if c.err != nil {
			yield(nil, c.err)
			return
		}
		for ch, err := range c.seq {
			if err != nil {
				yield(nil, err)
				return
			}
			out := &Change[T]{Record: ch.Record}
			if ch.Record == nil {
				id, err := uuid.Parse(ch.Deleted)
				if err != nil {
					yield(nil, fmt.Errorf("sales: a deleted row's id %q is not a GUID: %w", ch.Deleted, err))
					return
				}
				out.Deleted = id
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

// DeltaLink returns the delta link to resume from (ChangesOptions.DeltaLink)
// once All has read every row; "" before, or when the walk ended early or
// with an error.
func (c *Changes[T]) DeltaLink() string { return c.delta }

// changes starts a change-tracking read of the set.
func changes[T any](ctx context.Context, s entitySet, o *ChangesOptions) *Changes[T] {
	ch := &Changes[T]{}
	req, err := s.changesRequest(o)
	if err != nil {
		ch.err = err
		return ch
	}
	ch.seq = odata.Changes[T](ctx, s.c.od, req, &ch.delta)
	return ch
}

// changesRequest returns the first request of a change-tracking read.
func (s entitySet) changesRequest(o *ChangesOptions) (*odata.Request, error) {
	const method = "Changes"
	if err := s.checkName(method); err != nil {
		return nil, err
	}
	if o == nil {
		o = &ChangesOptions{}
	}
	if o.PageSize < 0 {
		return nil, d365.NewInputError(s.op(method), "ChangesOptions.PageSize", "is negative")
	}
	prefer := annotations
	prefer.MaxPageSize = o.PageSize
	req := &odata.Request{Path: s.name, Header: odata.TrackChanges(prefer)}
	if o.DeltaLink != "" {
		if err := s.c.od.ResumeDelta(s.op(method), "ChangesOptions.DeltaLink", req, o.DeltaLink); err != nil {
			return nil, err
		}
		return req, nil
	}
	q := &d365.Query{Select: o.Select}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	req.Query = q.Encode()
	return req, nil
}

// Changes reads the leads created, changed or deleted since
// o.DeltaLink (every lead when empty):
//
//	ch := c.Leads.Changes(ctx, &sales.ChangesOptions{DeltaLink: saved})
//	for row, err := range ch.All() { ... row.Record or row.Deleted ... }
//	saved = ch.DeltaLink()
func (s *LeadService) Changes(ctx context.Context, o *ChangesOptions) *Changes[Lead] {
	return changes[Lead](ctx, s.entitySet, o)
}

// Changes reads the opportunities created, changed or deleted since
// o.DeltaLink (see LeadService.Changes).
func (s *OpportunityService) Changes(ctx context.Context, o *ChangesOptions) *Changes[Opportunity] {
	return changes[Opportunity](ctx, s.entitySet, o)
}

// Changes reads the accounts created, changed or deleted since o.DeltaLink
// (see LeadService.Changes).
func (s *AccountService) Changes(ctx context.Context, o *ChangesOptions) *Changes[Account] {
	return changes[Account](ctx, s.entitySet, o)
}

// Changes reads the contacts created, changed or deleted since o.DeltaLink
// (see LeadService.Changes).
func (s *ContactService) Changes(ctx context.Context, o *ChangesOptions) *Changes[Contact] {
	return changes[Contact](ctx, s.entitySet, o)
}

// Changes reads the notes created, changed or deleted since o.DeltaLink
// (see LeadService.Changes).
func (s *NoteService) Changes(ctx context.Context, o *ChangesOptions) *Changes[Note] {
	return changes[Note](ctx, s.entitySet, o)
}

// Changes reads the records created, changed or deleted since o.DeltaLink
// (see LeadService.Changes).
func (t *Table) Changes(ctx context.Context, o *ChangesOptions) *Changes[Record] {
	return changes[Record](ctx, t.entitySet, o)
}
