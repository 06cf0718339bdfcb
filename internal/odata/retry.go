package odata

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/b2bflow/d365"
	"github.com/hashicorp/go-retryablehttp"
)

// The retry rules, applied by go-retryablehttp to every answer of a request:
//
//   - 401 Unauthorized: once, at once, with a refreshed token. The refresh
//     is free: it spends no retry.
//   - 429 and 503: the service did not act, so any request is retried,
//     after the Retry-After the service asks for (or a backoff when it asks
//     for none). A Retry-After above MaxRetryAfter fails at once. A 429
//     also pauses every request of the client (see limiter).
//   - 502, 504 and a lost connection: retried only when the request is
//     idempotent, since the service may have acted on it.
//   - A connection that could not be opened: always retried.
//   - A TLS failure, a refused redirect, a bad scheme or a transport's
//     permanent error: never retried.
//   - At most MaxRetries retries.
//
// Every attempt, the first included, first waits out the client-wide pause
// a 429 set.

// retryPolicy is d365.RetryOptions with the defaults applied.
type retryPolicy struct {
	maxRetries             int
	minBackoff, maxBackoff time.Duration
	maxRetryAfter          time.Duration
	sleep                  func(context.Context, time.Duration) error
}

// call is the state of one Do call across its attempts. It travels in the
// request's context, so that the client's single retryablehttp.Client
// serves every request; its hooks run one at a time on the goroutine of Do.
type call struct {
	method, url string // the URL redacted, for logs and errors
	idempotent  bool
	refreshed   bool // the token was refreshed after a 401

	attempts int            // requests sent, counted by attemptLog as they go out
	retries  int            // retries spent (the refresh after a 401 is free)
	tokens   []string       // every access token sent, the current one last
	wait     time.Duration  // chosen by checkRetry, taken by prepareRetry
	tel      *callTelemetry // nil when telemetry is off

	answer     *http.Response // the answer a retry waits out, nil after a lost connection
	answerBody []byte         // its body, read before retryablehttp drains it
}

type callKey struct{}

// callOf returns the state of the call ctx belongs to, or nil.
func callOf(ctx context.Context) *call {
	st, _ := ctx.Value(callKey{}).(*call)
	return st
}

// verdict is what the rules decide about one answer.
type verdict struct {
	retry   bool
	wait    time.Duration
	reason  string        // why the retry, for the log
	free    bool          // the retry spends no retry (the 401 refresh)
	tooLong time.Duration // a Retry-After above the ceiling, for the log
}

// decide applies the rules to an answer (resp, or the transport's err).
// It changes nothing.
func (c *Client) decide(ctx context.Context, st *call, resp *http.Response, err error) verdict {
	p := c.retry
	spend := func(wait time.Duration, reason string) verdict {
		if st.retries >= p.maxRetries {
			return verdict{}
		}
		return verdict{retry: true, wait: wait, reason: reason}
	}
	if err != nil {
		if ok, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err); !ok || isPermanent(err) {
			return verdict{}
		}
		if !st.idempotent && !notSent(err) {
			return verdict{} // the service may have acted before the connection broke
		}
		return spend(p.backoff(st.retries), fmt.Sprintf("connection failed: %v", st.scrub().err(err)))
	}
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if _, ok := c.cred.(d365.TokenInvalidator); !ok || st.refreshed {
			return verdict{}
		}
		return verdict{retry: true, free: true, reason: status + ": refreshing the token"}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d, ok := RetryAfter(resp.Header, c.now())
		switch {
		case ok && d > p.maxRetryAfter:
			return verdict{tooLong: d}
		case ok:
			return spend(d, fmt.Sprintf("%s, Retry-After %s", status, d))
		}
		return spend(p.backoff(st.retries), status)
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if st.idempotent {
			return spend(p.backoff(st.retries), status)
		}
	}
	return verdict{}
}

