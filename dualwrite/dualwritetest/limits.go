package dualwritetest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits are the Dataverse service protection limits the emulator enforces,
// per user (the bearer token and the CallerObjectId or MSCRMCallerID
// header): requests per sliding window and concurrent requests. A request
// over a limit is answered 429 with Retry-After and Dataverse's error body.
// Zero fields are not enforced.
type Limits struct {
	// Requests is the number of requests allowed per Window (Dataverse:
	// 6,000 per 300 seconds).
	Requests int
	// Window is the sliding window of Requests; 300s when zero.
	Window time.Duration
	// Concurrent is the number of requests allowed at once (Dataverse: 52).
	Concurrent int
	// ConcurrentRetryAfter is the Retry-After of a request refused for
	// concurrency; 1s when zero.
	ConcurrentRetryAfter time.Duration
}

type limiter struct {
	l        Limits
	mu       sync.Mutex
	requests map[string][]time.Time
	inflight map[string]int
	now      func() time.Time
}

func newLimiter(l Limits) *limiter {
	if l.Window <= 0 {
		l.Window = 300 * time.Second
	}
	if l.ConcurrentRetryAfter <= 0 {
		l.ConcurrentRetryAfter = time.Second
	}
	return &limiter{l: l, requests: map[string][]time.Time{}, inflight: map[string]int{}, now: time.Now}
}

func userOf(r *http.Request) string {
	u := r.Header.Get("Authorization")
	if c := r.Header.Get("CallerObjectId"); c != "" {
		u += "|" + c
	} else if c := r.Header.Get("MSCRMCallerID"); c != "" {
		u += "|" + c
	}
	return u
}

// acquire counts a request. It returns a release func, or a non-zero status
// with the error to answer and the wait to ask for.
func (lm *limiter) acquire(r *http.Request, h http.Header) (release func(), status int, code, msg string, retry time.Duration) {
	user := userOf(r)
	lm.mu.Lock()
	defer lm.mu.Unlock()
	now := lm.now()
	if lm.l.Requests > 0 {
		times := lm.requests[user]
		cut := 0
		for cut < len(times) && now.Sub(times[cut]) >= lm.l.Window {
			cut++
		}
		times = times[cut:]
		lm.requests[user] = times
		if len(times) >= lm.l.Requests {
			retry = times[0].Add(lm.l.Window).Sub(now)
			h.Set("x-ms-ratelimit-burst-remaining-xrm-requests", "0")
			return nil, http.StatusTooManyRequests, "0x80072322",
				fmt.Sprintf("Number of requests exceeded the limit of %d over time window of %d seconds.",
					lm.l.Requests, int(lm.l.Window.Seconds())), retry
		}
	}
	if lm.l.Concurrent > 0 && lm.inflight[user] >= lm.l.Concurrent {
		return nil, http.StatusTooManyRequests, "0x80072326",
			fmt.Sprintf("Number of concurrent requests exceeded the limit of %d.", lm.l.Concurrent),
			lm.l.ConcurrentRetryAfter
	}
	if lm.l.Requests > 0 {
		lm.requests[user] = append(lm.requests[user], now)
		h.Set("x-ms-ratelimit-burst-remaining-xrm-requests", strconv.Itoa(lm.l.Requests-len(lm.requests[user])))
	}
	h.Set("x-ms-ratelimit-time-remaining-xrm-requests", "1200000.00")
	lm.inflight[user]++
	return func() {
		lm.mu.Lock()
		lm.inflight[user]--
		lm.mu.Unlock()
	}, 0, "", "", 0
}

// MaxBatchRequests is the most requests the emulator accepts in one $batch,
// as Dataverse; a $batch with more is refused with 400 and nothing runs.
//
// The service protection limits ([Options.Limits]) and the faults count a
// $batch as one request, whatever it holds; its requests are never
// limited nor faulted one by one. Real Dataverse is stricter: the
// combined execution time limit adds up the work of every request inside
// a batch (the emulator does not model that limit), so large batches can
// be throttled there when they are not here.
const MaxBatchRequests = 1000

// MaxBulkTargets is the most targets the emulator accepts in one
// CreateMultiple or UpdateMultiple (more: 400, nothing written); the
// limits count such a request as one, whatever its size. The cap is the
// same as a $batch's; whether Dataverse enforces exactly this number for
// bulk messages is not verified here.
const MaxBulkTargets = 1000
