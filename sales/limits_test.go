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
	limitsCreates = flag.Int("limits.creates", 1200, "creates per run at the service protection limits (the issue's figure: 5000)")
	limitsWindow  = flag.Duration("limits.window", 3*time.Second, "the emulator's service protection window (the issue's figure: 30s)")
	limitsPerWin  = flag.Int("limits.requests", 300, "requests allowed per window (the issue's figure: 600)")
)

// limitsRun is one bulk run of single creates from 52 goroutines against
// the emulator with Dataverse's service protection limits on.
type limitsRun struct {
	creates, failed, throttled, leads int
	elapsed, ideal                    time.Duration
}

// used is the fraction of the throughput the limits allow that the run
// achieved: the limits allow Requests per sliding Window, so n requests
// cannot finish sooner than (ceil(n / Requests) - 1) × Window.
func (r limitsRun) used() float64 { return r.ideal.Seconds() / r.elapsed.Seconds() }

func runAtLimits(tb testing.TB) limitsRun {
	n, window, perWindow := *limitsCreates, *limitsWindow, *limitsPerWin
	srv := dualwritetest.NewServer(&dualwritetest.Options{Limits: &dualwritetest.Limits{
		Requests: perWindow, Window: window, Concurrent: 52,
	}})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: d365.ClientOptions{
		Retry: d365.RetryOptions{MaxRetries: 50},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	var next, failed atomic.Int64
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
				if _, err := c.Leads.Create(ctx, &sales.Lead{Subject: fmt.Sprintf("Load %d", i), LastName: "Load"}); err != nil {
					failed.Add(1)
					tb.Errorf("create %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	r := limitsRun{
		creates: n, failed: int(failed.Load()), leads: srv.Count("leads"),
		elapsed: time.Since(start),
		ideal:   time.Duration(math.Ceil(float64(n)/float64(perWindow))-1) * window,
	}
	for _, req := range srv.Requests() {
		if req.Status == 429 {
			r.throttled++
		}
	}
	return r
}

// TestBulkRunAtTheServiceProtectionLimits checks what does not depend on
// timing: every create of a run far above the limits succeeds, and the
// client-wide pause keeps the service from having to refuse requests over
// and over (without it, each of the 52 workers would be refused in every
// window). The throughput is measured by BenchmarkBulkRunAtTheServiceProtectionLimits.
func TestBulkRunAtTheServiceProtectionLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs over several service protection windows")
	}
	r := runAtLimits(t)
	t.Logf("%d creates in %s; %d answered 429; %.1f%% of the allowed throughput", r.creates, r.elapsed.Round(time.Millisecond), r.throttled, 100*r.used())
	if r.failed != 0 || r.leads != r.creates {
		t.Errorf("%d creates failed, %d leads exist; want none failed and %d leads", r.failed, r.leads, r.creates)
	}
	windows := int(math.Ceil(float64(r.creates) / float64(*limitsPerWin)))
	if r.throttled > 52*windows/4 {
		t.Errorf("%d requests answered 429 over %d windows: the client does not pause its callers", r.throttled, windows)
	}
}

// BenchmarkBulkRunAtTheServiceProtectionLimits reports the fraction of the
// throughput the service protection limits allow that a bulk run of single
// creates achieves (%limit), with the creates per second. The full
// figure:
//
//	go test ./sales -run '^$' -bench BulkRunAtTheServiceProtectionLimits -benchtime 1x \
//	    -limits.creates=5000 -limits.window=30s -limits.requests=600
func BenchmarkBulkRunAtTheServiceProtectionLimits(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := runAtLimits(b)
		b.ReportMetric(100*r.used(), "%limit")
		b.ReportMetric(float64(r.creates)/r.elapsed.Seconds(), "creates/s")
		b.ReportMetric(float64(r.throttled), "429s")
	}
}
