package d365

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// ClientOptions configures the Sales and the Commerce clients. The zero value
// is ready to use: every field has a sensible default.
type ClientOptions struct {
	// HTTPClient sends the requests. Nil means a client with pooled
	// connections and sensible timeouts. Its redirect policy should keep
	// Go's default, which drops the Authorization header on a redirect to
	// another host.
	HTTPClient *http.Client

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
	// Operations.
	CallerObjectID string
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
	// service asked for, so the caller can decide. Zero means 5 minutes,
	// the longest wait Dataverse's service protection limits impose.
	MaxRetryAfter time.Duration

	// Sleep waits between attempts. It must return early with ctx.Err()
	// when ctx is done. Nil means a real timer; tests set it to observe or
	// skip the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}
