package odata

// Tests of issue 12's engine items: an oversized Retry-After, redirects,
// bounded bodies, connection reuse after retries, conditional writes,
// stalled servers, exact token scrubbing and redacted transport errors.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

// Item 2: a 429 whose Retry-After exceeds MaxRetryAfter fails that call with
// ErrThrottled, and the client's next calls do not wait for it.
func TestOversizedRetryAfterDoesNotPauseTheClient(t *testing.T) {
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit."}}`))
			return
		}
		w.Write([]byte(`{}`))
	}, nil)
	ctx := context.Background()
	_, err := c.Do(ctx, &Request{Path: "leads"})
	var e *d365.Error
	if !errors.Is(err, d365.ErrThrottled) || !errors.As(err, &e) || e.RetryAfter != 24*time.Hour {
		t.Fatalf("err = %v, want ErrThrottled with RetryAfter 24h", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Do(ctx, &Request{Path: "accounts"}); err != nil {
			t.Fatal(err)
		}
	}
	if w := sl.waits(); len(w) != 0 {
		t.Errorf("waits = %v: the client paused for a Retry-After it refused to honour", w)
	}
	if got := c.lim.until(c.now()); got != 0 {
		t.Errorf("the client-wide pause is %s, want none", got)
	}
	if calls.Load() != 4 {
		t.Errorf("server calls = %d, want 4", calls.Load())
	}
}

// counter counts the requests a server receives, and the Authorization
// headers among them.
type counter struct {
	mu    sync.Mutex
	reqs  []string
	auths int
}

func (c *counter) handler(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("Authorization") != "" {
		c.auths++
	}
	c.mu.Unlock()
	w.Write([]byte(`{"value":[]}`))
}

func (c *counter) seen() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...), c.auths
}

// Item 3: a redirect is followed only for GET and HEAD, to the same scheme,
// host and port; anything else is an error naming the Location, and nothing
// is sent there.
func TestRedirectsStayOnTheServiceOrFail(t *testing.T) {
	other := &counter{}
	b := httptest.NewServer(http.HandlerFunc(other.handler))
	defer b.Close()
	tlsOther := &counter{}
	bTLS := httptest.NewTLSServer(http.HandlerFunc(tlsOther.handler))
	defer bTLS.Close()
	bPort := b.Listener.Addr().(*net.TCPAddr).Port

	type tc struct {
		name     string
		tls      bool   // the service is https
		method   string // of the request
		status   int    // of the redirect
		location func(self string) string
	}
	var cases []tc
	for _, status := range []int{301, 302, 303, 307, 308} {
		cases = append(cases,
			tc{"another port", false, http.MethodGet, status, func(string) string { return b.URL + "/x?$top=1" }},
			tc{"another port, PATCH", false, http.MethodPatch, status, func(string) string { return b.URL + "/x" }},
			tc{"same origin, POST", false, http.MethodPost, status, func(self string) string { return self + "/api/data/v9.2/moved" }},
			tc{"same origin, DELETE", false, http.MethodDelete, status, func(self string) string { return self + "/api/data/v9.2/moved" }},
			tc{"subdomain", false, http.MethodGet, status, func(string) string { return fmt.Sprintf("http://sub.localhost:%d/x", bPort) }},
			tc{"http downgrade", true, http.MethodGet, status, func(string) string { return b.URL + "/x" }},
			tc{"https on another port", true, http.MethodGet, status, func(string) string { return bTLS.URL + "/x" }},
		)
	}
	for _, k := range cases {
		t.Run(fmt.Sprintf("%s %d", k.name, k.status), func(t *testing.T) {
			self := &counter{}
			var a *httptest.Server
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/moved") {
					self.handler(w, r)
					return
				}
				w.Header().Set("Location", k.location(a.URL))
				w.WriteHeader(k.status)
			})
			if k.tls {
				a = httptest.NewTLSServer(h)
			} else {
				a = httptest.NewServer(h)
			}
			defer a.Close()
			user := a.Client()
			before := *user
			c, _, _, _ := testClient(t, nil, func(cfg *Config) {
				u, _ := ServiceURL("url", a.URL+"/api/data/v9.2/")
				cfg.BaseURL, cfg.Resource = u, Origin(u)
				cfg.Options.HTTPClient = user
				// Would blindly replay: a redirect is refused all the same.
				cfg.Options.Retry.MaxRetries = 2
			})
			req := &Request{Method: k.method, Path: "leads", Idempotent: true}
			if k.method != http.MethodGet {
				req.Body = map[string]string{"subject": "x"}
			}
			resp, err := c.Do(context.Background(), req)
			loc := k.location(a.URL)
			if err == nil {
				t.Fatalf("status %d: the redirect to %s was reported as a success", resp.StatusCode, loc)
			}
			wantLoc := loc
			if u, perr := url.Parse(loc); perr == nil {
				wantLoc = RedactURL(u)
			}
			if !strings.Contains(err.Error(), wantLoc) || !strings.Contains(err.Error(), "not followed") {
				t.Errorf("err = %v, want it to name the Location %s", err, wantLoc)
			}
			for name, ct := range map[string]*counter{"the other http server": other, "the other https server": tlsOther, "the redirect target": self} {
				if reqs, _ := ct.seen(); len(reqs) != 0 {
					t.Errorf("%s received %v", name, reqs)
				}
			}
			if user.CheckRedirect != nil || user.Transport != before.Transport || user.Timeout != before.Timeout {
				t.Error("the caller's http.Client was modified")
			}
		})
	}
}

