package odata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365"
)

// Request is one OData request.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is relative to the service root and already escaped (build it
	// with EntityPath and CheckName), such as "leads(<id>)" or
	// "leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead".
	Path string
	// URL, when set, is an absolute URL on the service's host, such as an
	// @odata.nextLink; it replaces Path and Query.
	URL *url.URL
	// Query is the encoded query string, without '?'.
	Query string
	// Body is sent as JSON: []byte and json.RawMessage as they are, any
	// other value through encoding/json. Nil sends no body.
	Body any
	// ContentType overrides "application/json; charset=utf-8" for Body.
	ContentType string
	// Header holds extra headers, such as MSCRM.SuppressDuplicateDetection.
	Header http.Header
	// Prefer assembles the Prefer header.
	Prefer Prefer
	// IfMatch and IfNoneMatch set the conditional headers (an ETag or "*").
	IfMatch, IfNoneMatch string
	// Idempotent marks a request that may be sent twice with the same
	// effect, so that it is retried after failures that may hide a
	// completed operation (a lost connection, 502, 504). GET, HEAD, PUT,
	// DELETE and OPTIONS are idempotent without it.
	//
	// A write with a precondition of the caller's (an If-Match other than
	// "*", or an If-None-Match) is never idempotent, whatever this field
	// says: if a first attempt succeeded, a second one would meet the
	// record's new ETag and report a 412 for an update that was made. It
	// is still retried when the service says it did not act (429, 503) or
	// the connection could not be opened.
	Idempotent bool

	// rawErrors returns a response with an error status instead of an
	// error, for $batch, whose failures come as a multipart body.
	rawErrors bool
}

// Prefer holds the preferences sent in the Prefer header.
type Prefer struct {
	// ReturnRepresentation asks a create or update to answer with the
	// record (return=representation).
	ReturnRepresentation bool
	// Annotations asks for instance annotations: "*" for all, or a
	// pattern such as "OData.Community.Display.V1.FormattedValue".
	Annotations string
	// MaxPageSize asks for pages of at most this many records.
	MaxPageSize int
	// ContinueOnError asks a $batch to go on after a failed request.
	ContinueOnError bool
}

// String renders the Prefer header's value, "" when empty.
func (p Prefer) String() string {
	var parts []string
	if p.ReturnRepresentation {
		parts = append(parts, "return=representation")
	}
	if p.Annotations != "" {
		parts = append(parts, `odata.include-annotations="`+p.Annotations+`"`)
	}
	if p.MaxPageSize > 0 {
		parts = append(parts, "odata.maxpagesize="+strconv.Itoa(p.MaxPageSize))
	}
	if p.ContinueOnError {
		parts = append(parts, "odata.continue-on-error")
	}
	return strings.Join(parts, ",")
}

// Response is a successful (status below 400) response, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Attempts is how many times the request was sent.
	Attempts int

	// call holds the tokens the request sent, for the scrubber of errors
	// built from the body. A pointer, so that printing a Response with
	// %+v shows no token (and a field rather than a method value, which
	// would cost an allocation per call).
	call *call
}

// DecodeError is the package's DecodeError, with the texts also scrubbed of
// the tokens the request sent: use it for errors built from this
// response's body (the parts of a $batch answer).
func (r *Response) DecodeError(status int, header http.Header, body []byte, now time.Time) *d365.Error {
	e := DecodeError(status, header, body, now)
	r.scrub().error(e)
	return e
}

// scrub returns the scrubber of the request's tokens.
func (r *Response) scrub() scrubber {
	if r.call == nil {
		return scrubber{}
	}
	return r.call.scrub()
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(v any) error {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return fmt.Errorf("d365: the service answered %d with no body where a record was expected", r.StatusCode)
	}
	if err := unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("d365: decoding the response: %w", err)
	}
	return nil
}

// EntityKey returns the key of the record named in the OData-EntityId
// header of a create or upsert answered with 204, such as the GUID of
// "https://org/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)".
func (r *Response) EntityKey() (string, error) {
	id := headerValue(r.Header, "Odata-Entityid", "OData-EntityId")
	open, close := strings.LastIndexByte(id, '('), strings.LastIndexByte(id, ')')
	if id == "" || open < 0 || close < open {
		return "", fmt.Errorf("d365: the response has no usable OData-EntityId header (%q)", id)
	}
	return id[open+1 : close], nil
}

