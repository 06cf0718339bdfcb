package odata

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// transportMode is one way the SDK's requests reach a server: through its
// own transport (which bounds the headers itself and cuts a stalled body by
// closing it) or through a caller's client (bounded by a context per
// attempt), over HTTP/1.1 or HTTP/2. The bounds must hold on each.
type transportMode struct {
	name   string
	http2  bool
	caller bool // Options.HTTPClient set: the caller's transport
}

var transportModes = []transportMode{
	{name: "own/http1"},
	{name: "caller/http1", caller: true},
	{name: "own/http2", http2: true},
	{name: "caller/http2", http2: true, caller: true},
}

// modeClient starts a server for handler as m says and returns a client of
// it, with the options mod sets, checking that the client sends as m says
// (native bounds on its own transport only).
func modeClient(t *testing.T, m transportMode, handler http.HandlerFunc, mod func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	if m.http2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	c, _, _ := testClientOn(t, srv, func(cfg *Config) {
		if m.caller {
			cfg.Options.HTTPClient = srv.Client()
		} else {
			cfg.transport = srv.Client().Transport.(*http.Transport).Clone()
		}
		if mod != nil {
			mod(cfg)
		}
	})
	at := c.http.Transport.(*attemptLog).next.(*attemptTransport)
	if at.native == m.caller {
		t.Fatalf("native bounds = %v, want %v", at.native, !m.caller)
	}
	if m.caller && cfgTransportHeaderTimeout(srv) != 0 {
		t.Fatal("the caller's transport was changed")
	}
	return c
}

// cfgTransportHeaderTimeout is the ResponseHeaderTimeout of the server's
// own client transport (the caller's, in the caller modes).
func cfgTransportHeaderTimeout(srv *httptest.Server) time.Duration {
	return srv.Client().Transport.(*http.Transport).ResponseHeaderTimeout
}

// On each transport: a server that never answers fails with ErrTimeout
// naming ResponseHeaderTimeout (a GET after its retries, a POST at once);
// a body that stops coming fails with ErrTimeout naming BodyIdleTimeout; a
// body that keeps coming slowly is read whole; a 204 is read as usual.
func TestBoundsOnEachTransport(t *testing.T) {
	for _, m := range transportModes {
		t.Run(m.name, func(t *testing.T) {
			var calls atomic.Int32
			var protoOK atomic.Bool
			protoOK.Store(true)
			stop := make(chan struct{})
			defer close(stop)
			c := modeClient(t, m, func(w http.ResponseWriter, r *http.Request) {
				if (r.ProtoMajor == 2) != m.http2 {
					protoOK.Store(false)
				}
				switch r.URL.Query().Get("case") {
				case "silent":
					calls.Add(1)
					select {
					case <-stop:
					case <-r.Context().Done():
					}
				case "stall":
					w.Header().Set("Content-Length", "1000")
					w.Write([]byte(`{"value":[` + strings.Repeat(" ", 490)))
					w.(http.Flusher).Flush()
					select {
					case <-stop:
					case <-r.Context().Done():
					}
				case "slow":
					w.Write([]byte(`{"value":[`))
					for range 8 {
						w.(http.Flusher).Flush()
						time.Sleep(40 * time.Millisecond)
						w.Write([]byte(`{"n":1},`))
					}
					w.Write([]byte(`{"n":1}]}`))
				default:
					w.Header().Set("OData-EntityId", "https://"+r.Host+"/api/data/v9.2/leads(7eb682f1-ca75-e511-80d4-00155d2a68d1)")
					w.WriteHeader(http.StatusNoContent)
				}
			}, func(cfg *Config) {
				cfg.Options.ResponseHeaderTimeout = 200 * time.Millisecond
				cfg.Options.BodyIdleTimeout = 150 * time.Millisecond
				cfg.Options.Retry.MaxRetries = 2
			})
			ctx := context.Background()
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				calls.Store(0)
				var err error
				within(t, func() {
					_, err = c.Do(ctx, &Request{Method: method, Path: "leads?case=silent", Body: map[string]string{}})
				})
				if !errors.Is(err, d365.ErrTimeout) || !strings.Contains(err.Error(), "ResponseHeaderTimeout") {
					t.Errorf("silent %s: err = %v, want ErrTimeout naming ResponseHeaderTimeout", method, err)
				}
				if want := map[string]int32{http.MethodGet: 3, http.MethodPost: 1}[method]; calls.Load() > want {
					t.Errorf("silent %s: %d attempts reached the server, want at most %d", method, calls.Load(), want)
				}
			}
			var err error
			within(t, func() { _, err = c.Do(ctx, &Request{Path: "leads?case=stall"}) })
			if !errors.Is(err, d365.ErrTimeout) || !strings.Contains(err.Error(), "BodyIdleTimeout") {
				t.Errorf("stalled body: err = %v, want ErrTimeout naming BodyIdleTimeout", err)
			}
			var res *Response
			within(t, func() { res, err = c.Do(ctx, &Request{Path: "leads?case=slow"}) })
			if err != nil || !strings.HasSuffix(string(res.Body), `{"n":1}]}`) {
				t.Errorf("slow body (320 ms in all, 40 ms a read): %v, %+v", err, res)
			}
			within(t, func() {
				res, err = c.Do(ctx, &Request{Method: http.MethodPost, Path: "leads", Body: map[string]string{}})
			})
			if err != nil || res.StatusCode != http.StatusNoContent || len(res.Body) != 0 {
				t.Errorf("204: %v, %+v", err, res)
			}
			if !protoOK.Load() {
				t.Errorf("a request did not come over HTTP/%d", map[bool]int{false: 1, true: 2}[m.http2])
			}
		})
	}
}

// A large body sent to a server that stops reading it still fails within
// ResponseHeaderTimeout on the SDK's own transport: the bound runs from the
// moment the attempt is sent, not from the end of a write that never ends
// (as http.Transport.ResponseHeaderTimeout's does).
func TestHeaderBoundCoversAStalledUpload(t *testing.T) {
	for _, m := range transportModes[:3] {
		t.Run(m.name, func(t *testing.T) {
			stop := make(chan struct{})
			defer close(stop)
			c := modeClient(t, m, func(w http.ResponseWriter, r *http.Request) {
				// Read nothing of the body, answer nothing.
				select {
				case <-stop:
				case <-r.Context().Done():
				}
			}, func(cfg *Config) {
				cfg.Options.ResponseHeaderTimeout = 300 * time.Millisecond
				cfg.Options.Retry.MaxRetries = 0
			})
			body := []byte(`{"documentbody":"` + strings.Repeat("A", 32<<20) + `"}`)
			var err error
			within(t, func() {
				_, err = c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "annotations", Body: body})
			})
			if !errors.Is(err, d365.ErrTimeout) || !strings.Contains(err.Error(), "ResponseHeaderTimeout") {
				t.Errorf("err = %v, want ErrTimeout naming ResponseHeaderTimeout", err)
			}
		})
	}
}
