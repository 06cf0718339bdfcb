package odata

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeError(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   d365.Error
	}{{
		name:   "dataverse documented 404",
		status: 404,
		header: http.Header{"Content-Type": {"application/json; odata.metadata=minimal"}},
		// perform-conditional-operations-using-web-api-005
		body: `{"error":{"code":"","message":"account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist"}}`,
		want: d365.Error{StatusCode: 404, Message: "account With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist"},
	}, {
		name:   "dataverse with detail annotations",
		status: 400,
		header: http.Header{"X-Ms-Service-Request-Id": {"8d7f2a51-1c1e-4a1f-9d2e-000000000001"}},
		body: `{"error":{"code":"0x80040265","message":"An error occurred in the plug-in.",
			"@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus":"0",
			"@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode":"-2146233088",
			"@Microsoft.PowerApps.CDS.HelpLink":"http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a80040265",
			"@Microsoft.PowerApps.CDS.TraceText":"[Contoso.Plugins: Contoso.Plugins.LeadCheck]",
			"@Microsoft.PowerApps.CDS.InnerError.Message":"An error occurred in the plug-in."}}`,
		want: d365.Error{StatusCode: 400, Code: "0x80040265", Message: "An error occurred in the plug-in.",
			RequestID: "8d7f2a51-1c1e-4a1f-9d2e-000000000001",
			Details: map[string]string{
				"ErrorDetails.OperationStatus": "0",
				"ErrorDetails.SubErrorCode":    "-2146233088",
				"HelpLink":                     "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a80040265",
				"TraceText":                    "[Contoso.Plugins: Contoso.Plugins.LeadCheck]",
				"InnerError.Message":           "An error occurred in the plug-in.",
			}},
	}, {
		name:   "finance and operations innererror",
		status: 500,
		body:   `{"error":{"code":"","message":"An error has occurred.","innererror":{"message":"Write failed for table row of type 'CustTable'. Infolog: Error: Customer group does not exist.","type":"Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException","stacktrace":"   at Microsoft.Dynamics..."}}}`,
		want: d365.Error{StatusCode: 500, Message: "An error has occurred.", Inner: &d365.InnerError{
			Message:    "Write failed for table row of type 'CustTable'. Infolog: Error: Customer group does not exist.",
			Type:       "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException",
			StackTrace: "   at Microsoft.Dynamics...",
		}},
	}, {
		name:   "html page from a gateway",
		status: 502,
		header: http.Header{"Content-Type": {"text/html"}},
		body:   "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
		want:   d365.Error{StatusCode: 502, Message: `the service answered with an HTML page instead of an OData error: "502 Bad Gateway"`},
	}, {
		name:   "sign-in page without content type",
		status: 401,
		body:   "\n<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>...</body></html>",
		want:   d365.Error{StatusCode: 401, Message: `the service answered with an HTML page instead of an OData error: "Sign in to your account"`},
	}, {
		name:   "empty body",
		status: 503,
		header: http.Header{"Retry-After": {"30"}},
		want:   d365.Error{StatusCode: 503, Message: "the response had no body", RetryAfter: 30 * time.Second},
	}, {
		name:   "truncated body",
		status: 500,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   `{"error":{"code":"0x80040216","message":"An unexpected err`,
		want:   d365.Error{StatusCode: 500, Message: `the error body could not be read as JSON (58 bytes, Content-Type "application/json"): "{\"error\":{\"code\":\"0x80040216\",\"message\":\"An unexpected err"`},
	}, {
		name:   "oauth error",
		status: 401,
		body:   `{"error":"invalid_token","error_description":"The access token expired."}`,
		want:   d365.Error{StatusCode: 401, Code: "invalid_token", Message: "The access token expired."},
	}, {
		name:   "a token echoed by a proxy is scrubbed",
		status: 400,
		body:   `{"error":{"code":"","message":"bad header Authorization: Bearer ` + testToken + `"}}`,
		want:   d365.Error{StatusCode: 400, Message: "bad header Authorization: Bearer [REDACTED]"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			got := DecodeError(tc.status, h, []byte(tc.body), now)
			if diff := cmp.Diff(&tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecodeError (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTMLBadGatewayIsAReadableError(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<!DOCTYPE html>\n<html><head><title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title></head><body><h2>There is a problem with the page you are looking for.</h2></body></html>"))
	}, func(c *Config) { c.Options.Retry.MaxRetries = -1 })
	_, err := c.Do(context.Background(), &Request{Path: "leads"})
	var e *d365.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *d365.Error", err, err)
	}
	if e.StatusCode != 502 || !strings.Contains(e.Message, "HTML page") || !strings.Contains(e.Message, "acting as a gateway") {
		t.Errorf("error = %q; want the status and the page's title", e.Error())
	}
	if e.Method != "GET" || !strings.HasSuffix(e.URL, "/api/data/v9.2/leads") {
		t.Errorf("error names %s %s, want GET .../api/data/v9.2/leads", e.Method, e.URL)
	}
	if !e.Temporary() {
		t.Error("a 502 should be Temporary")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"Mon, 23 Nov 2026 10:05:00 GMT", 5 * time.Minute, true},
		{"Mon, 23 Nov 2026 09:00:00 GMT", 0, true},
		{"99999999999999999999", time.Duration(1<<63 - 1), true},
	} {
		got, ok := RetryAfter(http.Header{"Retry-After": {tc.v}}, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %s, %v; want %s, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"0x80040217","message":"lead With Id = x Does Not Exist"}}`,
		`{"error":{"code":"","message":"m","innererror":{"message":"i","type":"t","stacktrace":"s","internalexception":{"message":"deep"}}}}`,
		`{"error":"invalid_grant","error_description":"AADSTS70008"}`,
		`<html><title>x</title></html>`, ``, `{"error":{`, `{"error":[1,2]}`, `{"Message":"An error has occurred."}`,
		`{"error":{"@Microsoft.PowerApps.CDS.HelpLink":5}}`,
	} {
		f.Add(500, s, "application/json")
	}
	f.Fuzz(func(t *testing.T, status int, body, ct string) {
		e := DecodeError(status, http.Header{"Content-Type": {ct}}, []byte(body), time.Now())
		if e == nil || e.StatusCode != status {
			t.Fatalf("DecodeError lost the status: %+v", e)
		}
		_ = e.Error()
	})
}
