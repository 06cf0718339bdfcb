package odata

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`))
			return
		}
		w.Write([]byte(`{"value":[]}`))
	}, nil)
	resp, err := c.Do(context.Background(), &Request{Path: "leads"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, sl.waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if resp.Attempts != 2 || calls.Load() != 2 {
		t.Errorf("attempts = %d, server calls = %d; want 2 and 2", resp.Attempts, calls.Load())
	}
}

func TestRetryAfterHTTPDateIsHonoured(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Now = func() time.Time { return now } })
	if _, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: map[string]string{"subject": "x"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{90 * time.Second}, sl.waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestRetryAfterAboveCeilingReturnsThrottled(t *testing.T) {
	var calls atomic.Int32
	c, sl, logs, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "600")
		w.Header().Set("x-ms-service-request-id", "5b7d9a2e-0000-0000-0000-000000000001")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"code":"0x80072321","message":"Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds."}}`))
	}, nil)
	_, err := c.Do(context.Background(), &Request{Path: "leads"})
	if !errors.Is(err, d365.ErrThrottled) {
		t.Fatalf("err = %v, want ErrThrottled", err)
	}
	var e *d365.Error
	if !errors.As(err, &e) {
		t.Fatalf("err is %T, want *d365.Error", err)
	}
	if e.RetryAfter != 10*time.Minute || e.Code != "0x80072321" || e.Attempts != 1 || e.RequestID == "" {
		t.Errorf("error = %+v; want RetryAfter 10m, code 0x80072321, 1 attempt, a request id", e)
	}
	if calls.Load() != 1 || len(sl.waits()) != 0 {
		t.Errorf("server calls = %d, waits = %v; want 1 call and no wait", calls.Load(), sl.waits())
	}
	if !strings.Contains(logs.String(), "MaxRetryAfter") {
		t.Errorf("the log does not say why the request was not retried:\n%s", logs)
	}
}

func TestRetriesRunOutOnThrottling(t *testing.T) {
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit."}}`))
	}, func(c *Config) { c.Options.Retry.MaxRetries = 3 })
	_, err := c.Do(context.Background(), &Request{Path: "leads"})
	var e *d365.Error
	if !errors.As(err, &e) || !errors.Is(err, d365.ErrThrottled) {
		t.Fatalf("err = %v, want a throttling *d365.Error", err)
	}
	if e.Attempts != 4 || calls.Load() != 4 || len(sl.waits()) != 3 {
		t.Errorf("attempts = %d, calls = %d, waits = %v; want 4, 4 and 3 waits", e.Attempts, calls.Load(), sl.waits())
	}
	if !strings.Contains(e.Error(), "4 attempts") {
		t.Errorf("the error does not say how many attempts were made: %v", e)
	}
}

func TestBackoffWithoutRetryAfterHasJitterAndBounds(t *testing.T) {
	p := retryPolicy{minBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	seen := map[time.Duration]bool{}
	for n := 0; n < 8; n++ {
		for i := 0; i < 50; i++ {
			d := p.backoff(n)
			hi := min(100*time.Millisecond<<n, time.Second)
			if d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, hi/2, hi)
			}
			seen[d] = true
		}
	}
	if len(seen) < 20 {
		t.Errorf("backoff produced only %d distinct waits: no jitter", len(seen))
	}
}

// hangUp answers by closing the connection without a response, after
// reading the request: the server may have acted on it.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestPostWithConnectionResetIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		hangUp(w)
	}, nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads(00000000-0000-0000-0000-000000000001)/Microsoft.Dynamics.CRM.QualifyLead", Body: map[string]any{"Status": 3}})
	if err == nil {
		t.Fatal("no error for a dropped connection")
	}
	if calls.Load() != 1 {
		t.Errorf("server calls = %d, want 1: a POST the server may have acted on must not be resent", calls.Load())
	}
}

func TestGetWithConnectionResetIsRetried(t *testing.T) {
	var calls atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			hangUp(w)
			return
		}
		w.Write([]byte(`{"leadid":"x"}`))
	}, nil)
	if _, err := c.Do(context.Background(), &Request{Path: "leads(00000000-0000-0000-0000-000000000001)"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(sl.waits()) != 1 {
		t.Errorf("calls = %d, waits = %v; want 2 calls after one backoff", calls.Load(), sl.waits())
	}
}

func TestIdempotentPostIsRetriedAfterReset(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			hangUp(w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: map[string]any{"leadid": "00000000-0000-0000-0000-000000000001"}, Idempotent: true})
	if err != nil || calls.Load() != 2 {
		t.Fatalf("err = %v, calls = %d; want success on the second call", err, calls.Load())
	}
}

// dialFailOnce fails the first round trip as a refused connection: the
// request never reached a server.
type dialFailOnce struct {
	failed atomic.Bool
	next   http.RoundTripper
}

