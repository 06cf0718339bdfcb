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
// the batch as a whole failed (invalid, throttled past the retries, refused
// with an error that is not a multipart answer, or sent without an answer
// read back): failures of single requests are in their results.
//
// The answer must line up with the batch; nothing is guessed. A request
// whose fate the answer does not state gets an error matching
// d365.ErrOutcomeUnknown: no part for it (unless the batch stopped at a
// failure, see below), a part of the wrong kind, an answer cut off or
// holding more parts than requests (then every request), a change set
// answer whose parts do not match its Content-IDs one to one. Requests after
// the failure that ended a batch sent without ContinueOnError (a 4xx answer
// whose last part is that failure, as Dataverse documents) get
// d365.ErrNotRun. When the answer was lost or could not be read whole
// after a batch holding changes was sent, the error itself matches
// d365.ErrOutcomeUnknown.
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
		var de *d365.Error
		var ce *d365.CredentialError
		if !idempotent && !errors.As(err, &de) && !errors.As(err, &ce) && !notSent(err) {
			return nil, fmt.Errorf("%w: %w", d365.ErrOutcomeUnknown, err)
		}
		return nil, err
	}
	parts, perr := readMultipart(resp.Header.Get("Content-Type"), resp.Body, 0)
	if errors.Is(perr, errNotMultipart) && resp.StatusCode >= 400 {
		// The batch as a whole was refused.
		e := resp.DecodeError(resp.StatusCode, resp.Header, resp.Body, c.now())
		e.Method, e.URL, e.Attempts = http.MethodPost, RedactURL(c.base.JoinPath("$batch")), resp.Attempts
		return nil, e
	}
	results := c.lineUp(b, resp.StatusCode, parts, perr)
	// A part's error was decoded from the answer: scrub the tokens this
	// request sent from it, as for any other error.
	sc := resp.scrub()
	for _, r := range results {
		var e *d365.Error
		if errors.As(r.Err, &e) {
			sc.error(e)
		}
	}
	return results, nil
}