// A same-origin redirect of a GET is followed, with the token.
func TestSameOriginRedirectOfAGetIsFollowed(t *testing.T) {
	target := &counter{}
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/moved") {
			target.handler(w, r)
			return
		}
		http.Redirect(w, r, "/api/data/v9.2/moved", http.StatusFound)
	}, nil)
	if _, err := c.Do(context.Background(), &Request{Path: "leads"}); err != nil {
		t.Fatal(err)
	}
	if reqs, auths := target.seen(); len(reqs) != 1 || auths != 1 {
		t.Errorf("the target saw %v with %d Authorization headers; want one GET with the token", reqs, auths)
	}
}

// chunkedBody serves a body of n bytes (forever when n < 0) without a
// Content-Length, a JSON page that never closes when it is cut.
func chunkedBody(n int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(`{"n":1},`, 4096))
		w.Write([]byte(`{"value":[`))
		written := int64(10)
		for n < 0 || written < n {
			c := chunk
			if n >= 0 && int64(len(c)) > n-written {
				c = c[:n-written]
			}
			if _, err := w.Write(c); err != nil {
				return
			}
			written += int64(len(c))
		}
	}
}

// allocated returns the bytes allocated on the heap while f runs: an upper
// bound of the heap it took at its peak.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Item 4: a success body above MaxResponseBytes fails with an error that
// names the limit (matching d365.ErrResponseTooLarge), not a JSON error,
// and reading it allocates less than twice the limit however long the body
// is (the growth steps of a body without a Content-Length: at most 1.5 ×
// the limit is live at once).
func TestResponseBodyAboveTheLimitFailsWithinTheLimit(t *testing.T) {
	const limit = 8 << 20
	c, _, _, _ := testClient(t, chunkedBody(-1), func(cfg *Config) { cfg.Options.MaxResponseBytes = limit })
	var err error
	alloc := allocated(func() {
		_, err = c.Do(context.Background(), &Request{Path: "leads"})
	})
	t.Logf("an endless streamed body, MaxResponseBytes %d MiB: %.1f MiB allocated", limit>>20, float64(alloc)/(1<<20))
	if !errors.Is(err, d365.ErrResponseTooLarge) || !strings.Contains(err.Error(), "MaxResponseBytes") ||
		strings.Contains(err.Error(), "unexpected end") {
		t.Errorf("err = %v, want ErrResponseTooLarge naming MaxResponseBytes", err)
	}
	if max := uint64(2*limit + 1<<20); alloc > max {
		t.Errorf("reading the body allocated %d bytes, want at most %d (2 × the limit + 1 MiB)", alloc, max)
	}
}

