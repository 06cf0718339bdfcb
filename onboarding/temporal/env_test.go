package temporal

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// emulator is a d365 emulator with clients over it.
type emulator struct {
	srv      *dualwritetest.Server
	sales    *sales.Client
	commerce *commerce.Client
	n        atomic.Int32
}

type emulatorOptions struct {
	// retryAfter is the Retry-After of injected 429s.
	retryAfter time.Duration
	// maxRetryAfter is the clients' RetryOptions.MaxRetryAfter.
	maxRetryAfter time.Duration
	webhooks      []dualwritetest.Webhook
}

// noWait skips the waits of the clients' retries.
func noWait(ctx context.Context, d time.Duration) error { return ctx.Err() }

func newEmulator(t testing.TB, o *emulatorOptions) *emulator {
	t.Helper()
	if o == nil {
		o = &emulatorOptions{}
	}
	do := &dualwritetest.Options{Webhooks: o.webhooks}
	if o.retryAfter > 0 {
		do.Faults = &dualwritetest.Faults{RetryAfter: o.retryAfter}
	}
	srv := dualwritetest.NewServer(do)
	t.Cleanup(srv.Close)
	e := &emulator{srv: srv}
	e.sales, e.commerce = e.clients(t, nil, o.maxRetryAfter)
	return e
}

// clients returns Sales and Commerce clients over the emulator, sending
// through rt when it is not nil.
func (e *emulator) clients(t testing.TB, rt http.RoundTripper, maxRetryAfter time.Duration) (*sales.Client, *commerce.Client) {
	t.Helper()
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: noWait, MaxRetries: 12, MaxRetryAfter: maxRetryAfter}}
	if rt != nil {
		opts.HTTPClient = &http.Client{Transport: rt}
	}
	sc, err := sales.NewClient(e.srv.SalesURL, e.srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(e.srv.CommerceURL, e.srv.Credential(), &commerce.Options{ClientOptions: opts, Company: e.srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	return sc, cc
}

// activities returns Activities over the emulator's clients.
func (e *emulator) activities() *Activities {
	return &Activities{Service: onboarding.New(e.sales, e.commerce, nil), Sales: e.sales}
}

// submit sends an onboarding request and returns its lead id.
func (e *emulator) submit(t testing.TB) uuid.UUID {
	t.Helper()
	i := e.n.Add(1)
	sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Avery", LastName: fmt.Sprintf("Buyer %03d", i),
		Company: fmt.Sprintf("Partner %03d Ltd", i), Email: fmt.Sprintf("avery%03d@partner.example", i),
		Phone: "+1 425 555 0100", ZipCode: "98052",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub.LeadID
}

// counts returns how many accounts, contacts and opportunities exist.
func (e *emulator) counts() [3]int {
	return [3]int{e.srv.Count("accounts"), e.srv.Count("contacts"), e.srv.Count("opportunities")}
}

// activityEnv is a test activity environment with the activities of a.
func activityEnv(t *testing.T, a *Activities) *testsuite.TestActivityEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger(t))
	env := s.NewTestActivityEnvironment()
	RegisterActivities(env, a)
	return env
}

// quietLogger logs warnings and errors to the test's log.
func quietLogger(t testing.TB) sdklog.Logger {
	tl := &testLog{t: t}
	t.Cleanup(func() { tl.mu.Lock(); tl.done = true; tl.mu.Unlock() })
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(tl, &slog.HandlerOptions{Level: slog.LevelWarn})))
}
