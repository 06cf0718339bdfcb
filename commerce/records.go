package commerce

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// ListOptions selects the records a List call returns: the OData query
// options and the company to read.
type ListOptions struct {
	// Query holds $select, $filter, $orderby, $expand, $top, $count and
	// the page size (at most MaxPageSize). Build Filter with d365.Filterf.
	d365.Query

	// Company is the company (dataAreaId) to list, such as "usrt". Empty
	// means Options.Company, or the calling user's default company when
	// that is empty too. Entities that are not company-specific (customer
	// hierarchies, dual-write configurations) refuse a company.
	Company string

	// CrossCompany lists the records of every company
	// (cross-company=true). It cannot be combined with Company.
	CrossCompany bool

	// NextLink resumes a listing from a page's NextLink saved earlier
	// (d365.Page.NextLink), such as after a crash. It must be on the
	// environment's host. The link holds the query and the company: set
	// only Query.PageSize (send the same as the first request) and
	// Query.Top (counted from the resumed page).
	NextLink string
}

// entity describes one Finance and Operations data entity.
type entity struct {
	// set is the public collection name, such as "Prospects".
	set string
	// key is the name of the key part beside dataAreaId (or the only key
	// part when the entity is not company-specific).
	key string
	// companySpecific tells whether the entity has the dataAreaId key part.
	companySpecific bool
}

var (
	prospects     = entity{set: "Prospects", key: "ProspectId", companySpecific: true}
	customers     = entity{set: "CustomersV3", key: "CustomerAccount", companySpecific: true}
	hierarchies   = entity{set: "CustomerHiearchies", key: "CustomerHierarchyId"}
	hierarchyNode = entity{set: "CustomerHierarchyNodes"}
	dualWriteMaps = entity{set: "DualWriteProjectConfigurations", key: "ProjectName"}
)

// path returns the path addressing one record, checking the inputs first.
// op names the calling method in error messages.
func (e entity) path(op, company, id string) (string, error) {
	var key []odata.KeyPart
	if e.companySpecific {
		if err := required(op, "company", company); err != nil {
			return "", err
		}
		key = append(key, odata.KeyPart{Name: "dataAreaId", Value: company})
	}
	if err := required(op, e.key, id); err != nil {
		return "", err
	}
	key = append(key, odata.KeyPart{Name: e.key, Value: id})
	return odata.EntityPath(e.set, key...)
}

// required refuses an empty (or blank) argument, naming it.
func required(op, field, value string) error {
	if strings.TrimSpace(value) == "" {
		return d365.NewInputError("commerce: "+op, field, "is empty")
	}
	return nil
}

// get reads the record of e with the given key, with the fields o selects.
func get[T any](ctx context.Context, c *Client, e entity, op, company, id string, o *d365.GetOptions) (*T, error) {
	p, err := e.path(op, company, id)
	if err != nil {
		return nil, err
	}
	return odata.Get[T](ctx, c.od, p, o, odata.Prefer{})
}

// list pages through the records of e that o selects.
func list[T any](ctx context.Context, c *Client, e entity, op string, o *ListOptions) iter.Seq2[*T, error] {
	req, max, err := c.listRequest(e, op, o)
	if err != nil {
		return odata.Fail[*T](err)
	}
	return odata.List[*T](ctx, c.od, req, max)
}

// pages pages through the records of e that o selects, a page at a time.
func pages[T any](ctx context.Context, c *Client, e entity, op string, o *ListOptions) iter.Seq2[*d365.Page[T], error] {
	req, max, err := c.listRequest(e, op, o)
	if err != nil {
		return odata.Fail[*d365.Page[T]](err)
	}
	return odata.Pages[T](ctx, c.od, req, max)
}

// first returns the first record of a listing, or an error matching
// d365.ErrNotFound that says what was looked for.
func first[T any](seq iter.Seq2[*T, error], what string) (*T, error) {
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("commerce: no %s: %w", what, d365.ErrNotFound)
}

// collect reads a listing into a slice of values.
func collect[T any](seq iter.Seq2[*T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// listRequest builds the request of a listing: the query options, the
// company filter and cross-company parameter, and the page size.
func (c *Client) listRequest(e entity, op string, o *ListOptions) (*odata.Request, int, error) {
	var lo ListOptions
	if o != nil {
		lo = *o
	}
	q := lo.Query
	if err := q.Validate(); err != nil {
		return nil, 0, d365.NewInputError("commerce: "+op, "", "%v", err)
	}
	if q.PageSize > MaxPageSize {
		return nil, 0, d365.NewInputError("commerce: "+op, "Query.PageSize", "is %d: Finance and Operations serves at most %d records a page", q.PageSize, MaxPageSize)
	}
	cross := false
	switch {
	case !e.companySpecific:
		if lo.Company != "" || lo.CrossCompany {
			return nil, 0, d365.NewInputError("commerce: "+op, "ListOptions.Company and CrossCompany", "do not apply: %s is not company-specific", e.set)
		}
	case lo.CrossCompany:
		if lo.Company != "" {
			return nil, 0, d365.NewInputError("commerce: "+op, "ListOptions.Company", "(%q) and CrossCompany are both set: choose one", lo.Company)
		}
		cross = true
	default:
		company := lo.Company
		if company == "" {
			company = c.company
		}
		if company != "" {
			// Without cross-company=true the service reads only the
			// user's default company, whatever the filter says.
			cross = true
			q.Filter = and(d365.Filterf("dataAreaId eq %v", company), q.Filter)
		}
	}
	query := q.Encode()
	if cross {
		if query != "" {
			query += "&"
		}
		query += "cross-company=true"
	}
	req := &odata.Request{Path: e.set, Query: query, Prefer: odata.Prefer{MaxPageSize: q.PageSize}}
	if err := c.od.Resume("commerce: "+op, req, &lo.Query, lo.NextLink); err != nil {
		return nil, 0, err
	}
	return req, q.Top, nil
}

// and joins two filter expressions, parenthesising the second.
func and(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + " and (" + b + ")"
}
