package odata

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry, through the OpenTelemetry API only: the program using the SDK
// brings the SDK and its exporters, and sets d365.ClientOptions.TracerProvider
// and MeterProvider. Without either nothing is recorded and nothing is spent.
//
// What is recorded names the request, never its data: the method, the entity
// set and the bound action (without the key, which may be an alternate key
// made of a record's values), the status, the service's request id, the
// attempt number, the wait and an error code. Never the URL, its query, a
// header, a body, a token or an error message.

// ScopeName is the instrumentation scope of the clients' spans and metrics.
const ScopeName = "github.com/b2bflow/d365"

// Span and metric names.
const (
	MetricRequests = "d365.client.requests"       // counter: calls, by final status
	MetricAttempts = "d365.client.attempts"       // counter: attempts sent, by status
	MetricRetries  = "d365.client.retries"        // counter: retries, by reason
	MetricWaits    = "d365.client.throttle.waits" // histogram (s): waits before an attempt
)

// Attribute keys.
const (
	AttrMethod     = attribute.Key("http.request.method")
	AttrStatus     = attribute.Key("http.response.status_code")
	AttrErrorType  = attribute.Key("error.type")
	AttrEntitySet  = attribute.Key("d365.entity_set") // the first path segment: an entity set, or an unbound action or function (WinOpportunity)
	AttrAction     = attribute.Key("d365.action")     // a bound action or function, without its namespace (QualifyLead)
	AttrAttempt    = attribute.Key("d365.attempt")
	AttrAttempts   = attribute.Key("d365.attempts")
	AttrRequestID  = attribute.Key("d365.request_id")
	AttrRetryWait  = attribute.Key("d365.retry.wait")   // seconds waited before the attempt
	AttrRetryWhy   = attribute.Key("d365.retry.reason") // "429", "503", "502", "504", "401", "connection"
	AttrWaitCause  = attribute.Key("d365.wait.cause")   // "retry" or "pause"
	AttrErrorCode  = attribute.Key("d365.error.code")   // the service's error code, such as 0x80040217
	maxAttrLength  = 128
	errTypeFailure = "transport"
)

// callTelemetry is what telemetry keeps of one call (a pointer in call, so
// that a call without telemetry stays as small as before).
type callTelemetry struct {
	set, action string        // the entity set and bound action
	waited      time.Duration // waited before the next attempt, for its span
}

// telemetry holds the instruments of one client; nil when it is off.
type telemetry struct {
	tracer   trace.Tracer
	requests metric.Int64Counter
	attempts metric.Int64Counter
	retries  metric.Int64Counter
	waits    metric.Float64Histogram
}

// newTelemetry returns the client's instruments, or nil when neither
// provider is set.
func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) *telemetry {
	if tp == nil && mp == nil {
		return nil
	}
	t := &telemetry{}
	if tp != nil {
		t.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(d365.Version))
	}
	if mp != nil {
		m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(d365.Version))
		// The API's constructors return a working no-op instrument with
		// their error, so an error here never disables the rest.
		t.requests, _ = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
			metric.WithDescription("Requests made (one per call, whatever its attempts), by final status."))
		t.attempts, _ = m.Int64Counter(MetricAttempts, metric.WithUnit("{attempt}"),
			metric.WithDescription("HTTP attempts sent, retries included, by status."))
		t.retries, _ = m.Int64Counter(MetricRetries, metric.WithUnit("{retry}"),
			metric.WithDescription("Retries decided, by reason."))
		t.waits, _ = m.Float64Histogram(MetricWaits, metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
			metric.WithDescription("Waits before an attempt: a retry's Retry-After or backoff, or the client-wide pause a 429 set."))
	}
	return t
}

// target names the request for telemetry: the entity set (the first path
// segment without its key) and the bound action or function (the last
// segment, when namespace-qualified, without its namespace). Anything that
// is not a plain identifier is dropped.
func (c *Client) target(path string) (set, action string) {
	path, ok := strings.CutPrefix(path, c.base.EscapedPath())
	if !ok {
		return "", ""
	}
	path = strings.TrimPrefix(path, "/")
	first, rest, _ := strings.Cut(path, "/")
	set = identifier(first)
	if rest != "" {
		last := rest[strings.LastIndexByte(rest, '/')+1:]
		if i := strings.LastIndexByte(last, '.'); i >= 0 {
			action = identifier(last[i+1:])
		}
	}
	return set, action
}

// identifier returns s up to its first '(' when that is an OData
// identifier (letters, digits, '_', or "$batch"-like names), else "".
func identifier(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	if s == "" || len(s) > maxAttrLength {
		return ""
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		case r == '$' && i == 0:
		default:
			return ""
		}
	}
	return s
}

