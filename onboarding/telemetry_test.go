package onboarding_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// telemetryLead is the onboarding request of the telemetry tests: none of
// its values may reach a span or a metric.
var telemetryLead = dualwritetest.OnboardingRequest{
	FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail",
	Email: "mia.chen@fabrikam.example", Phone: "+1 425 555 0101",
}

// telemetryService starts the emulator with telemetryLead waiting and
// returns a Service whose clients and workflows report to tp and mp (either
// may be nil), and the waits the clients took.
func telemetryService(t *testing.T, tp trace.TracerProvider, mp metric.MeterProvider) (*onboarding.Service, *dualwritetest.Server, uuid.UUID, func() []time.Duration) {
	t.Helper()
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	sub, err := srv.SubmitOnboardingRequest(telemetryLead)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	opts := d365.ClientOptions{TracerProvider: tp, MeterProvider: mp, Retry: d365.RetryOptions{
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			return ctx.Err()
		},
	}}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{ClientOptions: opts, Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	// The ledger is off: these tests hold the decision's own spans and
	// metrics (TestLedgerNoteIsOneMoreRequest holds the ledger's).
	svc := onboarding.New(sc, cc, &onboarding.Options{TracerProvider: tp, MeterProvider: mp, Ledger: onboarding.NoLedger})
	return svc, srv, sub.LeadID, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}

type spanSummary struct {
	Name   string
	Kind   trace.SpanKind
	Parent string // the parent's name, "" for the root
	Attrs  map[string]any
	Status codes.Code
}

