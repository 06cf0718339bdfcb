package odata

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

// seen is one request as a test server saw it.
type seen struct {
	Method, Path, IfMatch, IfNoneMatch, Body string
}

func recorder(status int) (*[]seen, http.HandlerFunc) {
	var mu sync.Mutex
	var got []seen
	return &got, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.EscapedPath(), r.Header.Get("If-Match"), r.Header.Get("If-None-Match"), string(b)})
		mu.Unlock()
		w.WriteHeader(status)
	}
}

// TestAlternateKeyPath checks that the columns come in name order and
// every value is a key literal escaped so that it cannot leave the segment.
func TestAlternateKeyPath(t *testing.T) {
	p, err := AlternateKeyPath("op", "accounts", map[string]any{"name": "O'Neil/1 #2", "accountnumber": "A-1", "new_n": 7})
	if err != nil {
		t.Fatal(err)
	}
	if want := "accounts(accountnumber='A-1',name='O''Neil%2F1%20%232',new_n=7)"; p != want {
		t.Errorf("path %s, want %s", p, want)
	}
	for _, cols := range []map[string]any{nil, {"bad name": 1}, {"name": nil}} {
		var ie *d365.InputError
		if _, err := AlternateKeyPath("op", "accounts", cols); !errors.As(err, &ie) {
			t.Errorf("%v: error %v, want an InputError", cols, err)
		}
	}
}

// TestUpsertWithConditions checks the exact headers of the three forms and
// that asking for both is refused before sending.
func TestUpsertWithConditions(t *testing.T) {
	got, h := recorder(http.StatusNoContent)
	c, _, _, _ := testClient(t, h, nil)
	ctx := context.Background()
	body := map[string]any{"name": "Contoso"}
	for _, o := range []*d365.UpsertOptions{nil, {CreateOnly: true}, {UpdateOnly: true}} {
		if err := UpsertWith(ctx, c, "op", "accounts(accountnumber='A-1')", body, o); err != nil {
			t.Fatal(err)
		}
	}
	var ie *d365.InputError
	if err := UpsertWith(ctx, c, "op", "accounts(accountnumber='A-1')", body, &d365.UpsertOptions{CreateOnly: true, UpdateOnly: true}); !errors.As(err, &ie) || ie.Field != "UpsertOptions" {
		t.Errorf("both: error %v, want an InputError naming UpsertOptions", err)
	}
	p := "/api/data/v9.2/accounts(accountnumber='A-1')"
	want := []seen{
		{"PATCH", p, "", "", `{"name":"Contoso"}`},
		{"PATCH", p, "", "*", `{"name":"Contoso"}`},
		{"PATCH", p, "*", "", `{"name":"Contoso"}`},
	}
	if d := cmp.Diff(want, *got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// TestUpsertWithRetries checks that a plain upsert is retried after a
// gateway failure and a create-only one is not.
func TestUpsertWithRetries(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n%2 == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	if err := UpsertWith(context.Background(), c, "op", "leads(1)", map[string]any{"subject": "x"}, nil); err != nil {
		t.Fatalf("plain upsert: %v", err)
	}
	if calls != 2 {
		t.Errorf("plain upsert: %d attempts, want 2", calls)
	}
	calls = 0
	if err := UpsertWith(context.Background(), c, "op", "leads(1)", map[string]any{"subject": "x"}, &d365.UpsertOptions{CreateOnly: true}); err == nil {
		t.Error("create-only upsert after a 502: no error")
	}
	if calls != 1 {
		t.Errorf("create-only upsert: %d attempts, want 1", calls)
	}
}

// TestUpsertMultipleBody checks the documented body (every target with
// @odata.type and @odata.id) and the chunking.
func TestUpsertMultipleBody(t *testing.T) {
	got, h := recorder(http.StatusNoContent)
	c, _, _, _ := testClient(t, h, nil)
	targets := []UpsertTarget{
		{Path: "accounts(accountnumber='A-1')", Body: map[string]any{"name": "One"}},
		{Path: "accounts(accountnumber='A-2')", Body: map[string]any{"name": "Two"}},
		{Path: "accounts(81883308-7ad5-ea11-a813-000d3a33f3b4)", Body: map[string]any{"name": "Three"}},
	}
	if err := UpsertMultiple(context.Background(), c, "op", "accounts", "account", targets, 2); err != nil {
		t.Fatal(err)
	}
	p := "/api/data/v9.2/accounts/Microsoft.Dynamics.CRM.UpsertMultiple"
	want := []seen{
		{"POST", p, "", "", `{"Targets":[{"@odata.id":"accounts(accountnumber='A-1')","@odata.type":"Microsoft.Dynamics.CRM.account","name":"One"},{"@odata.id":"accounts(accountnumber='A-2')","@odata.type":"Microsoft.Dynamics.CRM.account","name":"Two"}]}`},
		{"POST", p, "", "", `{"Targets":[{"@odata.id":"accounts(81883308-7ad5-ea11-a813-000d3a33f3b4)","@odata.type":"Microsoft.Dynamics.CRM.account","name":"Three"}]}`},
	}
	if d := cmp.Diff(want, *got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
	if _, ok := targets[0].Body["@odata.type"]; ok {
		t.Error("the caller's body was modified")
	}
}
