package sales

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/vcr"
	"github.com/google/uuid"
)

const testOrg = "https://contoso.crm.dynamics.com"

// The ids the cassettes use.
var (
	leadID     = uuid.MustParse("9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70")
	newLeadID  = uuid.MustParse("3c1d7e2a-5b6f-4a8c-9d0e-1f2a3b4c5d6e")
	accountID  = uuid.MustParse("81883308-7ad5-ea11-a813-000d3a33f3b4")
	contactID  = uuid.MustParse("d1bf9a01-b056-e711-abaa-00155d701c02")
	oppID      = uuid.MustParse("e90a0493-e8f0-ea11-a815-000d3a1b14a2")
	currencyID = uuid.MustParse("d66f18f8-d9f7-ed11-8847-000d3a358523")
	noteID     = uuid.MustParse("5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d")
	hierID     = uuid.MustParse("0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d")
)

// sent records the bodies of the requests a test sends, as text, so that a
// test can check exact number text (the cassette matcher compares JSON
// values, where 12345678901234.5678 and 12345678901234.568 are equal).
type sent struct {
	mu     sync.Mutex
	bodies []string
	next   http.RoundTripper
}

func (s *sent) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
	}
	return s.next.RoundTrip(r)
}

// Body returns the body of the i-th request that had one.
func (s *sent) Body(t *testing.T, i int) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.bodies) {
		t.Fatalf("only %d request bodies were sent", len(s.bodies))
	}
	return s.bodies[i]
}

// replay returns a client that replays the named cassette, with retries
// that do not wait.
func replay(t *testing.T, cassette string) (*Client, *sent) {
	t.Helper()
	org, cred, vo := vcr.Service(t, testOrg, "D365_SALES_URL")
	hc := vcr.Client(t, cassette, vo)
	s := &sent{next: hc.Transport}
	hc.Transport = s
	c, err := NewClient(org, cred, &Options{ClientOptions: d365.ClientOptions{
		HTTPClient: hc,
		Retry:      d365.RetryOptions{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// noNetwork returns a client whose transport fails the test if called.
func noNetwork(t *testing.T) *Client {
	t.Helper()
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		return nil, http.ErrNotSupported
	})}
	c, err := NewClient(testOrg, d365.StaticTokenCredential("test-token"), &Options{ClientOptions: d365.ClientOptions{HTTPClient: hc}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// collect drains an iterator, failing the test on an error.
func collect[T any](t *testing.T, seq func(func(*T, error) bool)) []*T {
	t.Helper()
	var out []*T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func date(s string) d365.Date {
	d, err := d365.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ts(s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return v
}