func TestResponseBodyWithALengthAboveTheLimitIsNotRead(t *testing.T) {
	const limit = 1 << 20
	var wrote atomic.Int64
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		chunk := make([]byte, 32<<10)
		for i := 0; i < 2048; i++ {
			n, err := w.Write(chunk)
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	}, func(cfg *Config) { cfg.Options.MaxResponseBytes = limit })
	var err error
	alloc := allocated(func() { _, err = c.Do(context.Background(), &Request{Path: "leads"}) })
	if !errors.Is(err, d365.ErrResponseTooLarge) || !strings.Contains(err.Error(), "67108864 bytes") {
		t.Errorf("err = %v, want ErrResponseTooLarge with the announced size", err)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes for a body refused on its Content-Length", alloc)
	}
}

func TestResponseBodyUpToTheLimitIsRead(t *testing.T) {
	const limit = 1 << 20
	for _, n := range []int64{limit - 1, limit} {
		c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"value":[]}`))
			w.Write([]byte(strings.Repeat(" ", int(n)-12)))
		}, func(cfg *Config) { cfg.Options.MaxResponseBytes = limit })
		resp, err := c.Do(context.Background(), &Request{Path: "leads"})
		if err != nil || int64(len(resp.Body)) != n {
			t.Fatalf("body of %d bytes: err = %v", n, err)
		}
	}
	for _, v := range []int64{-1} {
		_, err := New(Config{BaseURL: &url.URL{Scheme: "https", Host: "x"}, Options: d365.ClientOptions{MaxResponseBytes: v}})
		if err == nil || !strings.Contains(err.Error(), "MaxResponseBytes") {
			t.Errorf("MaxResponseBytes %d: err = %v, want an error naming the field", v, err)
		}
	}
}

// An error body is read only up to its first 64 KiB, and its message kept
// short.
func TestHugeErrorBodyIsReadOnlyInPart(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for i := 0; i < 2048; i++ { // 64 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}, nil)
	var err error
	alloc := allocated(func() { _, err = c.Do(context.Background(), &Request{Path: "leads"}) })
	var e *d365.Error
	if !errors.As(err, &e) || e.StatusCode != 400 {
		t.Fatalf("err = %v, want a 400 *d365.Error", err)
	}
	if len(e.Message) > 500 {
		t.Errorf("message of %d bytes", len(e.Message))
	}
	if alloc > 2<<20 {
		t.Errorf("a 64 MiB error body allocated %d bytes, want under 2 MiB", alloc)
	}
}

// BenchmarkResponseBodyLimit reads an endless streamed body (no
// Content-Length) against a 64 MiB MaxResponseBytes and reports the heap
// allocated for it (alloc-MiB, an upper bound of the peak) and the peak of
// the heap in use sampled every millisecond above the heap before
// (peak-heap-MiB):
//
//	go test -run '^$' -bench BenchmarkResponseBodyLimit -benchtime 3x ./internal/odata
func BenchmarkResponseBodyLimit(b *testing.B) {
	const limit = 64 << 20
	c, _, _, _ := testClient(b, chunkedBody(-1), func(cfg *Config) { cfg.Options.MaxResponseBytes = limit })
	var worstAlloc, worstPeak uint64
	for b.Loop() {
		var err error
		var peak uint64
		alloc := allocated(func() {
			stop := sampleHeap(&peak)
			_, err = c.Do(context.Background(), &Request{Path: "leads"})
			stop()
		})
		if !errors.Is(err, d365.ErrResponseTooLarge) {
			b.Fatal(err)
		}
		worstAlloc, worstPeak = max(worstAlloc, alloc), max(worstPeak, peak)
	}
	b.ReportMetric(float64(worstAlloc)/(1<<20), "alloc-MiB")
	b.ReportMetric(float64(worstPeak)/(1<<20), "peak-heap-MiB")
}

// sampleHeap records in *peak the highest HeapInuse above its current
// value, sampled every millisecond until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > *peak {
				*peak = m.HeapInuse - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Item 5: responses that are retried are drained and closed, so that their
// connection carries the next attempt.
func TestRetriedResponsesGiveTheirConnectionBack(t *testing.T) {
	var calls atomic.Int32
	var conns atomic.Int32
	big := `{"error":{"code":"0x80072322","message":"` + strings.Repeat("x", 16<<10) + `"}}`
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%3 != 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(big))
			return
		}
		w.Write([]byte(`{}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, _, _, _ := testClient(t, nil, func(cfg *Config) {
		u, _ := ServiceURL("url", srv.URL)
		cfg.BaseURL, cfg.Resource = u, Origin(u)
	})
	for i := 0; i < 50; i++ {
		resp, err := c.Do(context.Background(), &Request{Path: "leads"})
		if err != nil || resp.Attempts != 3 {
			t.Fatalf("call %d: err = %v, want success on the third attempt", i, err)
		}
	}
	if calls.Load() != 150 || conns.Load() != 1 {
		t.Errorf("150 attempts (%d) opened %d connections, want 1", calls.Load(), conns.Load())
	}
}