func (d *dialFailOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if !d.failed.Swap(true) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestPostIsRetriedWhenTheConnectionCouldNotBeOpened(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}, func(c *Config) {
		c.Options.HTTPClient = &http.Client{Transport: &dialFailOnce{next: http.DefaultTransport}}
	})
	_, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "WinOpportunity", Body: map[string]any{"Status": 3}})
	if err != nil || calls.Load() != 1 {
		t.Fatalf("err = %v, calls = %d; want the POST resent once the connection opens", err, calls.Load())
	}
}

func TestGatewayErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		method    string
		wantCalls int32
	}{{http.MethodGet, 2}, {http.MethodPost, 1}} {
		var calls atomic.Int32
		c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.WriteHeader(http.StatusGatewayTimeout)
				return
			}
			w.Write([]byte(`{}`))
		}, nil)
		c.Do(context.Background(), &Request{Method: tc.method, Path: "leads", Body: map[string]any{}})
		if calls.Load() != tc.wantCalls {
			t.Errorf("%s after 504: calls = %d, want %d", tc.method, calls.Load(), tc.wantCalls)
		}
	}
}

func TestCancelledContextStopsTheWaitAtOnce(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}, func(c *Config) { c.Options.Retry.Sleep = nil }) // a real timer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, &Request{Path: "leads"})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do still waiting for Retry-After after its context was cancelled")
	}
}

// refreshingCredential hands out a new token after each invalidation.
type refreshingCredential struct {
	gen         atomic.Int32
	invalidated atomic.Int32
	lastRefused atomic.Value
}

func (r *refreshingCredential) current() string {
	return "token-" + string(rune('A'+r.gen.Load()))
}

func (r *refreshingCredential) Token(context.Context, string) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: r.current()}, nil
}

func (r *refreshingCredential) InvalidateToken(resource, token string) {
	r.invalidated.Add(1)
	r.lastRefused.Store(token)
	if token == r.current() {
		r.gen.Add(1)
	}
}

func TestUnauthorizedRefreshesTheTokenOnceAndRetries(t *testing.T) {
	cred := &refreshingCredential{}
	var auths []string
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		auths = append(auths, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer token-B" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Credential = cred })
	if _, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Bearer token-A", "Bearer token-B"}, auths); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	if cred.invalidated.Load() != 1 || cred.lastRefused.Load() != "token-A" {
		t.Errorf("invalidations = %d of %v; want one, of token-A", cred.invalidated.Load(), cred.lastRefused.Load())
	}
	if len(sl.waits()) != 1 || sl.waits()[0] != 0 {
		t.Errorf("waits = %v, want a single immediate retry", sl.waits())
	}
}

func TestUnauthorizedTwiceFailsWithErrUnauthorized(t *testing.T) {
	cred := &refreshingCredential{}
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize`)
		w.WriteHeader(http.StatusUnauthorized)
	}, func(c *Config) { c.Credential = cred })
	_, err := c.Do(context.Background(), &Request{Path: "leads"})
	if !errors.Is(err, d365.ErrUnauthorized) || calls.Load() != 2 {
		t.Fatalf("err = %v after %d calls; want ErrUnauthorized after exactly 2", err, calls.Load())
	}
}

func TestConcurrencyIsCapped(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Options.MaxConcurrency = 3 })
	done := make(chan struct{})
	for i := 0; i < 10; i++ {
		go func() {
			c.Do(context.Background(), &Request{Path: "leads"})
			done <- struct{}{}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	for i := 0; i < 10; i++ {
		<-done
	}
	if peak.Load() != 3 {
		t.Errorf("peak concurrency = %d, want 3", peak.Load())
	}
}

func TestARedirectFollowedIsPartOfItsAttempt(t *testing.T) {
	var served atomic.Int32
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/moved") {
			http.Redirect(w, r, "/api/data/v9.2/moved", http.StatusFound)
			return
		}
		if served.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}, nil)
	resp, err := c.Do(context.Background(), &Request{Path: "leads"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || len(sl.waits()) != 1 {
		t.Errorf("attempts = %d, waits = %v; want 2 attempts (each redirected once) and 1 wait", resp.Attempts, sl.waits())
	}
}

func TestConcurrentRequestsKeepTheirOwnRetryState(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}, func(c *Config) { c.Options.Retry.MaxRetries = 1 })
	const n = 20
	attempts := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Do(context.Background(), &Request{Path: fmt.Sprintf("leads%d", i)})
			if err == nil {
				attempts[i] = resp.Attempts
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range n {
		// With one retry each, a request that spent another's retry, or
		// counted another's attempts, fails or reports more than 2.
		if errs[i] != nil || attempts[i] != 2 {
			t.Errorf("request %d: attempts = %d, err = %v; want 2 attempts and success", i, attempts[i], errs[i])
		}
	}
	if got := len(sl.waits()); got != n {
		t.Errorf("waits = %d, want %d (one per request)", got, n)
	}
}
