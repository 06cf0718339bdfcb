package onboarding_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
)

// eventEnv is an emulator whose webhooks go to a webhook.Handler running
// onboarding's OnLeadCreated.
type eventEnv struct {
	*env
	recv    *httptest.Server
	handler *webhook.Handler
	mu      sync.Mutex
	settled []onboarding.Verdict
	errs    []error
	decided atomic.Int32
}

func newEventEnv(t *testing.T, decision onboarding.Decision, hook dualwritetest.Webhook) *eventEnv {
	t.Helper()
	ee := &eventEnv{}
	var h atomic.Pointer[webhook.Handler]
	ee.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(ee.recv.Close)
	hook.URL = ee.recv.URL + "/dataverse"
	hook.Headers = map[string]string{"X-Onboarding-Key": "s3cret"}
	ee.env = newEnv(t, &dualwritetest.Options{Webhooks: []dualwritetest.Webhook{hook}})
	decide := func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		ee.decided.Add(1)
		if r.Prospect == nil || r.Prospect.B2BProspectStatus != commerce.ProspectPending {
			t.Errorf("request without its Pending prospect: %+v", r)
		}
		return onboarding.Verdict{Decision: decision}, nil
	}
	fn := ee.svc.OnLeadCreated(decide, &onboarding.EventOptions{
		Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Reject:  &onboarding.RejectOptions{Confirm: &onboarding.ConfirmOptions{}},
		Done: func(_ *onboarding.Request, v onboarding.Verdict, _ *onboarding.Outcome, err error) {
			ee.mu.Lock()
			defer ee.mu.Unlock()
			ee.settled = append(ee.settled, v)
			if err != nil {
				ee.errs = append(ee.errs, err)
			}
		},
	})
	handler, err := webhook.NewHandler(fn, &webhook.Options{
		Auth: webhook.Auth{Headers: map[string]string{"X-Onboarding-Key": "s3cret"}},
		OnError: func(e *webhook.Event, err error) {
			ee.mu.Lock()
			ee.errs = append(ee.errs, err)
			ee.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(handler)
	ee.handler = handler
	t.Cleanup(func() { handler.Close(context.Background()) })
	return ee
}

func TestWebhookStartsApprovalWithoutPolling(t *testing.T) {
	ee := newEventEnv(t, onboarding.Approve, dualwritetest.Webhook{})
	ee.srv.ResetRequests()
	id := ee.submit(t, 1)[0]
	ctx := context.Background()
	if err := ee.srv.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	// Closing the handler waits for the work queued so far (the approval,
	// which confirms in Commerce before it returns).
	if err := ee.handler.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The approval's own writes fire events too (the Win among them).
	if err := ee.srv.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ee.errs) != 0 || len(ee.settled) != 1 || ee.settled[0].Decision != onboarding.Approve {
		t.Fatalf("settled %v, errors %v", ee.settled, ee.errs)
	}
	lead, err := ee.sales.Leads.Get(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *lead.State != sales.LeadStateQualified || lead.B2BProspectStatus != sales.B2BProspectStatusApproved {
		t.Errorf("lead is %v / %v, want Qualified / Approved", *lead.State, lead.B2BProspectStatus)
	}
	prospects := ee.srv.Rows("Prospects")
	if len(prospects) != 1 || prospects[0]["B2BProspectStatus"] != "Approved" {
		t.Errorf("prospects = %v", prospects)
	}
	for _, r := range ee.srv.Requests() {
		if r.Service == "sales" && r.Method == http.MethodGet && strings.Contains(r.Path, "msdyn_b2bprospectstatus eq") {
			t.Errorf("the approval polled Pending: %s", r.Path)
		}
	}
	var create *dualwritetest.WebhookDelivery
	for i, d := range ee.srv.WebhookDeliveries() {
		if d.Message == "Create" && d.Entity == "lead" && d.EntityID == id.String() {
			create = &ee.srv.WebhookDeliveries()[i]
		}
	}
	if create == nil || create.Status != http.StatusAccepted || create.Attempts != 1 {
		t.Fatalf("the lead's Create delivery = %+v", create)
	}
	var wins int
	for _, d := range ee.srv.WebhookDeliveries() {
		if d.Message == "Win" && d.Entity == "opportunity" {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d Win deliveries, want 1", wins)
	}
}

func TestWebhookReplayDoesNothing(t *testing.T) {
	ee := newEventEnv(t, onboarding.Approve, dualwritetest.Webhook{Messages: []string{"Create"}, Entities: []string{"lead"}})
	id := ee.submit(t, 1)[0]
	ctx := context.Background()
	if err := ee.srv.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	ds := ee.srv.WebhookDeliveries()
	if len(ds) != 1 || ds[0].EntityID != id.String() {
		t.Fatalf("deliveries = %+v", ds)
	}
	// Wait for the approval: a second handler over the same receiver
	// would race it, so close (drain) this one and install one sharing
	// nothing, to prove the workflow's own idempotence too.
	if err := ee.handler.Close(ctx); err != nil {
		t.Fatal(err)
	}
	before := ee.counts()
	reqs := len(ee.srv.Requests())

	// The same handler's store would refuse it; a closed handler answers
	// 503. Replays go to a fresh handler with its own store (a restarted
	// receiver) and to one sharing the store.
	store := webhook.NewMemoryStore(10, 0)
	var calls atomic.Int32
	fresh, _ := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
		calls.Add(1)
		return ee.svc.OnLeadCreated(func(context.Context, *onboarding.Request) (onboarding.Verdict, error) {
			t.Error("decide was asked again on a replay")
			return onboarding.Verdict{}, nil
		}, nil)(ctx, e)
	}, &webhook.Options{Unauthenticated: true, Store: store})
	srv := httptest.NewServer(fresh)
	defer srv.Close()
	replay := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(string(ds[0].Body)))
		req.Header = ds[0].Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := replay(); got != http.StatusAccepted {
		t.Errorf("first replay to a restarted receiver: %d", got)
	}
	if got := replay(); got != http.StatusOK {
		t.Errorf("second replay: %d, want 200 (duplicate)", got)
	}
	fresh.Close(ctx)
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
	if after := ee.counts(); after != before {
		t.Errorf("records %v after the replays, %v before", after, before)
	}
	for _, r := range ee.srv.Requests()[reqs:] {
		if r.Method != http.MethodGet {
			t.Errorf("the replay wrote: %s %s", r.Method, r.Path)
		}
	}
	if len(ee.settled) != 1 || len(ee.errs) != 0 {
		t.Errorf("settled %v, errors %v", ee.settled, ee.errs)
	}
	// A replay through the emulator to the first receiver is a
	// duplicate there.
	if st, err := ee.srv.RedeliverWebhook(ctx, 0); err != nil || st != http.StatusOK {
		t.Errorf("RedeliverWebhook = %d, %v", st, err)
	}
}

