package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/internal/entratest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// staticJWT is a JWT-shaped token for the tests that need no sign-in; its
// signature is what must never leak.
const (
	staticSig = "dGhlLXNpZ25hdHVyZS1vZi10aGUtdGVzdA"
	staticJWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3NlY3VyaXR5dGVzdCJ9." + staticSig
)

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// debugLogger logs everything, in both slog formats, into one buffer.
func debugLogger(buf *syncBuffer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	text, js := slog.NewTextHandler(buf, opts), slog.NewJSONHandler(buf, opts)
	return slog.New(fanout{text, js})
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}
func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	g := make(fanout, len(f))
	for i, h := range f {
		g[i] = h.WithAttrs(as)
	}
	return g
}
func (f fanout) WithGroup(name string) slog.Handler {
	g := make(fanout, len(f))
	for i, h := range f {
		g[i] = h.WithGroup(name)
	}
	return g
}

// TestNonHTTPSIsRefusedExceptLoopback: both clients refuse plain http
// unless the host is a loopback address, and refuse URLs that only look
// like loopback.
func TestNonHTTPSIsRefusedExceptLoopback(t *testing.T) {
	cred := d365.StaticTokenCredential(staticJWT)
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://contoso.crm.dynamics.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:8080", true},
		{"http://127.0.0.2", true},
		{"http://contoso.crm.dynamics.com", false},
		{"http://localhost.evil.example", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://evil.example#@127.0.0.1", false},
		{"http://127.0.0.1@evil.example", false},
		{"http://user:pw@127.0.0.1", false},
		{"http://10.0.0.1", false},
		{"http://0.0.0.0", false},
		{"http://[::ffff:10.0.0.1]", false},
		{"ftp://contoso.crm.dynamics.com", false},
		{"ws://127.0.0.1", false},
		{"//contoso.crm.dynamics.com", false},
		{"contoso.crm.dynamics.com", false},
		{"https://", false},
		{"", false},
	} {
		_, errS := sales.NewClient(tc.url, cred, nil)
		_, errC := commerce.NewClient(tc.url, cred, nil)
		for name, err := range map[string]error{"sales.NewClient": errS, "commerce.NewClient": errC} {
			if (err == nil) != tc.ok {
				t.Errorf("%s(%q): err = %v, want ok = %v", name, tc.url, err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("%s(%q): the error repeats the password: %v", name, tc.url, err)
			}
		}
	}
}

// TestRedirectToAnotherHostCarriesNoAuthorization: a service URL on
// 127.0.0.1 that redirects to another host (localhost) must not hand the
// bearer token over, through either client: the redirects are refused and
// the other host receives nothing.
func TestRedirectToAnotherHostCarriesNoAuthorization(t *testing.T) {
	var mu sync.Mutex
	var got []string
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"404","message":"not here"}}`))
	}))
	defer b.Close()
	other := strings.Replace(b.URL, "127.0.0.1", "localhost", 1)
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer a.Close()
	cred := d365.StaticTokenCredential(staticJWT)
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: noSleep, MaxRetries: -1}}
	sc, err := sales.NewClient(a.URL, cred, &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(a.URL, cred, &commerce.Options{ClientOptions: opts, Company: "usrt"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sc.Leads.Get(ctx, uuid.New(), nil)
	sc.Leads.Update(ctx, uuid.New(), &sales.LeadChanges{Subject: sales.Ptr("x")}, nil)
	cc.Prospects.Get(ctx, "usrt", "P-1", nil)
	for range sc.Leads.List(ctx, nil) {
		break
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("the other host saw %d requests, want none: the redirects were followed", len(got))
	}
	for _, h := range got {
		if h != "" {
			t.Errorf("the other host received Authorization %q", h)
		}
	}
}

// TestNoSecretInLogsOrErrors signs in with a client secret (against a fake
// Microsoft Entra ID), then drives both clients through throttling,
// unavailability, a 401 with a token refresh, gateway failures and errors
// whose bodies echo the Authorization header, with a debug logger. Neither
// the client secret nor any access token may appear in a log line or an
// error string.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	entra := entratest.NewServer(nil)
	defer entra.Close()
	logs := &syncBuffer{}
	logger := debugLogger(logs)

	// A wrong secret: the error must not repeat what was sent.
	const wrongSecret = "Wr0ng~Secret-value-that-must-not-leak"
	bad, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, wrongSecret,
		&d365.CredentialOptions{AuthorityHost: entra.URL, HTTPClient: entra.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	if _, err := bad.Token(context.Background(), "https://contoso.crm.dynamics.com"); err == nil {
		t.Error("a wrong secret signed in")
	} else {
		errs = append(errs, err.Error(), fmt.Sprintf("%+v", err))
	}

	cred, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret,
		&d365.CredentialOptions{AuthorityHost: entra.URL, HTTPClient: entra.Client()})
	if err != nil {
		t.Fatal(err)
	}

	// The data service: every request gets the next answer of the script,
	// round and round; the error bodies echo the Authorization header.
	var mu sync.Mutex
	tokens := map[string]bool{}
	n := 0
	script := []func(w http.ResponseWriter, auth string){
		func(w http.ResponseWriter, auth string) {
			w.Header().Set("Retry-After", "0")
			jsonError(w, http.StatusTooManyRequests, "0x80072322", "throttled, caller "+auth)
		},
		func(w http.ResponseWriter, auth string) {
			jsonError(w, http.StatusServiceUnavailable, "0x80040216", "unavailable for "+auth)
		},
		func(w http.ResponseWriter, auth string) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			jsonError(w, http.StatusUnauthorized, "0x80040220", "expired: "+auth)
		},
		func(w http.ResponseWriter, auth string) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><title>Bad gateway %s</title><body>%s</body></html>", auth, auth)
		},
		func(w http.ResponseWriter, auth string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_token", "error_description": "bad " + auth})
		},
		func(w http.ResponseWriter, auth string) {
			jsonError(w, http.StatusBadRequest, "0x80040203", "bad request from "+auth)
		},
		func(w http.ResponseWriter, auth string) {
			jsonError(w, http.StatusInternalServerError, "0x80040216", "crash with "+auth)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		tokens[strings.TrimPrefix(auth, "Bearer ")] = true
		step := script[n%len(script)]
		n++
		mu.Unlock()
		step(w, auth)
	}))
	defer srv.Close()

	opts := d365.ClientOptions{Logger: logger, Retry: d365.RetryOptions{Sleep: noSleep, MaxRetries: 4}}
	sc, err := sales.NewClient(srv.URL, cred, &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.URL, cred, &commerce.Options{ClientOptions: opts, Company: "usrt"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := uuid.New()
	record := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}
	for range 3 {
		_, err := sc.Leads.Get(ctx, id, nil)
		record(err)
		_, err = sc.Leads.Create(ctx, &sales.Lead{Subject: "x"})
		record(err)
		_, err = sc.Leads.Create(ctx, &sales.Lead{ID: uuid.New(), Subject: "x"})
		record(err)
		record(sc.Leads.Update(ctx, id, &sales.LeadChanges{Subject: sales.Ptr("y")}, nil))
		_, err = sc.Leads.Qualify(ctx, id, nil)
		record(err)
		for _, err := range sc.Leads.List(ctx, nil) {
			record(err)
		}
		_, err = cc.Prospects.Get(ctx, "usrt", "P-1", nil)
		record(err)
		_, err = cc.Customers.ByPartyNumber(ctx, "0001")
		record(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) == 0 || n < 20 {
		t.Fatalf("the service saw %d requests: the test exercised nothing", n)
	}
	out := logs.String() + "\n" + strings.Join(errs, "\n")
	for tok := range tokens {
		if tok == "" {
			t.Error("a request was sent without a token")
			continue
		}
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		for _, s := range []string{tok, sig, strings.SplitN(tok, ".", 3)[1]} {
			if strings.Contains(out, s) {
				t.Errorf("the access token (or a part of it) %q is in a log line or an error", s)
			}
		}
	}
	for _, secret := range []string{entratest.DefaultClientSecret, wrongSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("the client secret %q is in a log line or an error", secret)
		}
	}
	if !strings.Contains(logs.String(), "retrying") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("the debug log lacks the retries: the test exercised nothing:\n%s", logs.String())
	}
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// hostile are ids, names and values that try to leave their URL segment or
// filter literal.
var hostile = []string{
	"P-001", "O'Neil", "'", "''", "x') or (1 eq 1", "x' or true or 'a", "a/b", "../../accounts", "a?b=c", "a?$top=1",
	"a#frag", "100%", "%2F", "%27", "%00", "a b", " lead ", "a\\b", `a"b`, "ünïcødé", "名前", "emoji 🚀", "a&$filter=true",
	"a&b=c", "a;b", "a+b", "<script>", "a,b", "a=b", "a)b(", "a\tb",
}