// encodeBatch writes the multipart body of a batch.
func (c *Client) encodeBatch(b *d365.Batch) (body []byte, boundary string, idempotent bool, err error) {
	if b == nil || len(b.Parts) == 0 {
		return nil, "", false, d365.NewInputError("d365", "the batch", "is empty")
	}
	n := 0
	idempotent = true
	var buf bytes.Buffer
	boundary = "batch_" + c.boundary()
	for i, p := range b.Parts {
		if (p.Request == nil) == (len(p.ChangeSet) == 0) {
			return nil, "", false, d365.NewInputError("d365", fmt.Sprintf("batch part %d", i+1), "must hold either a request or a change set")
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
				return nil, "", false, d365.NewInputError("d365", fmt.Sprintf("batch part %d: change set request %d", i+1, j+1), "is nil")
			}
			if r.Method == "" || r.Method == http.MethodGet {
				return nil, "", false, d365.NewInputError("d365", fmt.Sprintf("batch part %d: change set request %d", i+1, j+1), "is a GET: a change set holds only changes")
			}
			id := r.ContentID
			if id == "" {
				id = fmt.Sprint(j + 1)
			}
			if seen[id] || strings.ContainsAny(id, "\r\n") {
				return nil, "", false, d365.NewInputError("d365", fmt.Sprintf("batch part %d: Content-ID", i+1), "%q is repeated or invalid", id)
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
		return nil, "", false, d365.NewInputError("d365", "the batch", "holds %d requests: at most %d are allowed", n, d365.MaxBatchRequests)
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
		return d365.NewInputError("", "path", "%q must be escaped", r.Path)
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

// lineUp lines the parts of a $batch answer up with the batch's requests.
// readErr is the error that ended the reading of the answer early, if any:
// the parts read before it count, the requests after them are of unknown
// outcome.
func (c *Client) lineUp(b *d365.Batch, status int, parts []*rawPart, readErr error) []*d365.BatchResult {
	var out []*d365.BatchResult
	unknown := func(id, reason string, args ...any) {
		out = append(out, &d365.BatchResult{ContentID: id, Err: outcomeUnknown(fmt.Sprintf(reason, args...))})
	}
	// The answers left out: not run only when the batch stopped at its
	// first failure, as the protocol promises without continue-on-error.
	rest := func(id string) {
		switch {
		case readErr != nil && len(parts) == 0:
			unknown(id, "the $batch answer (status %d) could not be read: %v", status, readErr)
		case readErr != nil:
			unknown(id, "the $batch answer (status %d) could not be read past its part %d: %v", status, len(parts), readErr)
		case !b.ContinueOnError && status >= 400 && status < 500 && len(parts) > 0 && parts[len(parts)-1].failed():
			out = append(out, &d365.BatchResult{ContentID: id, Err: d365.ErrNotRun})
		default:
			unknown(id, "the $batch answer (status %d, %d parts) holds no part for this request", status, len(parts))
		}
	}
	k := 0           // next answer part
	misaligned := "" // why the answer stopped lining up with the batch
	for i, p := range b.Parts {
		switch {
		case misaligned != "":
			for _, id := range partIDs(p) {
				unknown(id, "%s", misaligned)
			}
			continue
		case k >= len(parts):
			for _, id := range partIDs(p) {
				rest(id)
			}
			continue
		}
		rp := parts[k]
		k++
		if p.Request != nil {
			if rp.changeSet {
				misaligned = fmt.Sprintf("the $batch answer's part %d answers a change set where part %d of the batch is a single request", k, i+1)
				unknown("", "%s", misaligned)
				continue
			}
			out = append(out, c.answer(rp, ""))
			continue
		}
		switch {
		case rp.changeSet && rp.err != nil:
			for _, id := range partIDs(p) {
				unknown(id, "the answer to the change set (part %d of the $batch answer) could not be read: %v", k, rp.err)
			}
		case !rp.changeSet && rp.failed():
			// The change set failed as a whole: one error part, and none
			// of its requests applied (a change set is atomic).
			failed := c.result(rp)
			for j, r := range p.ChangeSet {
				res := *failed
				res.ContentID = contentID(r, j)
				out = append(out, &res)
			}
		case !rp.changeSet:
			misaligned = fmt.Sprintf("the $batch answer's part %d is a single %d answer where part %d of the batch is a change set", k, rp.status, i+1)
			for _, id := range partIDs(p) {
				unknown(id, "%s", misaligned)
			}
		default:
			out = append(out, c.changeSetResults(p.ChangeSet, rp.nested, k)...)
		}
	}
	if misaligned == "" && k < len(parts) {
		// More answers than requests: which answers which is a guess.
		reason := fmt.Sprintf("the $batch answer holds %d parts for the %d parts of the batch", len(parts), len(b.Parts))
		for _, r := range out {
			*r = d365.BatchResult{ContentID: r.ContentID, Err: outcomeUnknown(reason)}
		}
	}
	return out
}

// changeSetResults lines the nested parts of a change set's answer up
// with its requests by Content-ID, one to one: a request with no part of
// its Content-ID, or several, is of unknown outcome, and so is every
// request when the answer holds a part for a Content-ID the change set did
// not send.
func (c *Client) changeSetResults(reqs []*d365.BatchRequest, nested []*rawPart, k int) []*d365.BatchResult {
	byID := make(map[string][]*rawPart, len(nested))
	for _, np := range nested {
		byID[np.contentID] = append(byID[np.contentID], np)
	}
	sent := make(map[string]bool, len(reqs))
	for j, r := range reqs {
		sent[contentID(r, j)] = true
	}
	var stray []string
	for _, np := range nested {
		if !sent[np.contentID] {
			stray = append(stray, fmt.Sprintf("%q", np.contentID))
		}
	}
	out := make([]*d365.BatchResult, 0, len(reqs))
	for j, r := range reqs {
		id := contentID(r, j)
		var reason string
		switch nps := byID[id]; {
		case len(stray) > 0:
			reason = fmt.Sprintf("the change set's answer (part %d of the $batch answer) holds parts with Content-IDs the change set did not send (%s)", k, strings.Join(stray, ", "))
		case len(nps) == 0:
			reason = fmt.Sprintf("the change set's answer (part %d of the $batch answer) holds no part with Content-ID %q", k, id)
		case len(nps) > 1:
			reason = fmt.Sprintf("the change set's answer (part %d of the $batch answer) holds %d parts with Content-ID %q", k, len(nps), id)
		default:
			out = append(out, c.answer(nps[0], id))
			continue
		}
		out = append(out, &d365.BatchResult{ContentID: id, Err: outcomeUnknown(reason)})
	}
	return out
}

// outcomeUnknown is the error of a request whose fate the answer does not
// state.
func outcomeUnknown(reason string) error {
	return fmt.Errorf("%w (%s)", d365.ErrOutcomeUnknown, reason)
}

// partIDs returns the Content-IDs of a batch part's requests: "" for a
// single request.
func partIDs(p d365.BatchPart) []string {
	if p.Request != nil {
		return []string{""}
	}
	ids := make([]string, len(p.ChangeSet))
	for j, r := range p.ChangeSet {
		ids[j] = contentID(r, j)
	}
	return ids
}

func contentID(r *d365.BatchRequest, j int) string {
	if r.ContentID != "" {
		return r.ContentID
	}
	return fmt.Sprint(j + 1)
}

// answer is the result of the request that part answers, with Content-ID
// id ("" outside change sets): a status outside 100-599 states nothing.
func (c *Client) answer(p *rawPart, id string) *d365.BatchResult {
	if p.status < 100 || p.status > 599 {
		return &d365.BatchResult{ContentID: id, Err: outcomeUnknown(fmt.Sprintf("the answer part's status %03d is not an HTTP status", p.status))}
	}
	r := c.result(p)
	if id != "" {
		r.ContentID = id
	}
	return r
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
// a change set's answer, its nested parts (or the error that made them
// unreadable).
type rawPart struct {
	contentID   string
	status      int
	header      http.Header
	body        []byte
	method, url string
	changeSet   bool
	nested      []*rawPart
	err         error
}

// failed reports whether the part is an HTTP response with an error status.
func (p *rawPart) failed() bool {
	return !p.changeSet && p.status >= 400 && p.status <= 599
}

// errNotMultipart is the error of an answer that is not a multipart one.
var errNotMultipart = errors.New("expected a multipart/mixed answer")

// readMultipart parses a multipart/mixed body whose Content-Type is ct. When
// the body ends early or a part cannot be read, it returns the parts read
// before, with the error. A change set whose nested parts cannot be read is
// a part with err set: the parts after it still line up.
func readMultipart(ct string, body []byte, depth int) ([]*rawPart, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("%w, got Content-Type %q", errNotMultipart, ct)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []*rawPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return parts, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return parts, err
		}
		pct := p.Header.Get("Content-Type")
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(pct)), "multipart/") {
			if depth > 0 {
				return parts, errors.New("change sets cannot be nested")
			}
			nested, err := readMultipart(pct, data, depth+1)
			if err != nil {
				err = fmt.Errorf("reading the change set: %w", err)
			}
			parts = append(parts, &rawPart{changeSet: true, nested: nested, err: err})
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(httpPart(data))), nil)
		if err != nil {
			return parts, fmt.Errorf("part %d is not an HTTP response: %w", len(parts)+1, err)
		}
		rb, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return parts, err
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
