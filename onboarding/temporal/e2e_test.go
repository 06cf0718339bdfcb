package temporal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/grpc"
)

const taskQueue = "onboarding"

// testLog writes to t.Log until the test ends, then drops what comes: a
// worker left hanging may log after the test.
type testLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// engine is a Temporal server started in the test process, with the d365
// emulator.
type engine struct {
	ts  *temporaltest.TestServer
	emu *emulator
	log sdklog.Logger
}

func newEngine(t *testing.T, o *emulatorOptions) *engine {
	t.Helper()
	log := quietLogger(t) // first, so that it is silenced last
	emu := newEmulator(t, o)
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(client.Options{Logger: log}))
	return &engine{ts: ts, emu: emu, log: log}
}

// client returns a new client of the server, with the unary interceptors
// given.
func (e *engine) client(interceptors ...grpc.UnaryClientInterceptor) client.Client {
	o := client.Options{Logger: e.log}
	if len(interceptors) > 0 {
		o.ConnectionOptions.DialOptions = []grpc.DialOption{grpc.WithChainUnaryInterceptor(interceptors...)}
	}
	return e.ts.NewClientWithOptions(o)
}

// worker starts a worker on taskQueue with the activities a.
func (e *engine) worker(t *testing.T, c client.Client, a *Activities, o worker.Options) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, o)
	Register(w, a)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return w
}

// wait returns the workflow's result, within a bound.
func waitResult(t *testing.T, run client.WorkflowRun) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var r Result
	if err := run.Get(ctx, &r); err != nil {
		t.Fatalf("workflow %s: %v", run.GetID(), err)
	}
	return &r
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fast are start options whose timeouts make a lost worker's tasks move to
// another worker quickly.
var fast = client.StartWorkflowOptions{TaskQueue: taskQueue, WorkflowTaskTimeout: 2 * time.Second}

func fastActivities(heartbeat time.Duration) ActivityOptions {
	return ActivityOptions{HeartbeatTimeout: heartbeat, StartToCloseTimeout: time.Minute,
		Retry: &sdktemporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: time.Second}}
}

func steps(o *onboarding.Outcome) []string {
	var s []string
	for _, st := range o.Steps {
		s = append(s, string(st.Name)+":"+string(st.Status))
	}
	return s
}

