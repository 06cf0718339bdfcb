package entratest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(strings.TrimSuffix(s.URL, "/")+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestTokenEndpoint(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"https://contoso.crm.dynamics.com/.default"},
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		status, body := post(t, s, "/"+DefaultTenantID+"/oauth2/v2.0/token", form)
		at, _ := body["access_token"].(string)
		if status != http.StatusOK || at == "" || seen[at] {
			t.Fatalf("status %d, body %v", status, body)
		}
		seen[at] = true
		if iss, ok := s.Lookup(at); !ok || iss.Audience != "https://contoso.crm.dynamics.com" {
			t.Fatalf("Lookup = %+v, %v", iss, ok)
		}
	}

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong")
	status, body := post(t, s, "/"+DefaultTenantID+"/oauth2/v2.0/token", bad)
	checkError(t, status, body, http.StatusUnauthorized, "invalid_client", 7000215)

	status, body = post(t, s, "/no-such-tenant/oauth2/v2.0/token", form)
	checkError(t, status, body, http.StatusBadRequest, "invalid_tenant", 90002)

	if got := s.TokenRequests(); got != 5 {
		t.Errorf("TokenRequests = %d, want 5", got)
	}
}

func checkError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string, wantAADSTS float64) {
	t.Helper()
	codes, _ := body["error_codes"].([]any)
	if status != wantStatus || body["error"] != wantCode || len(codes) != 1 || codes[0] != wantAADSTS ||
		body["trace_id"] == "" || body["correlation_id"] == "" ||
		!strings.HasPrefix(body["error_description"].(string), "AADSTS") {
		t.Errorf("status %d, body %v; want %d %s AADSTS%v", status, body, wantStatus, wantCode, wantAADSTS)
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	resp, err := s.Client().Get(s.URL + DefaultTenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["token_endpoint"] != s.URL+DefaultTenantID+"/oauth2/v2.0/token" || cfg["issuer"] == nil {
		t.Fatalf("configuration = %v", cfg)
	}
}
