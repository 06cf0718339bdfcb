package onboarding_test

// Chaos and crash-and-resume tests of the onboarding workflows against the
// emulator. The default sizes keep CI fast; the long modes are
//
//	go test -race -run 'TestChaos|TestCrash' -count=1 ./onboarding -args -chaos.n=1000 -crash.n=1000
//
// (see docs/performance.md).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	"github.com/hashicorp/go-cleanhttp"
)

var (
	chaosN     = flag.Int("chaos.n", 300, "onboarding requests decided by TestChaosProcess (1000 for the long mode)")
	crashN     = flag.Int("crash.n", 200, "decisions interrupted by TestCrashAndResume")
	chaosSeed  = flag.Int64("chaos.seed", 1, "seed of the emulator's faults and of the interruption points")
	chaosConfm = flag.Bool("chaos.confirm", false, "TestChaosProcess also waits for Commerce to confirm each decision")
)

// chaosEnv is an emulator with clients whose retries do not sleep, and
// optionally an HTTP client of the caller's.
type chaosEnv struct {
	srv *dualwritetest.Server
	sc  *sales.Client
	cc  *commerce.Client
}

func chaosNoWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newChaosEnv(t testing.TB, o *dualwritetest.Options, hc *http.Client) *chaosEnv {
	t.Helper()
	srv := dualwritetest.NewServer(o)
	t.Cleanup(srv.Close)
	opts := d365.ClientOptions{HTTPClient: hc, Retry: d365.RetryOptions{Sleep: chaosNoWait, MaxRetries: 12}}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{ClientOptions: opts, Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	return &chaosEnv{srv: srv, sc: sc, cc: cc}
}

// submit sends n onboarding requests and returns their lead ids with the
// decision each should get: one in three rejected, the others approved.
func (e *chaosEnv) submit(t testing.TB, n int) ([]uuid.UUID, map[uuid.UUID]onboarding.Decision) {
	t.Helper()
	ids := make([]uuid.UUID, n)
	want := make(map[uuid.UUID]onboarding.Decision, n)
	for i := range ids {
		sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Chaos", LastName: fmt.Sprintf("Buyer %04d", i),
			Company: fmt.Sprintf("Chaos %04d Ltd", i), Email: fmt.Sprintf("chaos%04d@partner.example", i),
			Phone: "+1 425 555 0100", ZipCode: "98052",
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = sub.LeadID
		want[ids[i]] = onboarding.Approve
		if i%3 == 2 {
			want[ids[i]] = onboarding.Reject
		}
	}
	return ids, want
}

func chaosInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case string:
		var i int
		fmt.Sscan(n, &i)
		return i
	}
	return -1
}

func chaosStr(v any) string {
	s, _ := v.(string)
	return s
}

