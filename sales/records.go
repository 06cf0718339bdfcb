package sales

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// codeDuplicateRecord is Dataverse's error code for a create whose key
// already exists.
const codeDuplicateRecord = "0x80040237"

// UpdateOptions tunes an update.
type UpdateOptions struct {
	// IfMatch, when set, is the ETag the record must still have (such as
	// lead.ETag, W/"468026"): if somebody changed the record since it was
	// read, the update fails with an error matching
	// d365.ErrPreconditionFailed and changes nothing. Empty means
	// "If-Match: *": the record must exist (an update never creates one).
	IfMatch string
}

// records is the shared implementation of Get, List, Create, Update and
// Delete for the records of one entity set, decoded into T (a record type
// whose pointer implements json.Unmarshaler).
type records[T any] struct {
	c    *Client
	set  string // entity set name, such as "leads"
	what string // what a record is called in messages, such as "lead"
}

// path returns the path of the record with the given id.
func (r records[T]) path(id uuid.UUID) (string, error) {
	if err := odata.CheckName("table", r.set); err != nil {
		return "", fmt.Errorf("sales: %w", err)
	}
	if id == uuid.Nil {
		return "", fmt.Errorf("sales: %s id is empty (uuid.Nil): give the id of the record", r.what)
	}
	return odata.EntityPath(r.set, odata.KeyPart{Value: id})
}

// get reads one record with its annotations.
func (r records[T]) get(ctx context.Context, id uuid.UUID) (*T, error) {
	p, err := r.path(id)
	if err != nil {
		return nil, err
	}
	resp, err := r.c.od.Do(ctx, &odata.Request{Path: p, Prefer: odata.Prefer{Annotations: "*"}})
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := resp.Decode(v); err != nil {
		return nil, fmt.Errorf("sales: reading the %s: %w", r.what, err)
	}
	return v, nil
}

// list streams the records the query selects, page by page.
func (r records[T]) list(ctx context.Context, q *d365.Query) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err := odata.CheckName("table", r.set); err != nil {
			yield(nil, fmt.Errorf("sales: %w", err))
			return
		}
		if err := q.Validate(); err != nil {
			yield(nil, err)
			return
		}
		req := &odata.Request{Path: r.set, Query: q.Encode(), Prefer: odata.Prefer{Annotations: "*"}}
		max := 0
		if q != nil {
			req.Prefer.MaxPageSize = q.PageSize
			max = q.Top
		}
		for v, err := range odata.List[T](ctx, r.c.od, req, max) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&v, nil) {
				return
			}
		}
	}
}

// create posts a new record built from f. When id is not uuid.Nil it is sent
// as the record's key column, which makes the request idempotent: it may be
// retried after a lost connection, and a retry that finds the record
// already created (412, duplicate key) counts as success.
func (r records[T]) create(ctx context.Context, key string, id uuid.UUID, f *fields) (uuid.UUID, error) {
	if err := odata.CheckName("table", r.set); err != nil {
		return uuid.Nil, fmt.Errorf("sales: %w", err)
	}
	if f.err != nil {
		return uuid.Nil, f.err
	}
	req := &odata.Request{Method: http.MethodPost, Path: r.set, Body: f.m}
	if id != uuid.Nil && key != "" {
		f.m[key] = id
		req.Idempotent = true
	}
	resp, err := r.c.od.Do(ctx, req)
	if err != nil {
		if req.Idempotent && duplicateOnRetry(err) {
			return id, nil
		}
		return uuid.Nil, err
	}
	if req.Idempotent {
		return id, nil
	}
	k, err := resp.EntityKey()
	if err != nil {
		return uuid.Nil, fmt.Errorf("sales: creating a %s: %w", r.what, err)
	}
	created, err := uuid.Parse(k)
	if err != nil {
		return uuid.Nil, fmt.Errorf("sales: creating a %s: the service answered with the key %q, not a GUID", r.what, k)
	}
	return created, nil
}

// duplicateOnRetry reports whether err is the duplicate-key 412 of a create
// retried after an attempt that reached the service: the record exists
// because the first attempt created it.
func duplicateOnRetry(err error) bool {
	var e *d365.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusPreconditionFailed || e.Attempts < 2 {
		return false
	}
	return e.Code == "" || strings.EqualFold(e.Code, codeDuplicateRecord)
}

// update patches the record with the columns of f, with If-Match set so that
// the PATCH never creates a record.
func (r records[T]) update(ctx context.Context, id uuid.UUID, f *fields, o *UpdateOptions) error {
	p, err := r.path(id)
	if err != nil {
		return err
	}
	if f.err != nil {
		return f.err
	}
	if len(f.m) == 0 {
		return fmt.Errorf("sales: updating a %s: no column to change", r.what)
	}
	req := &odata.Request{Method: http.MethodPatch, Path: p, Body: f.m, IfMatch: "*", Idempotent: true}
	if o != nil && o.IfMatch != "" {
		if strings.ContainsAny(o.IfMatch, "\r\n") {
			return errors.New("sales: UpdateOptions.IfMatch must not contain line breaks")
		}
		// The engine never replays a write under the caller's ETag
		// (odata.Request.Idempotent).
		req.IfMatch = o.IfMatch
	}
	_, err = r.c.od.Do(ctx, req)
	return err
}

// remove deletes the record.
func (r records[T]) remove(ctx context.Context, id uuid.UUID) error {
	p, err := r.path(id)
	if err != nil {
		return err
	}
	_, err = r.c.od.Do(ctx, &odata.Request{Method: http.MethodDelete, Path: p})
	return err
}
