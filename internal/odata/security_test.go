package odata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// secToken is the access token of these tests, JWT-shaped like the tokens
// of Microsoft Entra ID; secSignature is the part that must never leak.
const (
	secSignature = "c2VjcmV0LXNpZ25hdHVyZS1wYXJ0"
	secToken     = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3NlY3VyaXR5In0." + secSignature
)

// secClient returns a client of base, logging at debug level into the
// returned buffer, with retries that do not sleep.
func secClient(t *testing.T, base string) (*Client, *bytes.Buffer) {
	t.Helper()
	u, err := ServiceURL("base", base)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	buf := &bytes.Buffer{}
	h := slog.NewJSONHandler(&lockedWriter{mu: &mu, w: buf}, &slog.HandlerOptions{Level: slog.LevelDebug})
	c, err := New(Config{
		BaseURL:    u,
		Resource:   Origin(u),
		Credential: d365.StaticTokenCredential(secToken),
		Options: d365.ClientOptions{Logger: slog.New(h), Retry: d365.RetryOptions{
			MaxRetries: 3, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, buf
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSecurityRedirectToAnotherHostDropsAuthorization: server A
// (127.0.0.1) redirects to server B on another host name (localhost); B
// must not receive the bearer token, whatever the method and status: the
// redirect is refused with an error naming its Location, and B receives
// nothing at all.
func TestSecurityRedirectToAnotherHostDropsAuthorization(t *testing.T) {
	var mu sync.Mutex
	var seenB []string
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seenB = append(seenB, r.Method+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[]}`))
	}))
	defer b.Close()
	bURL := strings.Replace(b.URL, "127.0.0.1", "localhost", 1)
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, method := range []string{http.MethodGet, http.MethodPatch} {
			t.Run(fmt.Sprintf("%d %s", status, method), func(t *testing.T) {
				a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") != "Bearer "+secToken {
						t.Errorf("server A got Authorization %q", r.Header.Get("Authorization"))
					}
					http.Redirect(w, r, bURL+"/stolen"+r.URL.Path, status)
				}))
				defer a.Close()
				mu.Lock()
				seenB = nil
				mu.Unlock()
				c, logs := secClient(t, a.URL)
				req := &Request{Method: method, Path: "leads", Idempotent: true}
				if method != http.MethodGet {
					req.Body = map[string]any{"subject": "x"}
				}
				_, err := c.Do(context.Background(), req)
				if err == nil || !strings.Contains(err.Error(), bURL+"/stolen/") {
					t.Errorf("err = %v, want an error naming the Location %s/stolen/...", err, bURL)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(seenB) != 0 {
					t.Errorf("server B (another host) received %q: the redirect was followed", seenB)
				}
				for _, s := range seenB {
					if strings.Contains(s, secSignature) || !strings.HasSuffix(s, "auth=") {
						t.Errorf("server B (another host) received %q", s)
					}
				}
				if strings.Contains(logs.String(), secSignature) {
					t.Errorf("the token is in the log:\n%s", logs)
				}
			})
		}
	}
}

// TestSecurityNextLinkToAnotherHostIsNotFollowed: a page whose next link
// points elsewhere ends the listing with an error, and nothing is sent
// there.
func TestSecurityNextLinkToAnotherHostIsNotFollowed(t *testing.T) {
	var hit bool
	var mu sync.Mutex
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit = true
		mu.Unlock()
	}))
	defer b.Close()
	for _, next := range []string{
		strings.Replace(b.URL, "127.0.0.1", "localhost", 1) + "/api/leads?$skiptoken=2",
		b.URL + "/api/leads?$skiptoken=2", // same IP, another port
		"//evil.example/api/leads",
		"https://evil.example/api/leads",
	} {
		a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"value":[{"n":1}],"@odata.nextLink":%q}`, next)
		}))
		c, _ := secClient(t, a.URL)
		var gotErr error
		n := 0
		for _, err := range List[map[string]any](context.Background(), c, &Request{Path: "leads"}, 0) {
			if err != nil {
				gotErr = err
				break
			}
			n++
		}
		a.Close()
		if gotErr == nil || n != 1 {
			t.Errorf("next link %s: %d records, err %v; want 1 record then an error", next, n, gotErr)
		}
	}
	if hit {
		t.Error("a next link on another host was followed")
	}
}