// checkDecided checks that every lead of want ended in its decided state on
// both sides and that nothing was done twice:
//   - Sales: an approved lead is qualified (statecode 1) with
//     msdyn_b2bprospectstatus Approved, a rejected one disqualified
//     (statecode 2) with Rejected;
//   - Commerce: the lead's prospect has B2BProspectStatus Approved or
//     Rejected;
//   - one account, one contact and one won opportunity per approval, each
//     originating from a different approved lead;
//   - no lead was qualified twice (QualifyLead acted on at most once per
//     lead, counting the calls whose answer was lost).
//
// logComplete says that the request log holds every request of the run.
func checkDecided(t *testing.T, srv *dualwritetest.Server, want map[uuid.UUID]onboarding.Decision, logComplete bool) {
	t.Helper()
	prospects := map[string]string{}
	for _, p := range srv.Rows("Prospects") {
		prospects[chaosStr(p["ProspectId"])] = chaosStr(p["B2BProspectStatus"])
	}
	approved := map[string]bool{}
	seen := 0
	for _, l := range srv.Rows("leads") {
		id, err := uuid.Parse(chaosStr(l["leadid"]))
		if err != nil {
			continue
		}
		d, ok := want[id]
		if !ok {
			continue
		}
		seen++
		wantState, wantB2B, wantProspect := int(sales.LeadStateDisqualified), int(sales.B2BProspectStatusRejected), "Rejected"
		if d == onboarding.Approve {
			wantState, wantB2B, wantProspect = int(sales.LeadStateQualified), int(sales.B2BProspectStatusApproved), "Approved"
			approved[id.String()] = true
		}
		if st, b2b := chaosInt(l["statecode"]), chaosInt(l["msdyn_b2bprospectstatus"]); st != wantState || b2b != wantB2B {
			t.Errorf("lead %s (%s): statecode %d, msdyn_b2bprospectstatus %d; want %d, %d", id, d, st, b2b, wantState, wantB2B)
		}
		if got := prospects[chaosStr(l["msdyn_prospectid"])]; got != wantProspect {
			t.Errorf("lead %s (%s): Commerce prospect %q is %q, want %q", id, d, chaosStr(l["msdyn_prospectid"]), got, wantProspect)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d leads", seen, len(want))
	}
	for _, table := range []string{"accounts", "contacts", "opportunities"} {
		rows := srv.Rows(table)
		if len(rows) != len(approved) {
			t.Errorf("%d %s, want %d (one per approval)", len(rows), table, len(approved))
		}
		origin := map[string]int{}
		for _, r := range rows {
			lead := chaosStr(r["_originatingleadid_value"])
			origin[lead]++
			if !approved[lead] {
				t.Errorf("%s %v originates from lead %q, which is not an approved one", table, r, lead)
			}
			if table == "opportunities" && chaosInt(r["statecode"]) != 1 {
				t.Errorf("opportunity of lead %s has statecode %v, want 1 (won)", lead, r["statecode"])
			}
		}
		for lead, n := range origin {
			if n > 1 {
				t.Errorf("lead %s has %d %s: created twice", lead, n, table)
			}
		}
	}
	if !logComplete {
		return
	}
	qualified := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Service != "sales" || r.Method != http.MethodPost || !strings.Contains(r.Path, "QualifyLead") {
			continue
		}
		if (r.Status >= 200 && r.Status < 300) || r.Fault == "lose-response" {
			qualified[r.Path]++
		}
	}
	for path, n := range qualified {
		if n > 1 {
			t.Errorf("%s was carried out %d times", path, n)
		}
	}
	if len(qualified) != len(approved) {
		t.Errorf("QualifyLead carried out for %d leads, want %d", len(qualified), len(approved))
	}
}