// TestTelemetryOfAnApproval approves one lead on the emulator, its win
// throttled once, and checks every span and metric recorded.
func TestTelemetryOfAnApproval(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	svc, srv, leadID, waits := telemetryService(t, tp, mp)
	// The throttled request is the approval's last, so that the
	// client-wide pause it sets (1s, not taken: Sleep only records it)
	// delays no other request.
	srv.InjectFault(http.MethodPost, "WinOpportunity", dualwritetest.FaultThrottle)

	out, err := svc.Approve(t.Context(), leadID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}

	spans := rec.Ended()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	var got []spanSummary
	for _, s := range spans {
		if s.SpanContext().TraceID() != spans[0].SpanContext().TraceID() {
			t.Errorf("span %q is in another trace", s.Name())
		}
		sum := spanSummary{Name: s.Name(), Kind: s.SpanKind(), Attrs: map[string]any{}, Status: s.Status().Code}
		if p, ok := byID[s.Parent().SpanID()]; ok {
			sum.Parent = p.Name()
		}
		for _, kv := range s.Attributes() {
			if kv.Key == "d365.request_id" {
				if _, err := uuid.Parse(kv.Value.AsString()); err != nil {
					t.Errorf("span %q: request id %q: %v", s.Name(), kv.Value.AsString(), err)
				}
				continue
			}
			sum.Attrs[string(kv.Key)] = kv.Value.AsInterface()
		}
		got = append(got, sum)
	}
	const root = "onboarding approve"
	attempt := func(method, set, action string, n int, status int64, extra ...any) spanSummary {
		name := method + " " + set
		a := map[string]any{"http.request.method": method, "d365.entity_set": set, "d365.attempt": int64(n), "http.response.status_code": status}
		if action != "" {
			name += "/" + action
			a["d365.action"] = action
		}
		for i := 0; i < len(extra); i += 2 {
			a[extra[i].(string)] = extra[i+1]
		}
		st := codes.Unset
		if status >= 400 {
			st = codes.Error
		}
		return spanSummary{Name: name, Kind: trace.SpanKindClient, Parent: root, Attrs: a, Status: st}
	}
	step := func(name, status string) spanSummary {
		return spanSummary{Name: "onboarding step " + name, Kind: trace.SpanKindInternal, Parent: root,
			Attrs: map[string]any{"d365.onboarding.step": name, "d365.onboarding.step.status": status}}
	}
	want := []spanSummary{
		attempt("GET", "leads", "", 1, 200),
		step("read lead", "done"),
		attempt("POST", "leads", "QualifyLead", 1, 200),
		step("qualify lead", "done"),
		attempt("POST", "WinOpportunity", "", 1, 429, "error.type", "429"),
		attempt("POST", "WinOpportunity", "", 2, 204, "d365.retry.wait", 1.0),
		step("win opportunity", "done"),
		{Name: root, Kind: trace.SpanKindInternal, Attrs: map[string]any{
			"d365.onboarding.decision": "approve", "d365.onboarding.outcome": "done", "d365.onboarding.steps": int64(3)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if len(out.Steps) != 3 {
		t.Errorf("%d steps, want 3", len(out.Steps))
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	type point struct {
		Attrs map[string]any
		Value float64 // a sum's value, a histogram's sum
		Count uint64  // a histogram's count
	}
	metrics := map[string][]point{}
	scopes := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		scopes[sm.Scope.Name] = true
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					metrics[m.Name] = append(metrics[m.Name], point{Attrs: attrMap(dp.Attributes.ToSlice()), Value: float64(dp.Value)})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					metrics[m.Name] = append(metrics[m.Name], point{Attrs: attrMap(dp.Attributes.ToSlice()), Value: dp.Sum, Count: dp.Count})
				}
			default:
				t.Errorf("metric %s: unexpected %T", m.Name, m.Data)
			}
		}
	}
	if diff := cmp.Diff(map[string]bool{"github.com/b2bflow/d365": true, "github.com/b2bflow/d365/onboarding": true}, scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	req := func(method, set, action string, status int64, extra ...any) map[string]any {
		a := map[string]any{"http.request.method": method, "d365.entity_set": set}
		if action != "" {
			a["d365.action"] = action
		}
		if status != 0 {
			a["http.response.status_code"] = status
		}
		for i := 0; i < len(extra); i += 2 {
			a[extra[i].(string)] = extra[i+1]
		}
		return a
	}
	wantMetrics := map[string][]point{
		"d365.client.requests": {
			{Attrs: req("GET", "leads", "", 200, "d365.attempts", int64(1)), Value: 1},
			{Attrs: req("POST", "leads", "QualifyLead", 200, "d365.attempts", int64(1)), Value: 1},
			{Attrs: req("POST", "WinOpportunity", "", 204, "d365.attempts", int64(2)), Value: 1},
		},
		"d365.client.attempts": {
			{Attrs: req("GET", "leads", "", 200), Value: 1},
			{Attrs: req("POST", "leads", "QualifyLead", 200), Value: 1},
			{Attrs: req("POST", "WinOpportunity", "", 429, "error.type", "429"), Value: 1},
			{Attrs: req("POST", "WinOpportunity", "", 204), Value: 1},
		},
		"d365.client.retries": {
			{Attrs: req("POST", "WinOpportunity", "", 0, "d365.retry.reason", "429"), Value: 1},
		},
		"d365.client.throttle.waits": {
			{Attrs: req("POST", "WinOpportunity", "", 0, "d365.wait.cause", "retry"), Value: 1, Count: 1},
		},
		"d365.onboarding.decisions": {
			{Attrs: map[string]any{"d365.onboarding.decision": "approve", "d365.onboarding.outcome": "done"}, Value: 1},
		},
	}
	sortPoints := cmpopts.SortSlices(func(a, b point) bool { return fmt.Sprint(a.Attrs) < fmt.Sprint(b.Attrs) })
	if diff := cmp.Diff(wantMetrics, metrics, sortPoints); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	// No token, no value of the lead's and no id of its records anywhere.
	secrets := []string{dualwritetest.Token, telemetryLead.FirstName, telemetryLead.LastName, telemetryLead.Company,
		telemetryLead.Email, "fabrikam", telemetryLead.Phone, "555", leadID.String(),
		out.AccountID.String(), out.ContactID.String(), out.OpportunityID.String(), srv.SalesURL, "http"}
	scan := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
				t.Errorf("%s contains %q: %q", where, s, text)
			}
		}
	}
	for _, s := range spans {
		scan("span name", s.Name())
		scan("span status", s.Status().Description)
		for _, kv := range s.Attributes() {
			if kv.Key == "d365.request_id" {
				// The service's random request id, checked above to be a
				// UUID: it may hold "555" by chance, and it is none of the
				// lead's values.
				continue
			}
			scan("span "+s.Name()+" attribute "+string(kv.Key), kv.Value.Emit())
		}
		for _, e := range s.Events() {
			scan("span event", e.Name)
		}
	}
	for name, ps := range metrics {
		for _, p := range ps {
			for k, v := range p.Attrs {
				scan("metric "+name+" attribute "+k, fmt.Sprint(v))
			}
		}
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// TestTelemetryOffByDefault: without providers nothing is recorded, even
// with global OpenTelemetry providers set (the SDK never reads them).
func TestTelemetryOffByDefault(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	prevTP, prevMP := otel.GetTracerProvider(), otel.GetMeterProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetMeterProvider(prevMP) })

	svc, srv, leadID, _ := telemetryService(t, nil, nil)
	srv.InjectFault(http.MethodPost, "WinOpportunity", dualwritetest.FaultThrottle)
	if _, err := svc.Approve(t.Context(), leadID, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()) + len(rec.Started()); n != 0 {
		t.Errorf("%d spans recorded with no provider set", n)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 0 {
		t.Errorf("metrics recorded with no provider set: %+v", rm.ScopeMetrics)
	}
}

