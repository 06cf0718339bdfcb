package onboarding

import (
	"context"
	"errors"
	"time"

	"github.com/b2bflow/d365"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry of the workflows, through the OpenTelemetry API only; off unless
// Options.TracerProvider or Options.MeterProvider is set. A decision is one
// span, "onboarding approve" or "onboarding reject", whose children are the
// HTTP attempts of the clients (when their own providers are set) and one
// span per step, "onboarding step <step name>", spanning the step from its
// start to its end. Activate and RemoveUser are spans of their own,
// "onboarding activate" and "onboarding remove user", with their steps
// below them. Attributes name the decision, the step and how it ended,
// never the lead's values or an error's text.

// ScopeName is the instrumentation scope of the workflows' spans and
// metrics.
const ScopeName = "github.com/b2bflow/d365/onboarding"

// MetricDecisions is the counter of decisions carried out, by decision
// ("approve", "reject") and outcome ("done", "conflict", "failed").
const MetricDecisions = "d365.onboarding.decisions"

// Attribute keys of the workflows' spans and metrics.
const (
	AttrDecision   = attribute.Key("d365.onboarding.decision")
	AttrOutcome    = attribute.Key("d365.onboarding.outcome")
	AttrStep       = attribute.Key("d365.onboarding.step")
	AttrStepStatus = attribute.Key("d365.onboarding.step.status")
	AttrSteps      = attribute.Key("d365.onboarding.steps")
)

// telemetry holds the Service's instruments; nil when it is off.
type telemetry struct {
	tracer    trace.Tracer
	decisions metric.Int64Counter
}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) *telemetry {
	if tp == nil && mp == nil {
		return nil
	}
	t := &telemetry{}
	if tp != nil {
		t.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(d365.Version))
	}
	if mp != nil {
		// On error the API returns a working no-op instrument.
		t.decisions, _ = mp.Meter(ScopeName, metric.WithInstrumentationVersion(d365.Version)).
			Int64Counter(MetricDecisions, metric.WithUnit("{decision}"),
				metric.WithDescription("Onboarding decisions carried out, by decision and outcome."))
	}
	return t
}

// decide runs one decision under its span and counts it.
func (t *telemetry) decide(ctx context.Context, d Decision, run func(context.Context) (*Outcome, error)) (*Outcome, error) {
	return t.workflow(ctx, d.String(), &d, run)
}

// carryOn runs a workflow that carries an approval on (activate, remove
// user) under its span "onboarding <name>"; it is not a decision, so it is
// not counted in MetricDecisions.
func (t *telemetry) carryOn(ctx context.Context, name string, run func(context.Context) (*Outcome, error)) (*Outcome, error) {
	return t.workflow(ctx, name, nil, run)
}

// workflow runs run under the span "onboarding <name>" and, for a
// decision d, counts it.
func (t *telemetry) workflow(ctx context.Context, name string, d *Decision, run func(context.Context) (*Outcome, error)) (*Outcome, error) {
	if t == nil {
		return run(ctx)
	}
	var span trace.Span
	if t.tracer != nil {
		var attrs []attribute.KeyValue
		if d != nil {
			attrs = append(attrs, AttrDecision.String(d.String()))
		}
		ctx, span = t.tracer.Start(ctx, "onboarding "+name, trace.WithAttributes(attrs...))
	}
	out, err := run(ctx)
	outcome := "done"
	switch {
	case errors.Is(err, ErrConflict):
		outcome = "conflict"
	case err != nil:
		outcome = "failed"
	}
	if span != nil {
		span.SetAttributes(AttrOutcome.String(outcome))
		if out != nil {
			span.SetAttributes(AttrSteps.Int(len(out.Steps)))
		}
		if err != nil {
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
	}
	if t.decisions != nil && d != nil {
		t.decisions.Add(ctx, 1, metric.WithAttributes(AttrDecision.String(d.String()), AttrOutcome.String(outcome)))
	}
	return out, err
}

// step records the span of a finished step, from start to now.
func (t *telemetry) step(ctx context.Context, st Step, start time.Time) {
	if t == nil || t.tracer == nil {
		return
	}
	_, span := t.tracer.Start(ctx, "onboarding step "+string(st.Name), trace.WithTimestamp(start),
		trace.WithAttributes(AttrStep.String(string(st.Name)), AttrStepStatus.String(string(st.Status))))
	if st.Status == StepFailed {
		span.SetStatus(codes.Error, string(StepFailed))
	}
	span.End()
}