// headerValue is h.Get(spelling) for a header whose canonical name is
// canonical: net/http stores a response's headers under their canonical
// names, and Get would allocate to canonicalise a spelling that is not.
func headerValue(h http.Header, canonical, spelling string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return h.Get(spelling)
}

// resolve returns the request's absolute URL.
func (c *Client) resolve(r *Request) (*url.URL, error) {
	if r.URL != nil {
		if r.URL.Scheme != c.base.Scheme || !strings.EqualFold(r.URL.Host, c.base.Host) {
			return nil, d365.NewInputError("d365", "the request URL", "%s is not on the service's host %s: refusing to send it", RedactURL(r.URL), c.base.Host)
		}
		return r.URL, nil
	}
	if strings.HasPrefix(r.Path, "/") || strings.Contains(r.Path, "://") {
		return nil, d365.NewInputError("d365", "request path", "%q must be relative to the service root", r.Path)
	}
	path, _, _ := strings.Cut(r.Path, "?")
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return nil, d365.NewInputError("d365", "request path", "%q must not contain dot segments", r.Path)
		}
	}
	if c.plainBase && plainPath(r.Path) && plainQuery(r.Query) {
		// What url.Parse would return, without parsing the base again:
		// the path is its own unescaped form, and url.Parse keeps it as
		// RawPath too when net/url would escape some of its bytes.
		u := *c.base
		u.Path, u.RawPath, u.RawQuery = c.base.Path+r.Path, "", r.Query
		u.Fragment, u.RawFragment, u.ForceQuery = "", "", false
		if strings.ContainsAny(r.Path, "!'()*") {
			u.RawPath = u.Path
		}
		return &u, nil
	}
	s := c.baseStr + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("d365: request URL: %w", err)
	}
	return u, nil
}

// plainPath reports whether an escaped path is made only of bytes a path
// holds as they are (unreserved, sub-delimiters, ':', '@' and '/'; no '%'),
// so that url.Parse would keep it as it is, with no RawPath.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch b := p[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		default:
			switch b {
			case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/':
			default:
				return false
			}
		}
	}
	return true
}

// plainQuery reports whether url.Parse would keep an encoded query as it
// is: no fragment and no control byte.
func plainQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if b := q[i]; b < 0x20 || b == 0x7f || b == '#' {
			return false
		}
	}
	return true
}

// Do sends the request, retrying as the retry policy allows, and returns the
// response when its status is below 400. A failure reported by the service
// is a *d365.Error; a request that never got an answer fails with the
// transport's error, wrapped; a done context fails with ctx.Err(), wrapped.
// A context that ends while the call waits to retry after an answer (a 429,
// a 503) fails with an error matching ctx.Err() that also holds that
// answer's *d365.Error, so errors.Is(err, d365.ErrThrottled) still holds
// after a 429.
func (c *Client) Do(ctx context.Context, r *Request) (res *Response, err error) {
	err = c.exchange(ctx, r, false, func(resp *http.Response, st *call) (*Response, error) {
		data, readErr := readBody(resp, c.maxBody)
		if resp.StatusCode >= 400 && readErr != nil {
			return nil, c.statusError(ctx, st, resp, data)
		}
		if readErr != nil {
			return nil, c.failure(ctx, st, fmt.Errorf("reading the response: %w", readErr))
		}
		c.lim.succeeded(resp.Header)
		res = &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, Attempts: st.attempts, call: st}
		return res, nil
	})
	return res, err
}

