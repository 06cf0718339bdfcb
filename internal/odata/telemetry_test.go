package odata

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestTelemetryTarget(t *testing.T) {
	c := &Client{base: &url.URL{Scheme: "https", Host: "x", Path: "/api/data/v9.2/"}}
	for _, tc := range []struct{ path, set, action string }{
		{"/api/data/v9.2/leads", "leads", ""},
		{"/api/data/v9.2/leads(0d14e658-25fb-4ccd-a51c-6263832c72fe)", "leads", ""},
		{"/api/data/v9.2/leads(emailaddress1='mia%40fabrikam.example')", "leads", ""},
		{"/api/data/v9.2/leads(0d14e658-25fb-4ccd-a51c-6263832c72fe)/Microsoft.Dynamics.CRM.QualifyLead", "leads", "QualifyLead"},
		{"/api/data/v9.2/WinOpportunity", "WinOpportunity", ""},
		{"/api/data/v9.2/$batch", "$batch", ""},
		{"/api/data/v9.2/WhoAmI()", "WhoAmI", ""},
		{"/api/data/v9.2/accounts(1)/contact_customer_accounts", "accounts", ""},
		{"/api/data/v9.2/mia%40fabrikam.example", "", ""},
		{"/other/leads", "", ""},
		{"/api/data/v9.2/leads(1)/Microsoft.Dynamics.CRM.mia@x", "leads", ""},
	} {
		set, action := c.target(tc.path)
		if set != tc.set || action != tc.action {
			t.Errorf("target(%q) = %q, %q; want %q, %q", tc.path, set, action, tc.set, tc.action)
		}
	}
}

// TestTelemetryFailure: a failed request counts its status and the service's
// error code, and its span is an error, without the error's message.
func TestTelemetryFailure(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	const message = "A record with matching key values already exists: mia@fabrikam.example"
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-service-request-id", "req-1")
		w.WriteHeader(http.StatusPreconditionFailed)
		io.WriteString(w, `{"error":{"code":"0x80040237","message":"`+message+`"}}`)
	}, func(cfg *Config) {
		cfg.Options.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		cfg.Options.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	_, err := c.Do(t.Context(), &Request{Method: http.MethodPost, Path: "leads(emailaddress1='mia%40fabrikam.example')", Body: map[string]string{"firstname": "Mia"}})
	if err == nil {
		t.Fatal("no error")
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	got := attrMap(spans[0].Attributes())
	want := map[string]any{
		"http.request.method": "POST", "d365.entity_set": "leads", "d365.attempt": int64(1),
		"http.response.status_code": int64(412), "d365.request_id": "req-1", "error.type": "412",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
	if spans[0].Name() != "POST leads" || spans[0].Status().Description != "412" {
		t.Errorf("span %q, status %+v", spans[0].Name(), spans[0].Status())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	var requests map[string]any
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == MetricRequests {
			requests = attrMap(m.Data.(metricdata.Sum[int64]).DataPoints[0].Attributes.ToSlice())
		}
	}
	want = map[string]any{
		"http.request.method": "POST", "d365.entity_set": "leads", "d365.attempts": int64(1),
		"http.response.status_code": int64(412), "error.type": "412", "d365.error.code": "0x80040237",
	}
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("%s attributes (-want +got):\n%s", MetricRequests, diff)
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// cannedTransport answers every request with 200 and a small JSON body,
// without a network, so that a benchmark counts the client's allocations.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"value":[]}`)), ContentLength: 12, Request: r}, nil
}

// BenchmarkDoTelemetry measures a GET through Do with telemetry off (the
// default) and on (the SDK with an in-memory span recorder and a manual
// metric reader):
//
//	go test -run '^$' -bench BenchmarkDoTelemetry -benchmem ./internal/odata
func BenchmarkDoTelemetry(b *testing.B) {
	base, _ := ServiceURL("url", "https://contoso.crm.dynamics.com/api/data/v9.2/")
	run := func(b *testing.B, o d365.ClientOptions) {
		o.HTTPClient = &http.Client{Transport: cannedTransport{}}
		c, err := New(Config{BaseURL: base, Resource: Origin(base), Credential: d365.StaticTokenCredential(testToken), Options: o})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		r := &Request{Path: "leads(0d14e658-25fb-4ccd-a51c-6263832c72fe)", Query: "$select=fullname"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Do(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("telemetry=off", func(b *testing.B) { run(b, d365.ClientOptions{}) })
	b.Run("telemetry=on", func(b *testing.B) {
		run(b, d365.ClientOptions{
			TracerProvider: sdktrace.NewTracerProvider(), // spans are made, then dropped
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
		})
	})
}

// dialFailure fails every attempt as a connection that could not be opened.
type dialFailure struct{}

func (dialFailure) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
}

// TestTelemetryConnectionFailure: attempts that got no answer have no
// status, an error.type, and their retries count as "connection".
func TestTelemetryConnectionFailure(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	c, sl, _, _ := testClient(t, nil, func(cfg *Config) {
		cfg.Options.HTTPClient = &http.Client{Transport: dialFailure{}}
		cfg.Options.Retry.MaxRetries = 1
		cfg.Options.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		cfg.Options.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	if _, err := c.Do(t.Context(), &Request{Path: "accounts"}); err == nil {
		t.Fatal("no error")
	}
	var got []map[string]any
	for _, s := range rec.Ended() {
		got = append(got, attrMap(s.Attributes()))
	}
	waits := sl.waits()
	if len(waits) != 1 {
		t.Fatalf("waits %v, want one", waits)
	}
	want := []map[string]any{
		{"http.request.method": "GET", "d365.entity_set": "accounts", "d365.attempt": int64(1), "error.type": "transport"},
		{"http.request.method": "GET", "d365.entity_set": "accounts", "d365.attempt": int64(2), "error.type": "transport", "d365.retry.wait": waits[0].Seconds()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	gotM := map[string][]map[string]any{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				a := attrMap(dp.Attributes.ToSlice())
				a["value"] = dp.Value
				gotM[m.Name] = append(gotM[m.Name], a)
			}
		case metricdata.Histogram[float64]:
			for _, dp := range d.DataPoints {
				a := attrMap(dp.Attributes.ToSlice())
				a["count"] = dp.Count
				gotM[m.Name] = append(gotM[m.Name], a)
			}
		}
	}
	wantM := map[string][]map[string]any{
		MetricRequests: {{"http.request.method": "GET", "d365.entity_set": "accounts", "d365.attempts": int64(2), "error.type": "transport", "value": int64(1)}},
		MetricAttempts: {{"http.request.method": "GET", "d365.entity_set": "accounts", "error.type": "transport", "value": int64(2)}},
		MetricRetries:  {{"http.request.method": "GET", "d365.entity_set": "accounts", "d365.retry.reason": "connection", "value": int64(1)}},
		MetricWaits:    {{"http.request.method": "GET", "d365.entity_set": "accounts", "d365.wait.cause": "retry", "count": uint64(1)}},
	}
	if diff := cmp.Diff(wantM, gotM); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}
