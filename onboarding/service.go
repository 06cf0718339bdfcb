package onboarding

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Options configures a Service. The zero value (or nil) is ready to use.
type Options struct {
	// Logger receives a record for each step. Nil means silence.
	Logger *slog.Logger
	// OnStep, when set, is called after each step of Approve and Reject,
	// from the goroutine running them.
	OnStep func(leadID uuid.UUID, step Step)
	// Company is the Commerce company (dataAreaId) of the prospects; empty
	// means the Commerce client's default company. With Companies, it is
	// one more served company.
	Company string
	// Companies are the companies (dataAreaId, such as "usrt") the
	// Service serves, with their options. Each request is routed to the
	// company of its prospect: Pending reads the prospects of every served
	// company, and Approve, Reject and Activate read and write the
	// prospect's company. With neither Company nor Companies (nor a
	// default company on the Commerce client), the prospect's company is
	// wherever Commerce has the prospect (a cross-company query).
	Companies map[string]CompanyOptions
	// PageSize is how many leads Pending (and Process) ask Sales for per
	// page (Prefer: odata.maxpagesize); zero means the service's default,
	// 5,000. It must not be negative.
	PageSize int
	// TracerProvider, when set, receives a span for each decision
	// ("onboarding approve", "onboarding reject") and one for each of its
	// steps ("onboarding step <name>"). The clients' HTTP spans are its
	// children when the clients have a TracerProvider of their own
	// (d365.ClientOptions). Nil means no spans.
	TracerProvider trace.TracerProvider
	// MeterProvider, when set, receives the counter
	// d365.onboarding.decisions. Nil means no metrics.
	MeterProvider metric.MeterProvider
	// Ledger receives an entry for every Approve, Reject and Skip (see
	// LedgerEntry); nil means NoteLedger over the Sales client (a note on
	// the lead), NoLedger turns the ledger off.
	Ledger LedgerSink
	// Duplicates, when set, makes Pending and Process look for existing
	// accounts that match each request (see Request.Matches). Nil looks
	// for none.
	Duplicates *DuplicateOptions
}

// Service runs the onboarding workflows. It is safe for concurrent use.
type Service struct {
	sales    *sales.Client
	commerce *commerce.Client
	log      *slog.Logger
	onStep   func(uuid.UUID, Step)
	cos      *companies
	pageSize int
	tel      *telemetry // nil when telemetry is off
	ledger   LedgerSink
	dups     *DuplicateOptions
}

// errNoSales is returned by every method of a Service made without a Sales
// client.
var errNoSales = errors.New("onboarding: the Service has no Sales client (onboarding.New was given nil)")

// New returns a Service over the Sales client s and the Commerce client c.
// c may be nil: then Pending carries no prospects and nothing is confirmed
// on the Commerce side (unless Options.Companies gives clients).
func New(s *sales.Client, c *commerce.Client, o *Options) *Service {
	if o == nil {
		o = &Options{}
	}
	svc := &Service{sales: s, commerce: c, log: o.Logger, onStep: o.OnStep, pageSize: o.PageSize,
		tel: newTelemetry(o.TracerProvider, o.MeterProvider), ledger: o.Ledger, dups: o.Duplicates}
	if svc.ledger == nil {
		svc.ledger = NoteLedger(s)
	}
	if svc.log == nil {
		svc.log = slog.New(slog.DiscardHandler)
	}
	company := o.Company
	if company == "" && c != nil {
		company = c.Company()
	}
	svc.cos = newCompanies(company, o.Companies)
	if svc.commerce == nil {
		// Companies with clients of their own: the first one stands in
		// for the Service's client.
		for _, id := range svc.cos.ids {
			if cl := svc.cos.opts[id].Commerce; cl != nil {
				svc.commerce = cl
				break
			}
		}
	}
	return svc
}

// step records a finished step in the outcome, the log and the callback.
func (s *Service) step(ctx context.Context, out *Outcome, name StepName, status StepStatus, start time.Time, err error) {
	s.stepOf(ctx, out, name, "", status, start, err)
}

// stepOf records a finished step taken on subject (see Step.Subject).
func (s *Service) stepOf(ctx context.Context, out *Outcome, name StepName, subject string, status StepStatus, start time.Time, err error) {
	st := Step{Name: name, Status: status, Duration: time.Since(start), Subject: subject,
		RequestIDs: takeRequestIDs(ctx)}
	if err != nil {
		st.Err = err.Error()
	}
	out.Steps = append(out.Steps, st)
	s.tel.step(ctx, st, start)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "onboarding: step",
		slog.String("lead", out.LeadID.String()), slog.String("decision", out.Decision.String()),
		slog.String("step", string(name)), slog.String("status", string(status)),
		slog.Duration("duration", st.Duration), slog.String("error", st.Err))
	if s.onStep != nil {
		s.onStep(out.LeadID, st)
	}
}
