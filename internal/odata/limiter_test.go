package odata

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestThrottlingPausesEveryCaller(t *testing.T) {
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`))
			return
		}
		w.Write([]byte(`{}`))
	}, nil)
	ctx := context.Background()
	if _, err := c.Do(ctx, &Request{Path: "leads"}); err != nil {
		t.Fatal(err)
	}
	// The waits are skipped, so the 30 s pause is still ahead on the
	// clock: another request must wait for it before it is sent.
	if _, err := c.Do(ctx, &Request{Path: "accounts"}); err != nil {
		t.Fatal(err)
	}
	w := sl.waits()
	if len(w) != 2 || w[0] != 30*time.Second || w[1] <= 25*time.Second || w[1] > 30*time.Second {
		t.Errorf("waits = %v; want the throttled request's 30s, then about 30s for the next request", w)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
}

func TestConcurrencyRefusalHalvesTheCap(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"0x80072326","message":"Number of concurrent requests exceeded the limit of 52."}}`))
			return
		}
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Options.MaxConcurrency = 52 })
	if _, err := c.Do(context.Background(), &Request{Path: "leads"}); err != nil {
		t.Fatal(err)
	}
	// One success after the halving does not yet grow the cap back.
	if got := c.lim.current(); got != 26 {
		t.Errorf("cap = %d after a concurrency refusal, want 26", got)
	}
	for i := 0; i < 60; i++ {
		c.Do(context.Background(), &Request{Path: "leads"})
	}
	if got := c.lim.current(); got <= 26 || got > 52 {
		t.Errorf("cap = %d after 60 successes, want it growing back above 26", got)
	}
}

func TestBurstRemainingHeaderLowersTheCap(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-ratelimit-burst-remaining-xrm-requests", "5")
		w.Header().Set("x-ms-ratelimit-time-remaining-xrm-requests", "1199980.25")
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Options.MaxConcurrency = 52 })
	if _, err := c.Do(context.Background(), &Request{Path: "leads"}); err != nil {
		t.Fatal(err)
	}
	if got := c.lim.current(); got != 5 {
		t.Errorf("cap = %d with 5 requests left in the burst budget, want 5", got)
	}
}

func TestLimiterWaitsForAFreeSlot(t *testing.T) {
	l := newLimiter(1)
	ctx := context.Background()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- l.acquire(ctx) }()
	select {
	case <-got:
		t.Fatal("a second request got the only slot")
	case <-time.After(20 * time.Millisecond):
	}
	l.release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.acquire(cctx); err == nil {
		t.Error("acquire with a cancelled context succeeded while full")
	}
}