// stream is Do for a response read as it arrives: read gets the body of a
// successful response (at most MaxResponseBytes of it; a longer announced
// Content-Length fails before read is called) and the scrubber of the
// request's tokens. An error read returns is the request's failure
// (wrapped, logged); read reports the body's own problems itself.
//
// The request's concurrency slot is given back once the response headers
// arrived, before read runs: the consumer of a listing may make other
// calls on the same client while the page is read (even with
// MaxConcurrency 1).
func (c *Client) stream(ctx context.Context, r *Request, read func(body io.Reader, scrub scrubber) error) error {
	return c.exchange(ctx, r, true, func(resp *http.Response, st *call) (*Response, error) {
		if n := resp.ContentLength; n > c.maxBody {
			return nil, c.failure(ctx, st, fmt.Errorf("reading the response: %w", &tooLargeError{limit: c.maxBody, size: n}))
		}
		c.lim.succeeded(resp.Header)
		if err := read(resp.Body, st.scrub()); err != nil {
			return nil, c.failure(ctx, st, err)
		}
		return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Attempts: st.attempts}, nil
	})
}

// exchange sends the request as Do describes and hands a response with a
// status below 400 (any status for a rawErrors request) to handle, before
// its body is closed. early gives the concurrency slot back before handle
// runs.
func (c *Client) exchange(ctx context.Context, r *Request, early bool, handle func(resp *http.Response, st *call) (*Response, error)) (err error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u, err := c.resolve(r)
	if err != nil {
		return err
	}
	var opts *appliedOptions
	if c.callOpts {
		if opts, err = callOptions(ctx); err != nil {
			return err
		}
		u = opts.url(u)
	}
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	case json.RawMessage:
		body = b
	default:
		if body, err = marshalBody(b); err != nil {
			return fmt.Errorf("d365: encoding the request body: %w", err)
		}
	}
	if err := c.lim.acquire(ctx); err != nil {
		return fmt.Errorf("d365: %s %s: waiting for a free connection slot: %w", method, RedactURL(u), err)
	}
	held := true
	release := func() {
		if held {
			held = false
			c.lim.release()
		}
	}
	defer release()

	st := &call{
		method:     method,
		u:          u,
		link:       r.URL != nil, // a next link: the service's text
		idempotent: (r.Idempotent || isIdempotent(method)) && !conditionalWrite(r, method),
	}
	st.tokens = st.tokenBuf[:0]
	var res *Response
	if c.tel != nil {
		st.tel = &callTelemetry{}
		st.tel.set, st.tel.action = c.target(u.EscapedPath())
		defer func() { c.tel.finished(ctx, st, res, err) }()
	}
	ctx = context.WithValue(ctx, callKey{}, st)
	// The request is built on u itself: rendering it to a string only to
	// parse it again costs a parse and its allocations on every call.
	req, err := http.NewRequestWithContext(ctx, method, "", nil)
	if err != nil {
		return fmt.Errorf("d365: building the request: %w", err)
	}
	req.URL, req.Host = u, u.Host
	c.setHeaders(req, r, method, body != nil)
	opts.set(req.Header)
	if err := c.wait(ctx, st, 0, false); err != nil {
		return c.failure(ctx, st, err)
	}
	if err := c.authorize(ctx, st, req); err != nil {
		return err
	}
	resp, err := c.send(req, body)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = ctxErr
		}
		return c.failure(ctx, st, err)
	}
	defer resp.Body.Close()
	reportResponse(ctx, st, resp)
	if resp.StatusCode >= 400 && !r.rawErrors {
		return c.statusError(ctx, st, resp, readErrorBody(resp))
	}
	if early {
		release()
	}
	res, err = handle(resp, st)
	return err
}

// authorize sets the Authorization header from the credential.
func (c *Client) authorize(ctx context.Context, st *call, req *http.Request) error {
	if c.cred == nil {
		return nil
	}
	tok, err := c.cred.Token(ctx, c.resource)
	if err != nil {
		return fmt.Errorf("d365: %s %s: getting a token for %s: %w", st.method, st.redactedURL(), c.resource, err)
	}
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("d365: %s %s: the credential returned an empty token for %s", st.method, st.redactedURL(), c.resource)
	}
	// The current token goes last: a 401 invalidates it.
	st.tokens = append(slices.DeleteFunc(st.tokens, func(t string) bool { return t == tok.AccessToken }), tok.AccessToken)
	req.Header["Authorization"] = c.bearer(tok.AccessToken)
	return nil
}

// bearer returns the Authorization header's value for the token, built once
// per token rather than once per request.
func (c *Client) bearer(token string) []string {
	if b := c.lastBearer.Load(); b != nil && b.token == token {
		return b.header
	}
	b := &bearerHeader{token: token, header: []string{"Bearer " + token}}
	c.lastBearer.Store(b)
	return b.header
}