// etagServer is a record whose ETag changes with every update; its first
// update is carried out and then the connection is dropped (the answer is
// lost).
type etagServer struct {
	mu      sync.Mutex
	version int
	calls   int
	fail    func(w http.ResponseWriter) // how the first answer is lost
}

func (s *etagServer) served() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *etagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if m := r.Header.Get("If-Match"); m != "*" && m != fmt.Sprintf(`W/"%d"`, s.version) {
		w.WriteHeader(http.StatusPreconditionFailed)
		w.Write([]byte(`{"error":{"code":"0x80060882","message":"The version of the existing record doesn't match the RowVersion property provided."}}`))
		return
	}
	s.version++
	if s.calls == 1 {
		s.fail(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Item 6: a write with the caller's If-Match is not replayed after a lost
// answer, even when marked idempotent; with If-Match "*" it is.
func TestConditionalWriteIsNotReplayedBlindly(t *testing.T) {
	lost := map[string]func(http.ResponseWriter){
		"connection reset": hangUp,
		"504":              func(w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) },
	}
	for name, fail := range lost {
		for _, method := range []string{http.MethodPatch, http.MethodPut, http.MethodDelete} {
			t.Run(name+" "+method, func(t *testing.T) {
				s := &etagServer{fail: fail}
				c, _, _, _ := testClient(t, s.ServeHTTP, nil)
				_, err := c.Do(context.Background(), &Request{Method: method, Path: "leads(1)", Body: map[string]string{"subject": "x"},
					IfMatch: `W/"0"`, Idempotent: true})
				if n := s.served(); err == nil || errors.Is(err, d365.ErrPreconditionFailed) || n != 1 {
					t.Errorf("err = %v after %d calls; want the lost answer's error after 1 call, never ErrPreconditionFailed", err, n)
				}
			})
		}
		t.Run(name+" If-Match *", func(t *testing.T) {
			s := &etagServer{fail: fail}
			c, _, _, _ := testClient(t, s.ServeHTTP, nil)
			_, err := c.Do(context.Background(), &Request{Method: http.MethodPatch, Path: "leads(1)", Body: map[string]string{"subject": "x"},
				IfMatch: "*", Idempotent: true})
			if n := s.served(); err != nil || n != 2 {
				t.Errorf("err = %v after %d calls; want success on the retry", err, n)
			}
		})
	}
	// Throttling still retries a conditional write: the service did not
	// act on it.
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	if _, err := c.Do(context.Background(), &Request{Method: http.MethodPatch, Path: "leads(1)", Body: map[string]string{}, IfMatch: `W/"0"`}); err != nil || calls.Load() != 2 {
		t.Errorf("err = %v after %d calls; want a retry after 429", err, calls.Load())
	}
}

func TestConditionalWriteRule(t *testing.T) {
	for _, tc := range []struct {
		method string
		r      Request
		want   bool
	}{
		{http.MethodPatch, Request{IfMatch: `W/"1"`}, true},
		{http.MethodPatch, Request{IfMatch: "*"}, false},
		{http.MethodPatch, Request{}, false},
		{http.MethodPatch, Request{Header: http.Header{"If-Match": {`"abc"`}}}, true},
		{http.MethodPatch, Request{IfNoneMatch: "*"}, true},
		{http.MethodPost, Request{IfMatch: `W/"1"`}, true},
		{http.MethodGet, Request{IfMatch: `W/"1"`}, false},
	} {
		if got := conditionalWrite(&tc.r, tc.method); got != tc.want {
			t.Errorf("%s %+v: conditional = %v, want %v", tc.method, tc.r, got, tc.want)
		}
	}
}

// within runs f and fails the test if it has not returned after a long
// grace period (the bounds under test are milliseconds).
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the call still hangs after 30s")
	}
}

