package odata

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// Retry defaults; see d365.RetryOptions.
const (
	DefaultMaxRetries    = 6
	DefaultMinBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Config describes one service for New.
type Config struct {
	// BaseURL is the service root, such as
	// https://contoso.crm.dynamics.com/api/data/v9.2/. It must already be
	// validated (see ServiceURL).
	BaseURL *url.URL
	// Resource is the token audience, such as https://contoso.crm.dynamics.com.
	Resource string
	// Credential signs the requests. Nil sends no Authorization header.
	Credential d365.Credential
	// Options are the caller's options.
	Options d365.ClientOptions
	// DefaultMaxConcurrency applies when Options.MaxConcurrency is zero.
	DefaultMaxConcurrency int
	// BypassCache sends "If-None-Match: null" on reads, as Dataverse
	// recommends to skip its caches.
	BypassCache bool
	// CallOptions makes every request send the d365.CallOptions of its
	// context (Dataverse's per-call headers and tag); without it they are
	// ignored, as Finance and Operations does not know them.
	CallOptions bool
	// Now tells the time, to read Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Boundary returns a unique string for the multipart boundaries of
	// $batch requests; nil means random UUIDs. Tests set it so that
	// recorded batches match.
	Boundary func() string

	// transport is the transport when Options.HTTPClient is nil; nil
	// makes a pooled one. Tests set it to reach TLS and HTTP/2 servers
	// through the client the SDK builds itself.
	transport *http.Transport
}

// Client sends OData requests to one service. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseStr string
	// plainBase is true when the base has no escapes, query or fragment:
	// resolve may then build a plain path's URL without url.Parse.
	plainBase bool
	resource  string
	cred      d365.Credential
	http      *http.Client
	log       *slog.Logger
	userAgent string
	// userAgentHdr is the User-Agent header's value, shared by every
	// request.
	userAgentHdr []string
	// lastBearer is the Authorization header of the last token sent.
	lastBearer  atomic.Pointer[bearerHeader]
	caller      string
	bypassCache bool
	callOpts    bool
	retry       retryPolicy
	lim         *limiter
	maxBody     int64
	now         func() time.Time
	boundary    func() string
	tel         *telemetry // nil when telemetry is off
}

// New returns a client for the service cfg describes.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == nil {
		return nil, d365.NewInputError("d365", "the service URL", "is missing")
	}
	o := cfg.Options
	c := &Client{
		base:        cfg.BaseURL,
		baseStr:     cfg.BaseURL.String(),
		resource:    cfg.Resource,
		cred:        cfg.Credential,
		log:         o.Logger,
		caller:      o.CallerObjectID,
		bypassCache: cfg.BypassCache,
		callOpts:    cfg.CallOptions,
		now:         cfg.Now,
		boundary:    cfg.Boundary,
		tel:         newTelemetry(o.TracerProvider, o.MeterProvider),
	}
	b := cfg.BaseURL
	c.plainBase = b.RawPath == "" && b.RawQuery == "" && !b.ForceQuery && b.Fragment == "" && b.Opaque == "" &&
		strings.HasSuffix(b.Path, "/")
	c.maxBody = o.MaxResponseBytes
	switch {
	case c.maxBody == 0:
		c.maxBody = DefaultMaxResponseBytes
	case c.maxBody < 0:
		return nil, d365.NewInputError("d365", "ClientOptions.MaxResponseBytes", "(%d) is negative", c.maxBody)
	}
	c.http = newHTTPClient(o.HTTPClient, cfg.transport,
		bound(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		bound(o.BodyIdleTimeout, DefaultBodyIdleTimeout))
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.boundary == nil {
		c.boundary = uuid.NewString
	}
	c.userAgent = "d365-go/" + d365.Version
	if ua := strings.TrimSpace(o.UserAgent); ua != "" {
		if strings.ContainsAny(ua, "\r\n") {
			return nil, d365.NewInputError("d365", "ClientOptions.UserAgent", "must not contain line breaks")
		}
		c.userAgent = ua + " " + c.userAgent
	}
	c.userAgentHdr = []string{c.userAgent}
	if strings.ContainsAny(c.caller, "\r\n") {
		return nil, d365.NewInputError("d365", "ClientOptions.CallerObjectID", "must not contain line breaks")
	}
	r := o.Retry
	c.retry = retryPolicy{
		maxRetries:    r.MaxRetries,
		minBackoff:    r.MinBackoff,
		maxBackoff:    r.MaxBackoff,
		maxRetryAfter: r.MaxRetryAfter,
		sleep:         r.Sleep,
	}
	switch {
	case c.retry.maxRetries == 0:
		c.retry.maxRetries = DefaultMaxRetries
	case c.retry.maxRetries < 0:
		c.retry.maxRetries = 0
	}
	if c.retry.minBackoff <= 0 {
		c.retry.minBackoff = DefaultMinBackoff
	}
	if c.retry.maxBackoff <= 0 {
		c.retry.maxBackoff = DefaultMaxBackoff
	}
	if c.retry.maxBackoff < c.retry.minBackoff {
		return nil, d365.NewInputError("d365", "RetryOptions.MaxBackoff", "(%s) is below MinBackoff (%s)", c.retry.maxBackoff, c.retry.minBackoff)
	}
	if c.retry.maxRetryAfter <= 0 {
		c.retry.maxRetryAfter = DefaultMaxRetryAfter
	}
	if c.retry.sleep == nil {
		c.retry.sleep = sleep
	}
	n := o.MaxConcurrency
	if n == 0 {
		n = cfg.DefaultMaxConcurrency
	}
	c.lim = newLimiter(max(n, 0))
	c.http.Transport = &attemptLog{next: c.http.Transport, log: c.log, tel: c.tel}
	return c, nil
}

// bound applies the default of a per-attempt bound: zero means def, a
// negative value none.
func bound(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// BaseURL returns the service root. The caller must not modify it.
func (c *Client) BaseURL() *url.URL { return c.base }

// Resource returns the token audience: the service's URL, such as
// https://contoso.crm.dynamics.com.
func (c *Client) Resource() string { return c.resource }

// Logger returns the client's logger (never nil).
func (c *Client) Logger() *slog.Logger { return c.log }
