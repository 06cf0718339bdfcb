package odata

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/b2bflow/d365"
	"github.com/hashicorp/go-retryablehttp"
)

// The retry rules, applied by send to every answer of a request:
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
// request's context, so that the transport (attemptLog) finds it; send and
// its hooks run one at a time on the goroutine of Do.
type call struct {
	method     string
	u          *url.URL // the request's URL; see redactedURL
	link       bool     // u is a next link, the service's text: scrub it of the tokens too
	url        string   // u redacted, once redactedURL made it
	idempotent bool
	refreshed  bool // the token was refreshed after a 401

	attempts int            // requests sent, counted by attemptLog as they go out
	retries  int            // retries spent (the refresh after a 401 is free)
	tokens   []string       // every access token sent, the current one last
	wait     time.Duration  // chosen by checkRetry, taken by prepareRetry
	tel      *callTelemetry // nil when telemetry is off

	answer     *http.Response // the answer a retry waits out, nil after a lost connection
	answerBody []byte         // its body, read before send drains it

	tokenBuf [2]string // tokens' first array: most calls send one token
}

// redactedURL is the call's URL for logs and errors: redacted (see
// RedactURL) and, for a next link, scrubbed of the tokens sent so far. It
// is made when first needed (most calls never log or fail) and kept,
// except a next link's: the tokens it is scrubbed of grow as the call
// signs in and refreshes, so it is scrubbed again each time.
func (st *call) redactedURL() string {
	if st.url == "" && st.u != nil {
		st.url = RedactURL(st.u)
	}
	if st.link {
		return st.scrub().text(st.url)
	}
	return st.url
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
	// The status text, for the log of a retry: built only for one.
	status := func() string { return strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode) }
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if _, ok := c.cred.(d365.TokenInvalidator); !ok || st.refreshed {
			return verdict{}
		}
		return verdict{retry: true, free: true, reason: status() + ": refreshing the token"}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d, ok := RetryAfter(resp.Header, c.now())
		switch {
		case ok && d > p.maxRetryAfter:
			return verdict{tooLong: d}
		case ok:
			return spend(d, fmt.Sprintf("%s, Retry-After %s", status(), d))
		}
		return spend(p.backoff(st.retries), status())
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if st.idempotent {
			return spend(p.backoff(st.retries), status())
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

// send sends req until the rules stop retrying it: the loop
// go-retryablehttp ran for the client (its CheckRetry and PrepareRetry were
// checkRetry and prepareRetry), kept here so that a call costs no more than
// its attempts. The client waits itself, in prepareRetry, because a retry's
// wait goes through RetryOptions.Sleep (tests use it to prove the waits
// taken without taking them) and also covers the client-wide pause, which
// another request may extend. The budget is kept by decide; the loop is
// only bounded, at the budget plus the one free refresh.
//
// body, when not nil, is sent afresh by every attempt. On an error the
// response, if any, is returned too, and the caller closes it.
func (c *Client) send(req *http.Request, body []byte) (*http.Response, error) {
	ctx := req.Context()
	if body != nil {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return newBodyReader(body), nil }
	}
	limit := c.retry.maxRetries + 1
	for i := 0; ; i++ {
		if body != nil {
			req.Body = newBodyReader(body)
		}
		resp, doErr := c.http.Do(req)
		retry, checkErr := c.checkRetry(ctx, resp, doErr)
		if !retry {
			if doErr == nil && checkErr == nil {
				return resp, nil
			}
			c.http.CloseIdleConnections()
			if checkErr != nil {
				return resp, checkErr
			}
			return resp, doErr
		}
		if i >= limit {
			c.http.CloseIdleConnections()
			return resp, doErr
		}
		if doErr == nil {
			drainBody(resp.Body)
		}
		if err := ctx.Err(); err != nil {
			c.http.CloseIdleConnections()
			return nil, err
		}
		// A shallow copy, so that the new body does not race with the
		// transport closing the previous attempt's.
		next := *req
		req = &next
		if err := c.prepareRetry(req); err != nil {
			c.http.CloseIdleConnections()
			return resp, err
		}
	}
}

// drainBody reads a little of a retried answer, so that its connection can
// carry the retry, and closes it.
func drainBody(body io.ReadCloser) {
	defer body.Close()
	io.Copy(io.Discard, io.LimitReader(body, 4096))
}

// newBodyReader returns one attempt's request body. It is an
// io.NopCloser of a *bytes.Reader, which net/http knows to be in memory:
// with any other type it writes the headers and the body in two writes.
func newBodyReader(b []byte) io.ReadCloser {
	return io.NopCloser(bytes.NewReader(b))
}

// checkRetry applies the rules to an attempt's answer and records the
// decision in the call.
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
			slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("status", resp.StatusCode),
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
		slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Int("attempt", st.attempts),
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

// prepareRetry takes the wait
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
		e.Method, e.URL, e.Attempts = st.method, st.redactedURL(), st.attempts
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
				slog.String("method", st.method), slog.String("url", st.redactedURL()), slog.Duration("wait", d))
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
