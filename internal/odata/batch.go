package odata

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/b2bflow/d365"
)

// Batch sends the batch and returns one result per request, in the order of
// the batch's parts (change sets expanded). The error is non-nil only when
// the batch as a whole failed (invalid, throttled past the retries, not a
// multipart answer): failures of single requests are in their results.
//
// A batch is retried after throttling and unavailability, and after a
// broken connection only when every request in it is a GET.
func (c *Client) Batch(ctx context.Context, b *d365.Batch) ([]*d365.BatchResult, error) {
	body, boundary, idempotent, err := c.encodeBatch(b)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, &Request{
		Method:      http.MethodPost,
		Path:        "$batch",
		Body:        body,
		ContentType: "multipart/mixed; boundary=" + boundary,
		Prefer:      Prefer{ContinueOnError: b.ContinueOnError},
		Idempotent:  idempotent,
		rawErrors:   true,
	})
	if err != nil {
		return nil, err
	}
	results, perr := c.decodeBatch(b, resp)
	if perr != nil {
		if resp.StatusCode >= 400 {
			e := DecodeError(resp.StatusCode, resp.Header, resp.Body, c.now())
			e.Method, e.URL, e.Attempts = http.MethodPost, RedactURL(c.base.JoinPath("$batch")), resp.Attempts
			return nil, e
		}
		return nil, fmt.Errorf("d365: reading the $batch response: %w", perr)
	}
	return results, nil
}

// encodeBatch writes the multipart body of a batch.
func (c *Client) encodeBatch(b *d365.Batch) (body []byte, boundary string, idempotent bool, err error) {
	if b == nil || len(b.Parts) == 0 {
		return nil, "", false, errors.New("d365: the batch is empty")
	}
	n := 0
	idempotent = true
	var buf bytes.Buffer
	boundary = "batch_" + c.boundary()
	for i, p := range b.Parts {
		if (p.Request == nil) == (len(p.ChangeSet) == 0) {
			return nil, "", false, fmt.Errorf("d365: batch part %d must hold either a request or a change set", i+1)
		}
		fmt.Fprintf(&buf, "--%s\r\n", boundary)
		if p.Request != nil {
			n++
			if err := c.writeBatchRequest(&buf, p.Request, ""); err != nil {
				return nil, "", false, fmt.Errorf("d365: batch part %d: %w", i+1, err)
			}
			if m := p.Request.Method; m != "" && m != http.MethodGet {
				idempotent = false
			}
			continue
		}
		idempotent = false
		cs := "changeset_" + c.boundary()
		fmt.Fprintf(&buf, "Content-Type: multipart/mixed; boundary=%s\r\n\r\n", cs)
		seen := map[string]bool{}
		for j, r := range p.ChangeSet {
			n++
			if r == nil {
				return nil, "", false, fmt.Errorf("d365: batch part %d: change set request %d is nil", i+1, j+1)
			}
			if r.Method == "" || r.Method == http.MethodGet {
				return nil, "", false, fmt.Errorf("d365: batch part %d: change set request %d is a GET: a change set holds only changes", i+1, j+1)
			}
			id := r.ContentID
			if id == "" {
				id = fmt.Sprint(j + 1)
			}
			if seen[id] || strings.ContainsAny(id, "\r\n") {
				return nil, "", false, fmt.Errorf("d365: batch part %d: Content-ID %q is repeated or invalid", i+1, id)
			}
			seen[id] = true
			fmt.Fprintf(&buf, "--%s\r\n", cs)
			if err := c.writeBatchRequest(&buf, r, id); err != nil {
				return nil, "", false, fmt.Errorf("d365: batch part %d, request %d: %w", i+1, j+1, err)
			}
		}
		fmt.Fprintf(&buf, "--%s--\r\n", cs)
	}
	if n > d365.MaxBatchRequests {
		return nil, "", false, fmt.Errorf("d365: the batch holds %d requests: at most %d are allowed", n, d365.MaxBatchRequests)
	}
	fmt.Fprintf(&buf, "--%s--\r\n", boundary)
	return buf.Bytes(), boundary, idempotent, nil
}

