package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/b2bflow/d365"
)

// maxStepAttempts bounds how often a state-changing step is sent when the
// service is proven not to have acted on it.
const maxStepAttempts = 4

// verdict is what reading the record after a failed step showed.
type verdict int

const (
	notApplied verdict = iota // the step did not take effect
	applied                   // the step took effect: its answer was lost
	conflicted                // the record went the other way: stop
)

// runStep sends a state-changing step that is not idempotent (QualifyLead,
// WinOpportunity, LoseOpportunity, disqualify). When do fails, check reads
// the record to learn whether the step took effect anyway. A step proven
// not to have taken effect is sent again, after a short pause, when its
// failure was transient (a broken connection, throttling, an unavailable
// service); any other failure is returned. check returns the error to
// report for a conflict.
func (s *Service) runStep(ctx context.Context, do func() error, check func() (verdict, error)) (StepStatus, error) {
	var err error
	for attempt := 1; ; attempt++ {
		if err = do(); err == nil {
			return StepDone, nil
		}
		if ctx.Err() != nil {
			return StepFailed, err
		}
		v, cerr := check()
		switch {
		case cerr != nil && v == conflicted:
			return StepFailed, cerr
		case cerr != nil:
			return StepFailed, err // cannot tell: report the step's own failure
		case v == applied:
			return StepRecovered, nil
		}
		if attempt >= maxStepAttempts || !transient(err) {
			return StepFailed, err
		}
		pause := time.Duration(attempt) * 100 * time.Millisecond
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return StepFailed, err
		case <-t.C:
		}
	}
}

// transient reports whether a failure may pass by itself: no answer at all
// (a broken connection), or a service error marked temporary.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *d365.Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return true
}
