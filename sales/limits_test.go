package sales_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

var (
	limitsCreates = flag.Int("limits.creates", 1200, "creates in TestThroughputAtTheServiceProtectionLimits (the issue's figure: 5000)")
	limitsWindow  = flag.Duration("limits.window", 3*time.Second, "the emulator's service protection window (the issue's figure: 30s)")
	limitsPerWin  = flag.Int("limits.requests", 300, "requests allowed per window (the issue's figure: 600)")
)

// TestThroughputAtTheServiceProtectionLimits creates leads one request
// each, from 52 goroutines, against the emulator with Dataverse's service
// protection limits on (scaled down so that the test is short): every
// create must succeed, and the run must use at least 90% of what the
// limits allow. The limits allow Requests per sliding Window, so n
// requests cannot finish sooner than (ceil(n / Requests) - 1) × Window:
// the throughput used is that ideal time over the time taken.
//
// The full figure:
//
//	go test ./sales -run ThroughputAtTheServiceProtectionLimits -v \
//	    -limits.creates=5000 -limits.window=30s -limits.requests=600
func TestThroughputAtTheServiceProtectionLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("measures throughput over several windows")
	}
	n, window, perWindow := *limitsCreates, *limitsWindow, *limitsPerWin
	srv := dualwritetest.NewServer(&dualwritetest.Options{Limits: &dualwritetest.Limits{
		Requests: perWindow, Window: window, Concurrent: 52,
	}})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), &d365.ClientOptions{
		Retry: d365.RetryOptions{MaxRetries: 50},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 52; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				_, err := c.Leads.Create(ctx, &sales.Lead{Subject: fmt.Sprintf("Load %d", i), LastName: "Load"})
				if err != nil {
					failed.Add(1)
					t.Errorf("create %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	ideal := time.Duration(math.Ceil(float64(n)/float64(perWindow))-1) * window
	used := ideal.Seconds() / elapsed.Seconds()
	throttled := 0
	for _, r := range srv.Requests() {
		if r.Status == 429 {
			throttled++
		}
	}
	t.Logf("%d creates in %s (%.1f creates/s); the limits allow them in %s at best: %.1f%% of the allowed throughput used; %d requests answered 429",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), ideal, 100*used, throttled)
	if failed.Load() != 0 || srv.Count("leads") != n {
		t.Errorf("%d creates failed, %d leads exist; want none failed and %d leads", failed.Load(), srv.Count("leads"), n)
	}
	if used < 0.90 {
		t.Errorf("used %.1f%% of what the limits allow, want at least 90%%", 100*used)
	}
}
