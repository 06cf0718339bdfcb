package odata

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// waitForDone is a RetryOptions.Sleep that never ends a wait by itself: it
// returns when the context is done, as the default sleep does during a
// Retry-After far longer than the context's deadline.
func waitForDone(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestContextDoneDuringRetryWaitKeepsTheAnswer: a context that ends while a
// call waits out a 429 or a 503 fails with an error that matches the
// context's error and still carries the service's answer, as a *d365.Error
// with its attempts and Retry-After (ErrThrottled for a 429 only).
func TestContextDoneDuringRetryWaitKeepsTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		ctx       func() (context.Context, context.CancelFunc)
		ctxErr    error
		throttled bool
	}{
		{"429 deadline", http.StatusTooManyRequests, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded, true},
		{"429 canceled", http.StatusTooManyRequests, nil, context.Canceled, true},
		{"503 deadline", http.StatusServiceUnavailable, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded, false},
		{"503 canceled", http.StatusServiceUnavailable, nil, context.Canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			waiting := make(chan struct{})
			c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Retry-After", "120")
				w.Header().Set("x-ms-service-request-id", "5b7d9a2e-0000-0000-0000-000000000042")
				w.WriteHeader(tc.status)
				w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`))
			}, func(c *Config) {
				c.Options.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
					close(waiting)
					return waitForDone(ctx, d)
				}
			})
			var ctx context.Context
			var cancel context.CancelFunc
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				go func() { <-waiting; cancel() }()
			}
			defer cancel()
			_, err := c.Do(ctx, &Request{Path: "leads"})
			if !errors.Is(err, tc.ctxErr) {
				t.Errorf("err = %v, want it to match %v", err, tc.ctxErr)
			}
			if got := errors.Is(err, d365.ErrThrottled); got != tc.throttled {
				t.Errorf("errors.Is(err, ErrThrottled) = %t, want %t (err = %v)", got, tc.throttled, err)
			}
			var e *d365.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want a *d365.Error in its chain", err, err)
			}
			if e.StatusCode != tc.status || e.Attempts != 1 || e.RetryAfter != 2*time.Minute ||
				e.Code != "0x80072322" || e.RequestID != "5b7d9a2e-0000-0000-0000-000000000042" {
				t.Errorf("error = %+v; want status %d, 1 attempt, RetryAfter 2m, code 0x80072322, the request id", e, tc.status)
			}
			want := tc.ctxErr.Error() + " while waiting to retry after " + strconv.Itoa(tc.status) + " " + http.StatusText(tc.status) + ": 0x80072322: "
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to contain %q", err, want)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("server calls = %d, want 1", n)
			}
		})
	}
}
