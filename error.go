package d365

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors matched by [Error.Is], so that callers can write
// errors.Is(err, d365.ErrNotFound) without looking at status codes.
var (
	// ErrNotFound: the record or resource does not exist (404).
	ErrNotFound = errors.New("d365: not found")
	// ErrPreconditionFailed: an If-Match or If-None-Match condition did not
	// hold (412): the record changed since it was read, or an upsert found
	// a record where none was allowed.
	ErrPreconditionFailed = errors.New("d365: precondition failed")
	// ErrThrottled: the service protection limits were hit (429) and the
	// client gave up, either because the retries ran out or because the
	// service asked for a wait longer than RetryOptions.MaxRetryAfter,
	// or because the context ended during the wait (the error then also
	// matches the context's error). Error.RetryAfter tells how long the
	// service asked to wait.
	ErrThrottled = errors.New("d365: throttled")
	// ErrUnauthorized: the service refused the token (401).
	ErrUnauthorized = errors.New("d365: unauthorized")
	// ErrForbidden: the caller lacks a privilege for the operation (403).
	ErrForbidden = errors.New("d365: forbidden")
	// ErrResponseTooLarge: a response body was larger than
	// ClientOptions.MaxResponseBytes. The request may have been carried
	// out: only its answer was refused.
	ErrResponseTooLarge = errors.New("d365: response too large")
	// ErrTimeout: the service sent no response headers within
	// ClientOptions.ResponseHeaderTimeout, or a response body sent nothing
	// for longer than ClientOptions.BodyIdleTimeout. The request may have
	// been carried out.
	ErrTimeout = errors.New("d365: the service stopped answering")
)

// ErrOutcomeUnknown is the error of a request whose fate the service's
// answer does not state: the request may or may not have been applied.
// Read the data back before sending it again. It comes with a request of a
// $batch whose answer does not line up with the batch (no part for the
// request, a part of the wrong kind, more parts than requests, a change set
// answer whose Content-IDs do not match its requests one to one, an answer
// cut off), and with a $batch holding changes whose answer was lost or could
// not be read whole. Match it with errors.Is: the error's text says what was
// wrong with the answer.
var ErrOutcomeUnknown = errors.New("d365: outcome unknown: the request may or may not have been applied; read the data back before sending it again")

// Error is a failure reported by a Dynamics 365 service: any response with a
// status of 400 or more, whatever its body (a Dataverse or Finance and
// Operations JSON error, an HTML page from a proxy or the sign-in service, an
// empty or truncated body).
//
// Use errors.As to read its fields and errors.Is with the sentinel errors
// (ErrNotFound, ErrPreconditionFailed, ErrThrottled, ErrUnauthorized,
// ErrForbidden). An Error never contains an access token.
type Error struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the service's error code: for Dataverse a hexadecimal code
	// such as "0x80040217" (see the Dataverse error code reference), often
	// empty for Finance and Operations.
	Code string
	// Message is the service's message, or a description of what came back
	// when the body held no readable error.
	Message string
	// Details holds the extra members Dataverse adds when annotations are
	// requested, keyed by their name without the
	// "@Microsoft.PowerApps.CDS." prefix: for example "HelpLink",
	// "TraceText", "InnerError.Message" or "ErrorDetails.OperationStatus".
	Details map[string]string
	// Inner is the innererror member, sent by Finance and Operations and
	// by Dataverse in some configurations. Nil when absent.
	Inner *InnerError
	// RetryAfter is the wait the service asked for in its Retry-After
	// header (429 and 503 responses), zero when it asked for none.
	RetryAfter time.Duration
	// RequestID is the service's id for the request (the
	// x-ms-service-request-id header of Dataverse, the request id headers
	// of Finance and Operations), to quote in a support case.
	RequestID string
	// Method and URL identify the request. Query parameters that could hold
	// a secret are redacted from URL.
	Method, URL string
	// Attempts is how many times the request was sent, retries included.
	Attempts int
}

// InnerError is the innererror member of an OData error.
type InnerError struct {
	Message    string `json:"message,omitempty"`
	Type       string `json:"type,omitempty"`
	StackTrace string `json:"stacktrace,omitempty"`
	// Inner is the next innererror (internalexception) in the chain.
	Inner *InnerError `json:"internalexception,omitempty"`
}

// Error renders the failure on one line: what was sent, the status, the
// service's code and message, and the request id.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("d365: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
	}
	if e.URL != "" {
		b.WriteString(e.URL)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Inner != nil && e.Inner.Message != "" && e.Inner.Message != e.Message {
		b.WriteString(" (")
		b.WriteString(e.Inner.Message)
		b.WriteByte(')')
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " [retry after %s]", e.RetryAfter)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " [%d attempts]", e.Attempts)
	}
	return b.String()
}

// Is reports whether the error matches one of the sentinel errors, from its
// status code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	}
	return false
}

// Temporary reports whether trying the same request again later may succeed:
// throttling, an unavailable service or a gateway failure.
func (e *Error) Temporary() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable,
		http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}
