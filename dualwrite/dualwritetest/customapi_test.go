package dualwritetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A registered custom API answers its action and function forms, and
// refuses the malformed ones as Dataverse does; an unregistered name is
// still routed as before.
func TestCustomAPIRoutes(t *testing.T) {
	var got []CustomAPIRequest
	srv := NewServer(&Options{CustomAPIs: map[string]CustomAPI{
		"new_Echo": func(r CustomAPIRequest) (map[string]any, error) {
			got = append(got, r)
			return map[string]any{"Echo": r.Params}, nil
		},
	}})
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.SalesURL+"/api/data/v9.2/"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"action", "POST", "new_Echo", `{"A":1}`, 200, `"Echo":{"A":1}`},
		{"action with namespace", "POST", "Microsoft.Dynamics.CRM.new_Echo", `{}`, 200, `new_EchoResponse`},
		{"function with aliases", "GET", "new_Echo(A=@p1,B=@p2)?@p1='x''y'&@p2=[1,2]", "", 200, `"Echo":{"A":"x'y","B":[1,2]}`},
		{"function with an inline literal", "GET", "new_Echo(A=true)", "", 200, `"Echo":{"A":true}`},
		{"function without its parameter list", "GET", "new_Echo", "", 400, "parameter list"},
		{"function with a missing alias", "GET", "new_Echo(A=@p1)", "", 400, "@p1"},
		{"function with an open string", "GET", "new_Echo(A=@p1)?@p1='x", "", 400, "not closed"},
		{"action with URL parameters", "POST", "new_Echo(A=1)", `{}`, 400, "in the body"},
		{"action without a JSON body", "POST", "new_Echo", `[`, 400, "JSON object"},
		{"other method", "DELETE", "new_Echo", "", 405, "not allowed"},
		{"bound to a missing record", "POST", "accounts(00000000-0000-0000-0000-0000000000aa)/Microsoft.Dynamics.CRM.new_Echo", `{}`, 404, ""},
		{"bound without the namespace", "POST", "accounts(00000000-0000-0000-0000-0000000000aa)/new_Echo", `{}`, 404, ""},
		{"unregistered", "POST", "new_Other", `{}`, 404, ""},
	} {
		status, body := do(tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: %d %s, want %d containing %q", tc.name, status, body, tc.status, tc.contains)
		}
	}
	want := []CustomAPIRequest{
		{Name: "new_Echo", Params: map[string]any{"A": json.Number("1")}},
		{Name: "new_Echo", Params: map[string]any{}},
		{Name: "new_Echo", Function: true, Params: map[string]any{"A": "x'y", "B": []any{json.Number("1"), json.Number("2")}}},
		{Name: "new_Echo", Function: true, Params: map[string]any{"A": true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
