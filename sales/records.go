package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// ListOptions selects the records a List or Pages call returns.
type ListOptions struct {
	// Query holds $select, $filter, $orderby, $expand, $top, $count and
	// the page size. Build Filter with d365.Filterf.
	d365.Query

	// NextLink resumes a listing from a page's NextLink saved earlier
	// (d365.Page.NextLink), such as after a crash. It must be on the
	// organization's host. The link holds the query: set only PageSize
	// (send the same as the first request) and Top (counted from the
	// resumed page).
	NextLink string
}

// annotations asks Dataverse for every annotation of the records read: the
// ETag, the formatted values and the lookups' tables.
var annotations = odata.Prefer{Annotations: "*"}

// entitySet is one entity set of the Web API, which a service reads and writes.
type entitySet struct {
	c    *Client
	name string // entity set name, such as "leads"
	what string // what a record is called in messages, such as "lead"
	svc  string // the service in messages, such as "Leads"
}

// op names a method of the service in errors: "sales: Leads.Get".
func (s entitySet) op(method string) string { return "sales: " + s.svc + "." + method }

// path returns the path of the record with the given id.
func (s entitySet) path(method string, id uuid.UUID) (string, error) {
	if err := s.checkName(method); err != nil {
		return "", err
	}
	if id == uuid.Nil {
		return "", d365.NewInputError(s.op(method), s.what+" id", "is empty (uuid.Nil): give the id of the record")
	}
	return odata.EntityPath(s.name, odata.KeyPart{Value: id})
}

// checkName refuses an entity set name that is not an OData identifier.
func (s entitySet) checkName(method string) error {
	switch {
	case s.name == "":
		return d365.NewInputError(s.op(method), "table name", "is empty")
	case odata.CheckName("table", s.name) != nil:
		return d365.NewInputError(s.op(method), "table name", "%q may hold only letters, digits, '_' and '.'", s.name)
	}
	return nil
}

// listing returns the first request of a listing and the most records to
// read.
func (s entitySet) listing(method string, o *ListOptions) (*odata.Request, int, error) {
	if err := s.checkName(method); err != nil {
		return nil, 0, err
	}
	if o == nil {
		o = &ListOptions{}
	}
	if err := o.Validate(); err != nil {
		return nil, 0, err
	}
	prefer := annotations
	prefer.MaxPageSize = o.PageSize
	req := &odata.Request{Path: s.name, Query: o.Encode(), Prefer: prefer}
	if err := s.c.od.Resume(s.op(method), req, &o.Query, o.NextLink); err != nil {
		return nil, 0, err
	}
	return req, o.Top, nil
}

// get reads the record with the given id, with the columns o selects.
func get[T any](ctx context.Context, s entitySet, id uuid.UUID, o *d365.GetOptions) (*T, error) {
	p, err := s.path("Get", id)
	if err != nil {
		return nil, err
	}
	return odata.Get[T](ctx, s.c.od, p, o, annotations)
}

// remove deletes the record with the given id.
func (s entitySet) remove(ctx context.Context, id uuid.UUID) error {
	p, err := s.path("Delete", id)
	if err != nil {
		return err
	}
	return odata.Delete(ctx, s.c.od, p)
}

// list streams the records o selects, page by page.
func list[T any](ctx context.Context, s entitySet, o *ListOptions) iter.Seq2[*T, error] {
	req, max, err := s.listing("List", o)
	if err != nil {
		return odata.Fail[*T](err)
	}
	return odata.List[*T](ctx, s.c.od, req, max)
}

// pages streams the pages of the records o selects.
func pages[T any](ctx context.Context, s entitySet, o *ListOptions) iter.Seq2[*d365.Page[T], error] {
	req, max, err := s.listing("Pages", o)
	if err != nil {
		return odata.Fail[*d365.Page[T]](err)
	}
	return odata.Pages[T](ctx, s.c.od, req, max)
}

// create posts a new record with the given body (a map of its members, or
// their JSON text). id is the id the body gives the record (uuid.Nil: the
// service chooses it); a chosen id makes the request idempotent (see
// odata.Create).
func (s entitySet) create(ctx context.Context, method string, id uuid.UUID, body any) (uuid.UUID, error) {
	if err := s.checkName(method); err != nil {
		return uuid.Nil, err
	}
	req := &odata.Request{Path: s.name, Body: body, Idempotent: id != uuid.Nil}
	resp, err := odata.Create(ctx, s.c.od, req)
	if err != nil {
		return uuid.Nil, err
	}
	if req.Idempotent {
		return id, nil
	}
	k, err := resp.EntityKey()
	if err == nil {
		id, err = uuid.Parse(k)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("%s: the service's answer names no created %s: %w", s.op(method), s.what, err)
	}
	return id, nil
}

// update patches the record with the given body.
func (s entitySet) update(ctx context.Context, method string, id uuid.UUID, body map[string]any, o *d365.UpdateOptions) error {
	p, err := s.path(method, id)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return d365.NewInputError(s.op(method), "changes", "hold no column to change")
	}
	return odata.Update(ctx, s.c.od, s.op(method), p, body, o)
}