func TestWebhookRejects(t *testing.T) {
	ee := newEventEnv(t, onboarding.Reject, dualwritetest.Webhook{})
	id := ee.submit(t, 1)[0]
	ctx := context.Background()
	ee.srv.WaitWebhooks(ctx)
	ee.handler.Close(ctx)
	lead, err := ee.sales.Leads.Get(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *lead.State != sales.LeadStateDisqualified || lead.B2BProspectStatus != sales.B2BProspectStatusRejected || len(ee.errs) != 0 {
		t.Errorf("lead %v / %v, errors %v", *lead.State, lead.B2BProspectStatus, ee.errs)
	}
}

func TestWebhookSizeExceededRereadsTheLead(t *testing.T) {
	ee := newEventEnv(t, onboarding.Approve, dualwritetest.Webhook{Messages: []string{"Create"}, Entities: []string{"lead"}, MaxPayload: 100})
	id := ee.submit(t, 1)[0]
	ctx := context.Background()
	ee.srv.WaitWebhooks(ctx)
	ee.handler.Close(ctx)
	ds := ee.srv.WebhookDeliveries()
	if len(ds) != 1 || !ds[0].SizeExceeded || strings.Contains(string(ds[0].Body), "InputParameters") {
		t.Fatalf("deliveries = %+v", ds)
	}
	lead, err := ee.sales.Leads.Get(ctx, id, nil)
	if err != nil || *lead.State != sales.LeadStateQualified || ee.decided.Load() != 1 {
		t.Errorf("lead %+v, %v; decided %d", lead, err, ee.decided.Load())
	}
}

func TestWebhookIgnoresOtherLeads(t *testing.T) {
	ee := newEventEnv(t, onboarding.Approve, dualwritetest.Webhook{})
	ctx := context.Background()
	if _, err := ee.sales.Leads.Create(ctx, &sales.Lead{Subject: "Walk-in", LastName: "Walk-in", CompanyName: "Not B2B"}); err != nil {
		t.Fatal(err)
	}
	ee.srv.WaitWebhooks(ctx)
	ee.handler.Close(ctx)
	if ee.decided.Load() != 0 || ee.srv.Count("opportunities") != 0 || len(ee.errs) != 0 {
		t.Errorf("decided %d, opportunities %d, errors %v", ee.decided.Load(), ee.srv.Count("opportunities"), ee.errs)
	}
	if n := len(ee.srv.WebhookDeliveries()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}
