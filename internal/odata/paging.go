package odata

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"net/url"

	"github.com/b2bflow/d365"
)

// List pages through the collection that req addresses and yields its
// records one by one, decoding each into a T as it arrives from the
// response body: only the record being decoded is held, never the page. It
// follows @odata.nextLink exactly as the service gave it (on the service's
// own host only), sends the same Prefer header with every page, stops after
// max records when max > 0, and stops at once when the consumer breaks out
// of the loop. A next link that comes back a second time ends the iteration
// with an error instead of looping forever.
//
// The records of a page are yielded while its body is still being read:
// a page that turns out to be malformed or cut short after some records
// ends the iteration with an error after those records.
//
// After an error is yielded the iteration ends.
func List[T any](ctx context.Context, c *Client, req *Request, max int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		n := 0
		err := c.followStream(ctx, req, func(ps *pageStream, what string) (string, bool) {
			return yieldPage(ps, what, yield, &n, max)
		})
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// Pages is List a page at a time: each page with its records, the total
// count (when the query asked for $count) and its next link, which resumes
// the listing later (see Client.Resume). A page's records are decoded as its
// body arrives: the page's text is never held whole.
func Pages[T any](ctx context.Context, c *Client, req *Request, max int) iter.Seq2[*d365.Page[T], error] {
	return func(yield func(*d365.Page[T], error) bool) {
		n := 0
		err := c.followStream(ctx, req, func(ps *pageStream, what string) (string, bool) {
			p, err := decodePage[T](ps, what, max-n)
			if err != nil {
				if err != errIO {
					yield(nil, err)
				}
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

// pageError wraps the error that ended a page: nil when it is a failure
// to read the body (followStream reports those as the request's failure).
func pageError(ps *pageStream, what string) error {
	if ps.ioErr != nil {
		return nil
	}
	return fmt.Errorf("d365: reading a page of %s: %w", what, ps.err)
}

// decodePage decodes a page, keeping at most limit records when limit > 0
// (the rest of the page is then read without being decoded, for its count
// and next link).
func decodePage[T any](ps *pageStream, what string, limit int) (*d365.Page[T], error) {
	p := &d365.Page[T]{}
	for raw := ps.next(); raw != nil; raw = ps.next() {
		if limit > 0 && len(p.Records) >= limit {
			continue
		}
		v := new(T)
		if err := unmarshal(raw, v); err != nil {
			return nil, fmt.Errorf("d365: decoding a record of %s: %w", what, err)
		}
		p.Records = append(p.Records, v)
	}
	next, count, err := ps.info()
	if err != nil {
		if ps.ioErr != nil {
			return nil, errIO
		}
		return nil, fmt.Errorf("d365: reading a page of %s: %w", what, err)
	}
	p.NextLink, p.Count = next, count
	return p, nil
}

// errIO stands for a failure to read a page's body, which followStream
// reports (with the request's method and URL) instead.
var errIO = errors.New("reading the body failed")

// follow sends req, hands each page's body to page and follows the page's
// next link, exactly as the service gave it (on the service's own host
// only), with the same Prefer header, until page says stop or a page has no
// next link. A next link that comes back a second time ends the walk with an
// error instead of looping forever. The error is the one that ended the
// walk; page reports its own errors. The body is read whole: followStream
// reads it as it arrives.
func (c *Client) follow(ctx context.Context, req *Request, page func(body []byte, what string) (nextLink string, stop bool)) error {
	return c.walk(req, func(r *Request) (string, bool, scrubber, error) {
		resp, err := c.Do(ctx, r)
		if err != nil {
			return "", true, scrubber{}, err
		}
		// The page's texts (its next link) are the service's: scrubbed
		// of the token before they reach an error.
		scrub := resp.scrub()
		next, stop := page(resp.Body, scrub.text(r.describe()))
		return next, stop, scrub, nil
	})
}

// followStream is follow with each page read as it arrives: page reads the
// records from ps. A failure to read the body (the connection, a stall, the
// size cap) ends the walk with the request's error; page reports the
// others.
func (c *Client) followStream(ctx context.Context, req *Request, page func(ps *pageStream, what string) (nextLink string, stop bool)) error {
	return c.walk(req, func(r *Request) (next string, stop bool, scrub scrubber, err error) {
		err = c.stream(ctx, r, func(body io.Reader, sc scrubber) error {
			scrub = sc
			ps := newPageStream(body, c.maxBody)
			next, stop = page(ps, sc.text(r.describe()))
			if ps.ioErr != nil {
				stop = true
				return fmt.Errorf("reading the response: %w", ps.ioErr)
			}
			return nil
		})
		return next, stop || err != nil, scrub, err
	})
}

// walk fetches the pages of a listing from req on with page, which returns
// each page's next link, until page says stop or there is no next link.
func (c *Client) walk(req *Request, page func(r *Request) (nextLink string, stop bool, scrub scrubber, err error)) error {
	seen := make(map[uint64]bool)
	r := *req
	for {
		nextLink, stop, scrub, err := page(&r)
		if err != nil {
			return err
		}
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

// yieldPage decodes the records of one page as they arrive and yields
// them, and returns the page's next link. stop is true when the iteration
// must end: the consumer stopped, max records were yielded, or an error was
// yielded (or, for a failure to read the body, is left to followStream).
func yieldPage[T any](ps *pageStream, what string, yield func(T, error) bool, n *int, max int) (nextLink string, stop bool) {
	var zero T
	for raw := ps.next(); raw != nil; raw = ps.next() {
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
	nextLink, _, err := ps.info()
	if err != nil {
		if e := pageError(ps, what); e != nil {
			yield(zero, e)
		}
		return "", true
	}
	return nextLink, false
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
