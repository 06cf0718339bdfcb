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
			// The page's texts (its next link) are the service's:
			// scrubbed of the token before they reach an error.
			scrub := resp.scrub()
			nextLink, stop := yieldPage(resp.Body, scrub.text(r.describe()), yield, &n, max)
			if stop {
				return
			}
			if nextLink == "" {
				return
			}
			next, err := c.nextURL(nextLink)
			if err != nil {
				yield(zero, scrub.err(err))
				return
			}
			h := fnv.New64a()
			h.Write([]byte(nextLink))
			if sum := h.Sum64(); seen[sum] {
				yield(zero, fmt.Errorf("d365: the service returned the same next link twice (%s): stopping instead of looping", scrub.text(RedactURL(next))))
				return
			} else {
				seen[sum] = true
			}
			r = Request{Method: req.Method, URL: next, Header: req.Header, Prefer: req.Prefer}
		}
	}
}

// yieldPage decodes the records of one page as they are yielded, so that
// only the page's text and the current record are held, and returns the
// page's next link. stop is true when the iteration must end: the consumer
// stopped, max records were yielded, or an error was yielded. Keeping the
// page in this function's frame lets it be collected while the next page
// is fetched.
func yieldPage[T any](body []byte, what string, yield func(T, error) bool, n *int, max int) (nextLink string, stop bool) {
	var zero T
	value, nextLink, err := scanPage(body)
	if err != nil {
		yield(zero, fmt.Errorf("d365: reading a page of %s: %w", what, err))
		return "", true
	}
	els := newElements(value)
	for raw := els.next(); raw != nil; raw = els.next() {
		var v T
		if err := unmarshal(raw, &v); err != nil {
			yield(zero, fmt.Errorf("d365: decoding a record of %s: %w", what, err))
			return "", true
		}
		if !yield(v, nil) {
			return "", true
		}
		*n++
		if max > 0 && *n >= max {
			return "", true
		}
	}
	if els.err != nil {
		yield(zero, fmt.Errorf("d365: reading a page of %s: %w", what, els.err))
		return "", true
	}
	return nextLink, false
}

// scanPage finds the value array and the next link of a collection page.
func scanPage(body []byte) (value []byte, nextLink string, err error) {
	err = pageMembers(body, func(name, v []byte) error {
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
