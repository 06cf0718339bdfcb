package odata

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// Every attempt of a client is bounded from its own start: it is never cut
// before its own bound, even when an earlier attempt's deadline passes
// while it waits, and every attempt that gets no headers is cut.
func TestHeaderBoundRunsFromEachAttemptsStart(t *testing.T) {
	const bound = 150 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("answer") == "now" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(cfg *Config) {
		cfg.Options.ResponseHeaderTimeout = bound
		cfg.Options.Retry.MaxRetries = 0
	})
	ctx := context.Background()
	// An attempt answered at once leaves the watch armed for its deadline.
	if _, err := c.Do(ctx, &Request{Path: "leads?answer=now"}); err != nil {
		t.Fatal(err)
	}
	// Silent attempts starting across that deadline and after it.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	took := make([]time.Duration, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * bound / 3)
			start := time.Now()
			_, errs[i] = c.Do(ctx, &Request{Method: http.MethodPost, Path: "leads", Body: map[string]string{}})
			took[i] = time.Since(start)
		}()
	}
	within(t, wg.Wait)
	for i, err := range errs {
		if !errors.Is(err, d365.ErrTimeout) {
			t.Errorf("attempt %d: err = %v, want ErrTimeout", i, err)
		}
		// Never cut before its own bound (a lower bound: the watch may
		// only be late, never early).
		if took[i] < bound {
			t.Errorf("attempt %d was cut after %s, before its bound of %s", i, took[i], bound)
		}
	}
}
