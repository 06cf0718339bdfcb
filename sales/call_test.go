package sales_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// exchange is one request a recording server received.
type exchange struct {
	Method, URI, Body string
}

// recorder answers every request with answer and records it.
type recorder struct {
	mu     sync.Mutex
	got    []exchange
	answer func(n int, w http.ResponseWriter)
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, exchange{r.Method, r.URL.RequestURI(), string(b)})
	n := len(rc.got)
	rc.mu.Unlock()
	if rc.answer == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.answer(n, w)
}

func (rc *recorder) exchanges() []exchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]exchange(nil), rc.got...)
}

// recorded returns a client of a recording server, retries without waits.
func recorded(t *testing.T, rc *recorder) (*sales.Client, string) {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("test-token"), &sales.Options{ClientOptions: d365.ClientOptions{
		Retry: d365.RetryOptions{MaxRetries: 2, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv.URL
}

// The documented WinOpportunity call (use-web-api-actions-002), through
// CallAction: the same request line and body.
func TestCallActionSendsTheDocumentedWinOpportunity(t *testing.T) {
	rc := &recorder{}
	c, org := recorded(t, rc)
	opp := uuid.MustParse("b3828ac8-917a-e511-80d2-00155d2a68d2")
	type closeReq struct {
		Status           int            `json:"Status"`
		OpportunityClose map[string]any `json:"OpportunityClose"`
	}
	req := closeReq{Status: 3, OpportunityClose: map[string]any{
		"subject":                  "Won Opportunity",
		"opportunityid@odata.bind": org + "/api/data/v9.2/opportunities(" + opp.String() + ")",
	}}
	if _, err := sales.CallAction[closeReq, struct{}](context.Background(), c, "WinOpportunity", nil, req, nil); err != nil {
		t.Fatal(err)
	}
	got := rc.exchanges()
	want := []exchange{{"POST", "/api/data/v9.2/WinOpportunity",
		`{"Status":3,"OpportunityClose":{"opportunityid@odata.bind":"` + org + `/api/data/v9.2/opportunities(b3828ac8-917a-e511-80d2-00155d2a68d2)","subject":"Won Opportunity"}}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestCallActionBoundDecodesTheResult(t *testing.T) {
	rc := &recorder{answer: func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"@odata.context":"x","Score":12345678901234.5678,"Grade":"A"}`)
	}}
	c, _ := recorded(t, rc)
	id := uuid.MustParse("9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70")
	type scoreRes struct {
		Score d365.Decimal `json:"Score"`
		Grade string       `json:"Grade"`
	}
	res, err := sales.CallAction[map[string]any, scoreRes](context.Background(), c, "new_ScoreLead", &sales.Binding{Set: "leads", ID: id}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scoreRes{Score: "12345678901234.5678", Grade: "A"}, res); diff != "" {
		t.Error(diff)
	}
	want := []exchange{{"POST", "/api/data/v9.2/leads(" + id.String() + ")/Microsoft.Dynamics.CRM.new_ScoreLead", `{}`}}
	if diff := cmp.Diff(want, rc.exchanges()); diff != "" {
		t.Error(diff)
	}
}

// An action is not sent again after a lost answer (502) unless the
// caller says it is idempotent; a 503 (the service did not act) is
// retried either way.
func TestCallActionRetriesOnlyWhenSafe(t *testing.T) {
	fail := func(status int) func(int, http.ResponseWriter) {
		return func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(status)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	for _, tc := range []struct {
		name       string
		status     int
		idempotent bool
		wantSent   int
		wantErr    bool
	}{
		{"502 not idempotent", http.StatusBadGateway, false, 1, true},
		{"502 idempotent", http.StatusBadGateway, true, 2, false},
		{"503 not idempotent", http.StatusServiceUnavailable, false, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recorder{answer: fail(tc.status)}
			c, _ := recorded(t, rc)
			_, err := sales.CallAction[any, struct{}](context.Background(), c, "new_Ship", nil, nil, &sales.ActionOptions{Idempotent: tc.idempotent})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if n := len(rc.exchanges()); n != tc.wantSent {
				t.Errorf("sent %d times, want %d", n, tc.wantSent)
			}
		})
	}
}

// The documented GetTimeZoneCodeByLocalizedName call
// (use-web-api-functions-002): the same parameters and values, as
// aliases in name order.
func TestCallFunctionSendsParameterAliases(t *testing.T) {
	rc := &recorder{answer: func(_ int, w http.ResponseWriter) {
		io.WriteString(w, `{"@odata.context":"x","TimeZoneCode":4}`)
	}}
	c, _ := recorded(t, rc)
	res, err := sales.CallFunction[struct{ TimeZoneCode int }](context.Background(), c, "GetTimeZoneCodeByLocalizedName", nil,
		map[string]any{"LocalizedStandardName": "Pacific Standard Time", "LocaleId": 1033})
	if err != nil {
		t.Fatal(err)
	}
	if res.TimeZoneCode != 4 {
		t.Errorf("TimeZoneCode = %d, want 4", res.TimeZoneCode)
	}
	id := uuid.MustParse("90427858-7a77-e511-80d4-00155d2a68d1")
	if _, err := sales.CallFunction[map[string]any](context.Background(), c, "CalculateTotalTimeIncident", &sales.Binding{Set: "incidents", ID: id}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sales.CallFunction[map[string]any](context.Background(), c, "new_Find", nil,
		map[string]any{"Name": "O'Brien & Sons", "Ids": json.RawMessage(`["a"]`)}); err != nil {
		t.Fatal(err)
	}
	want := []exchange{
		{"GET", "/api/data/v9.2/GetTimeZoneCodeByLocalizedName(LocaleId=@p1,LocalizedStandardName=@p2)?@p1=1033&@p2='Pacific%20Standard%20Time'", ""},
		{"GET", "/api/data/v9.2/incidents(" + id.String() + ")/Microsoft.Dynamics.CRM.CalculateTotalTimeIncident()", ""},
		{"GET", "/api/data/v9.2/new_Find(Ids=@p1,Name=@p2)?@p1=%5B%22a%22%5D&@p2='O''Brien%20%26%20Sons'", ""},
	}
	if diff := cmp.Diff(want, rc.exchanges()); diff != "" {
		t.Error(diff)
	}
}

func TestCallRefusesBadInputBeforeSending(t *testing.T) {
	rc := &recorder{}
	c, _ := recorded(t, rc)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"name with a slash": func() error {
			_, err := sales.CallAction[any, struct{}](ctx, c, "new_X/../leads", nil, nil, nil)
			return err
		},
		"empty name": func() error {
			_, err := sales.CallAction[any, struct{}](ctx, c, "", nil, nil, nil)
			return err
		},
		"bad binding set": func() error {
			_, err := sales.CallAction[any, struct{}](ctx, c, "new_X", &sales.Binding{Set: "leads?x"}, nil, nil)
			return err
		},
		"bad parameter name": func() error {
			_, err := sales.CallFunction[any](ctx, c, "new_F", nil, map[string]any{"a=b": 1})
			return err
		},
		"parameter without a literal": func() error {
			_, err := sales.CallFunction[any](ctx, c, "new_F", nil, map[string]any{"A": struct{}{}})
			return err
		},
	} {
		var ie *d365.InputError
		if err := call(); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want a *d365.InputError", name, err)
		}
	}
	if n := len(rc.exchanges()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// A custom API registered on the emulator, called as a bound action, an
// unbound action and a function, and failing as a plug-in does.
func TestCallCustomAPIOnTheEmulator(t *testing.T) {
	var calls []dualwritetest.CustomAPIRequest
	srv := dualwritetest.NewServer(&dualwritetest.Options{CustomAPIs: map[string]dualwritetest.CustomAPI{
		"new_CheckCredit": func(r dualwritetest.CustomAPIRequest) (map[string]any, error) {
			calls = append(calls, r)
			limit, _ := r.Params["Limit"].(json.Number).Int64()
			if limit > 1000 {
				return nil, fmt.Errorf("credit limit %d is above 1000", limit)
			}
			return map[string]any{"Approved": true, "Reason": fmt.Sprint("checked ", r.Set, r.ID)}, nil
		},
		"new_Ping": func(r dualwritetest.CustomAPIRequest) (map[string]any, error) {
			calls = append(calls, r)
			return nil, nil
		},
	}})
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acc, err := c.Accounts.Create(ctx, &sales.Account{Name: "Credit Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	type checkReq struct {
		Limit int `json:"Limit"`
	}
	type checkRes struct {
		Approved bool
		Reason   string
	}
	res, err := sales.CallAction[checkReq, checkRes](ctx, c, "new_CheckCredit", &sales.Binding{Set: "accounts", ID: acc}, checkReq{Limit: 500}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(checkRes{Approved: true, Reason: "checked accounts" + acc.String()}, res); diff != "" {
		t.Error(diff)
	}
	_, err = sales.CallAction[checkReq, checkRes](ctx, c, "new_CheckCredit", nil, checkReq{Limit: 5000}, nil)
	var de *d365.Error
	if !errors.As(err, &de) || de.StatusCode != http.StatusBadRequest || de.Code != "0x80040265" || de.Message != "credit limit 5000 is above 1000" {
		t.Errorf("err = %v, want the plug-in's 400", err)
	}
	fres, err := sales.CallFunction[checkRes](ctx, c, "new_CheckCredit", nil, map[string]any{"Limit": 7, "Note": "it's fine"})
	if err != nil {
		t.Fatal(err)
	}
	if !fres.Approved {
		t.Errorf("function result %+v, want approved", fres)
	}
	if _, err := sales.CallAction[any, struct{}](ctx, c, "new_Ping", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	missing := uuid.MustParse("00000000-0000-0000-0000-0000000000aa")
	if _, err := sales.CallAction[any, struct{}](ctx, c, "new_Ping", &sales.Binding{Set: "accounts", ID: missing}, nil, nil); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("bound to a missing record: err = %v, want ErrNotFound", err)
	}
	want := []dualwritetest.CustomAPIRequest{
		{Name: "new_CheckCredit", Set: "accounts", ID: acc.String(), Params: map[string]any{"Limit": json.Number("500")}},
		{Name: "new_CheckCredit", Params: map[string]any{"Limit": json.Number("5000")}},
		{Name: "new_CheckCredit", Function: true, Params: map[string]any{"Limit": json.Number("7"), "Note": "it's fine"}},
		{Name: "new_Ping", Params: map[string]any{}},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Error(diff)
	}
	// An operation nobody registered is still the emulator's 501 or 404.
	if _, err := sales.CallAction[any, struct{}](ctx, c, "new_Unknown", nil, nil, nil); err == nil {
		t.Error("an unregistered custom API succeeded")
	}
}
