package odata

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strings"

	"github.com/b2bflow/d365"
)

// The record layer: the requests every service of the SDK makes on the
// records of an entity set, with the rules of idempotency and If-Match in
// one place. A service method builds the record's path (EntityPath) and
// makes one of these calls.

// codeDuplicateRecord is Dataverse's error code for a create whose key
// already exists.
const codeDuplicateRecord = "0x80040237"

// Get reads the record at path into a new T, with the $select and $expand
// of o (nil: every column) and the given Prefer header.
func Get[T any](ctx context.Context, c *Client, path string, o *d365.GetOptions, prefer Prefer) (*T, error) {
	q := o.Query()
	if err := q.Validate(); err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, &Request{Path: path, Query: q.Encode(), Prefer: prefer})
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := resp.Decode(v); err != nil {
		return nil, err
	}
	return v, nil
}

// Create posts a new record to the collection at req.Path (req.Method is
// set to POST). When req.Idempotent is set (the body carries a key the
// caller chose), the create is retried after a lost connection, and a retry
// that meets the duplicate-key 412 counts as success: the first attempt
// created the record. Create then returns a nil Response and no error.
func Create(ctx context.Context, c *Client, req *Request) (*Response, error) {
	req.Method = http.MethodPost
	resp, err := c.Do(ctx, req)
	if err != nil && req.Idempotent && DuplicateOnRetry(err) {
		return nil, nil
	}
	return resp, err
}

// DuplicateOnRetry reports whether err is the duplicate-key 412 of a create
// retried after an attempt that reached the service: the record exists
// because the first attempt created it.
func DuplicateOnRetry(err error) bool {
	var e *d365.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusPreconditionFailed || e.Attempts < 2 {
		return false
	}
	return e.Code == "" || strings.EqualFold(e.Code, codeDuplicateRecord)
}

// Update patches the record at path with body. It sends "If-Match: *"
// unless o names an ETag, so that an update never creates a record. Under
// "*" the PATCH is idempotent and retried after a lost connection; under
// the caller's ETag the engine never sends it twice (conditionalWrite). op
// names the call in input errors, such as "sales: Leads.Update".
func Update(ctx context.Context, c *Client, op, path string, body any, o *d365.UpdateOptions) error {
	ifMatch := "*"
	if o != nil && o.IfMatch != "" {
		if strings.ContainsAny(o.IfMatch, "\r\n") {
			return d365.NewInputError(op, "UpdateOptions.IfMatch", "must not contain line breaks")
		}
		ifMatch = o.IfMatch
	}
	_, err := c.Do(ctx, &Request{Method: http.MethodPatch, Path: path, Body: body, IfMatch: ifMatch, Idempotent: true})
	return err
}

// Upsert patches the record at path with body, creating it when it does
// not exist (no If-Match). Sending it twice has the same effect as once, so
// it is retried after a lost connection.
func Upsert(ctx context.Context, c *Client, path string, body any) error {
	_, err := c.Do(ctx, &Request{Method: http.MethodPatch, Path: path, Body: body, Idempotent: true})
	return err
}

// Delete deletes the record at path.
func Delete(ctx context.Context, c *Client, path string) error {
	_, err := c.Do(ctx, &Request{Method: http.MethodDelete, Path: path})
	return err
}

// Fail returns a listing that yields err and ends: the listing of a call
// whose input was refused.
func Fail[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// Resume points req, the first request of a listing, at nextLink instead
// (when not empty): a next link saved from a page (d365.Page.NextLink) to
// resume the listing. The link must be on the service's host, as every next
// link List follows. The link holds the query, so q may only set the page
// size and Top (which then counts from the resumed page). op names the call
// in input errors.
func (c *Client) Resume(op string, req *Request, q *d365.Query, nextLink string) error {
	if nextLink == "" {
		return nil
	}
	if q != nil && (len(q.Select) > 0 || q.Filter != "" || len(q.OrderBy) > 0 || len(q.Expand) > 0 || q.Count) {
		return d365.NewInputError(op, "ListOptions.NextLink", "is set with query options: the link holds the query; set only PageSize and Top")
	}
	u, err := c.nextURL(nextLink)
	if err != nil {
		return d365.NewInputError(op, "ListOptions.NextLink", "%v", strings.TrimPrefix(err.Error(), "d365: "))
	}
	req.URL, req.Path, req.Query = u, "", ""
	return nil
}
