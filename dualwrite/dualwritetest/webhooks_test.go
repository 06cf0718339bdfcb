package dualwritetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hookReceiver records webhook calls and answers them with the statuses
// of answers, in turn (202 when they run out).
type hookReceiver struct {
	mu      sync.Mutex
	answers []int
	calls   []hookCall
	srv     *httptest.Server
}

type hookCall struct {
	header http.Header
	query  map[string][]string
	body   map[string]any
}

func newHookReceiver(t *testing.T, answers ...int) *hookReceiver {
	h := &hookReceiver{answers: answers}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			t.Errorf("webhook body is not JSON: %v", err)
		}
		h.mu.Lock()
		h.calls = append(h.calls, hookCall{header: r.Header.Clone(), query: r.URL.Query(), body: body})
		status := http.StatusAccepted
		if len(h.answers) > 0 {
			status, h.answers = h.answers[0], h.answers[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func wait(t *testing.T, s *Server) {
	t.Helper()
	if err := s.WaitWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// attr finds an attribute in a DataContract key/value list.
func attr(list any, key string) any {
	arr, _ := list.([]any)
	for _, it := range arr {
		m, _ := it.(map[string]any)
		if m["key"] == key {
			return m["value"]
		}
	}
	return "<absent>"
}

func TestWebhookCreatePayload(t *testing.T) {
	rcv := newHookReceiver(t)
	s := NewServer(&Options{Webhooks: []Webhook{{URL: rcv.srv.URL + "/hook", Code: "k1",
		Headers: map[string]string{"X-Key": "v"}, Query: map[string]string{"Key2": "Value2"}, Entities: []string{"lead"}}}})
	defer s.Close()
	r := call(t, "POST", api(s)+"leads", map[string]any{"subject": "Web", "lastname": "Doe", "companyname": "Fabrikam",
		"budgetamount": 12.5}, "Prefer", "return=representation").want(t, 201)
	id := r.body["leadid"].(string)
	wait(t, s)
	if len(rcv.calls) != 1 {
		t.Fatalf("%d calls, want 1", len(rcv.calls))
	}
	c := rcv.calls[0]
	wantHdr := map[string]string{"X-Key": "v", "Content-Type": "application/json", "X-Ms-Dynamics-Entity-Name": "lead",
		"X-Ms-Dynamics-Request-Name": "Create", "X-Ms-Dynamics-Organization": strings.TrimPrefix(s.SalesURL, "http://")}
	for k, v := range wantHdr {
		if got := c.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if c.header.Get("X-Ms-Correlation-Request-Id") != c.body["CorrelationId"] || c.header.Get("X-Ms-Dynamics-Msg-Size-Exceeded") != "" {
		t.Errorf("headers = %v", c.header)
	}
	if diff := cmp.Diff(map[string][]string{"code": {"k1"}, "Key2": {"Value2"}}, c.query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	b := c.body
	if b["MessageName"] != "Create" || b["PrimaryEntityName"] != "lead" || b["PrimaryEntityId"] != id ||
		b["Stage"] != json.Number("40") || b["Mode"] != json.Number("1") || !strings.HasPrefix(b["OperationCreatedOn"].(string), "/Date(") {
		t.Errorf("context = %v", b)
	}
	target, _ := attr(b["InputParameters"], "Target").(map[string]any)
	if target["__type"] != "Entity:http://schemas.microsoft.com/xrm/2011/Contracts" || target["Id"] != id || target["LogicalName"] != "lead" {
		t.Fatalf("Target = %v", target)
	}
	attrs := target["Attributes"]
	if attr(attrs, "companyname") != "Fabrikam" {
		t.Errorf("companyname = %v", attr(attrs, "companyname"))
	}
	if diff := cmp.Diff(map[string]any{"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": json.Number("0")}, attr(attrs, "statecode")); diff != "" {
		t.Errorf("statecode (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"__type": "Money:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": json.Number("12.5")}, attr(attrs, "budgetamount")); diff != "" {
		t.Errorf("budgetamount (-want +got):\n%s", diff)
	}
	if d, _ := attr(attrs, "createdon").(string); !strings.HasPrefix(d, "/Date(") {
		t.Errorf("createdon = %v", attr(attrs, "createdon"))
	}
	cur, _ := attr(attrs, "transactioncurrencyid").(map[string]any)
	if cur["__type"] != "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts" || cur["LogicalName"] != "transactioncurrency" || cur["Id"] != USDCurrencyID {
		t.Errorf("transactioncurrencyid = %v", cur)
	}
	if attr(b["OutputParameters"], "id") != id {
		t.Errorf("OutputParameters = %v", b["OutputParameters"])
	}
	ds := s.WebhookDeliveries()
	if len(ds) != 1 || ds[0].Status != 202 || ds[0].Attempts != 1 || ds[0].Message != "Create" || ds[0].EntityID != id {
		t.Errorf("deliveries = %+v", ds)
	}

	// An update sends the columns that changed, with pre and post images.
	call(t, "PATCH", api(s)+"leads("+id+")", map[string]any{"companyname": "Fabrikam Inc"}).want(t, 204)
	wait(t, s)
	if len(rcv.calls) != 2 {
		t.Fatalf("%d calls, want 2", len(rcv.calls))
	}
	u := rcv.calls[1].body
	ut, _ := attr(u["InputParameters"], "Target").(map[string]any)
	if u["MessageName"] != "Update" || attr(ut["Attributes"], "companyname") != "Fabrikam Inc" || attr(ut["Attributes"], "lastname") != "<absent>" {
		t.Errorf("update Target = %v", ut)
	}
	pre, _ := attr(u["PreEntityImages"], "PreImage").(map[string]any)
	post, _ := attr(u["PostEntityImages"], "PostImage").(map[string]any)
	if attr(pre["Attributes"], "companyname") != "Fabrikam" || attr(post["Attributes"], "companyname") != "Fabrikam Inc" {
		t.Errorf("images: pre %v, post %v", pre, post)
	}

	// A refused write fires nothing.
	call(t, "PATCH", api(s)+"leads("+id+")", map[string]any{"statecode": 7}).want(t, 400)
	wait(t, s)
	if len(rcv.calls) != 2 {
		t.Errorf("%d calls after a refused write, want 2", len(rcv.calls))
	}
}

func TestWebhookRetriesOnceOnGatewayErrors(t *testing.T) {
	tests := []struct {
		answers      []int
		wantCalls    int
		wantStatus   int
		wantAttempts int
	}{
		{[]int{503}, 2, 202, 2},
		{[]int{502, 504}, 2, 504, 2},
		{[]int{504, 504}, 2, 504, 2},
		{[]int{500}, 1, 500, 1},
		{[]int{429}, 1, 429, 1},
		{[]int{401}, 1, 401, 1},
		{nil, 1, 202, 1},
	}
	for _, tt := range tests {
		rcv := newHookReceiver(t, tt.answers...)
		s := NewServer(&Options{Webhooks: []Webhook{{URL: rcv.srv.URL, Messages: []string{"Create"}}}})
		if _, err := s.SubmitOnboardingRequest(OnboardingRequest{LastName: "Doe", Company: "Contoso", Email: "d@contoso.example"}); err != nil {
			t.Fatal(err)
		}
		wait(t, s)
		ds := s.WebhookDeliveries()
		s.Close()
		if len(rcv.calls) != tt.wantCalls || len(ds) != 1 || ds[0].Status != tt.wantStatus || ds[0].Attempts != tt.wantAttempts {
			var got []int
			for _, d := range ds {
				got = append(got, d.Status, d.Attempts)
			}
			t.Errorf("answers %v: %d calls, deliveries (status, attempts) %v; want %d calls, status %d, %d attempts",
				tt.answers, len(rcv.calls), got, tt.wantCalls, tt.wantStatus, tt.wantAttempts)
		}
	}
}

func TestWebhookWinAndSizeExceeded(t *testing.T) {
	rcv := newHookReceiver(t)
	s := NewServer(&Options{Webhooks: []Webhook{
		{URL: rcv.srv.URL, Messages: []string{"Win", "Lose"}},
		{URL: rcv.srv.URL + "/small", Messages: []string{"Win"}, MaxPayload: 200},
	}})
	defer s.Close()
	opp := call(t, "POST", api(s)+"opportunities", map[string]any{"name": "Deal"}, "Prefer", "return=representation").want(t, 201).body
	oppID := opp["opportunityid"].(string)
	call(t, "POST", api(s)+"WinOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{
		"subject": "Won", "opportunityid@odata.bind": "opportunities(" + oppID + ")"}}).want(t, 204)
	wait(t, s)
	if len(rcv.calls) != 2 {
		t.Fatalf("%d calls, want 2 (the Win to both webhooks)", len(rcv.calls))
	}
	b := rcv.calls[0].body
	if b["MessageName"] != "Win" || b["PrimaryEntityName"] != "opportunity" || b["PrimaryEntityId"] != oppID {
		t.Errorf("Win context = %v", b)
	}
	oc, _ := attr(b["InputParameters"], "OpportunityClose").(map[string]any)
	if oc["LogicalName"] != "opportunityclose" || attr(oc["Attributes"], "subject") != "Won" {
		t.Errorf("OpportunityClose = %v", oc)
	}
	if diff := cmp.Diff(map[string]any{"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": json.Number("3")}, attr(b["InputParameters"], "Status")); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	small := rcv.calls[1]
	if small.header.Get("X-Ms-Dynamics-Msg-Size-Exceeded") == "" {
		t.Errorf("the small webhook got no size-exceeded header: %v", small.header)
	}
	for _, k := range []string{"InputParameters", "PreEntityImages", "PostEntityImages", "ParentContext"} {
		if _, ok := small.body[k]; ok {
			t.Errorf("the size-exceeded body has %s", k)
		}
	}
	if small.body["PrimaryEntityId"] != oppID || small.body["MessageName"] != "Win" {
		t.Errorf("size-exceeded body = %v", small.body)
	}
}

func TestWebhookRedeliverSendsTheSameBody(t *testing.T) {
	rcv := newHookReceiver(t)
	s := NewServer(&Options{Webhooks: []Webhook{{URL: rcv.srv.URL}}})
	defer s.Close()
	if _, err := s.SubmitOnboardingRequest(OnboardingRequest{LastName: "Doe", Company: "Contoso", Email: "d@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	wait(t, s)
	if st, err := s.RedeliverWebhook(context.Background(), 0); err != nil || st != 202 {
		t.Fatalf("RedeliverWebhook = %d, %v", st, err)
	}
	if len(rcv.calls) != 2 || !cmp.Equal(rcv.calls[0].body, rcv.calls[1].body) {
		t.Errorf("calls = %v", rcv.calls)
	}
	if _, err := s.RedeliverWebhook(context.Background(), 5); err == nil {
		t.Error("RedeliverWebhook(5) succeeded")
	}
}
