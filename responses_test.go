package d365_test

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
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestResponseHookReportsEachCall calls Dataverse and Finance and
// Operations under a context with two hooks: each answered call, a 404
// included, is reported once after its retries, with the request id of
// its last attempt, to both hooks in order; a call without a hook reports
// nothing.
func TestResponseHookReportsEachCall(t *testing.T) {
	attempt := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempt++
		switch {
		case r.URL.Path == "/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)" && attempt == 1:
			w.Header().Set("x-ms-service-request-id", "throttled-1")
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"0x80072322","message":"slow down"}}`))
		case r.URL.Path == "/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)":
			w.Header().Set("x-ms-service-request-id", "dv-2")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"leadid":"00000000-0000-0000-0000-000000000001"}`))
		case r.URL.Path == "/api/data/v9.2/leads(00000000-0000-0000-0000-000000000002)":
			w.Header().Set("x-ms-service-request-id", "dv-404")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"0x80040217","message":"lead With Id = 2 Does Not Exist"}}`))
		default:
			w.Header().Set("request-id", "fo-1")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"value":[]}`))
		}
	}))
	defer srv.Close()
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}
	sc, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("t"), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.URL, d365.StaticTokenCredential("t"), &commerce.Options{ClientOptions: opts, Company: "usrt"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var first, second []d365.Response
	ctx := d365.WithResponseHook(context.Background(), func(r d365.Response) { mu.Lock(); first = append(first, r); mu.Unlock() })
	ctx = d365.WithResponseHook(ctx, func(r d365.Response) { mu.Lock(); second = append(second, r); mu.Unlock() })
	if _, err := sc.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000001"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000002"), nil); !errors.Is(err, d365.ErrNotFound) {
		t.Fatalf("err %v, want ErrNotFound", err)
	}
	for _, err := range cc.Prospects.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.Leads.Get(context.Background(), uuid.MustParse("00000000-0000-0000-0000-000000000001"), nil); err != nil {
		t.Fatal(err)
	}
	want := []d365.Response{
		{Method: "GET", StatusCode: 200, RequestID: "dv-2", Attempts: 2},
		{Method: "GET", StatusCode: 404, RequestID: "dv-404", Attempts: 1},
		{Method: "GET", StatusCode: 200, RequestID: "fo-1", Attempts: 1},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first hook (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second hook (-want +got):\n%s", diff)
	}
}
