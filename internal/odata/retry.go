package odata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/b2bflow/d365"
	"github.com/hashicorp/go-retryablehttp"
)

// attempt carries the state of one Do call across its attempts. The retry
// client calls its methods from the goroutine running Do, one at a time.
type attempt struct {
	c          *Client
	ctx        context.Context
	method     string
	url        string
	idempotent bool

	attempts  int       // requests sent so far
	retries   int       // retries spent (the refresh after a 401 is free)
	refreshed bool      // the token was refreshed after a 401
	token     string    // the access token of the current attempt
	tokens    []string  // every access token sent, to scrub from errors and logs
	scrubber  *scrubber // of tokens[:scrubbed], built when first needed
	scrubbed  int
	wait      time.Duration // the wait chosen by checkRetry for the next retry
	reason    string        // why the next retry happens, for the log
	sleepErr  error         // the context's error if a wait was cut short
	sleptTo   time.Time     // when this request's own last wait ended
	start     time.Time
}

// authorize sets the Authorization header from the credential.
func (a *attempt) authorize(req *http.Request) error {
	if a.c.cred == nil {
		return nil
	}
	tok, err := a.c.cred.Token(a.ctx, a.c.resource)
	if err != nil {
		return fmt.Errorf("d365: %s %s: getting a token for %s: %w", a.method, a.url, a.c.resource, err)
	}
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("d365: %s %s: the credential returned an empty token for %s", a.method, a.url, a.c.resource)
	}
	a.token = tok.AccessToken
	if !slices.Contains(a.tokens, a.token) {
		a.tokens = append(a.tokens, a.token)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// logRequest is the retry client's RequestLogHook: it counts attempts.
func (a *attempt) logRequest(_ retryablehttp.Logger, _ *http.Request, i int) {
	a.attempts = i + 1
	a.start = time.Now()
	a.c.log.LogAttrs(a.ctx, slog.LevelDebug, "d365: sending request",
		slog.String("method", a.method), slog.String("url", a.url), slog.Int("attempt", a.attempts))
}

// checkRetry decides whether to send the request again, and how long to wait
// first.
func (a *attempt) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if ok, _ := retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err); !ok || isPermanent(err) {
			return false, err // TLS, redirect loop, bad scheme, a transport's refusal: never retried
		}
		if !a.idempotent && !notSent(err) {
			// The server may have acted on the request before the
			// connection broke: sending it again could do it twice.
			return false, err
		}
		return a.retryAfterBackoff(fmt.Sprintf("connection failed: %v", a.scrub().err(err)), err)
	}
	a.c.log.LogAttrs(ctx, slog.LevelDebug, "d365: response",
		slog.String("method", a.method), slog.String("url", a.url), slog.Int("attempt", a.attempts),
		slog.Int("status", resp.StatusCode), slog.Duration("elapsed", elapsed(a.start)))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		inv, ok := a.c.cred.(d365.TokenInvalidator)
		if !ok || a.refreshed {
			return false, nil
		}
		inv.InvalidateToken(a.c.resource, a.token)
		a.refreshed = true
		a.wait, a.reason = 0, "401 Unauthorized: refreshing the token"
		return true, nil
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// The service did not act on the request: always safe to retry.
		d, ok := RetryAfter(resp.Header, a.c.now())
		if resp.StatusCode == http.StatusTooManyRequests {
			// Every request of the client waits, not only this one; but
			// a wait above the ceiling only fails this request (below):
			// the client's other requests do not pause for it.
			pause := d
			if pause > a.c.retry.maxRetryAfter {
				pause = 0
			}
			a.c.lim.throttled(a.c.now(), pause, throttleCode(resp))
		}
		if ok {
			if d > a.c.retry.maxRetryAfter {
				a.c.log.LogAttrs(ctx, slog.LevelWarn, "d365: not retrying: the service asks for a wait above RetryOptions.MaxRetryAfter",
					slog.String("method", a.method), slog.String("url", a.url), slog.Int("status", resp.StatusCode),
					slog.Duration("retry_after", d), slog.Duration("max_retry_after", a.c.retry.maxRetryAfter))
				return false, nil
			}
			if a.retries >= a.c.retry.maxRetries {
				return false, nil
			}
			a.retries++
			a.wait, a.reason = d, fmt.Sprintf("%d %s, Retry-After %s", resp.StatusCode, http.StatusText(resp.StatusCode), d)
			return true, nil
		}
		return a.retryAfterBackoff(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), nil)
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if !a.idempotent {
			return false, nil
		}
		return a.retryAfterBackoff(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), nil)
	}
	return false, nil
}

