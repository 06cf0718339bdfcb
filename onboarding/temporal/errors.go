package temporal

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/onboarding"
	sdktemporal "go.temporal.io/sdk/temporal"
)

// The types of the application errors the activities return, for
// temporal.RetryPolicy.NonRetryableErrorTypes and for telling failures
// apart with errors.As(err, &*temporal.ApplicationError) and its Type.
const (
	// ErrTypeConflict: the decision contradicts one already taken
	// (onboarding.ErrConflict). Not retried.
	ErrTypeConflict = "Conflict"
	// ErrTypeInvalidInput: a call was refused before any request
	// (d365.ErrInvalidInput). Not retried.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeNotOnboardingRequest: the lead is not a Commerce B2B
	// onboarding request (onboarding.ErrNotOnboardingRequest). Not retried.
	ErrTypeNotOnboardingRequest = "NotOnboardingRequest"
	// ErrTypeClientError: a service answered 4xx other than 408 and 429:
	// the same request would fail again. Not retried.
	ErrTypeClientError = "ClientError"
	// ErrTypeThrottled: a service answered 429 (or 503) with Retry-After
	// and the client's own retries ran out; the next attempt waits that
	// long (NextRetryDelay). Retried.
	ErrTypeThrottled = "Throttled"
)

// ActivityError maps an error of onboarding (or of a d365 client) to the
// error an activity returns, so that Temporal retries what may succeed
// later and stops at what cannot:
//
//   - a conflict (onboarding.ErrConflict), bad input (d365.ErrInvalidInput),
//     a lead that is not an onboarding request
//     (onboarding.ErrNotOnboardingRequest), and a *d365.Error with a 4xx
//     status other than 408 and 429 become non-retryable application
//     errors of type ErrTypeConflict, ErrTypeInvalidInput,
//     ErrTypeNotOnboardingRequest and ErrTypeClientError;
//   - a *d365.Error whose service asked for a wait (Retry-After on a 429 or
//     503) becomes a retryable application error of type ErrTypeThrottled
//     whose NextRetryDelay is that wait, overriding the retry policy's
//     backoff for the next attempt;
//   - anything else (5xx, transport failures, ended contexts, an outcome
//     unknown) is returned as it is, which Temporal retries.
//
// The application error's message is short (its Error method appends the
// cause); the original error is its cause, so its text is kept. details,
// when given, are attached to the application errors (the activities
// attach the *onboarding.Outcome telling how far the run went).
func ActivityError(err error, details ...any) error {
	if err == nil {
		return nil
	}
	nonRetryable := func(typ, msg string) error {
		return sdktemporal.NewApplicationErrorWithOptions(msg, typ, sdktemporal.ApplicationErrorOptions{
			NonRetryable: true, Cause: err, Details: details,
		})
	}
	switch {
	case errors.Is(err, onboarding.ErrConflict):
		return nonRetryable(ErrTypeConflict, "the decision conflicts with one already taken")
	case errors.Is(err, d365.ErrInvalidInput):
		return nonRetryable(ErrTypeInvalidInput, "invalid input")
	case errors.Is(err, onboarding.ErrNotOnboardingRequest):
		return nonRetryable(ErrTypeNotOnboardingRequest, "not an onboarding request")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var de *d365.Error
	if !errors.As(err, &de) {
		return err
	}
	switch code := de.StatusCode; {
	case de.RetryAfter > 0 && (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable):
		return sdktemporal.NewApplicationErrorWithOptions(fmt.Sprintf("throttled: retry after %s", de.RetryAfter), ErrTypeThrottled, sdktemporal.ApplicationErrorOptions{
			Cause: err, Details: details, NextRetryDelay: de.RetryAfter,
		})
	case code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout:
		return nonRetryable(ErrTypeClientError, fmt.Sprintf("the service answered %d", code))
	}
	return err
}
