package odata

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// testToken is a JWT-shaped token: tests check it never leaks.
const testToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvbnRvc28ifQ.c2lnbmF0dXJl"

// sleeps records the waits a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// lockedBuffer collects log output from concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testClient starts a server with handler and returns a client for it that
// records its waits and logs everything into the returned buffer.
func testClient(t testing.TB, handler http.HandlerFunc, mod func(*Config)) (*Client, *sleeps, *lockedBuffer, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(handler)
	c, sl, logs := testClientOn(t, srv, mod)
	return c, sl, logs, srv
}

// testClientOn is testClient for a server the caller started (it is
// closed when the test ends).
func testClientOn(t testing.TB, srv *httptest.Server, mod func(*Config)) (*Client, *sleeps, *lockedBuffer) {
	t.Helper()
	t.Cleanup(srv.Close)
	base, err := ServiceURL("url", srv.URL+"/api/data/v9.2/")
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	logs := &lockedBuffer{}
	cfg := Config{
		BaseURL:    base,
		Resource:   Origin(base),
		Credential: d365.StaticTokenCredential(testToken),
		Options: d365.ClientOptions{
			Retry:  d365.RetryOptions{Sleep: sl.sleep},
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		},
		BypassCache: true,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl, logs
}
