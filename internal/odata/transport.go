package odata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/b2bflow/d365"
	"github.com/hashicorp/go-cleanhttp"
)

// Per-attempt bounds; see d365.ClientOptions.
const (
	// DefaultResponseHeaderTimeout bounds the wait for a response's
	// headers: dual-write lets a synchronous transaction run for up to two
	// minutes, so a write can legitimately take that long.
	DefaultResponseHeaderTimeout = 3 * time.Minute
	// DefaultBodyIdleTimeout bounds each read of a response body.
	DefaultBodyIdleTimeout = time.Minute
	// DefaultMaxResponseBytes caps a response body read into memory.
	DefaultMaxResponseBytes = 128 << 20
)

// drainLimit is how much of an unread body is drained before closing it,
// so that its connection can be reused; a longer body closes the
// connection instead.
const drainLimit = 64 << 10

// maxRedirects is how many same-origin redirects a GET follows.
const maxRedirects = 10

// newHTTPClient returns the client the SDK sends with: a copy of the
// caller's (or a pooled client), with the redirect policy of
// checkRedirect and the per-attempt bounds of attemptTransport.
//
// own is the transport to use when user is nil (nil: a pooled one).
func newHTTPClient(user *http.Client, own *http.Transport, header, idle time.Duration) *http.Client {
	if user == nil {
		// The SDK's own transport: nobody else uses it, so it can
		// bound the headers itself.
		if own == nil {
			own = cleanhttp.DefaultPooledTransport()
		}
		return wrapHTTPClient(&http.Client{Transport: own}, own, header, idle)
	}
	return wrapHTTPClient(user, nil, header, idle)
}

// wrapHTTPClient is newHTTPClient for the client user; own is its
// transport when the SDK made it (nil for a caller's client, whose
// transport is never changed).
func wrapHTTPClient(user *http.Client, own *http.Transport, header, idle time.Duration) *http.Client {
	hc := *user
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	userCheck := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via); err != nil {
			return err
		}
		if userCheck != nil {
			return userCheck(req, via)
		}
		return nil
	}
	t := &attemptTransport{next: next, header: header, idle: idle}
	if own != nil {
		own.ResponseHeaderTimeout = header
		t.native = true
	}
	hc.Transport = t
	return &hc
}

// redirectError reports a redirect the client refused to follow. It is
// permanent: sending the request again would meet the same redirect.
type redirectError struct {
	method   string // the method of the original request
	status   int
	location string // redacted
	why      string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("the service answered %s with a %d redirect to %s: not followed: %s",
		e.method, e.status, e.location, e.why)
}

// Permanent marks the error as one a retry cannot fix.
func (e *redirectError) Permanent() bool { return true }