// Item 7: an attempt whose headers do not come within
// ResponseHeaderTimeout fails with ErrTimeout (a GET after its retries).
func TestSilentServerTimesOut(t *testing.T) {
	var calls atomic.Int32
	stop := make(chan struct{})
	c, _, logs, srv := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}, func(cfg *Config) {
		cfg.Options.ResponseHeaderTimeout = 200 * time.Millisecond
		cfg.Options.Retry.MaxRetries = 2
	})
	defer close(stop)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		calls.Store(0)
		var err error
		within(t, func() {
			_, err = c.Do(context.Background(), &Request{Method: method, Path: "leads", Body: map[string]string{}})
		})
		if !errors.Is(err, d365.ErrTimeout) || !strings.Contains(err.Error(), "ResponseHeaderTimeout") {
			t.Errorf("%s: err = %v, want ErrTimeout naming ResponseHeaderTimeout", method, err)
		}
		// A GET is retried; a POST is not: the server may have acted on
		// it. (Counted by the client: under load the server may not even
		// see an attempt before its bound passes.)
		want, wantText := int32(3), "(3 attempts)"
		if method == http.MethodPost {
			want, wantText = 1, method+" "+srv.URL+"/api/data/v9.2/leads: "
		}
		if !strings.Contains(fmt.Sprint(err), wantText) || calls.Load() > want {
			t.Errorf("%s: err = %v after %d server calls; want %q, at most %d calls", method, err, calls.Load(), wantText, want)
		}
	}
	if !strings.Contains(logs.String(), "ResponseHeaderTimeout") {
		t.Errorf("the log does not say why:\n%s", logs)
	}
}

