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

// One watch bounds every attempt of a client, each from its own start: an
// attempt is never cut before its own bound, even when an earlier attempt's
// deadline passes while it waits, and every attempt that gets no headers is
// cut.
func TestHeaderWatchBoundsEachAttemptFromItsStart(t *testing.T) {
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
	if c.http.Transport.(*attemptLog).next.(*attemptTransport).watch.head != nil {
		t.Error("attempts are still watched after they ended")
	}
}

// The watch's list in isolation: attempts leave it in any order, and the
// timer cancels only those past their deadline.
func TestHeaderWatchList(t *testing.T) {
	w := &headerWatch{bound: time.Hour}
	as := make([]*attemptBody, 5)
	for i := range as {
		ctx, cancel := context.WithCancelCause(context.Background())
		as[i] = &attemptBody{ctx: ctx, cancel: cancel}
		w.add(as[i])
	}
	for _, i := range []int{2, 0, 4} {
		if !w.done(as[i]) {
			t.Fatalf("attempt %d: done = false, want true", i)
		}
		if w.done(as[i]) {
			t.Fatalf("attempt %d: done twice", i)
		}
	}
	if w.head != as[1] || w.tail != as[3] || as[1].next != as[3] || as[3].prev != as[1] {
		t.Fatal("the list does not hold attempts 1 and 3 in order")
	}
	// Attempt 1 is past its deadline, attempt 3 is not.
	as[1].deadline = time.Now().Add(-time.Second)
	w.fire()
	if cause := context.Cause(as[1].ctx); cause != &as[1].headerStall {
		t.Errorf("attempt 1: cause %v, want its header stall", cause)
	}
	if as[3].ctx.Err() != nil || w.head != as[3] || !w.armed {
		t.Errorf("attempt 3 was cut or left unwatched (err %v, armed %v)", as[3].ctx.Err(), w.armed)
	}
	if w.done(as[1]) {
		t.Error("a cut attempt reported its headers in time")
	}
	w.timer.Stop()
}
