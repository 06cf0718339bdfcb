package odata

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

// TestCallOptionsHeaders checks the exact headers and query each option
// sends, that the per-call caller replaces the client-wide one, and that a
// call without options sends none of them.
func TestCallOptionsHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	var queries []string
	names := []string{"CallerObjectId", "MSCRM.BypassCustomPluginExecution", "MSCRM.BypassBusinessLogicExecution", "MSCRM.SuppressDuplicateDetection"}
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		h := http.Header{}
		for _, n := range names {
			if v := r.Header.Values(n); len(v) > 0 {
				h[n] = v
			}
		}
		mu.Lock()
		got = append(got, h)
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}, func(cfg *Config) {
		cfg.Options.CallerObjectID = "11111111-1111-1111-1111-111111111111"
		cfg.CallOptions = true
	})

	ctx := context.Background()
	reviewer := d365.WithCallOptions(ctx, d365.CallOptions{
		CallerObjectID:              "4C8D3E5F-0000-0000-0000-000000000009",
		BypassCustomPluginExecution: true,
		BypassCustomSync:            true,
		BypassCustomAsync:           true,
		DetectDuplicates:            true,
		Tag:                         "onboarding run&1",
	})
	async := d365.WithCallOptions(ctx, d365.CallOptions{BypassCustomAsync: true})
	for _, x := range []context.Context{ctx, reviewer, async} {
		if _, err := c.Do(x, &Request{Method: http.MethodPatch, Path: "leads(1)", Query: "$select=subject", Body: map[string]any{"subject": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	want := []http.Header{
		{"CallerObjectId": {"11111111-1111-1111-1111-111111111111"}},
		{
			"CallerObjectId":                     {"4c8d3e5f-0000-0000-0000-000000000009"},
			"MSCRM.BypassCustomPluginExecution":  {"true"},
			"MSCRM.BypassBusinessLogicExecution": {"CustomSync,CustomAsync"},
			"MSCRM.SuppressDuplicateDetection":   {"false"},
		},
		{
			"CallerObjectId":                     {"11111111-1111-1111-1111-111111111111"},
			"MSCRM.BypassBusinessLogicExecution": {"CustomAsync"},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("headers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"$select=subject", "$select=subject&tag=onboarding+run%261", "$select=subject"}, queries); d != "" {
		t.Errorf("queries (-want +got):\n%s", d)
	}
}

// TestCallOptionsRefusedBeforeSending checks that a caller id that is not
// a GUID, or a tag with a line break, fails with an InputError naming the
// field and sends nothing.
func TestCallOptionsRefusedBeforeSending(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}, func(cfg *Config) { cfg.CallOptions = true })
	for field, o := range map[string]d365.CallOptions{
		"CallOptions.CallerObjectID": {CallerObjectID: "jane@contoso.com"},
		"CallOptions.Tag":            {Tag: "a\r\nX-Injected: 1"},
	} {
		_, err := c.Do(d365.WithCallOptions(context.Background(), o), &Request{Path: "leads"})
		var ie *d365.InputError
		if !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%s: error %v, want an InputError naming %s", field, err, field)
		}
	}
	if calls != 0 {
		t.Errorf("%d requests sent, want none", calls)
	}
}

// TestCallOptionsIgnoredWithoutConfig checks that a client not made for
// Dataverse (Finance and Operations) sends none of the options.
func TestCallOptionsIgnoredWithoutConfig(t *testing.T) {
	var mu sync.Mutex
	var got []string
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery+"|"+r.Header.Get("CallerObjectId")+"|"+r.Header.Get("MSCRM.BypassCustomPluginExecution"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	ctx := d365.WithCallOptions(context.Background(), d365.CallOptions{CallerObjectID: "not a guid", BypassCustomPluginExecution: true, Tag: "t"})
	if _, err := c.Do(ctx, &Request{Path: "Prospects"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"||"}, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}
