package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"net/url"
)

// List pages through the collection that req addresses and yields its
// records one by one, decoding each into a T. It follows @odata.nextLink
// exactly as the service gave it (on the service's own host only), sends the
// same Prefer header with every page, stops after max records when max > 0,
// and stops at once when the consumer breaks out of the loop. Only one page
// is held in memory at a time. A next link that comes back a second time
// ends the iteration with an error instead of looping forever.
//
// After an error is yielded the iteration ends.
func List[T any](ctx context.Context, c *Client, req *Request, max int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := make(map[uint64]bool)
		r := *req
		n := 0
		for {
			resp, err := c.Do(ctx, &r)
			if err != nil {
				yield(zero, err)
				return
			}
			value, nextLink, err := scanPage(resp.Body)
			if err != nil {
				yield(zero, fmt.Errorf("d365: reading a page of %s: %w", r.describe(), err))
				return
			}
			// Records are decoded one at a time, as they are yielded: only
			// the page's text and the current record are held.
			els := newElements(value)
			for raw := els.next(); raw != nil; raw = els.next() {
				var v T
				if err := unmarshal(raw, &v); err != nil {
					yield(zero, fmt.Errorf("d365: decoding a record of %s: %w", r.describe(), err))
					return
				}
				if !yield(v, nil) {
					return
				}
				n++
				if max > 0 && n >= max {
					return
				}
			}
			if els.err != nil {
				yield(zero, fmt.Errorf("d365: reading a page of %s: %w", r.describe(), els.err))
				return
			}
			resp = nil
			if nextLink == "" {
				return
			}
			next, err := c.nextURL(nextLink)
			if err != nil {
				yield(zero, err)
				return
			}
			h := fnv.New64a()
			h.Write([]byte(nextLink))
			if sum := h.Sum64(); seen[sum] {
				yield(zero, fmt.Errorf("d365: the service returned the same next link twice (%s): stopping instead of looping", RedactURL(next)))
				return
			} else {
				seen[sum] = true
			}
			r = Request{Method: req.Method, URL: next, Header: req.Header, Prefer: req.Prefer}
		}
	}
}

// scanPage finds the value array and the next link of a collection page.
func scanPage(body []byte) (value []byte, nextLink string, err error) {
	err = members(body, func(name, v []byte) error {
		switch string(name) {
		case "value":
			value = v
		case "@odata.nextLink":
			return json.Unmarshal(v, &nextLink)
		}
		return nil
	})
	if err == nil && value == nil {
		err = errors.New("the page has no value array")
	}
	return value, nextLink, err
}

// nextURL parses a next link and checks that it stays on the service's host.
func (c *Client) nextURL(link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("d365: the service's next link is not a URL: %w", err)
	}
	if !u.IsAbs() {
		u = c.base.ResolveReference(u)
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("d365: the service's next link %s leaves the service's host %s: not following it", RedactURL(u), c.base.Host)
	}
	return u, nil
}

// describe names the request in messages.
func (r *Request) describe() string {
	if r.URL != nil {
		return RedactURL(r.URL)
	}
	return r.Path
}