// A body that stops coming fails after BodyIdleTimeout; one that keeps
// coming, slowly, for longer than that in total, is read whole.
func TestStalledBodyTimesOut(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(`{"value":[` + strings.Repeat(" ", 490)))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}, func(cfg *Config) { cfg.Options.BodyIdleTimeout = 50 * time.Millisecond })
	var err error
	within(t, func() { _, err = c.Do(context.Background(), &Request{Path: "leads"}) })
	if !errors.Is(err, d365.ErrTimeout) || !strings.Contains(err.Error(), "BodyIdleTimeout") {
		t.Errorf("err = %v, want ErrTimeout naming BodyIdleTimeout", err)
	}

	slow, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"value":[`))
		for i := 0; i < 60; i++ { // 3s in all, 50ms at a time
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
			w.Write([]byte(`{"n":1},`))
		}
		w.Write([]byte(`{"n":1}]}`))
	}, func(cfg *Config) { cfg.Options.BodyIdleTimeout = 2 * time.Second })
	within(t, func() { _, err = slow.Do(context.Background(), &Request{Path: "leads"}) })
	if err != nil {
		t.Errorf("a body that kept coming failed: %v", err)
	}
}

// opaqueToken is not JWT-shaped, and holds characters that JSON and URL
// escaping change.
const opaqueToken = "opaque/token+123<&>"

// Item 8: the token actually sent is scrubbed from every error text,
// detail, inner error and log record, in its raw, JSON-escaped and
// URL-escaped forms, whatever echoes it.
func TestOpaqueTokenIsScrubbedEverywhere(t *testing.T) {
	jsonEsc := `opaque\/token+123\u003c\u0026\u003e`
	urlEsc := url.QueryEscape(opaqueToken)
	// {auth} is the Authorization header, {token} the token alone.
	bodies := map[string]string{
		"odata":      `{"error":{"code":"{token}","message":"bad token: {auth}"}}`,
		"escaped":    `{"error":{"code":"x","message":"bad token: ` + jsonEsc + ` and ` + urlEsc + `"}}`,
		"oauth":      `{"error":"invalid_token","error_description":"token {auth} expired"}`,
		"html":       `<html><head><title>Denied {auth}</title></head></html>`,
		"plain":      `denied: {auth}`,
		"innererror": `{"error":{"code":"0x80040216","message":"failed","innererror":{"message":"was {token}","type":"{token}","stacktrace":"at {token}","internalexception":{"message":"{token}"}}}}`,
		"cds detail": `{"error":{"code":"0x80040216","message":"failed","@Microsoft.PowerApps.CDS.InnerError.Message":"header was {token}"}}`,
	}
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest, http.StatusTooManyRequests, http.StatusBadGateway} {
		for name, body := range bodies {
			t.Run(fmt.Sprintf("%d %s", status, name), func(t *testing.T) {
				c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
					auth := r.Header.Get("Authorization")
					w.Header().Set("x-ms-service-request-id", auth)
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(status)
					io.WriteString(w, strings.NewReplacer("{auth}", auth, "{token}", strings.TrimPrefix(auth, "Bearer ")).Replace(body))
				}, func(cfg *Config) {
					cfg.Credential = d365.StaticTokenCredential(opaqueToken)
					cfg.Options.Retry.MaxRetries = 1
				})
				_, err := c.Do(context.Background(), &Request{Path: "leads(1)"})
				var e *d365.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want a *d365.Error", err)
				}
				checkNoToken(t, map[string]string{
					"Error()": err.Error(), "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", e),
					"Code": e.Code, "Message": e.Message, "RequestID": e.RequestID, "Details": fmt.Sprint(e.Details),
					"Inner": fmt.Sprintf("%+v", e.Inner), "Inner.Inner": fmt.Sprintf("%+v", innerOf(e.Inner)),
					"the log": logs.String(),
				})
			})
		}
	}
}

func innerOf(in *d365.InnerError) *d365.InnerError {
	if in == nil {
		return nil
	}
	return in.Inner
}

func checkNoToken(t *testing.T, texts map[string]string) {
	t.Helper()
	for where, s := range texts {
		for _, form := range []string{opaqueToken, "opaque/token", `opaque\/token`, url.QueryEscape(opaqueToken), "token+123"} {
			if strings.Contains(s, form) {
				t.Errorf("the token (%s) is in %s: %s", form, where, s)
			}
		}
	}
}

// A proxy that echoes the token in a malformed answer: the transport's
// error, wrapped, logged and retried, never shows it.
func TestOpaqueTokenIsScrubbedFromTransportErrors(t *testing.T) {
	c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + "\r\n\r\n")
		buf.Flush()
		conn.Close()
	}, func(cfg *Config) {
		cfg.Credential = d365.StaticTokenCredential(opaqueToken)
		cfg.Options.Retry.MaxRetries = 2
	})
	_, err := c.Do(context.Background(), &Request{Path: "leads"})
	if err == nil {
		t.Fatal("no error for a malformed answer")
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("err = %v: the echo is not in the error at all, the test proves nothing", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a *url.Error inside", err)
	}
	checkNoToken(t, map[string]string{"Error()": err.Error(), "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", ue.Err), "url.Error": ue.Error(),
		"url.Error.Err": fmt.Sprint(ue.Err), "unwrapped": fmt.Sprint(errors.Unwrap(ue.Err)), "the log": logs.String()})
}

// Item 10: a transport error carries the redacted URL, not the raw one.
func TestTransportErrorCarriesTheRedactedURL(t *testing.T) {
	c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { hangUp(w) }, func(cfg *Config) {
		cfg.Options.Retry.MaxRetries = -1
	})
	_, err := c.Do(context.Background(), &Request{Path: "leads", Query: "$top=1&sig=s3cr3t-signature&api-key=k3y-value"})
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a *url.Error inside", err)
	}
	for where, s := range map[string]string{"url.Error.URL": ue.URL, "Error()": err.Error(), "the log": logs.String()} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "k3y-value") {
			t.Errorf("a secret query value is in %s: %s", where, s)
		}
	}
	if !strings.Contains(ue.URL, "sig=REDACTED") || !strings.Contains(ue.URL, "$top=1") {
		t.Errorf("url.Error.URL = %q, want the URL with its secrets redacted", ue.URL)
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("err = %v: the cause is lost", err)
	}
}

func TestScrubberForms(t *testing.T) {
	s := newScrubber(opaqueToken, "short")
	for _, in := range []string{
		opaqueToken, `opaque\/token+123\u003c\u0026\u003e`, `opaque/token+123<&>`, url.QueryEscape(opaqueToken),
		strings.ToLower(url.QueryEscape(opaqueToken)), url.PathEscape(opaqueToken), `opaque\/token+123<&>`,
	} {
		if got := s.text("x " + in + " y"); got != "x [REDACTED] y" {
			t.Errorf("%q scrubbed to %q", in, got)
		}
	}
	if diff := cmp.Diff("a short word", s.text("a short word")); diff != "" {
		t.Errorf("a secret under %d bytes was scrubbed: %s", minSecret, diff)
	}
}

// Errors built from a response's body (a $batch part) are scrubbed of the
// request's token through Response.DecodeError.
func TestResponseDecodeErrorScrubsTheToken(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}, func(cfg *Config) { cfg.Credential = d365.StaticTokenCredential(opaqueToken) })
	resp, err := c.Do(context.Background(), &Request{Path: "leads"})
	if err != nil {
		t.Fatal(err)
	}
	checkNoToken(t, map[string]string{"%+v of the Response": fmt.Sprintf("%+v", resp), "%#v": fmt.Sprintf("%#v", resp)})
	e := resp.DecodeError(400, http.Header{}, []byte(`{"error":{"code":"x","message":"echo `+opaqueToken+`"}}`), time.Now())
	if e.Message != "echo [REDACTED]" {
		t.Errorf("message = %q, want the token scrubbed", e.Message)
	}
}

// A next link that echoes the token (to another host, or twice) ends the
// listing with an error that does not show it.
func TestNextLinkEchoingTheTokenIsScrubbed(t *testing.T) {
	for _, next := range []string{"https://evil.example/leads?t={token}", "/api/data/v9.2/leads?$skiptoken={token}"} {
		c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			tok := url.QueryEscape(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":%q}`, strings.ReplaceAll(next, "{token}", tok))
		}, func(cfg *Config) { cfg.Credential = d365.StaticTokenCredential(opaqueToken) })
		var gotErr error
		for _, err := range List[map[string]any](context.Background(), c, &Request{Path: "leads"}, 0) {
			gotErr = err
		}
		if gotErr == nil {
			t.Fatalf("next link %s: no error", next)
		}
		checkNoToken(t, map[string]string{"Error()": gotErr.Error(), "the log": logs.String()})
	}
}

