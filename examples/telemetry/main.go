// Command telemetry shows the SDK's OpenTelemetry spans and metrics: it
// sets a TracerProvider and a MeterProvider on the clients and on the
// onboarding Service, runs a workflow, and prints every span to stdout with
// the OpenTelemetry stdout exporter, then the metrics.
//
//	go run ./examples/telemetry
//
// On the in-process emulator (no configuration) it approves one onboarding
// request, its win throttled once with a 429, so that the output shows a
// retried attempt and its wait. Against real services (the variables of
// examples/internal/setup) it only lists the pending requests: it changes
// nothing.
//
// The SDK itself depends on the OpenTelemetry API only; the SDK and the
// exporter here are this program's choice. A real program would export with
// OTLP (go.opentelemetry.io/otel/exporters/otlp/...) instead.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/examples/internal/setup"
	"github.com/b2bflow/d365/onboarding"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "telemetry:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	// A syncer exports each span as it ends; a real program uses a
	// batcher (sdktrace.WithBatcher).
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	env, err := setup.Connect(w, &d365.ClientOptions{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		return err
	}
	defer env.Close()
	svc := onboarding.New(env.Sales, env.Commerce, &onboarding.Options{TracerProvider: tp, MeterProvider: mp})

	if srv := env.Emulator; srv != nil {
		sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail",
			Email: "mia.chen@fabrikam.example", Phone: "+1 425 555 0101",
		})
		if err != nil {
			return err
		}
		srv.InjectFault(http.MethodPost, "WinOpportunity", dualwritetest.FaultThrottle)
		out, err := svc.Approve(ctx, sub.LeadID, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Approved in %d steps.\n", len(out.Steps))
	} else {
		n := 0
		for _, err := range svc.Pending(ctx) {
			if err != nil {
				return err
			}
			n++
		}
		fmt.Fprintf(w, "%d requests pending.\n", n)
	}
	return printMetrics(ctx, w, reader)
}

// printMetrics writes one line per data point.
func printMetrics(ctx context.Context, w io.Writer, reader *sdkmetric.ManualReader) error {
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					lines = append(lines, fmt.Sprintf("%s %s = %d", m.Name, attrs(dp.Attributes), dp.Value))
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					lines = append(lines, fmt.Sprintf("%s %s = %d, %g%s in all", m.Name, attrs(dp.Attributes), dp.Count, dp.Sum, m.Unit))
				}
			}
		}
	}
	sort.Strings(lines)
	fmt.Fprintln(w, "Metrics:")
	for _, l := range lines {
		fmt.Fprintln(w, " ", l)
	}
	return nil
}

func attrs(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, fmt.Sprintf("%s=%s", kv.Key, kv.Value.Emit()))
	}
	return "{" + strings.Join(parts, " ") + "}"
}
