package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"net/url"

	"github.com/b2bflow/d365"
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
		n := 0
		err := c.follow(ctx, req, func(body []byte, what string) (string, bool) {
			return yieldPage(body, what, yield, &n, max)
		})
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// Pages is List a page at a time: each page with its records, the total
// count (when the query asked for $count) and its next link, which resumes
// the listing later (see Client.Resume).
func Pages[T any](ctx context.Context, c *Client, req *Request, max int) iter.Seq2[*d365.Page[T], error] {
	return func(yield func(*d365.Page[T], error) bool) {
		n := 0
		err := c.follow(ctx, req, func(body []byte, what string) (string, bool) {
			p, err := decodePage[T](body, what, max-n)
			if err != nil {
				yield(nil, err)
				return "", true
			}
			n += len(p.Records)
			if !yield(p, nil) || max > 0 && n >= max {
				return "", true
			}
			return p.NextLink, false
		})
		if err != nil {
			yield(nil, err)
		}
	}
}

// decodePage decodes a whole page, keeping at most limit records when
// limit > 0.
func decodePage[T any](body []byte, what string, limit int) (*d365.Page[T], error) {
	pg, err := scanPageInfo(body)
	if err != nil {
		return nil, fmt.Errorf("d365: reading a page of %s: %w", what, err)
	}
	p := &d365.Page[T]{Count: pg.count, NextLink: pg.nextLink}
	els := newElements(pg.value)
	for raw := els.next(); raw != nil && (limit <= 0 || len(p.Records) < limit); raw = els.next() {
		v := new(T)
		if err := unmarshal(raw, v); err != nil {
			return nil, fmt.Errorf("d365: decoding a record of %s: %w", what, err)
		}
		p.Records = append(p.Records, v)
	}
	if els.err != nil {
		return nil, fmt.Errorf("d365: reading a page of %s: %w", what, els.err)
	}
	return p, nil
}

// follow sends req, hands each page's body to page and follows the page's
// next link, exactly as the service gave it (on the service's own host
// only), with the same Prefer header, until page says stop or a page has no
// next link. A next link that comes back a second time ends the walk with an
// error instead of looping forever. The error is the one that ended the
// walk; page reports its own errors.
func (c *Client) follow(ctx context.Context, req *Request, page func(body []byte, what string) (nextLink string, stop bool)) error {
	seen := make(map[uint64]bool)
	r := *req
	for {
		resp, err := c.Do(ctx, &r)
		if err != nil {
			return err
		}
		// The page's texts (its next link) are the service's: scrubbed
		// of the token before they reach an error.
		scrub := resp.scrub()
		nextLink, stop := page(resp.Body, scrub.text(r.describe()))
		if stop || nextLink == "" {
			return nil
		}
		next, err := c.nextURL(nextLink)
		if err != nil {
			return scrub.err(err)
		}
		h := fnv.New64a()
		h.Write([]byte(nextLink))
		if sum := h.Sum64(); seen[sum] {
			return fmt.Errorf("d365: the service returned the same next link twice (%s): stopping instead of looping", scrub.text(RedactURL(next)))
		} else {
			seen[sum] = true
		}
		r = Request{Method: req.Method, URL: next, Header: req.Header, Prefer: req.Prefer}
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
	p, err := scanPageInfo(body)
	return p.value, p.nextLink, err
}

// pageInfo is what a collection page holds besides its records' text.
type pageInfo struct {
	value    []byte
	nextLink string
	count    *int64
}

// scanPageInfo finds the value array, the next link and the count of a
// collection page.
func scanPageInfo(body []byte) (p pageInfo, err error) {
	err = pageMembers(body, func(name, v []byte) error {
		switch string(name) {
		case "value":
			p.value = v
		case "@odata.nextLink":
			return json.Unmarshal(v, &p.nextLink)
		case "@odata.count":
			p.count = new(int64)
			return json.Unmarshal(v, p.count)
		}
		return nil
	})
	if err == nil && p.value == nil {
		err = errors.New("the page has no value array")
	}
	return p, err
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