// TestSecurityEchoedTokenIsScrubbed: a proxy or service that echoes the
// Authorization header in its error body must not bring the token into an
// error string or a log line, whatever the body's shape.
func TestSecurityEchoedTokenIsScrubbed(t *testing.T) {
	type body struct {
		name, contentType, text string
	}
	bodies := []body{
		{name: "odata message", contentType: "application/json", text: `{"error":{"code":"0x80040220","message":"bad token: %s"}}`},
		{name: "oauth", contentType: "application/json", text: `{"error":"invalid_token","error_description":"token %s expired"}`},
		{name: "html", contentType: "text/html", text: `<html><head><title>Denied %s</title></head></html>`},
		{name: "plain text", contentType: "text/plain", text: `denied: %s`},
		{name: "aspnet", contentType: "application/json", text: `{"Message":"denied %s"}`},
		{name: "innererror", contentType: "application/json", text: `{"error":{"code":"0x80040216","message":"failed","innererror":{"message":"header was %s","type":"System.Exception","stacktrace":"at %s"}}}`},
		{name: "cds detail", contentType: "application/json", text: `{"error":{"code":"0x80040216","message":"failed","@Microsoft.PowerApps.CDS.InnerError.Message":"header was %s"}}`},
	}
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway} {
		for _, b := range bodies {
			t.Run(fmt.Sprintf("%d %s", status, b.name), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", b.contentType)
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(status)
					auth := r.Header.Get("Authorization")
					fmt.Fprintf(w, strings.ReplaceAll(b.text, "%s", "%[1]s"), auth)
				}))
				defer srv.Close()
				c, logs := secClient(t, srv.URL)
				_, err := c.Do(context.Background(), &Request{Path: "leads(1)"})
				if err == nil {
					t.Fatal("no error")
				}
				var e *d365.Error
				if !errors.As(err, &e) {
					t.Fatalf("not a *d365.Error: %v", err)
				}
				leaks := map[string]string{
					"Error()":    err.Error(),
					"%+v":        fmt.Sprintf("%+v", err),
					"the log":    logs.String(),
					"Message":    e.Message,
					"Details":    fmt.Sprint(e.Details),
					"InnerError": fmt.Sprintf("%+v", e.Inner),
				}
				for where, s := range leaks {
					if strings.Contains(s, secSignature) {
						t.Errorf("the token is in %s: %s", where, s)
					}
				}
			})
		}
	}
}

// TestSecurityKeysStayInTheirSegment: whatever a key holds, the request
// addresses one record of the entity set, with no extra segment, query or
// fragment, and the service reads back exactly the value given.
func TestSecurityKeysStayInTheirSegment(t *testing.T) {
	c, _ := secClient(t, "https://contoso.operations.dynamics.com/data/")
	for _, v := range secHostile {
		p, err := EntityPath("Prospects", KeyPart{Name: "dataAreaId", Value: v}, KeyPart{Name: "ProspectId", Value: v})
		if err != nil {
			if strings.TrimSpace(v) == "" {
				continue
			}
			t.Errorf("%q: %v", v, err)
			continue
		}
		u, err := c.resolve(&Request{Path: p})
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		lit := "'" + strings.ReplaceAll(v, "'", "''") + "'"
		want := "/data/Prospects(dataAreaId=" + lit + ",ProspectId=" + lit + ")"
		if u.Path != want || u.RawQuery != "" || u.Fragment != "" || u.Host != "contoso.operations.dynamics.com" {
			t.Errorf("%q: the request goes to path %q query %q fragment %q host %q; want path %q only", v, u.Path, u.RawQuery, u.Fragment, u.Host, want)
		}
		// What goes on the wire, parsed again by a server.
		back, err := url.ParseRequestURI(u.RequestURI())
		if err != nil || back.Path != want || back.RawQuery != "" {
			t.Errorf("%q: the server reads %q (query %q, err %v)", v, back.Path, back.RawQuery, err)
		}
	}
	for _, name := range []string{"leads/../accounts", "leads?$top=1", "leads#x", "leads(1)", "lea ds", "leads%2F", "", "léads", "leads'", "../leads"} {
		if _, err := EntityPath(name, KeyPart{Value: "1"}); err == nil {
			t.Errorf("entity set %q accepted", name)
		}
	}
}

// secHostile are values that try to leave a URL segment or a string
// literal.
var secHostile = []string{
	"P-001", "O'Neil", "''", "'", "a'b'c", "x') or (1 eq 1", "a/b", "../../accounts", "a?b=c", "a#frag", "100%", "%2F", "%27",
	"a b", " lead ", "a\\b", "a\"b", "ünïcødé", "名前", "emoji 🚀", "tab\tx", "nl\nx", "a&b=c", "a;b", "a+b", "<script>", "a,b", "a=b", "a)b(", "\x00", "", "   ",
}
