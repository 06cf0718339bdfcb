package dualwrite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTimeout is returned (wrapped) by Await when the timeout ends before the
// condition holds.
var ErrTimeout = errors.New("dualwrite: timed out waiting for dual-write")

// AwaitOptions tunes Await. The zero value and nil mean the defaults.
type AwaitOptions struct {
	// Interval is the first wait between polls (default 250ms). Each wait
	// doubles up to MaxInterval.
	Interval time.Duration
	// MaxInterval caps the wait between polls (default 5s).
	MaxInterval time.Duration
	// Timeout bounds the whole wait (default 2 minutes, the longest a
	// dual-write live-sync transaction may take). Negative means no limit
	// other than ctx.
	Timeout time.Duration
}

// Await calls poll until it reports true, returns an error, or the time is
// up, waiting longer between calls each time. Live sync is synchronous, so
// a change is usually visible on the other side at once; Await covers the
// cases where it is not (queued maps, replication delays).
//
// When the timeout ends first, the error wraps ErrTimeout; when ctx ends
// first, it wraps ctx's error. An error from poll is returned as it is.
func Await(ctx context.Context, poll func(context.Context) (bool, error), o *AwaitOptions) error {
	var opt AwaitOptions
	if o != nil {
		opt = *o
	}
	if opt.Interval <= 0 {
		opt.Interval = 250 * time.Millisecond
	}
	if opt.MaxInterval <= 0 {
		opt.MaxInterval = 5 * time.Second
	}
	if opt.MaxInterval < opt.Interval {
		opt.MaxInterval = opt.Interval
	}
	if opt.Timeout == 0 {
		opt.Timeout = 2 * time.Minute
	}
	start := time.Now()
	var deadline <-chan time.Time
	if opt.Timeout > 0 {
		t := time.NewTimer(opt.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	wait := opt.Interval
	polls := 0
	for {
		polls++
		ok, err := poll(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("dualwrite: gave up waiting for dual-write after %s (%d checks): %w",
				time.Since(start).Round(time.Millisecond), polls, ctx.Err())
		case <-deadline:
			t.Stop()
			return fmt.Errorf("%w: the change was not visible after %s (%d checks)", ErrTimeout, opt.Timeout, polls)
		case <-t.C:
		}
		wait *= 2
		if wait > opt.MaxInterval {
			wait = opt.MaxInterval
		}
	}
}