// attrs returns the attributes naming the call.
func (st *call) attrs(extra ...attribute.KeyValue) []attribute.KeyValue {
	a := make([]attribute.KeyValue, 0, 3+len(extra))
	a = append(a, AttrMethod.String(st.method))
	if st.tel.set != "" {
		a = append(a, AttrEntitySet.String(st.tel.set))
	}
	if st.tel.action != "" {
		a = append(a, AttrAction.String(st.tel.action))
	}
	return append(a, extra...)
}

// spanName is "<METHOD> <entity set>[/<action>]".
func (st *call) spanName() string {
	name := st.method
	if st.tel.set != "" {
		name += " " + st.tel.set
	}
	if st.tel.action != "" {
		name += "/" + st.tel.action
	}
	return name
}

// startAttempt starts the span of one attempt.
func (t *telemetry) startAttempt(ctx context.Context, st *call) (context.Context, trace.Span) {
	if t.tracer == nil {
		return ctx, nil
	}
	a := st.attrs(AttrAttempt.Int(st.attempts))
	if st.tel.waited > 0 {
		a = append(a, AttrRetryWait.Float64(st.tel.waited.Seconds()))
	}
	return t.tracer.Start(ctx, st.spanName(), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(a...))
}

// endAttempt ends the span of one attempt and counts it.
func (t *telemetry) endAttempt(ctx context.Context, st *call, span trace.Span, resp *http.Response, err error) {
	var a []attribute.KeyValue
	errType := ""
	switch {
	case err != nil:
		errType = transportErrorType(ctx, err)
	case resp.StatusCode >= 400:
		errType = strconv.Itoa(resp.StatusCode)
	}
	if err == nil {
		a = append(a, AttrStatus.Int(resp.StatusCode))
		if id := requestID(resp.Header); id != "" {
			a = append(a, AttrRequestID.String(id))
		}
	}
	if errType != "" {
		a = append(a, AttrErrorType.String(errType))
	}
	if span != nil {
		span.SetAttributes(a...)
		if errType != "" {
			span.SetStatus(codes.Error, errType)
		}
		span.End()
	}
	if t.attempts != nil {
		m := st.attrs()
		if err == nil {
			m = append(m, AttrStatus.Int(resp.StatusCode))
		}
		if errType != "" {
			m = append(m, AttrErrorType.String(errType))
		}
		t.attempts.Add(ctx, 1, metric.WithAttributes(m...))
	}
}

// retried counts a retry decided for reason.
func (t *telemetry) retried(ctx context.Context, st *call, reason string) {
	if t.retries != nil {
		t.retries.Add(ctx, 1, metric.WithAttributes(st.attrs(AttrRetryWhy.String(reason))...))
	}
}

// waited records a wait before an attempt.
func (t *telemetry) waited(ctx context.Context, st *call, d time.Duration, retry bool) {
	if t.waits == nil || d <= 0 {
		return
	}
	cause := "pause"
	if retry {
		cause = "retry"
	}
	t.waits.Record(ctx, d.Seconds(), metric.WithAttributes(st.attrs(AttrWaitCause.String(cause))...))
}

// finished counts a call by its outcome.
func (t *telemetry) finished(ctx context.Context, st *call, resp *Response, err error) {
	if t.requests == nil {
		return
	}
	a := st.attrs(AttrAttempts.Int(st.attempts))
	var de *d365.Error
	switch {
	case err == nil && resp != nil:
		a = append(a, AttrStatus.Int(resp.StatusCode))
	case errors.As(err, &de):
		a = append(a, AttrStatus.Int(de.StatusCode), AttrErrorType.String(strconv.Itoa(de.StatusCode)))
		if code := errorCode(de.Code); code != "" {
			a = append(a, AttrErrorCode.String(code))
		}
	case err != nil:
		a = append(a, AttrErrorType.String(transportErrorType(ctx, err)))
	}
	t.requests.Add(ctx, 1, metric.WithAttributes(a...))
}

// retryReason classes a verdict's answer for the retries metric.
func retryReason(resp *http.Response) string {
	if resp == nil {
		return "connection"
	}
	return strconv.Itoa(resp.StatusCode)
}

// transportErrorType classes an error without its text (which may carry a
// URL).
func transportErrorType(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, d365.ErrTimeout):
		return "timeout"
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return "canceled"
	}
	return errTypeFailure
}

// requestID returns the service's name for the request, if it is a plain
// token.
func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return plainToken(v)
		}
	}
	return ""
}

// errorCode returns a service error code such as "0x80040217" or
// "BadRequest" when it is a plain token (a code is never a record's value,
// but a malformed body could put anything there).
func errorCode(s string) string { return plainToken(s) }

// plainToken returns s when it is short and made of letters, digits and
// "-_.:", else "".
func plainToken(s string) string {
	if len(s) > maxAttrLength {
		return ""
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.:", r):
		default:
			return ""
		}
	}
	return s
}
