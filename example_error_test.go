package d365_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// dataverseErrors starts a stand-in for Dataverse that refuses every read the
// way the real service does: 404 for one lead, 429 (service protection
// limits) for the others, with Dataverse's error body and request id.
func dataverseErrors() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-service-request-id", "1a2b3c4d-0000-4000-8000-00000000000f")
		switch {
		case strings.Contains(r.URL.Path, "00000000-0000-0000-0000-000000000404"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"0x80040217","message":"lead With Id = 00000000-0000-0000-0000-000000000404 Does Not Exist"}}`)
		case strings.Contains(r.URL.Path, "00000000-0000-0000-0000-000000000600"):
			w.Header().Set("Retry-After", "600") // above RetryOptions.MaxRetryAfter: no wait
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"0x80072321","message":"Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds."}}`)
		default:
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`)
		}
	}))
}

// Handle a failure the service reported: errors.Is with the sentinel errors
// for the common cases, errors.As for the *d365.Error with the status, the
// service's code and message, the request id to quote in a support case, and
// the attempts taken.
func ExampleError() {
	srv := dataverseErrors()
	defer srv.Close()
	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	_, err = c.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000404"), nil)
	var e *d365.Error
	if errors.As(err, &e) {
		fmt.Println("status:", e.StatusCode)
		fmt.Println("code:", e.Code)
		fmt.Println("message:", e.Message)
		fmt.Println("request id:", e.RequestID)
		fmt.Println("attempts:", e.Attempts)
	}
	fmt.Println("not found:", errors.Is(err, d365.ErrNotFound))

	// The service asks for a wait above RetryOptions.MaxRetryAfter: the
	// call fails at once, and the caller decides when to come back.
	_, err = c.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000600"), nil)
	if errors.Is(err, d365.ErrThrottled) && errors.As(err, &e) {
		fmt.Println("throttled:", e.Code, "retry after", e.RetryAfter)
	}

	// The context ends while the client waits out a Retry-After: the error
	// matches the context's error and still holds the service's answer.
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000120"), nil)
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(err, d365.ErrThrottled) && errors.As(err, &e) {
		fmt.Println("deadline while throttled:", e.StatusCode, e.Code, "retry after", e.RetryAfter, "after", e.Attempts, "attempt")
	}
	// Output:
	// status: 404
	// code: 0x80040217
	// message: lead With Id = 00000000-0000-0000-0000-000000000404 Does Not Exist
	// request id: 1a2b3c4d-0000-4000-8000-00000000000f
	// attempts: 1
	// not found: true
	// throttled: 0x80072321 retry after 10m0s
	// deadline while throttled: 429 0x80072322 retry after 2m0s after 1 attempt
}
