package d365

import (
	"strconv"
	"strings"

	"github.com/b2bflow/d365/internal/syntax"
)

// Query holds the OData query options of a list request. The zero value (or
// a nil *Query) lists every column of every record, in pages of the
// service's default size.
//
// Build Filter with [Filterf] so that values are formatted and escaped as
// OData literals.
type Query struct {
	// Select names the columns to return ($select). Empty means all
	// columns, which is slow on wide tables: name the columns you use.
	Select []string
	// Filter is the $filter expression, for example
	// d365.Filterf("companyname eq %v", name).
	Filter string
	// OrderBy lists the sort keys ($orderby), each a column optionally
	// followed by " asc" or " desc".
	OrderBy []string
	// Expand lists navigation properties to expand ($expand), with their
	// own options in parentheses when needed.
	Expand []string
	// Top caps the number of records returned ($top). Dataverse ignores it
	// when a page size is set: "Don't use $top with the Prefer:
	// odata.maxpagesize request header. If you include both, $top is
	// ignored." (Microsoft Learn, "Page results using OData"), so the
	// clients stop reading after Top records themselves.
	Top int
	// PageSize asks the service for pages of at most this many records
	// (Prefer: odata.maxpagesize). Zero means the service's default: 5,000
	// for Dataverse, 10,000 for Finance and Operations.
	PageSize int
	// Count asks for the total number of matching records ($count=true).
	Count bool
}

// Validate reports what is wrong with the query, before any request is sent.
func (q *Query) Validate() error {
	if q == nil {
		return nil
	}
	if q.Top < 0 {
		return NewInputError("d365", "Query.Top", "is %d: it must not be negative", q.Top)
	}
	if q.PageSize < 0 {
		return NewInputError("d365", "Query.PageSize", "is %d: it must not be negative", q.PageSize)
	}
	for _, s := range q.Select {
		if !syntax.IsPath(s) {
			return NewInputError("d365", "Query.Select", "holds %q, which is not a column name", s)
		}
	}
	for _, o := range q.OrderBy {
		col, dir, _ := strings.Cut(strings.TrimSpace(o), " ")
		dir = strings.TrimSpace(dir)
		if !syntax.IsPath(col) || (dir != "" && dir != "asc" && dir != "desc") {
			return NewInputError("d365", "Query.OrderBy", "holds %q, which is not \"column\", \"column asc\" or \"column desc\"", o)
		}
	}
	for _, e := range q.Expand {
		name, _, _ := strings.Cut(e, "(")
		if !syntax.IsPath(name) {
			return NewInputError("d365", "Query.Expand", "holds %q, which does not start with a navigation property name", e)
		}
	}
	return nil
}

// Encode renders the query options as a URL query string, without the
// leading '?', with values escaped for a URL. Keys appear in a fixed order:
// $select, $filter, $orderby, $expand, $top, $count. PageSize is not part of
// the URL (it travels in the Prefer header).
func (q *Query) Encode() string {
	if q == nil {
		return ""
	}
	var b strings.Builder
	add := func(key, value string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(syntax.EscapeQueryValue(value))
	}
	if len(q.Select) > 0 {
		add("$select", strings.Join(q.Select, ","))
	}
	if q.Filter != "" {
		add("$filter", q.Filter)
	}
	if len(q.OrderBy) > 0 {
		add("$orderby", strings.Join(q.OrderBy, ","))
	}
	if len(q.Expand) > 0 {
		add("$expand", strings.Join(q.Expand, ","))
	}
	if q.Top > 0 {
		add("$top", strconv.Itoa(q.Top))
	}
	if q.Count {
		add("$count", "true")
	}
	return b.String()
}
