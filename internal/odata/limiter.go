package odata

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Dataverse's service protection error codes (the "error.code" of a 429).
const (
	codeTooManyRequests   = "0x80072322" // requests per window
	codeExecutionTime     = "0x80072321" // combined execution time per window
	codeTooManyConcurrent = "0x80072326" // concurrent requests
)

// limiter is a client-wide, adaptive admission control:
//
//   - a concurrency cap that starts at the configured maximum, halves when
//     the service refuses a request for concurrency (or reports its burst
//     budget nearly spent) and grows back by one slot per window of
//     successful requests (additive increase, multiplicative decrease);
//   - a pause shared by every caller: when the service answers 429 with a
//     Retry-After, no request of this client is sent before that time, not
//     only the one that was refused.
//
// A zero max means no cap; the pause applies all the same.
type limiter struct {
	mu       sync.Mutex
	max      int
	limit    float64 // current cap, 1 <= limit <= max
	inflight int
	changed  chan struct{} // closed and replaced when a slot frees or the cap grows, if waiters > 0
	waiters  int           // acquire calls waiting on changed
	pause    time.Time     // no request before this time
	// lowered is true while limit is below max: a success without the
	// burst header changes nothing otherwise, and is not worth the lock.
	lowered atomic.Bool
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, limit: float64(max), changed: make(chan struct{})}
}

// acquire takes a slot, waiting while the client is at its cap.
func (l *limiter) acquire(ctx context.Context) error {
	if l.max <= 0 {
		return ctx.Err()
	}
	for {
		l.mu.Lock()
		if float64(l.inflight) < math.Floor(l.limit) {
			l.inflight++
			l.mu.Unlock()
			return nil
		}
		ch := l.changed
		l.waiters++
		l.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
		l.mu.Lock()
		l.waiters--
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// release frees a slot.
func (l *limiter) release() {
	if l.max <= 0 {
		return
	}
	l.mu.Lock()
	l.inflight--
	l.wake()
	l.mu.Unlock()
}

// wake signals the waiters; l.mu must be held. With none, it does nothing:
// no one holds the channel (a waiter counts itself while it holds it).
func (l *limiter) wake() {
	if l.waiters == 0 {
		return
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// until returns how long a request must still wait for the shared pause.
func (l *limiter) until(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.pause.Sub(now); d > 0 {
		return d
	}
	return 0
}

// throttled records a 429: every request waits until now+retryAfter, and a
// refusal for concurrency halves the cap.
func (l *limiter) throttled(now time.Time, retryAfter time.Duration, code string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := now.Add(retryAfter); t.After(l.pause) {
		l.pause = t
	}
	if code == codeTooManyConcurrent && l.max > 0 {
		l.limit = math.Max(1, math.Floor(l.limit/2))
		l.lowered.Store(l.limit < float64(l.max))
	}
}

// succeeded records a successful response and its rate-limit headers: the
// cap grows back by one slot per cap's worth of successes, and shrinks to
// the burst budget the service reports when that budget is smaller than
// the requests in flight.
func (l *limiter) succeeded(h http.Header) {
	if l.max <= 0 {
		return
	}
	v := headerValue(h, "X-Ms-Ratelimit-Burst-Remaining-Xrm-Requests", "x-ms-ratelimit-burst-remaining-xrm-requests")
	if v == "" && !l.lowered.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.lowered.Store(l.limit < float64(l.max)) }()
	if v != "" {
		if remaining, err := strconv.Atoi(v); err == nil && remaining >= 0 && float64(remaining) < l.limit {
			l.limit = math.Max(1, float64(remaining))
			return
		}
	}
	if l.limit < float64(l.max) {
		before := math.Floor(l.limit)
		l.limit = math.Min(float64(l.max), l.limit+1/l.limit)
		if math.Floor(l.limit) > before {
			l.wake()
		}
	}
}

// current returns the cap, for tests and logs.
func (l *limiter) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
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