// TestChaosProcess decides -chaos.n requests (300 by default) through
// Process with the emulator injecting 10% 429s, 5% 503s, 2% dropped
// connections and 2% lost responses on every request, then checks the
// state of both sides.
func TestChaosProcess(t *testing.T) {
	n := *chaosN
	e := newChaosEnv(t, &dualwritetest.Options{Faults: &dualwritetest.Faults{
		Throttle: 0.10, Unavailable: 0.05, Drop: 0.02, LoseResponse: 0.02, Seed: *chaosSeed,
	}}, nil)
	_, want := e.submit(t, n)
	svc := onboarding.New(e.sc, e.cc, nil)
	start := time.Now()
	var settled atomic.Int64
	sum, err := svc.Process(context.Background(), func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		return onboarding.Verdict{Decision: want[r.Lead.ID]}, nil
	}, &onboarding.ProcessOptions{
		Concurrency: 8,
		Approve:     &onboarding.ApproveOptions{Confirm: confirmIf(*chaosConfm)},
		Reject:      &onboarding.RejectOptions{Confirm: confirmIf(*chaosConfm)},
		Progress:    func(onboarding.Progress) { settled.Add(1) },
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Failures {
		t.Errorf("decision %s on %s failed: %v", f.Decision, f.LeadID, f.Err)
	}
	if int(settled.Load()) != n || sum.Approved+sum.Rejected != n {
		t.Errorf("settled %d, summary %+v; want %d decided", settled.Load(), sum, n)
	}
	faults := map[string]int{}
	reqs := e.srv.Requests()
	for _, r := range reqs {
		faults[r.Fault]++
	}
	t.Logf("%d requests decided in %s (%d approved, %d rejected) over %d HTTP requests; faults injected: %d throttle, %d unavailable, %d drop, %d lose-response",
		n, elapsed.Round(time.Millisecond), sum.Approved, sum.Rejected, len(reqs),
		faults["throttle"], faults["unavailable"], faults["drop"], faults["lose-response"])
	checkDecided(t, e.srv, want, true)
}

// cutKey carries a *cut in a request's context.
type cutKey struct{}

// cut interrupts a decision at its at-th HTTP request: before sending it
// (the service never sees it) or after its response arrived (the service
// acted, the caller never learns it), by cancelling the decision's context
// as a crash or a deadline would.
type cut struct {
	at     int64
	after  bool
	n      atomic.Int64
	cancel context.CancelFunc
}

// cutTransport applies the cut found in each request's context.
type cutTransport struct{ base http.RoundTripper }

func (t cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c, _ := r.Context().Value(cutKey{}).(*cut)
	if c == nil {
		return t.base.RoundTrip(r)
	}
	n := c.n.Add(1)
	if n == c.at && !c.after {
		c.cancel()
		return nil, context.Canceled
	}
	resp, err := t.base.RoundTrip(r)
	if n == c.at && c.after {
		c.cancel()
		if resp != nil {
			resp.Body.Close()
		}
		return nil, context.Canceled
	}
	return resp, err
}

// TestCrashAndResume interrupts -crash.n decisions (200 by default, one in
// three a rejection) at a random point: a context cancelled before a random
// request is sent, after its response arrived, or after a random step (via
// Options.OnStep), some of them while waiting for Commerce's confirmation.
// Every decision is then run again without interruption, and both sides
// must show each decision carried out exactly once.
func TestCrashAndResume(t *testing.T) {
	n := *crashN
	hc := cleanhttp.DefaultPooledClient()
	hc.Transport = cutTransport{base: hc.Transport}
	e := newChaosEnv(t, nil, hc)
	ids, want := e.submit(t, n)
	rng := rand.New(rand.NewPCG(uint64(*chaosSeed), 9))
	plain := onboarding.New(e.sc, e.cc, nil)
	modes := map[string]int{}
	interrupted := 0
	for _, id := range ids {
		ctx, cancel := context.WithCancel(context.Background())
		svc := plain
		mode := rng.IntN(3)
		switch mode {
		case 0, 1:
			ctx = context.WithValue(ctx, cutKey{}, &cut{at: int64(1 + rng.IntN(5)), after: mode == 1, cancel: cancel})
		case 2:
			at, steps := 1+rng.IntN(4), 0
			svc = onboarding.New(e.sc, e.cc, &onboarding.Options{OnStep: func(uuid.UUID, onboarding.Step) {
				if steps++; steps == at {
					cancel()
				}
			}})
		}
		confirm := rng.IntN(2) == 0
		var err error
		if want[id] == onboarding.Approve {
			_, err = svc.Approve(ctx, id, &onboarding.ApproveOptions{Confirm: confirmIf(confirm)})
		} else {
			_, err = svc.Reject(ctx, id, &onboarding.RejectOptions{Confirm: confirmIf(confirm)})
		}
		cancel()
		if err != nil {
			interrupted++
			modes[[]string{"before a request", "after a response", "after a step"}[mode]]++
		}
		// The run again, to completion.
		if want[id] == onboarding.Approve {
			_, err = plain.Approve(context.Background(), id, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
		} else {
			_, err = plain.Reject(context.Background(), id, &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}})
		}
		if err != nil {
			t.Errorf("%s of %s after an interruption: %v", want[id], id, err)
		}
	}
	t.Logf("%d decisions, %d interrupted (%v), all resumed", n, interrupted, modes)
	if interrupted < n/3 {
		t.Errorf("only %d of %d decisions were interrupted: the test does not test much", interrupted, n)
	}
	checkDecided(t, e.srv, want, true)
}
