package odata

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every attempt of a write sends the whole body again, with its length,
// and the body can be had again for the transport's own retries.
func TestRetriedWriteSendsItsBodyAgain(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var lengths []int64
	c, sl, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, lengths = append(bodies, string(b)), append(lengths, r.ContentLength)
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	resp, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: []byte(`{"subject":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 || len(sl.waits()) != 2 {
		t.Errorf("attempts = %d, waits = %v; want 3 attempts, 2 waits", resp.Attempts, sl.waits())
	}
	want := []string{`{"subject":"x"}`, `{"subject":"x"}`, `{"subject":"x"}`}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{15, 15, 15}, lengths); diff != "" {
		t.Errorf("Content-Length (-want +got):\n%s", diff)
	}
}

// bodyTransport records the request bodies it is given, unread.
type bodyTransport struct {
	types  []reflect.Type
	gotten []string
}

func (t *bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.types = append(t.types, reflect.TypeOf(req.Body))
	if req.GetBody != nil {
		b, _ := req.GetBody()
		data, _ := io.ReadAll(b)
		t.gotten = append(t.gotten, string(data))
	}
	io.Copy(io.Discard, req.Body)
	return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// The body goes to the transport as a reader net/http knows to be in
// memory (an io.NopCloser of a *bytes.Reader): with any other type it
// writes the headers and the body in two writes, a system call more per
// request.
func TestRequestBodyIsInMemory(t *testing.T) {
	rt := &bodyTransport{}
	c, _, _, _ := testClient(t, nil, func(cfg *Config) { cfg.Options.HTTPClient = &http.Client{Transport: rt} })
	if _, err := c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "leads", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	want := reflect.TypeOf(io.NopCloser(bytes.NewReader(nil)))
	if len(rt.types) != 1 || rt.types[0] != want {
		t.Errorf("bodies sent as %v, want one %v", rt.types, want)
	}
	if diff := cmp.Diff([]string{`{}`}, rt.gotten); diff != "" {
		t.Errorf("GetBody (-want +got):\n%s", diff)
	}
}