// uriLog records the request URIs a server receives.
type uriLog struct {
	mu   sync.Mutex
	uris []string
}

func (l *uriLog) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.uris = append(l.uris, r.RequestURI)
		l.mu.Unlock()
		jsonError(w, http.StatusNotFound, "0x80040217", "not found")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (l *uriLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.uris
	l.uris = nil
	return u
}

// splitQuery parses a query string the way OData services do: options are
// separated by '&' only (Go's url.ParseQuery also refuses ';', see
// TestSemicolonInQueryIsEscaped).
func splitQuery(t *testing.T, raw string) map[string][]string {
	t.Helper()
	q := map[string][]string{}
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		kk, err1 := url.QueryUnescape(k)
		vv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			t.Errorf("query option %q is not well escaped", p)
		}
		q[kk] = append(q[kk], vv)
	}
	return q
}

// TestSemicolonInQueryIsEscaped: a ';' in a filter literal is sent as is
// (syntax.EscapeQueryValue keeps it). OData services split options on
// '&' only, so the literal stays whole there, but Go's url.ParseQuery (Go
// 1.17 and later) and some proxies treat ';' as a separator or reject the
// option, dropping the $filter: a listing would then return every record.
// Skips, naming the issue, until ';' is percent-encoded.
func TestSemicolonInQueryIsEscaped(t *testing.T) {
	var log uriLog
	srv := log.server(t)
	sc, err := sales.NewClient(srv.URL, d365.StaticTokenCredential(staticJWT), &sales.Options{ClientOptions: d365.ClientOptions{Retry: d365.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	for range sc.Leads.List(context.Background(), &sales.ListOptions{Query: d365.Query{Filter: d365.Filterf("companyname eq %v", "a;b")}}) {
	}
	uris := log.take()
	if len(uris) != 1 {
		t.Fatalf("%d requests", len(uris))
	}
	u, _ := url.ParseRequestURI(uris[0])
	if _, err := url.ParseQuery(u.RawQuery); err != nil || strings.Contains(u.RawQuery, ";") {
		t.Errorf("the query %q holds a raw ';' (url.ParseQuery: %v): servers may cut the $filter there", u.RawQuery, err)
	}
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestIDsAndNamesStayInTheirPlace sends hostile company ids, prospect ids,
// customer accounts, party numbers and filter values through the clients
// and checks what the server receives: one record segment whose key reads
// back exactly, or one $filter whose literal reads back exactly, and no
// other query option.
func TestIDsAndNamesStayInTheirPlace(t *testing.T) {
	var log uriLog
	srv := log.server(t)
	cred := d365.StaticTokenCredential(staticJWT)
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: noSleep, MaxRetries: -1}}
	sc, err := sales.NewClient(srv.URL, cred, &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.URL, cred, &commerce.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	one := func(what, v string) (*url.URL, bool) {
		t.Helper()
		uris := log.take()
		if len(uris) != 1 {
			t.Errorf("%s %q: the server got %d requests (%v), want 1", what, v, len(uris), uris)
			return nil, false
		}
		u, err := url.ParseRequestURI(uris[0])
		if err != nil {
			t.Errorf("%s %q: unparsable request URI %q: %v", what, v, uris[0], err)
			return nil, false
		}
		return u, true
	}
	checkQuery := func(what, v string, u *url.URL, wantFilterPart string, allowed ...string) {
		t.Helper()
		q := splitQuery(t, u.RawQuery)
		for k := range q {
			ok := k == "$filter"
			for _, a := range allowed {
				ok = ok || k == a
			}
			if !ok {
				t.Errorf("%s %q: unexpected query option %q in %q", what, v, k, u.RawQuery)
			}
		}
		if f := q["$filter"]; len(f) != 1 || !strings.Contains(f[0], wantFilterPart) {
			t.Errorf("%s %q: $filter = %q, want it to contain %q", what, v, f, wantFilterPart)
		}
	}

	for _, v := range hostile {
		// A record key in a path segment.
		cc.Prospects.Get(ctx, v, v, nil)
		if u, ok := one("Prospects.Get", v); ok {
			want := "/data/Prospects(dataAreaId=" + lit(v) + ",ProspectId=" + lit(v) + ")"
			if u.Path != want || u.RawQuery != "" || strings.Count(u.EscapedPath(), "/") != 2 {
				t.Errorf("Prospects.Get %q: the server read path %q (escaped %q) query %q; want %q", v, u.Path, u.EscapedPath(), u.RawQuery, want)
			}
		}
		cc.Customers.Get(ctx, "usrt", v, nil)
		if u, ok := one("Customers.Get", v); ok {
			want := "/data/CustomersV3(dataAreaId='usrt',CustomerAccount=" + lit(v) + ")"
			if u.Path != want || u.RawQuery != "" {
				t.Errorf("Customers.Get %q: the server read path %q query %q; want %q", v, u.Path, u.RawQuery, want)
			}
		}
		// A filter literal.
		cc.Customers.ByPartyNumber(ctx, v)
		if u, ok := one("Customers.ByPartyNumber", v); ok {
			checkQuery("Customers.ByPartyNumber", v, u, "PartyNumber eq "+lit(v), "$top", "cross-company")
		}
		for range cc.Prospects.List(ctx, &commerce.ListOptions{Company: v}) {
		}
		if u, ok := one("Prospects.List company", v); ok {
			checkQuery("Prospects.List company", v, u, "dataAreaId eq "+lit(v), "cross-company")
		}
		for range sc.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{Filter: d365.Filterf("companyname eq %v and lastname ne %v", v, v)}}) {
		}
		if u, ok := one("Leads.List", v); ok {
			checkQuery("Leads.List", v, u, "companyname eq "+lit(v)+" and lastname ne "+lit(v))
			if u.Path != "/api/data/v9.2/leads" {
				t.Errorf("Leads.List %q: path %q", v, u.Path)
			}
		}
	}

	// Table, entity set and column names are checked before any request.
	for _, name := range []string{"leads/../accounts", "leads?$top=1", "leads#x", "leads(00000000-0000-0000-0000-000000000001)", "lea ds", "léads", "leads'", "../leads", "leads%2F", ""} {
		sc.Table(name).Get(ctx, uuid.New(), nil)
		for range sc.Table(name).List(ctx, nil) {
		}
		sc.Table(name).Create(ctx, map[string]any{"name": "x"})
		if uris := log.take(); len(uris) != 0 {
			t.Errorf("table name %q reached the server: %v", name, uris)
		}
	}
	for _, col := range []string{"name,telephone1&$top=1", "name)", "a b", "x'"} {
		for range sc.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{Select: []string{col}}}) {
		}
		for range sc.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{OrderBy: []string{col}}}) {
		}
		if uris := log.take(); len(uris) != 0 {
			t.Errorf("column name %q reached the server: %v", col, uris)
		}
	}
}

// TestSemicolonFilterAgainstEmulator shows the consequence of the raw ';'
// on a Go server, the emulator: a filter that matches nothing must list
// nothing. Skips, naming the issue, while the filter is dropped.
func TestSemicolonFilterAgainstEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	for i := range 2 {
		if _, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			LastName: "Buyer", Company: fmt.Sprintf("Semi %d", i), Email: "semi@partner.example",
		}); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"no such company", "no;such;company"} {
		n := 0
		for _, err := range sc.Leads.List(context.Background(), &sales.ListOptions{Query: d365.Query{Filter: d365.Filterf("companyname eq %v", name)}}) {
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			n++
		}
		if n != 0 {
			t.Errorf("the filter companyname eq %q listed %d leads, want 0", name, n)
		}
	}
}
