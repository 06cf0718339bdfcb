package odata

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

func TestRequestHeadersAndBody(t *testing.T) {
	var got http.Header
	var body string
	var path string
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		body, path = string(b), r.URL.RequestURI()
		w.WriteHeader(http.StatusNoContent)
	}, func(c *Config) {
		c.Options.UserAgent = "contoso-onboarding/1.2"
		c.Options.CallerObjectID = "4c8d3e5f-0000-0000-0000-000000000009"
	})
	_, err := c.Do(context.Background(), &Request{
		Method:  http.MethodPatch,
		Path:    "leads(00000000-0000-0000-0000-000000000001)",
		Body:    map[string]any{"subject": "B2B onboarding request"},
		Prefer:  Prefer{ReturnRepresentation: true, Annotations: "*"},
		IfMatch: `W/"468026"`,
		Header:  http.Header{"Mscrm.suppressduplicatedetection": {"false"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Accept":                           "application/json",
		"Odata-Maxversion":                 "4.0",
		"Odata-Version":                    "4.0",
		"Content-Type":                     "application/json; charset=utf-8",
		"Prefer":                           `return=representation,odata.include-annotations="*"`,
		"If-Match":                         `W/"468026"`,
		"User-Agent":                       "contoso-onboarding/1.2 d365-go/" + d365.Version,
		"Callerobjectid":                   "4c8d3e5f-0000-0000-0000-000000000009",
		"Authorization":                    "Bearer " + testToken,
		"Mscrm.suppressduplicatedetection": "false",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if got.Get("If-None-Match") != "" {
		t.Errorf("If-None-Match sent on a PATCH: %q", got.Get("If-None-Match"))
	}
	if body != `{"subject":"B2B onboarding request"}` || path != "/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)" {
		t.Errorf("sent %s %s", path, body)
	}
}

func TestGetBypassesCacheAndSendsNoBody(t *testing.T) {
	var got http.Header
	var n int64 = -1
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		got, n = r.Header.Clone(), r.ContentLength
		w.Write([]byte(`{}`))
	}, nil)
	if _, err := c.Do(context.Background(), &Request{Path: "leads", Prefer: Prefer{MaxPageSize: 50}}); err != nil {
		t.Fatal(err)
	}
	if got.Get("If-None-Match") != "null" || got.Get("Content-Type") != "" || n != 0 || got.Get("Prefer") != "odata.maxpagesize=50" {
		t.Errorf("GET headers: If-None-Match %q, Content-Type %q, Prefer %q, length %d", got.Get("If-None-Match"), got.Get("Content-Type"), got.Get("Prefer"), n)
	}
}

func TestRequestPathsCannotEscapeTheServiceRoot(t *testing.T) {
	c, _, _, srv := testClient(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("request sent: %s", r.URL) }, nil)
	for _, p := range []string{"/leads", "../leads", "leads/../../x", "https://evil.example/x"} {
		if _, err := c.Do(context.Background(), &Request{Path: p}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	other, _ := ServiceURL("u", "https://evil.example/")
	if _, err := c.Do(context.Background(), &Request{URL: other}); err == nil {
		t.Error("a URL on another host was accepted")
	}
	_ = srv
}

func TestNoTokenInLogsOrErrors(t *testing.T) {
	c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"code":"0x0","message":"echo: ` + r.Header.Get("Authorization") + `"}}`))
	}, func(c *Config) { c.Options.Retry.MaxRetries = 2 })
	_, err1 := c.Do(context.Background(), &Request{Path: "leads"})
	_, err2 := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: map[string]any{}})
	for _, s := range []string{logs.String(), err1.Error(), err2.Error()} {
		if strings.Contains(s, testToken) || strings.Contains(s, "eyJ0eXAi") {
			t.Errorf("token leaked: %s", s)
		}
	}
	if !strings.Contains(logs.String(), "d365: retrying") || !strings.Contains(logs.String(), "attempt=") {
		t.Errorf("retries are not logged with their attempt number:\n%s", logs)
	}
}

func TestSilentByDefault(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) },
		func(c *Config) { c.Options.Logger = nil })
	if c.Logger().Handler().Enabled(context.Background(), slog.LevelError) {
		t.Error("the default logger is not silent")
	}
}

func TestPreferString(t *testing.T) {
	got := Prefer{ReturnRepresentation: true, Annotations: "*", MaxPageSize: 5000, ContinueOnError: true}.String()
	want := `return=representation,odata.include-annotations="*",odata.maxpagesize=5000,odata.continue-on-error`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestEntityKey(t *testing.T) {
	r := &Response{Header: http.Header{"Odata-Entityid": {"https://contoso.crm.dynamics.com/api/data/v9.2/accounts(7d577253-3ef0-e611-810b-e0071b6a2001)"}}}
	if k, err := r.EntityKey(); err != nil || k != "7d577253-3ef0-e611-810b-e0071b6a2001" {
		t.Errorf("EntityKey = %q, %v", k, err)
	}
	if _, err := (&Response{Header: http.Header{}}).EntityKey(); err == nil {
		t.Error("no error without OData-EntityId")
	}
}

// resolve builds the URL of a plain path itself: it must be what url.Parse
// returns for the same text, escapes and all.
func TestResolveIsURLParse(t *testing.T) {
	paths := []string{
		"leads", "leads(00000000-0000-0000-0000-000000000001)", "accounts(accountnumber='A-1')",
		"leads(00000000-0000-0000-0000-000000000001)/Microsoft.Dynamics.CRM.QualifyLead",
		"EntityDefinitions(LogicalName='lead')/Attributes", "a*b!c", "a+b,c;d=e:f@g$h&i~j",
		"accounts(name='O%27Neil')", "x%2Fy", "caf%C3%A9", "café", "a b", "a#b", "a\tb", "",
	}
	queries := []string{"", "$select=subject", "$filter=name eq 'x'", "$filter=contains(name,'%23')",
		"a=1&b=2", "a#b", "a\x7fb", "$select=subject,fullname&$top=5"}
	for _, base := range []string{"https://contoso.crm.dynamics.com/api/data/v9.2/", "https://contoso.crm.dynamics.com/api/da%74a/v9.2/"} {
		b, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(Config{BaseURL: b})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			for _, q := range queries {
				s := base + p
				if q != "" {
					s += "?" + q
				}
				want, wantErr := url.Parse(s)
				got, err := c.resolve(&Request{Path: p, Query: q})
				if (err != nil) != (wantErr != nil) {
					t.Errorf("%q: err = %v, url.Parse: %v", s, err, wantErr)
					continue
				}
				if err != nil {
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%q (-url.Parse +resolve):\n%s", s, diff)
				}
				if got.String() != want.String() {
					t.Errorf("%q: String() = %q, url.Parse's %q", s, got.String(), want.String())
				}
			}
		}
	}
}