// checkRedirect allows a redirect only for GET and HEAD, and only to the
// scheme, host and port of the original request, so that the bearer token
// and the request body never reach anything but the service, and a POST
// is never turned into a GET reported as a success.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	e := &redirectError{method: first.Method, status: status, location: RedactURL(req.URL)}
	switch {
	case first.Method != http.MethodGet && first.Method != http.MethodHead:
		e.why = "only GET and HEAD requests follow redirects"
		return e
	case !sameOrigin(req.URL, first.URL):
		e.why = fmt.Sprintf("a redirect may not leave %s", Origin(first.URL))
		return e
	case len(via) >= maxRedirects:
		e.why = fmt.Sprintf("stopped after %d redirects", len(via))
		return e
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (an explicit default port equals none).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// stallError reports an attempt whose response stopped coming: no headers
// within the header bound, or a body read that waited past the idle bound.
type stallError struct {
	what   string // "response headers" or "the response body"
	limit  time.Duration
	option string
}

func (e *stallError) Error() string {
	if e.what == stallHeaders {
		return fmt.Sprintf("no response headers within %s (ClientOptions.%s)", e.limit, e.option)
	}
	return fmt.Sprintf("the response body sent nothing for %s (ClientOptions.%s)", e.limit, e.option)
}

// Is makes the error match d365.ErrTimeout.
func (e *stallError) Is(target error) bool { return target == d365.ErrTimeout }

// Timeout reports true, as net.Error timeouts do.
func (e *stallError) Timeout() bool { return true }

const stallHeaders = "response headers"

// attemptTransport bounds each attempt: the wait for the response headers,
// and each read of the body. It cancels the attempt's own context when a
// bound is passed, so it works with any transport that honours the
// request's context. Its bodies drain a bounded remainder on Close, so that
// a retried or refused response gives its connection back.
//
// On the SDK's own *http.Transport (native), the transport bounds the
// headers (its ResponseHeaderTimeout, set to the same bound) and a stalled
// body is cut by closing it, which ends a blocked read as cancelling does:
// an attempt then costs no context of its own, and, for a response without
// a body (a create's 204), no timer of ours. A cancellable context on each
// request costs net/http about 4% of a create on loopback (measured with
// BenchmarkLeadPaired), more than the transport's own timer does.
type attemptTransport struct {
	next         http.RoundTripper
	header, idle time.Duration
	native       bool
}

// nativeBodyLimit is the largest request body an attempt sends with the
// native bounds. The transport's header bound starts once the request is
// written, and a body this small is written at once into the connection's
// buffers (below TCP's and HTTP/2's smallest default windows), so that the
// bound still runs from the moment the attempt is sent; a larger body could
// stall on a server that stops reading, before any bound started.
const nativeBodyLimit = 16 << 10

// RoundTrip sends one attempt.
func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.native && (req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 && req.ContentLength <= nativeBodyLimit) {
		return t.roundTripNative(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	// One allocation holds the attempt's state, its two errors and the
	// body; one timer bounds first the headers, then each read.
	a := t.newAttempt()
	a.cancel = cancel
	if t.header > 0 {
		a.timer = time.AfterFunc(t.header, a.fire)
	}
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if a.timer != nil && !a.timer.Stop() {
		// The bound passed: whatever came back is cut off.
		if err == nil {
			resp.Body.Close()
		}
		cancel(nil)
		return nil, &a.headerStall
	}
	if err != nil {
		cancel(nil)
		if t.native && isHeaderTimeout(err) {
			return nil, &a.headerStall
		}
		return nil, err
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		// Nothing to bound or drain: the attempt is over.
		cancel(nil)
		resp.Body = http.NoBody
		return resp, nil
	}
	a.mu.Lock()
	a.reading = true
	a.mu.Unlock()
	a.rc = resp.Body
	resp.Body = a
	return resp, nil
}

// newAttempt returns the state of one attempt, with its two errors.
func (t *attemptTransport) newAttempt() *attemptBody {
	return &attemptBody{
		idle:        t.idle,
		headerStall: stallError{what: stallHeaders, limit: t.header, option: "ResponseHeaderTimeout"},
		idleStall:   stallError{what: "the response body", limit: t.idle, option: "BodyIdleTimeout"},
	}
}

// roundTripNative is RoundTrip on the SDK's own transport: the transport
// bounds the headers, and the body, if any, is an attemptBody without a
// context, which a stalled read cuts by closing it.
func (t *attemptTransport) roundTripNative(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		if isHeaderTimeout(err) {
			return nil, &t.newAttempt().headerStall
		}
		return nil, err
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		resp.Body = http.NoBody
		return resp, nil
	}
	a := t.newAttempt()
	a.reading, a.rc = true, resp.Body
	resp.Body = a
	return resp, nil
}

// isHeaderTimeout reports whether err is net/http's (or its HTTP/2
// transport's) error for a response whose headers did not come within
// Transport.ResponseHeaderTimeout.
func isHeaderTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout() && strings.Contains(err.Error(), "timeout awaiting response headers")
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *attemptTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// attemptBody is an attempt's state: the bound on its response headers,
// then, as the response body, an idle bound on each read and a bounded
// drain on Close. A bound that passes cancels the attempt's context, or,
// without one (the SDK's own transport), closes the body, which ends a
// blocked read as cancelling does.
type attemptBody struct {
	rc          io.ReadCloser
	cancel      context.CancelCauseFunc // nil on the SDK's own transport
	idle        time.Duration
	headerStall stallError
	idleStall   stallError

	mu      sync.Mutex // guards timer, reading, closed and stalled
	timer   *time.Timer
	reading bool // the headers came: the timer bounds the body's reads
	closed  bool
	stalled *stallError // the bound that passed, nil while none has
}

// fire cuts the attempt when its timer passes a bound.
func (b *attemptBody) fire() {
	b.mu.Lock()
	stalled := &b.headerStall
	if b.reading {
		stalled = &b.idleStall
	}
	b.stalled = stalled
	b.mu.Unlock()
	if b.cancel != nil {
		b.cancel(stalled)
	} else {
		b.rc.Close()
	}
}

// Read reads from the body, failing with a *stallError when nothing comes
// for the idle bound.
func (b *attemptBody) Read(p []byte) (int, error) {
	if b.idle > 0 {
		b.mu.Lock()
		if b.timer == nil {
			b.timer = time.AfterFunc(b.idle, b.fire)
		} else {
			b.timer.Reset(b.idle)
		}
		b.mu.Unlock()
	}
	n, err := b.rc.Read(p)
	if b.idle > 0 {
		b.mu.Lock()
		b.timer.Stop()
		b.mu.Unlock()
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.stalled != nil {
			err = b.stalled
		}
		b.mu.Unlock()
	}
	return n, err
}

// Close drains what is left of the body up to drainLimit, so that the
// connection can carry the next request, then closes it.
func (b *attemptBody) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	io.Copy(io.Discard, io.LimitReader(b, drainLimit))
	err := b.rc.Close()
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	if b.cancel != nil {
		b.cancel(nil)
	}
	return err
}