// TestTelemetryOfAConflict: rejecting an approved request ends its span in
// an error and counts the decision as a conflict.
func TestTelemetryOfAConflict(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	svc, _, leadID, _ := telemetryService(t, tp, mp)
	if _, err := svc.Approve(t.Context(), leadID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reject(t.Context(), leadID, nil); !errors.Is(err, onboarding.ErrConflict) {
		t.Fatalf("Reject = %v, want ErrConflict", err)
	}
	spans := rec.Ended()
	last := spans[len(spans)-1]
	if last.Name() != "onboarding reject" || last.Status().Code != codes.Error || last.Status().Description != "conflict" {
		t.Errorf("last span %q, status %+v", last.Name(), last.Status())
	}
	if got := attrMap(last.Attributes())["d365.onboarding.outcome"]; got != "conflict" {
		t.Errorf("outcome %v, want conflict", got)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != onboarding.MetricDecisions {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				a := attrMap(dp.Attributes.ToSlice())
				got = append(got, fmt.Sprintf("%s %s %d", a["d365.onboarding.decision"], a["d365.onboarding.outcome"], dp.Value))
			}
		}
	}
	if diff := cmp.Diff([]string{"approve done 1", "reject conflict 1"}, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// TestTelemetryOfAnActivation checks that Activate is a span of its own,
// "onboarding activate", with its steps below it, and that it is not
// counted as a decision.
func TestTelemetryOfAnActivation(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	svc, _, leadID, _ := telemetryService(t, tp, mp)
	if _, err := svc.Approve(t.Context(), leadID, nil); err != nil {
		t.Fatal(err)
	}
	before := len(rec.Ended())
	out, err := svc.Activate(t.Context(), leadID, &onboarding.ActivateOptions{
		Users: []onboarding.PartnerUser{{FirstName: "Robin", LastName: "Buyer", Email: "robin@partner.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()[before:]
	root := spans[len(spans)-1]
	if root.Name() != "onboarding activate" || root.Status().Code == codes.Error {
		t.Fatalf("last span %q, status %+v; want onboarding activate, not an error", root.Name(), root.Status())
	}
	if got := attrMap(root.Attributes())["d365.onboarding.steps"]; got != int64(len(out.Steps)) {
		t.Errorf("steps attribute %v, want %d", got, len(out.Steps))
	}
	var steps []string
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), "onboarding step ") {
			if s.Parent().SpanID() != root.SpanContext().SpanID() {
				t.Errorf("span %q is not below onboarding activate", s.Name())
			}
			steps = append(steps, strings.TrimPrefix(s.Name(), "onboarding step "))
		}
	}
	var want []string
	for _, st := range out.Steps {
		want = append(want, string(st.Name))
	}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("step spans (-want +got):\n%s", diff)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != onboarding.MetricDecisions {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if a := attrMap(dp.Attributes.ToSlice()); a["d365.onboarding.decision"] != "approve" || dp.Value != 1 {
					t.Errorf("decisions counted %v = %d; want only the approval, once", a, dp.Value)
				}
			}
		}
	}
}