// retryAfterBackoff schedules a retry after an exponential backoff, if
// retries remain. err is what to report when none do.
func (a *attempt) retryAfterBackoff(reason string, err error) (bool, error) {
	if a.retries >= a.c.retry.maxRetries {
		return false, err
	}
	a.wait, a.reason = a.c.retry.backoff(a.retries), reason
	a.retries++
	return true, nil
}

// backoff is the retry client's Backoff: it waits itself, with the
// injectable sleep, and returns zero so that the retry client goes on at
// once. A wait cut short by the context is remembered for prepareRetry.
func (a *attempt) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	a.c.log.LogAttrs(a.ctx, slog.LevelInfo, "d365: retrying",
		slog.String("method", a.method), slog.String("url", a.url), slog.Int("attempt", a.attempts),
		slog.String("reason", a.reason), slog.Duration("wait", a.wait))
	a.sleptTo = a.c.now().Add(a.wait)
	if err := a.c.retry.sleep(a.ctx, a.wait); err != nil {
		a.sleepErr = err
	}
	return 0
}

// waitForPause waits until the client-wide pause set by a 429 has passed.
func (a *attempt) waitForPause() error {
	// The time this request already spent waiting counts, even when the
	// clock did not move (tests skip the waits).
	now := a.c.now()
	if a.sleptTo.After(now) {
		now = a.sleptTo
	}
	d := a.c.lim.until(now)
	if d <= 0 {
		return nil
	}
	a.c.log.LogAttrs(a.ctx, slog.LevelDebug, "d365: waiting for the service's Retry-After",
		slog.String("method", a.method), slog.String("url", a.url), slog.Duration("wait", d))
	return a.c.retry.sleep(a.ctx, d)
}

// prepareRetry is the retry client's PrepareRetry: it stops when the wait
// was cut short and signs the new attempt with a current token (which may
// have been refreshed during a long wait).
func (a *attempt) prepareRetry(req *http.Request) error {
	if a.sleepErr != nil {
		return a.sleepErr
	}
	if err := a.ctx.Err(); err != nil {
		return err
	}
	if err := a.waitForPause(); err != nil {
		return err
	}
	return a.authorize(req)
}

// throttleCode reads the Dataverse error code of a 429 without consuming
// its body (it is drained for the retry afterwards).
func throttleCode(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	// The body is read again later (for the error) or drained and closed
	// (for a retry): keep its Close, so that the connection is released.
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	if err != nil {
		return ""
	}
	var doc struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	return doc.Error.Code
}

// readCloser joins a reader and the closer of the body it reads.
type readCloser struct {
	io.Reader
	io.Closer
}

// scrub returns the scrubber of the tokens this request sent.
func (a *attempt) scrub() scrubber {
	if a.scrubber == nil || a.scrubbed != len(a.tokens) {
		s := newScrubber(a.tokens...)
		a.scrubber, a.scrubbed = &s, len(a.tokens)
	}
	return *a.scrubber
}

// failure wraps an error for a request that got no usable answer, with
// every text scrubbed of the request's tokens and a transport error's URL
// redacted.
func (a *attempt) failure(err error) error {
	err = a.scrub().err(err)
	a.c.log.LogAttrs(a.ctx, slog.LevelWarn, "d365: request failed",
		slog.String("method", a.method), slog.String("url", a.url), slog.Int("attempts", a.attempts),
		slog.String("error", err.Error()))
	if a.attempts > 1 {
		return fmt.Errorf("d365: %s %s (%d attempts): %w", a.method, a.url, a.attempts, err)
	}
	return fmt.Errorf("d365: %s %s: %w", a.method, a.url, err)
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

// logAttrs are the attributes of the record logged for a failed response.
func logAttrs(a *attempt, status int, requestID string) []slog.Attr {
	return []slog.Attr{
		slog.String("method", a.method), slog.String("url", a.url), slog.Int("attempts", a.attempts),
		slog.Int("status", status), slog.String("request_id", requestID),
	}
}
