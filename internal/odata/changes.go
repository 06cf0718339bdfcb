package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"

	"github.com/b2bflow/d365"
)

// Change tracking (Prefer: odata.track-changes): the first request reads
// every row and ends with an @odata.deltaLink; a request to that link reads
// the rows created or changed since, then the deleted ones as
// $deletedEntity rows ({"@odata.context": ".../$metadata#<set>/$deletedEntity",
// "id": "<id>", "reason": "deleted"}), and ends with a new delta link.

// Change is one row of a change-tracking response: a new or changed record,
// or the id of a deleted one.
type Change[T any] struct {
	// Record is the new or changed record, nil when the row was deleted.
	Record *T
	// Deleted is the id of the deleted record ("" unless Record is nil).
	Deleted string
}

// TrackChanges returns the Prefer header's value of a change-tracking
// request: odata.track-changes with the preferences of p.
func TrackChanges(p Prefer) http.Header {
	v := "odata.track-changes"
	if s := p.String(); s != "" {
		v += "," + s
	}
	return http.Header{"Prefer": {v}}
}

// Changes pages through the change-tracking response to req (whose Header
// holds TrackChanges, and whose Prefer is empty), yielding each row as a
// Change, and stores the delta link of the last page in *deltaLink when the
// walk reaches it. A last page without a delta link is an error: the
// caller would have nothing to resume from.
//
// After an error is yielded the iteration ends.
func Changes[T any](ctx context.Context, c *Client, req *Request, deltaLink *string) iter.Seq2[Change[T], error] {
	return func(yield func(Change[T], error) bool) {
		err := c.follow(ctx, req, func(body []byte, what string) (string, bool) {
			p, err := scanDeltaPage(body)
			if err != nil {
				yield(Change[T]{}, fmt.Errorf("d365: reading a page of changes of %s: %w", what, err))
				return "", true
			}
			els := newElements(p.value)
			for raw := els.next(); raw != nil; raw = els.next() {
				ch, err := decodeChange[T](raw)
				if err != nil {
					yield(Change[T]{}, fmt.Errorf("d365: decoding a change of %s: %w", what, err))
					return "", true
				}
				if !yield(ch, nil) {
					return "", true
				}
			}
			if els.err != nil {
				yield(Change[T]{}, fmt.Errorf("d365: reading a page of changes of %s: %w", what, els.err))
				return "", true
			}
			if p.nextLink == "" {
				if p.deltaLink == "" {
					yield(Change[T]{}, fmt.Errorf("d365: the last page of changes of %s has no @odata.deltaLink: is change tracking enabled for the table?", what))
					return "", true
				}
				if _, err := c.nextURL(p.deltaLink); err != nil {
					yield(Change[T]{}, err)
					return "", true
				}
				*deltaLink = p.deltaLink
			}
			return p.nextLink, false
		})
		if err != nil {
			yield(Change[T]{}, err)
		}
	}
}

// deltaPage is what a page of changes holds besides its rows' text.
type deltaPage struct {
	value     []byte
	nextLink  string
	deltaLink string
}

// scanDeltaPage finds the value array, the next link and the delta link of
// a page of changes.
func scanDeltaPage(body []byte) (p deltaPage, err error) {
	err = pageMembers(body, func(name, v []byte) error {
		switch string(name) {
		case "value":
			p.value = v
		case "@odata.nextLink":
			return json.Unmarshal(v, &p.nextLink)
		case "@odata.deltaLink":
			return json.Unmarshal(v, &p.deltaLink)
		}
		return nil
	})
	if err == nil && p.value == nil {
		err = errors.New("the page has no value array")
	}
	return p, err
}

// decodeChange decodes one row of a page of changes: a $deletedEntity row
// gives its id, any other row is a record.
func decodeChange[T any](raw []byte) (Change[T], error) {
	// The last occurrence of a member counts, as in a map.
	var ctxRaw, idRaw []byte
	if members(raw, func(name, v []byte) error {
		switch string(name) {
		case "@odata.context":
			ctxRaw = v
		case "id":
			idRaw = v
		}
		return nil
	}) == nil && ctxRaw != nil {
		var ctxURL, id string
		if json.Unmarshal(ctxRaw, &ctxURL) == nil && strings.HasSuffix(ctxURL, "/$deletedEntity") {
			if idRaw != nil && json.Unmarshal(idRaw, &id) != nil {
				id = ""
			}
			if id == "" {
				return Change[T]{}, errors.New("a $deletedEntity row has no id")
			}
			return Change[T]{Deleted: id}, nil
		}
	}
	v := new(T)
	if err := unmarshal(raw, v); err != nil {
		return Change[T]{}, err
	}
	return Change[T]{Record: v}, nil
}

// ResumeDelta points req, the first request of a change-tracking read, at
// deltaLink: a delta link saved from an earlier read, which must be on the
// service's host. op names the call and field the option in input errors.
func (c *Client) ResumeDelta(op, field string, req *Request, deltaLink string) error {
	u, err := c.nextURL(deltaLink)
	if err != nil {
		return d365.NewInputError(op, field, "%v", strings.TrimPrefix(err.Error(), "d365: "))
	}
	req.URL, req.Path, req.Query = u, "", ""
	return nil
}
