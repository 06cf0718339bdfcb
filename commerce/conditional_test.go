package commerce_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
)

// TestApproveWithIfMatchIsNotReplayedAfterALostAnswer: Commerce carries
// out the PATCH and the connection drops before the answer. With the
// caller's ETag the update must not be sent again (it would meet the new
// ETag and report ErrPreconditionFailed for an update that was made);
// with no ETag ("*") it is retried.
func TestApproveWithIfMatchIsNotReplayedAfterALostAnswer(t *testing.T) {
	for _, tc := range []struct {
		ifMatch   string
		wantCalls int
	}{{etag1, 1}, {"", 2}} {
		var mu sync.Mutex
		calls, current := 0, etag1
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if r.Method != http.MethodPatch || r.URL.Path != "/data/Prospects(dataAreaId='usrt',ProspectId='P-1')" {
				t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			}
			if m := r.Header.Get("If-Match"); m != "*" && m != current {
				w.WriteHeader(http.StatusPreconditionFailed)
				w.Write([]byte(`{"error":{"code":"","message":"The record has been modified."}}`))
				return
			}
			current = etag2
			if calls == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		o := &commerce.Options{Company: "usrt"}
		o.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		c, err := commerce.NewClient(srv.URL, d365.StaticTokenCredential("test-token"), o)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Prospects.Approve(context.Background(), "usrt", "P-1", &d365.UpdateOptions{IfMatch: tc.ifMatch})
		srv.Close()
		mu.Lock()
		n := calls
		mu.Unlock()
		if n != tc.wantCalls || errors.Is(err, d365.ErrPreconditionFailed) {
			t.Errorf("If-Match %q: %d calls, err %v; want %d calls and never ErrPreconditionFailed", tc.ifMatch, n, err, tc.wantCalls)
		}
		if tc.ifMatch == "" && err != nil {
			t.Errorf("If-Match *: err = %v, want success on the retry", err)
		}
	}
}