// Item 8 for $batch: the error of a part, and the error of a refused
// batch, are scrubbed of the token the batch was sent with.
func TestOpaqueTokenIsScrubbedFromBatchErrors(t *testing.T) {
	jsonEsc := `opaque\/token+123\u003c\u0026\u003e`
	part := "--batchresponse_R\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
		"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\r\n" +
		`{"error":{"code":"0x80040220","message":"token ` + jsonEsc + ` refused"}}` + "\r\n--batchresponse_R--\r\n"
	for name, tc := range map[string]struct {
		status int
		ctype  string
		body   string
	}{
		"part":  {http.StatusOK, "multipart/mixed; boundary=batchresponse_R", part},
		"batch": {http.StatusBadRequest, "application/json", `{"error":{"code":"0x0","message":"bad batch for ` + jsonEsc + `"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			c, _, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}, func(cfg *Config) { cfg.Credential = d365.StaticTokenCredential(opaqueToken) })
			res, err := c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{{Request: &d365.BatchRequest{Method: http.MethodGet, Path: "leads(1)"}}}})
			if err == nil {
				if len(res) != 1 || res[0].Err == nil {
					t.Fatalf("results = %+v, want one failed request", res)
				}
				err = res[0].Err
			}
			var e *d365.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *d365.Error", err)
			}
			checkNoToken(t, map[string]string{"Error()": err.Error(), "Message": e.Message, "%#v": fmt.Sprintf("%#v", e), "the log": logs.String()})
		})
	}
}