// checkApproved checks on the emulator that the request of id is approved
// on both sides, with one account, contact and opportunity, qualified once.
func (e *emulator) checkApproved(t *testing.T, id uuid.UUID) {
	t.Helper()
	ctx := bounded(t)
	l, err := e.sales.Leads.Get(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *l.State != sales.LeadStateQualified || l.B2BProspectStatus != sales.B2BProspectStatusApproved {
		t.Errorf("lead is %v / %v, want Qualified / Approved", *l.State, l.B2BProspectStatus)
	}
	opp, err := e.sales.Opportunities.Get(ctx, l.QualifyingOpportunityID, nil)
	if err != nil || *opp.State != sales.OpportunityStateWon {
		t.Errorf("opportunity = %+v, %v; want Won", opp, err)
	}
	p, err := e.commerce.Prospects.Get(ctx, e.srv.Company(), l.ProspectID, nil)
	if err != nil || p.B2BProspectStatus != commerce.ProspectApproved {
		t.Errorf("prospect = %+v, %v; want Approved", p, err)
	}
	qualified := 0
	for _, r := range e.srv.Requests() {
		if r.Method == http.MethodPost && strings.Contains(r.Path, id.String()) && strings.HasSuffix(r.Path, "QualifyLead") && r.Status < 300 {
			qualified++
		}
	}
	if qualified != 1 {
		t.Errorf("the lead was qualified %d times, want once", qualified)
	}
}

func TestEngineApprovesAndRejects(t *testing.T) {
	e := newEngine(t, nil)
	c := e.client()
	e.worker(t, c, e.emu.activities(), worker.Options{})
	ctx := bounded(t)
	approveID, rejectID := e.emu.submit(t), e.emu.submit(t)

	req := Request{LeadID: approveID, Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}}
	run, started, err := Start(ctx, c, fast, req)
	if err != nil || !started {
		t.Fatalf("Start = %v, %v", started, err)
	}
	// A second start of the same request starts nothing.
	again, started, err := Start(ctx, c, fast, req)
	if err != nil || started || again.GetRunID() != run.GetRunID() {
		t.Fatalf("second Start = %v, %v (run %s, first %s), want the first run", started, err, again.GetRunID(), run.GetRunID())
	}
	rrun, _, err := Start(ctx, c, fast, Request{LeadID: rejectID, Reject: &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}}})
	if err != nil {
		t.Fatal(err)
	}

	// Both wait for a person.
	for _, id := range []uuid.UUID{approveID, rejectID} {
		st := queryUntil(t, c, id, func(s Status) bool { return s.Phase == PhaseWaiting })
		if st.Decision != nil {
			t.Errorf("status = %+v before any decision", st)
		}
	}
	if n := e.emu.counts(); n != [3]int{0, 0, 0} {
		t.Fatalf("records before a decision: %v", n)
	}
	if err := Decide(ctx, c, approveID, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana", Reason: "credit checked"}); err != nil {
		t.Fatal(err)
	}
	if err := Decide(ctx, c, rejectID, DecisionSignal{Decision: DecisionReject, Reviewer: "dana", RejectAs: sales.LeadStatusCannotContact}); err != nil {
		t.Fatal(err)
	}
	if err := Decide(ctx, c, rejectID, DecisionSignal{Decision: "later", Reviewer: "dana"}); err == nil {
		t.Error("Decide sent an invalid decision")
	}

	r := waitResult(t, run)
	if r.Decision != DecisionApprove || r.DecidedBy != "dana" || r.Outcome == nil || r.Outcome.Commerce == nil || r.Outcome.Commerce.HierarchyID == "" {
		t.Errorf("approval result = %+v", r)
	}
	e.emu.checkApproved(t, approveID)

	rr := waitResult(t, rrun)
	if diff := cmp.Diff([]string{"read lead:done", "disqualify lead:done", "confirm in Commerce:done"}, steps(rr.Outcome)); diff != "" {
		t.Errorf("rejection steps (-want +got):\n%s", diff)
	}
	l, err := e.emu.sales.Leads.Get(ctx, rejectID, nil)
	if err != nil || l.Status != sales.LeadStatusCannotContact || l.B2BProspectStatus != sales.B2BProspectStatusRejected {
		t.Errorf("rejected lead = %v / %v, %v", l.Status, l.B2BProspectStatus, err)
	}
	if n := e.emu.counts(); n != [3]int{1, 1, 1} {
		t.Errorf("accounts, contacts, opportunities = %v, want one each (the approval's)", n)
	}

	// A completed request is not started again.
	if _, started, err := Start(ctx, c, fast, req); err != nil || started {
		t.Errorf("Start after completion = %v, %v; want nothing started", started, err)
	}
}