// bearerHeader is the Authorization header of a token (a slice of length
// and capacity 1, shared by the requests that send the token).
type bearerHeader struct {
	token  string
	header []string
}

// scrub returns the scrubber of the tokens the call sent.
func (st *call) scrub() scrubber { return newScrubber(st.tokens...) }

// failure wraps an error for a request that got no usable answer, with
// every text scrubbed of the request's tokens and a transport error's URL
// redacted.
func (c *Client) failure(ctx context.Context, st *call, err error) error {
	err = st.scrub().err(err)
	c.log.LogAttrs(ctx, slog.LevelWarn, "d365: request failed",
		slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("attempts", st.attempts),
		slog.String("error", err.Error()))
	if st.attempts > 1 {
		return fmt.Errorf("d365: %s %s (%d attempts): %w", st.method, st.redactedURL(), st.attempts, err)
	}
	return fmt.Errorf("d365: %s %s: %w", st.method, st.redactedURL(), err)
}

// statusError builds, logs and returns the *d365.Error of a response with
// an error status, scrubbed of the request's tokens.
func (c *Client) statusError(ctx context.Context, st *call, resp *http.Response, body []byte) *d365.Error {
	e := DecodeError(resp.StatusCode, resp.Header, body, c.now())
	e.Method, e.URL, e.Attempts = st.method, st.redactedURL(), st.attempts
	st.scrub().error(e)
	c.log.LogAttrs(ctx, levelFor(resp.StatusCode), "d365: request failed",
		slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("attempts", st.attempts),
		slog.Int("status", resp.StatusCode), slog.String("request_id", e.RequestID))
	return e
}

// conditionalWrite reports whether r changes data under a precondition of
// the caller's: an If-Match other than "*" or any If-None-Match. Sending
// it again after an attempt that succeeded would fail the precondition.
func conditionalWrite(r *Request, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	for _, v := range append([]string{r.IfMatch}, r.Header.Values("If-Match")...) {
		if v = strings.TrimSpace(v); v != "" && v != "*" {
			return true
		}
	}
	return r.IfNoneMatch != "" || len(r.Header.Values("If-None-Match")) > 0
}

func (c *Client) setHeaders(h *http.Request, r *Request, method string, hasBody bool) {
	hd := h.Header
	for k, vs := range r.Header {
		for _, v := range vs {
			hd.Add(k, v)
		}
	}
	// The fixed headers, set under their canonical names (what Set would
	// store) with values shared by every request: net/http only reads
	// them, and Set would allocate a canonical name and a slice for each.
	hd["Accept"] = hdrAccept
	hd["Odata-Maxversion"] = hdrVersion
	hd["Odata-Version"] = hdrVersion
	hd["User-Agent"] = c.userAgentHdr
	if hasBody {
		if r.ContentType == "" {
			hd["Content-Type"] = hdrContentType
		} else {
			hd.Set("Content-Type", r.ContentType)
		}
	}
	if p := r.Prefer.String(); p != "" {
		hd.Set("Prefer", p)
	}
	if r.IfMatch != "" {
		hd.Set("If-Match", r.IfMatch)
	}
	switch {
	case r.IfNoneMatch != "":
		hd.Set("If-None-Match", r.IfNoneMatch)
	case c.bypassCache && method == http.MethodGet:
		hd.Set("If-None-Match", "null")
	}
	if c.caller != "" {
		hd.Set("CallerObjectId", c.caller)
	}
}

// The values of the fixed headers. Each slice has length and capacity 1,
// so that an Add to a request's header copies it instead of writing into
// the shared array.
var (
	hdrAccept      = []string{"application/json"}
	hdrVersion     = []string{"4.0"}
	hdrContentType = []string{"application/json; charset=utf-8"}
)

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// levelFor returns the log level of a failed response: throttling and
// server failures are warnings, client errors are for debugging (the caller
// gets them as errors anyway).
func levelFor(status int) slog.Level {
	if status == http.StatusTooManyRequests || status >= 500 {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}