// isPermanent reports whether a transport marked its error as one that
// trying again cannot fix, through a method Permanent() bool (a test
// transport that has no recorded answer for a request does).
func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// notSent reports whether a transport error happened before the request
// could reach the server (the connection could not be opened), so that even
// a non-idempotent request is safe to send again.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// attemptLog counts and logs each attempt where it happens: as it goes out
// through the transport. A redirect it follows is part of the same attempt.
type attemptLog struct {
	next http.RoundTripper
	log  *slog.Logger
	tel  *telemetry // nil when telemetry is off
}

// RoundTrip sends one attempt.
func (t *attemptLog) RoundTrip(req *http.Request) (*http.Response, error) {
	st := callOf(req.Context())
	if st == nil || req.Response != nil {
		return t.next.RoundTrip(req)
	}
	st.attempts++
	ctx := req.Context()
	if t.log.Enabled(ctx, slog.LevelDebug) {
		t.log.LogAttrs(ctx, slog.LevelDebug, "d365: sending request",
			slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("attempt", st.attempts))
	}
	start := time.Now()
	if t.tel != nil {
		actx, span := t.tel.startAttempt(ctx, st)
		st.tel.waited = 0
		if span != nil {
			req = req.WithContext(actx)
		}
		resp, err := t.logged(req, st, start)
		t.tel.endAttempt(ctx, st, span, resp, err)
		return resp, err
	}
	return t.logged(req, st, start)
}

// logged sends the attempt and logs its response.
func (t *attemptLog) logged(req *http.Request, st *call, start time.Time) (*http.Response, error) {
	ctx := req.Context()
	resp, err := t.next.RoundTrip(req)
	if err == nil && t.log.Enabled(ctx, slog.LevelDebug) {
		t.log.LogAttrs(ctx, slog.LevelDebug, "d365: response",
			slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("attempt", st.attempts),
			slog.Int("status", resp.StatusCode), slog.Duration("elapsed", time.Since(start).Round(time.Millisecond)))
	}
	return resp, err
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *attemptLog) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