// queryUntil queries the workflow of id until ok holds, within a bound.
func queryUntil(t *testing.T, c client.Client, id uuid.UUID, ok func(Status) bool) Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		v, err := c.QueryWorkflow(ctx, WorkflowID(id), "", QueryStatus)
		var st Status
		if err == nil {
			if err = v.Get(&st); err == nil && ok(st) {
				return st
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("status of %s: %+v, %v: %v", id, st, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A webhook on Create starts the workflow, and one on Update drives the
// Commerce confirmation (Request.AwaitConfirmation).
func TestEngineStartsFromWebhook(t *testing.T) {
	var h *webhook.Handler
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(recv.Close)
	e := newEngine(t, &emulatorOptions{webhooks: []dualwritetest.Webhook{{URL: recv.URL, Code: "k3y", Messages: []string{"Create", "Update"}, Entities: []string{"lead"}}}})
	c := e.client()
	e.worker(t, c, e.emu.activities(), worker.Options{})
	startedc := make(chan uuid.UUID, 4)
	// The Create starts the workflow; the Update that sets the prospect
	// status Approved tells it to confirm in Commerce now. The wait for the
	// event is long, so that only the event can end it in this test.
	template := Request{AwaitConfirmation: 10 * time.Minute, Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}}
	start := StartOnLeadCreated(c, fast, template, func(id uuid.UUID, _ client.WorkflowRun) { startedc <- id })
	confirmed := SignalOnLeadUpdated(c)
	var err error
	h, err = webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
		if err := start(ctx, ev); err != nil {
			return err
		}
		return confirmed(ctx, ev)
	}, &webhook.Options{Auth: webhook.Auth{Code: "k3y"}, OnError: func(_ *webhook.Event, err error) { t.Errorf("webhook: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })

	ctx := bounded(t)
	id := e.emu.submit(t)
	select {
	case got := <-startedc:
		if got != id {
			t.Fatalf("started %s, want %s", got, id)
		}
	case <-ctx.Done():
		t.Fatal("no workflow started from the webhook")
	}
	queryUntil(t, c, id, func(s Status) bool { return s.Phase == PhaseWaiting })
	if err := Decide(ctx, c, id, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"}); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, c.GetWorkflow(ctx, WorkflowID(id), ""))
	if !r.ConfirmedByEvent || r.Outcome.Commerce == nil || r.Outcome.Commerce.HierarchyID == "" {
		t.Errorf("result = %+v, commerce %+v; want confirmed by the Update event, with the hierarchy", r, r.Outcome.Commerce)
	}
	want := []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done", "confirm in Commerce:done"}
	if diff := cmp.Diff(want, steps(r.Outcome)); diff != "" {
		t.Errorf("steps of the confirming run (-want +got):\n%s", diff)
	}
	e.emu.checkApproved(t, id)

	// The same event handled again (a replay past the handler's store)
	// starts nothing.
	fn := StartOnLeadCreated(c, fast, Request{}, func(uuid.UUID, client.WorkflowRun) { t.Error("started again") })
	ev := &webhook.Event{Context: &webhook.Context{MessageName: "Create", PrimaryEntityName: "lead", PrimaryEntityID: id}}
	if err := fn(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.counts(); n != [3]int{1, 1, 1} {
		t.Errorf("accounts, contacts, opportunities = %v, want one each", n)
	}
}

// gate is a transport that holds the first WinOpportunity request (the
// step after qualifying the lead) until release is closed. With
// honorContext the hold ends when the request's context does, as in a
// worker that stops; without, the request hangs.
type gate struct {
	next         http.RoundTripper
	honorContext bool
	once         sync.Once
	tripped      chan struct{}
	release      chan struct{}
	held         atomic.Int32
}

func newGate(honorContext bool) *gate {
	return &gate{next: http.DefaultTransport, honorContext: honorContext, tripped: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/WinOpportunity") {
		first := false
		g.once.Do(func() { first = true })
		if first {
			g.held.Add(1)
			close(g.tripped)
			done := r.Context().Done()
			if !g.honorContext {
				done = nil
			}
			select {
			case <-g.release:
			case <-done:
				return nil, r.Context().Err()
			}
		}
	}
	return g.next.RoundTrip(r)
}

// freezer blocks every call of a Temporal client while frozen, as for a
// process that hangs: no heartbeats, no polls, no completions.
type freezer struct {
	mu     sync.Mutex
	frozen chan struct{} // nil when not frozen; closed to thaw
}

func (f *freezer) freeze() { f.mu.Lock(); f.frozen = make(chan struct{}); f.mu.Unlock() }

func (f *freezer) thaw() {
	f.mu.Lock()
	if f.frozen != nil {
		close(f.frozen)
		f.frozen = nil
	}
	f.mu.Unlock()
}

func (f *freezer) hold(ctx context.Context) {
	f.mu.Lock()
	c := f.frozen
	f.mu.Unlock()
	if c != nil {
		select {
		case <-c:
		case <-ctx.Done():
		}
	}
}

func (f *freezer) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	f.hold(ctx)
	err := invoker(ctx, method, req, reply, cc, opts...)
	f.hold(ctx) // an answer that came while frozen is held too
	return err
}

// A worker is stopped while its activity is between qualifying the lead
// and winning the opportunity: another worker on the task queue finishes
// the approval, resuming after the qualification.
func TestEngineWorkerStoppedMidApproval(t *testing.T) {
	e := newEngine(t, nil)
	id := e.emu.submit(t)
	g := newGate(true)
	sa, ca := e.emu.clients(t, g, 0)
	ka := e.client()
	wa := e.worker(t, ka, &Activities{Service: onboarding.New(sa, ca, nil), Sales: sa}, worker.Options{})

	ctx := bounded(t)
	run, _, err := Start(ctx, ka, fast, Request{LeadID: id, Activity: fastActivities(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if err := Decide(ctx, ka, id, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.tripped:
	case <-ctx.Done():
		t.Fatal("the approval did not reach the win step")
	}
	if n := e.emu.counts(); n != [3]int{1, 1, 1} {
		t.Fatalf("after qualifying: %v", n)
	}
	e.worker(t, e.client(), e.emu.activities(), worker.Options{})
	wa.Stop()

	r := waitResult(t, run)
	want := []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:done"}
	if diff := cmp.Diff(want, steps(r.Outcome)); diff != "" {
		t.Errorf("steps of the attempt that finished (-want +got):\n%s", diff)
	}
	e.emu.checkApproved(t, id)
	if n := e.emu.counts(); n != [3]int{1, 1, 1} {
		t.Errorf("accounts, contacts, opportunities = %v, want one each", n)
	}
	if n := g.held.Load(); n != 1 {
		t.Errorf("the stopped worker's win was held %d times, want 1", n)
	}
}

// A worker hangs in its activity and sends no more heartbeats (nor
// anything else): after the heartbeat timeout another worker finishes the
// approval. When the hung worker comes back, it creates nothing.
func TestEngineWorkerHungWithoutHeartbeats(t *testing.T) {
	e := newEngine(t, nil)
	id := e.emu.submit(t)
	g := newGate(false)
	f := &freezer{}
	sa, ca := e.emu.clients(t, g, 0)
	ka := e.client(f.intercept)
	wa := e.worker(t, ka, &Activities{Service: onboarding.New(sa, ca, nil), Sales: sa},
		worker.Options{WorkerStopTimeout: time.Minute, MaxConcurrentActivityTaskPollers: 2, MaxConcurrentWorkflowTaskPollers: 2})
	t.Cleanup(func() { f.thaw(); closeOnce(g.release) })

	ctx := bounded(t)
	run, _, err := Start(ctx, ka, fast, Request{LeadID: id, Activity: fastActivities(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if err := Decide(ctx, ka, id, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.tripped:
	case <-ctx.Done():
		t.Fatal("the approval did not reach the win step")
	}
	f.freeze()
	kb := e.client()
	e.worker(t, kb, e.emu.activities(), worker.Options{})

	r := waitResult(t, kb.GetWorkflow(ctx, run.GetID(), run.GetRunID()))
	want := []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:done"}
	if diff := cmp.Diff(want, steps(r.Outcome)); diff != "" {
		t.Errorf("steps of the attempt that finished (-want +got):\n%s", diff)
	}
	e.emu.checkApproved(t, id)

	// The hung worker wakes up. Its heartbeat is refused (the attempt
	// timed out), so the SDK cancels the attempt's context and the late win
	// fails; had it gone out, it would have found the opportunity won.
	// Either way nothing is created twice.
	closeOnce(g.release)
	f.thaw()
	wa.Stop() // waits for its activity to end (WorkerStopTimeout)
	if n := e.emu.counts(); n != [3]int{1, 1, 1} {
		t.Errorf("accounts, contacts, opportunities = %v, want one each", n)
	}
	e.emu.checkApproved(t, id)
}

var closeMu sync.Mutex

func closeOnce(c chan struct{}) {
	closeMu.Lock()
	defer closeMu.Unlock()
	select {
	case <-c:
	default:
		close(c)
	}
}

// An attempt that runs longer than its heartbeat timeout is not taken away
// from its worker while it heartbeats: the win is held until the server
// has received three heartbeats (three heartbeat timeouts' worth), and the
// first attempt still finishes the approval.
func TestEngineLongAttemptHeartbeats(t *testing.T) {
	e := newEngine(t, nil)
	id := e.emu.submit(t)
	g := newGate(true)
	t.Cleanup(func() { closeOnce(g.release) })
	var beats atomic.Int32
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil && strings.HasSuffix(method, "/RecordActivityTaskHeartbeat") && beats.Add(1) == 3 {
			closeOnce(g.release)
		}
		return err
	}
	sa, ca := e.emu.clients(t, g, 0)
	c := e.client(count)
	e.worker(t, c, &Activities{Service: onboarding.New(sa, ca, nil), Sales: sa}, worker.Options{})
	ctx := bounded(t)
	run, _, err := Start(ctx, c, fast, Request{LeadID: id, Activity: fastActivities(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if err := Decide(ctx, c, id, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"}); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, run)
	want := []string{"read lead:done", "qualify lead:done", "win opportunity:done"}
	if diff := cmp.Diff(want, steps(r.Outcome)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	e.emu.checkApproved(t, id)
}
