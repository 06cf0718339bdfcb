package d365

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ClientOptions configures the Sales and the Commerce clients. The zero value
// is ready to use: every field has a sensible default.
type ClientOptions struct {
	// HTTPClient sends the requests. Nil means a client with pooled
	// connections. The SDK uses a copy of it (the caller's client is never
	// modified) whose redirect policy follows a redirect only for GET and
	// HEAD and only to the same scheme, host and port: any other redirect
	// fails the request with an error naming its Location, and nothing is
	// sent there. A CheckRedirect of the caller's client is consulted after
	// that rule.
	HTTPClient *http.Client

	// MaxResponseBytes caps the size of a response body the client reads
	// (one record, one page of a listing, one $batch answer). A larger
	// body fails the request with an error matching ErrResponseTooLarge,
	// and nothing past the cap is read. Reading a body allocates this much
	// heap at most when the service sends its Content-Length, and less
	// than twice as much when it does not (a compressed or chunked answer
	// grows its buffer by doubling, up to the cap).
	//
	// The pages of List and Pages are not read into memory: their records
	// are decoded as the body arrives, and only the record being decoded
	// is held (so a record can never be larger than the cap either). The
	// cap still bounds a page as a whole: a page announcing a larger
	// Content-Length fails before any record; one that turns out larger
	// yields the records that came within the cap, then the error.
	//
	// Zero means 128 MiB, room for a page of 5,000 Dataverse records with
	// every annotation; a negative value is an error. The body of an error
	// response is always read only up to its first 64 KiB.
	MaxResponseBytes int64

	// ResponseHeaderTimeout bounds each attempt from the moment it is
	// sent (its body included) until the response headers arrive. Zero
	// means 3 minutes (a
	// synchronous dual-write transaction may take two); a negative value
	// means no bound. A request that runs out of it fails with an error
	// matching ErrTimeout, and is retried when it is idempotent. With the
	// SDK's own transport (HTTPClient nil), opening a connection is
	// bounded by that transport's dial and TLS handshake timeouts (30 and
	// 10 seconds) before this bound starts.
	ResponseHeaderTimeout time.Duration

	// BodyIdleTimeout bounds how long a response body may send nothing:
	// it is the wait for each read of the body, not a total, so a large
	// body that keeps coming is never cut. Zero means 1 minute; a negative
	// value means no bound. A body that stalls fails the request with an
	// error matching ErrTimeout.
	BodyIdleTimeout time.Duration

	// Retry configures retries of throttled and failed requests.
	Retry RetryOptions

	// MaxConcurrency caps how many requests the client has in flight at
	// once. Zero means the service's documented limit (52 for Dataverse);
	// a negative value means no limit.
	MaxConcurrency int

	// Logger receives a record for every attempt and every retry. Nil means
	// silence. Records never contain the Authorization header or a token.
	Logger *slog.Logger

	// UserAgent is put before the SDK's own "d365-go/<version>" product
	// token in the User-Agent header, to name the program using the SDK.
	UserAgent string

	// CallerObjectID, when set, makes Dataverse run every request on behalf
	// of the Microsoft Entra ID user with this object id (the CallerObjectId
	// header). The calling application user needs the
	// prvActOnBehalfOfAnotherUser privilege. Ignored by Finance and
	// Operations. CallOptions.CallerObjectID (WithCallOptions) replaces it
	// for the calls of one context.
	CallerObjectID string

	// TracerProvider, when set, receives a client span for every HTTP
	// attempt, named "<METHOD> <entity set>[/<action>]", with the method,
	// the entity set, the bound action, the attempt number, the wait
	// before it, the status and the service's request id. Nil means no
	// spans. Spans never carry a URL, a header, a body, a token or a
	// record's values.
	TracerProvider trace.TracerProvider

	// MeterProvider, when set, receives the counters d365.client.requests,
	// d365.client.attempts and d365.client.retries and the histogram
	// d365.client.throttle.waits (seconds). Nil means no metrics.
	MeterProvider metric.MeterProvider
}

// RetryOptions configures how requests are retried.
//
// A request is retried when the service says it did not act on it: 429 Too
// Many Requests and 503 Service Unavailable (after the Retry-After the
// service asks for), and a connection that could not be opened. Other
// failures that may hide a completed operation (502 and 504 from a gateway,
// a connection reset after the request was sent) are retried only for
// idempotent requests: GET, HEAD, PUT, DELETE, PATCH of a record by key, and
// POSTs the SDK made idempotent (client-chosen record ids, state checks).
type RetryOptions struct {
	// MaxRetries is how many times a request is retried after its first
	// attempt. Zero means the default, 6; a negative value disables retries.
	MaxRetries int

	// MinBackoff and MaxBackoff bound the exponential backoff, with jitter,
	// used when the service gives no Retry-After. Defaults: 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration

	// MaxRetryAfter is the longest Retry-After the client waits for. When
	// the service asks for a longer wait, the request fails at once with an
	// *Error that matches ErrThrottled and carries the RetryAfter the
	// service asked for, so the caller can decide; the client's other
	// requests are not paused for it. Zero means 5 minutes, the longest
	// wait Dataverse's service protection limits impose.
	MaxRetryAfter time.Duration

	// Sleep takes every wait of a request: before each retry (for the
	// Retry-After or the backoff; for nothing before the retry that follows
	// a token refresh), and before a first attempt while the client is
	// paused by a 429 (see MaxRetryAfter). It must return early with
	// ctx.Err() when ctx is done. Nil means a real timer; tests set it to
	// record the waits without taking them. The SDK waits through Sleep
	// only: its retry loop has no timer of its own.
	Sleep func(ctx context.Context, d time.Duration) error
}
