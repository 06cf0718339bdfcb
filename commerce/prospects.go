package commerce

import (
	"context"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// ProspectService reads and updates prospects (entity Prospects). Use it
// through Client.Prospects.
type ProspectService struct{ c *Client }

// Get reads the prospect with the given id in company, such as
// Get(ctx, "usrt", "P-001"), which sends
// GET Prospects(dataAreaId='usrt',ProspectId='P-001'). An unknown prospect
// fails with an error matching d365.ErrNotFound.
func (s *ProspectService) Get(ctx context.Context, company, id string, o *d365.GetOptions) (*Prospect, error) {
	return get[Prospect](ctx, s.c, prospects, "Prospects.Get", company, id, o)
}

// List pages through the prospects that o selects (nil: every prospect of
// the default company).
func (s *ProspectService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Prospect, error] {
	return list[Prospect](ctx, s.c, prospects, "Prospects.List", o)
}

// Pages pages through the prospects that o selects a page at a time, with
// the total count (Query.Count) and each page's next link, from which
// ListOptions.NextLink resumes the listing.
func (s *ProspectService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Prospect], error] {
	return pages[Prospect](ctx, s.c, prospects, "Prospects.Pages", o)
}

// ListB2B pages through the B2B prospects (onboarding requests of B2B
// e-commerce sites) of the default company that have the given status:
// IsB2BProspect eq Yes and B2BProspectStatus eq status. ListB2B(ctx,
// ProspectPending) is the "All prospects" page's list of requests waiting
// for a decision.
func (s *ProspectService) ListB2B(ctx context.Context, status ProspectStatus) iter.Seq2[*Prospect, error] {
	if err := required("Prospects.ListB2B", "status", string(status)); err != nil {
		return odata.Fail[*Prospect](err)
	}
	return s.List(ctx, &ListOptions{Query: d365.Query{
		Filter: d365.Filterf("IsB2BProspect eq %v and B2BProspectStatus eq %v", Yes, status),
	}})
}

// Create creates a prospect and returns it as the service stored it (with
// its ETag). p.DataAreaID empty means Options.Company. Commerce creates the
// B2B prospects itself from the sites' requests: Create is for the
// Commerce-only flow, data migration and tests.
func (s *ProspectService) Create(ctx context.Context, p *Prospect) (*Prospect, error) {
	if p == nil {
		return nil, required("Prospects.Create", "prospect", "")
	}
	body := *p
	if body.DataAreaID == "" {
		body.DataAreaID = s.c.company
	}
	if err := required("Prospects.Create", "Prospect.DataAreaID (or Options.Company)", body.DataAreaID); err != nil {
		return nil, err
	}
	resp, err := odata.Create(ctx, s.c.od, &odata.Request{
		Path:   prospects.set,
		Body:   &body,
		Prefer: odata.Prefer{ReturnRepresentation: true},
	})
	if err != nil {
		return nil, err
	}
	created := new(Prospect)
	if err := resp.Decode(created); err != nil {
		return nil, err
	}
	return created, nil
}

// Approve approves a B2B prospect in the Commerce-only flow (no Sales): it
// sets B2BProspectStatus to Approved, as "Convert > Approve" on the "All
// prospects" page does, after which Commerce creates the Organization and
// Person customers and the customer hierarchy. With dual-write and Sales,
// approve by winning the lead's opportunity instead (package onboarding).
//
// o.IfMatch names the ETag the prospect must still have; nil or empty means
// any version ("*").
func (s *ProspectService) Approve(ctx context.Context, company, id string, o *d365.UpdateOptions) error {
	return s.setStatus(ctx, "Prospects.Approve", company, id, ProspectApproved, o)
}

// Reject rejects a B2B prospect in the Commerce-only flow: it sets
// B2BProspectStatus to Rejected. o as for Approve.
func (s *ProspectService) Reject(ctx context.Context, company, id string, o *d365.UpdateOptions) error {
	return s.setStatus(ctx, "Prospects.Reject", company, id, ProspectRejected, o)
}

func (s *ProspectService) setStatus(ctx context.Context, op, company, id string, status ProspectStatus, o *d365.UpdateOptions) error {
	p, err := prospects.path(op, company, id)
	if err != nil {
		return err
	}
	return odata.Update(ctx, s.c.od, "commerce: "+op, p, &Prospect{B2BProspectStatus: status}, o)
}