// writeBatchRequest writes one application/http part.
func (c *Client) writeBatchRequest(w *bytes.Buffer, r *d365.BatchRequest, contentID string) error {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target := r.Path // "$1": a reference to an earlier request of the change set
	if !strings.HasPrefix(target, "$") || contentID == "" {
		u, err := c.resolve(&Request{Path: r.Path, Query: r.Query})
		if err != nil {
			return err
		}
		target = u.String()
	}
	if strings.ContainsAny(target, " \r\n") {
		return fmt.Errorf("path %q must be escaped", r.Path)
	}
	w.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	if contentID != "" {
		fmt.Fprintf(w, "Content-ID: %s\r\n", contentID)
	}
	fmt.Fprintf(w, "\r\n%s %s HTTP/1.1\r\n", method, target)
	h := http.Header{}
	for k, vs := range r.Header {
		h[textproto.CanonicalMIMEHeaderKey(k)] = vs
	}
	h.Set("Accept", "application/json")
	if r.IfMatch != "" {
		h.Set("If-Match", r.IfMatch)
	}
	var body []byte
	if r.Body != nil {
		var err error
		switch b := r.Body.(type) {
		case []byte:
			body = b
		case json.RawMessage:
			body = b
		default:
			if body, err = json.Marshal(b); err != nil {
				return fmt.Errorf("encoding the body: %w", err)
			}
		}
		h.Set("Content-Type", "application/json; type=entry")
	}
	if err := h.Write(w); err != nil {
		return err
	}
	w.WriteString("\r\n")
	if body != nil {
		w.Write(body)
		w.WriteString("\r\n")
	}
	return nil
}

// decodeBatch reads a multipart $batch response and lines its answers up
// with the batch's requests.
func (c *Client) decodeBatch(b *d365.Batch, resp *Response) ([]*d365.BatchResult, error) {
	parts, err := readMultipart(resp.Header.Get("Content-Type"), resp.Body, 0)
	if err != nil {
		return nil, err
	}
	var out []*d365.BatchResult
	k := 0 // next response part
	for _, p := range b.Parts {
		if p.Request != nil {
			if k < len(parts) && parts[k].nested == nil {
				out = append(out, c.result(parts[k]))
				k++
			} else {
				out = append(out, &d365.BatchResult{Err: d365.ErrNotRun})
			}
			continue
		}
		switch {
		case k >= len(parts):
			for range p.ChangeSet {
				out = append(out, &d365.BatchResult{Err: d365.ErrNotRun})
			}
		case parts[k].nested == nil:
			// The change set failed as a whole: one error part.
			failed := c.result(parts[k])
			for j, r := range p.ChangeSet {
				res := *failed
				res.ContentID = contentID(r, j)
				out = append(out, &res)
			}
			k++
		default:
			byID := map[string]*rawPart{}
			for _, np := range parts[k].nested {
				byID[np.contentID] = np
			}
			for j, r := range p.ChangeSet {
				id := contentID(r, j)
				np := byID[id]
				if np == nil && j < len(parts[k].nested) {
					np = parts[k].nested[j]
				}
				if np == nil {
					out = append(out, &d365.BatchResult{ContentID: id, Err: d365.ErrNotRun})
					continue
				}
				res := c.result(np)
				res.ContentID = id
				out = append(out, res)
			}
			k++
		}
	}
	return out, nil
}

func contentID(r *d365.BatchRequest, j int) string {
	if r.ContentID != "" {
		return r.ContentID
	}
	return fmt.Sprint(j + 1)
}

// result turns a response part into a BatchResult.
func (c *Client) result(p *rawPart) *d365.BatchResult {
	r := &d365.BatchResult{StatusCode: p.status, Header: p.header, Body: p.body, ContentID: p.contentID}
	if p.status >= 400 {
		e := DecodeError(p.status, p.header, p.body, c.now())
		e.Method, e.URL = p.method, p.url
		r.Err = e
	}
	return r
}

// rawPart is one part of a multipart $batch response: an HTTP response, or
// a change set's nested parts.
type rawPart struct {
	contentID   string
	status      int
	header      http.Header
	body        []byte
	method, url string
	nested      []*rawPart
}

// readMultipart parses a multipart/mixed body whose Content-Type is ct.
func readMultipart(ct string, body []byte, depth int) ([]*rawPart, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("expected a multipart/mixed answer, got Content-Type %q", ct)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []*rawPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		pct := p.Header.Get("Content-Type")
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(pct)), "multipart/") {
			if depth > 0 {
				return nil, errors.New("change sets cannot be nested")
			}
			nested, err := readMultipart(pct, data, depth+1)
			if err != nil {
				return nil, err
			}
			parts = append(parts, &rawPart{nested: nested})
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(httpPart(data))), nil)
		if err != nil {
			return nil, fmt.Errorf("a part is not an HTTP response: %w", err)
		}
		rb, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		parts = append(parts, &rawPart{
			contentID: p.Header.Get("Content-ID"),
			status:    resp.StatusCode,
			header:    resp.Header,
			body:      bytes.TrimRight(rb, "\r\n"),
		})
	}
}

// httpPart prepares an application/http part for http.ReadResponse: no
// leading blank lines, and a blank line after the headers even when the
// response has no body (the multipart delimiter takes the part's last line
// break).
func httpPart(b []byte) []byte {
	b = bytes.TrimLeft(b, "\r\n")
	if bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n")) {
		return b
	}
	return append(bytes.TrimRight(b, "\r\n"), "\r\n\r\n"...)
}