// backoff returns the wait before retry number n (0-based) when the service
// gave no Retry-After: exponential from min to max, with the upper half
// randomised ("equal jitter") so that clients do not retry in lockstep.
func (p retryPolicy) backoff(n int) time.Duration {
	d := p.minBackoff
	for i := 0; i < n && d < p.maxBackoff; i++ {
		d *= 2
	}
	if d > p.maxBackoff {
		d = p.maxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// newRetryClient returns the client's one retryablehttp.Client.
//
// Its Backoff is zero: the client waits itself, in prepareRetry, because
// retryablehttp waits with a timer of its own that RetryOptions.Sleep
// cannot replace (and tests use Sleep to prove the waits taken without
// taking them), and because a retry's wait also covers the client-wide
// pause, which another request may extend. The budget is kept by decide;
// RetryMax only bounds the loop, at the budget plus the one free refresh.
func (c *Client) newRetryClient() *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   c.http,
		RetryMax:     c.retry.maxRetries + 1,
		CheckRetry:   c.checkRetry,
		Backoff:      func(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 },
		PrepareRetry: c.prepareRetry,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// checkRetry is the retry client's CheckRetry: it applies the rules and
// records the decision in the call.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := callOf(ctx)
	v := c.decide(ctx, st, resp, err)
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		c.throttled(resp, v.tooLong == 0)
	}
	if v.tooLong > 0 {
		c.log.LogAttrs(ctx, slog.LevelWarn, "d365: not retrying: the service asks for a wait above RetryOptions.MaxRetryAfter",
			slog.String("method", st.method), slog.String("url", st.url), slog.Int("status", resp.StatusCode),
			slog.Duration("retry_after", v.tooLong), slog.Duration("max_retry_after", c.retry.maxRetryAfter))
	}
	if !v.retry {
		return false, err
	}
	if v.free {
		c.cred.(d365.TokenInvalidator).InvalidateToken(c.resource, st.tokens[len(st.tokens)-1])
		st.refreshed = true
	} else {
		st.retries++
	}
	if c.tel != nil {
		c.tel.retried(ctx, st, retryReason(resp))
	}
	st.wait = v.wait
	st.answer, st.answerBody = resp, nil
	if resp != nil {
		st.answerBody = readErrorBody(resp)
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "d365: retrying",
		slog.String("method", st.method), slog.String("url", st.url), slog.Int("attempt", st.attempts),
		slog.String("reason", v.reason), slog.Duration("wait", v.wait))
	return true, nil
}

// throttled tells the limiter about a 429: every request of the client
// waits for its Retry-After, unless the wait is above the ceiling (then only
// this request fails; the others do not pause for it).
func (c *Client) throttled(resp *http.Response, honoured bool) {
	var pause time.Duration
	if honoured {
		pause, _ = RetryAfter(resp.Header, c.now())
	}
	c.lim.throttled(c.now(), pause, throttleCode(resp))
}

// prepareRetry is the retry client's PrepareRetry: it takes the wait
// checkRetry chose and signs the new attempt with a current token (which may
// have been refreshed during a long wait).
func (c *Client) prepareRetry(req *http.Request) error {
	ctx := req.Context()
	st := callOf(ctx)
	if err := c.wait(ctx, st, st.wait, true); err != nil {
		if st.answer == nil {
			return err
		}
		e := DecodeError(st.answer.StatusCode, st.answer.Header, st.answerBody, c.now())
		e.Method, e.URL, e.Attempts = st.method, st.url, st.attempts
		st.scrub().error(e)
		return &waitCut{err: err, answer: e}
	}
	return c.authorize(ctx, st, req)
}

// waitCut is the error of a call whose context ended while it waited to
// retry: it matches the context's error and keeps the answer waited out
// (errors.As finds the *d365.Error, errors.Is matches ErrThrottled after a
// 429).
type waitCut struct {
	err    error
	answer *d365.Error
}

func (w *waitCut) Error() string {
	e := w.answer
	msg := fmt.Sprintf("%v while waiting to retry after %d %s", w.err, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (w *waitCut) Unwrap() []error { return []error{w.err, w.answer} }

// wait waits d, the request's own wait, or longer if the client-wide pause
// a 429 set reaches further. A retry always goes through RetryOptions.Sleep,
// even for nothing; a first attempt only when it must wait.
func (c *Client) wait(ctx context.Context, st *call, d time.Duration, retry bool) error {
	end := c.now().Add(d)
	for {
		if p := c.lim.until(end); p > 0 {
			d, end = d+p, end.Add(p)
			c.log.LogAttrs(ctx, slog.LevelDebug, "d365: waiting for the service's Retry-After",
				slog.String("method", st.method), slog.String("url", st.url), slog.Duration("wait", d))
		}
		if d <= 0 && !retry {
			return nil
		}
		if err := c.retry.sleep(ctx, d); err != nil {
			return err
		}
		if c.tel != nil && d > 0 {
			st.tel.waited += d
			c.tel.waited(ctx, st, d, retry)
		}
		if c.lim.until(end) <= 0 {
			return nil // no other request extended the pause meanwhile
		}
		d, retry = 0, false
	}
}

// sleep is the default RetryOptions.Sleep: it waits for d or until ctx is
// done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
