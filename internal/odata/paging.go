package odata

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"iter"
	"net/url"
)

// page is one page of a collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

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
			var p page[T]
			if err := json.Unmarshal(resp.Body, &p); err != nil {
				yield(zero, fmt.Errorf("d365: decoding a page of %s: %w", r.describe(), err))
				return
			}
			resp.Body = nil // let the page's bytes go before yielding
			for i := range p.Value {
				if !yield(p.Value[i], nil) {
					return
				}
				p.Value[i] = zero
				n++
				if max > 0 && n >= max {
					return
				}
			}
			if p.NextLink == "" {
				return
			}
			next, err := c.nextURL(p.NextLink)
			if err != nil {
				yield(zero, err)
				return
			}
			h := fnv.New64a()
			h.Write([]byte(p.NextLink))
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
