package onboarding_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// env is an emulator with clients and a Service over it.
type env struct {
	srv      *dualwritetest.Server
	sales    *sales.Client
	commerce *commerce.Client
	svc      *onboarding.Service
}

// noWait skips the waits of retries, so tests with throttling do not sleep;
// the waits asked for are still honoured in order.
func noWait(ctx context.Context, d time.Duration) error { return ctx.Err() }

func newEnv(t testing.TB, o *dualwritetest.Options) *env {
	t.Helper()
	srv := dualwritetest.NewServer(o)
	t.Cleanup(srv.Close)
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: noWait, MaxRetries: 12}}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{ClientOptions: opts, Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, sales: sc, commerce: cc, svc: onboarding.New(sc, cc, nil)}
}

// submit sends n onboarding requests and returns their lead ids.
func (e *env) submit(t testing.TB, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, n)
	for i := range ids {
		sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Avery", LastName: fmt.Sprintf("Buyer %03d", i),
			Company: fmt.Sprintf("Partner %03d Ltd", i), Email: fmt.Sprintf("avery%03d@partner.example", i),
			Phone: "+1 425 555 0100", ZipCode: "98052",
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = sub.LeadID
	}
	return ids
}

// counts returns how many accounts, contacts and opportunities exist.
func (e *env) counts() [3]int {
	return [3]int{e.srv.Count("accounts"), e.srv.Count("contacts"), e.srv.Count("opportunities")}
}

// salesRequests counts the requests the Sales side received.
func (e *env) salesRequests() int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.Service == "sales" {
			n++
		}
	}
	return n
}

// stepsOf renders an outcome's steps as "name:status" for comparison.
func stepsOf(o *onboarding.Outcome) []string {
	var s []string
	for _, st := range o.Steps {
		s = append(s, string(st.Name)+":"+string(st.Status))
	}
	return s
}

// confirmIf returns options that wait for Commerce when wait is true, and
// nil (no wait) otherwise.
func confirmIf(wait bool) *onboarding.ConfirmOptions {
	if wait {
		return &onboarding.ConfirmOptions{}
	}
	return nil
}
