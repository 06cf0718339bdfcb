package d365

// GetOptions selects what a Get call reads of one record. The zero value
// (or nil) reads every column, which is slow on wide tables: name the
// columns you use.
type GetOptions struct {
	// Select names the columns to return ($select).
	Select []string
	// Expand lists navigation properties to expand ($expand).
	Expand []string
}

// Query returns the options as a Query, to validate and encode them.
func (o *GetOptions) Query() *Query {
	if o == nil {
		return nil
	}
	return &Query{Select: o.Select, Expand: o.Expand}
}

// UpdateOptions tunes an update, in every service of the SDK.
type UpdateOptions struct {
	// IfMatch, when set, is the ETag the record must still have (the ETag
	// of a record read earlier, such as lead.ETag, passed back exactly as
	// received): if somebody changed the record since it was read, the
	// update fails with an error matching ErrPreconditionFailed and
	// changes nothing. Empty means "If-Match: *": whatever the record's
	// version, but the record must exist (an update never creates one).
	//
	// An update under an ETag is never sent twice: after an attempt whose
	// answer was lost it fails, and the record must be read again.
	IfMatch string
}

// Page is one page of a listing: its records, the total count when the
// query asked for it, and the link to the next page.
type Page[T any] struct {
	// Records are the page's records, in the service's order.
	Records []*T
	// Count is the total number of records the query matches
	// (@odata.count), nil unless Query.Count asked for it.
	Count *int64
	// NextLink is the URL of the next page (@odata.nextLink), empty on the
	// last page. Save it to resume the listing later, after a crash or in
	// another process: pass it as ListOptions.NextLink.
	NextLink string
}
