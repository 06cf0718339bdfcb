package dualwritetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// handlerTransport carries requests to one handler in memory, as
// Server.Transport does for the emulator's.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return roundTrip(req, t.h)
}

// seenRequest is what a handler sees of a request, for comparison.
type seenRequest struct {
	Method, RequestURI, Host, Proto string
	ProtoMajor, ProtoMinor          int
	URL                             url.URL
	Header                          http.Header
	ContentLength                   int64
	TransferEncoding                []string
	Body                            string
	BodyIsNoBody                    bool
	Close                           bool
	RemoteHost                      string // RemoteAddr without its port
	SecondRead                      int    // bytes a second read of the body gives
	CtxValue                        any    // the caller's context value, when the context is the caller's
}

type ctxKey struct{}

func seeRequest(r *http.Request) seenRequest {
	b, _ := io.ReadAll(r.Body)
	n, _ := r.Body.Read(make([]byte, 8))
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return seenRequest{
		Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Proto: r.Proto,
		ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor, URL: *r.URL, Header: r.Header,
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, Body: string(b),
		BodyIsNoBody: r.Body == http.NoBody, Close: r.Close, RemoteHost: host, SecondRead: n,
		CtxValue: r.Context().Value(ctxKey{}),
	}
}

// TestMemoryRequestIsWhatTheServerGives sends the same requests over HTTP
// and in memory to a handler that records what it sees: the two must be
// the same (the caller's context values aside, which only memory carries).
func TestMemoryRequestIsWhatTheServerGives(t *testing.T) {
	var mu sync.Mutex
	var seen seenRequest
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = seeRequest(r)
		mu.Unlock()
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	mem := &http.Client{Transport: handlerTransport{h}}
	type reqCase struct {
		name   string
		method string
		path   string
		body   func() io.Reader
		edit   func(*http.Request)
	}
	cases := []reqCase{
		{name: "GET", method: "GET", path: "/api/data/v9.2/leads(1)?$select=fullname,emailaddress1&$filter=name%20eq%20'a%2Fb'"},
		{name: "escaped path", method: "GET", path: "/a%2Fb/c%20d?x=1&y=%20"},
		{name: "POST with length", method: "POST", path: "/api/data/v9.2/leads", body: func() io.Reader { return strings.NewReader(`{"lastname":"Silva"}`) }},
		{name: "POST without body", method: "POST", path: "/x"},
		{name: "PATCH without body", method: "PATCH", path: "/x"},
		{name: "DELETE", method: "DELETE", path: "/x"},
		{name: "POST chunked", method: "POST", path: "/x", body: func() io.Reader { return io.NopCloser(strings.NewReader("chunky")) }},
		{name: "POST chunked empty", method: "POST", path: "/x", body: func() io.Reader { return io.NopCloser(strings.NewReader("")) }},
		{name: "HEAD", method: "HEAD", path: "/x"},
		{name: "headers", method: "GET", path: "/x", edit: func(r *http.Request) {
			r.Header["x-lower"] = []string{"v"}
			r.Header.Set("Content-Length", "99")
			r.Header.Set("Transfer-Encoding", "gzip")
			r.Header.Add("Prefer", `odata.include-annotations="*"`)
			r.Header.Add("Prefer", "odata.maxpagesize=5")
			r.Header.Set("User-Agent", "my-suite/1.0")
		}},
		{name: "empty user agent", method: "GET", path: "/x", edit: func(r *http.Request) { r.Header["User-Agent"] = []string{""} }},
		{name: "Accept-Encoding set", method: "GET", path: "/x", edit: func(r *http.Request) { r.Header.Set("Accept-Encoding", "identity") }},
		{name: "Range set", method: "GET", path: "/x", edit: func(r *http.Request) { r.Header.Set("Range", "bytes=0-1") }},
		{name: "Host set", method: "GET", path: "/x", edit: func(r *http.Request) { r.Host = "contoso.crm.dynamics.com" }},
		{name: "Close", method: "GET", path: "/x", edit: func(r *http.Request) { r.Close = true }},
		{name: "empty method", method: "", path: "/x"},
	}
	send := func(c *http.Client, base string, rc reqCase) seenRequest {
		t.Helper()
		var body io.Reader
		if rc.body != nil {
			body = rc.body()
		}
		ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
		req, err := http.NewRequestWithContext(ctx, rc.method, base+rc.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if rc.edit != nil {
			rc.edit(req)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", rc.name, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		mu.Lock()
		defer mu.Unlock()
		got := seen
		if got.Host == strings.TrimPrefix(base, "http://") {
			got.Host = "<the URL's host>"
		}
		return got
	}
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			overHTTP := send(srv.Client(), srv.URL, rc)
			inMemory := send(mem, "http://emulator.test:1", rc)
			if inMemory.CtxValue != "caller" {
				t.Errorf("the handler's context is not the caller's: value %v", inMemory.CtxValue)
			}
			inMemory.CtxValue = nil
			if diff := cmp.Diff(overHTTP, inMemory); diff != "" {
				t.Errorf("in memory the handler sees (-over HTTP +in memory):\n%s", diff)
			}
		})
	}
}

// seenResponse is what a client sees of a response, for comparison.
type seenResponse struct {
	Status                 string
	StatusCode             int
	Proto                  string
	ProtoMajor, ProtoMinor int
	Header                 http.Header
	HasDate                bool
	ContentLength          int64
	TransferEncoding       []string
	Body                   string
	BodyIsNoBody           bool
	Close, Uncompressed    bool
	RequestIsTheCaller     bool
}

func seeResponse(req *http.Request, res *http.Response) seenResponse {
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	h := res.Header.Clone()
	_, hasDate := h["Date"]
	delete(h, "Date")
	return seenResponse{
		Status: res.Status, StatusCode: res.StatusCode, Proto: res.Proto, ProtoMajor: res.ProtoMajor, ProtoMinor: res.ProtoMinor,
		Header: h, HasDate: hasDate, ContentLength: res.ContentLength, TransferEncoding: res.TransferEncoding,
		Body: string(b), BodyIsNoBody: res.Body == http.NoBody, Close: res.Close, Uncompressed: res.Uncompressed,
		RequestIsTheCaller: res.Request == req,
	}
}

// TestMemoryResponseIsWhatTheClientGets answers the same requests over
// HTTP and in memory from handlers that write answers of every shape:
// the client must see the same response.
func TestMemoryResponseIsWhatTheClientGets(t *testing.T) {
	big := strings.Repeat("a", 5000)
	edge := strings.Repeat("b", bufferBeforeChunking)
	handlers := map[string]http.HandlerFunc{
		"/json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
			w.Header().Set("OData-Version", "4.0")
			w.Header()[requestIDKey] = []string{"c0ffee"}
			w.Header().Set("Content-Length", "11")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"a":"bcd"}`)
		},
		"/sniffed": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi") },
		"/sniffed-json": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"value":[]}`)
		},
		"/typed-empty": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // present without a value: no sniffing
			io.WriteString(w, "plain")
		},
		"/nothing": func(w http.ResponseWriter, r *http.Request) {},
		"/204": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("OData-EntityId", "http://x/leads(1)")
			w.Header().Set("Content-Length", "3")
			w.WriteHeader(http.StatusNoContent)
			if _, err := w.Write([]byte("abc")); err != http.ErrBodyNotAllowed {
				panic(fmt.Sprintf("write after 204: %v", err))
			}
		},
		"/304": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", `W/"1"`)
			w.WriteHeader(http.StatusNotModified)
		},
		"/299": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) },
		"/big": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, big)
		},
		"/big-in-parts": func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 5; i++ {
				io.WriteString(w, big[:1000])
			}
		},
		"/edge": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, edge) },
		"/big-with-length": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, big)
		},
		"/flushed": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "part")
			w.(http.Flusher).Flush()
			io.WriteString(w, "more")
		},
		"/late-header": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(http.StatusAccepted)
			w.Header().Set("X-After", "1")   // too late: not sent
			w.WriteHeader(http.StatusTeapot) // superfluous: ignored
			io.WriteString(w, "ok")
		},
		"/lower-key": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["odata-version"] = []string{"4.0"}
			io.WriteString(w, "{}")
		},
		"/error": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit."}}`)
		},
	}
	mux := http.NewServeMux()
	for p, h := range handlers {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mem := &http.Client{Transport: handlerTransport{mux}}
	for p := range handlers {
		for _, method := range []string{"GET", "HEAD", "POST"} {
			t.Run(method+p, func(t *testing.T) {
				get := func(c *http.Client, base string) seenResponse {
					req, err := http.NewRequest(method, base+p, nil)
					if err != nil {
						t.Fatal(err)
					}
					res, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					return seeResponse(req, res)
				}
				overHTTP, inMemory := get(srv.Client(), srv.URL), get(mem, "http://emulator.test:1")
				if !overHTTP.HasDate || !overHTTP.RequestIsTheCaller {
					t.Fatalf("over HTTP: %+v", overHTTP)
				}
				if diff := cmp.Diff(overHTTP, inMemory); diff != "" {
					t.Errorf("in memory the client sees (-over HTTP +in memory):\n%s", diff)
				}
			})
		}
	}
}

// TestMemoryReadAfterClose: a closed body refuses reads, as net/http's
// does.
func TestMemoryReadAfterClose(t *testing.T) {
	mem := &http.Client{Transport: handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "some body")
	})}}
	res, err := mem.Get("http://emulator.test:1/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, err := res.Body.Read(make([]byte, 4)); err == nil || err.Error() != "http: read on closed response body" {
		t.Errorf("read after close: %v", err)
	}
}

// TestMemoryRefusesWhatTheClientRefuses: a body that does not match its
// ContentLength and a header the client cannot send fail with net/http's
// client's errors, and the handler never runs.
func TestMemoryRefusesWhatTheClientRefuses(t *testing.T) {
	var ran atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1); io.ReadAll(r.Body) })
	srv := httptest.NewServer(h)
	defer srv.Close()
	mem := &http.Client{Transport: handlerTransport{h}}
	cases := map[string]func(base string) *http.Request{
		"short body": func(base string) *http.Request {
			r, _ := http.NewRequest("POST", base+"/x", strings.NewReader("abc"))
			r.ContentLength = 5
			return r
		},
		"long body": func(base string) *http.Request {
			r, _ := http.NewRequest("POST", base+"/x", strings.NewReader("abcdefgh"))
			r.ContentLength = 5
			return r
		},
		"bad header value": func(base string) *http.Request {
			r, _ := http.NewRequest("GET", base+"/x", nil)
			r.Header.Set("X-Bad", "a\r\nInjected: yes")
			return r
		},
		"bad header name": func(base string) *http.Request {
			r, _ := http.NewRequest("GET", base+"/x", nil)
			r.Header["X Bad"] = []string{"a"}
			return r
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			errOf := func(c *http.Client, base string) string {
				res, err := c.Do(mk(base))
				if err == nil {
					res.Body.Close()
					return "<nil>"
				}
				var ue *url.Error
				if !errors.As(err, &ue) {
					t.Fatalf("%T %v", err, err)
				}
				return ue.Err.Error()
			}
			before := ran.Load()
			inMemory := errOf(mem, "http://emulator.test:1")
			if ran.Load() != before {
				t.Error("the handler ran")
			}
			if overHTTP := errOf(srv.Client(), srv.URL); overHTTP != inMemory {
				t.Errorf("error over HTTP %q, in memory %q", overHTTP, inMemory)
			}
		})
	}
}

// TestMemoryDoesNotChangeTheRequest: the caller's request is the same
// after the round trip (the RoundTrip contract), and its body is closed.
func TestMemoryDoesNotChangeTheRequest(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	body := &closeCounter{Reader: strings.NewReader(`{"lastname":"Okafor"}`)}
	req, err := http.NewRequest("POST", api(s)+"leads?$select=leadid", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(body.Len())
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Prefer", "return=representation")
	req.Header["x-lower"] = []string{"v"}
	wantHeader := req.Header.Clone()
	wantURL, wantHost := *req.URL, req.Host
	res, err := s.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", res.StatusCode)
	}
	if diff := cmp.Diff(wantHeader, req.Header); diff != "" {
		t.Errorf("the request's header changed:\n%s", diff)
	}
	if *req.URL != wantURL || req.Host != wantHost || req.ContentLength != 21 || req.RequestURI != "" || req.RemoteAddr != "" {
		t.Errorf("the request changed: %+v", req)
	}
	if body.closed != 1 {
		t.Errorf("the body was closed %d times, want 1", body.closed)
	}
}

type closeCounter struct {
	*strings.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestMemoryFaultsAreConnectionErrors: a dropped request and a lost answer
// come out as over HTTP (a fresh connection, as rawPost uses): an error
// wrapping io.EOF, "EOF", with the same request log and the same data.
func TestMemoryFaultsAreConnectionErrors(t *testing.T) {
	type outcome struct {
		Errors []string
		Log    []Request
		Opps   int
		Status string
	}
	run := func(t *testing.T, client func(*Server) *http.Client) outcome {
		s := NewServer(nil)
		defer s.Close()
		c := client(s)
		sub := submit(t, s, "Trey Research")
		s.ResetRequests()
		post := func(u, body string) string {
			req, _ := http.NewRequest("POST", u, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+Token)
			req.Header.Set("Content-Type", "application/json")
			res, err := c.Do(req)
			if err == nil {
				res.Body.Close()
				return res.Status
			}
			var ue *url.Error
			if !errors.As(err, &ue) || ue.Err != io.EOF {
				t.Errorf("error %T %v, want a *url.Error of io.EOF", err, err)
			}
			return strings.Replace(err.Error(), s.SalesURL, "<sales>", 1)
		}
		var out outcome
		qualify := api(s) + "leads(" + sub.LeadID.String() + ")/Microsoft.Dynamics.CRM.QualifyLead"
		s.InjectFault("POST", "QualifyLead", FaultDrop)
		out.Errors = append(out.Errors, post(qualify, `{"CreateAccount":false,"CreateContact":false,"CreateOpportunity":true,"Status":3}`))
		out.Opps = s.Count("opportunities")
		s.InjectFault("POST", "QualifyLead", FaultLoseResponse)
		out.Errors = append(out.Errors, post(qualify, `{"CreateAccount":true,"CreateContact":true,"CreateOpportunity":true,"Status":3}`))
		out.Opps += 10 * s.Count("opportunities")
		out.Log = s.Requests()
		for i := range out.Log {
			out.Log[i].Path = strings.Replace(out.Log[i].Path, sub.LeadID.String(), "<lead>", 1)
		}
		for i := range out.Errors {
			out.Errors[i] = strings.Replace(out.Errors[i], sub.LeadID.String(), "<lead>", 1)
		}
		out.Status = fmt.Sprint(s.Rows("leads")[0]["statecode"])
		return out
	}
	overHTTP := run(t, func(*Server) *http.Client { return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} })
	inMemory := run(t, (*Server).Client)
	if overHTTP.Opps != 10 {
		t.Errorf("over HTTP: the drop acted, or the lost answer did not: %+v", overHTTP)
	}
	if diff := cmp.Diff(overHTTP, inMemory); diff != "" {
		t.Errorf("(-over HTTP +in memory):\n%s", diff)
	}
}

// TestMemoryPanics: a handler's panic does not end the test process; the
// caller gets the error of a connection closed unanswered (io.EOF), as
// net/http's server recovers it; other requests go on.
func TestMemoryPanics(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/abort":
			panic(http.ErrAbortHandler)
		case "/bug":
			panic("a bug in a handler")
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	mem := &http.Client{Transport: handlerTransport{h}}
	_, errHTTP := srv.Client().Get(srv.URL + "/abort")
	_, errMem := mem.Get("http://emulator.test:1/abort")
	if !errors.Is(errHTTP, io.EOF) || !errors.Is(errMem, io.EOF) || errors.Unwrap(errMem) != io.EOF {
		t.Errorf("abort: over HTTP %v, in memory %v: want io.EOF both", errHTTP, errMem)
	}
	var logged bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&logged)
	_, errMem = mem.Get("http://emulator.test:1/bug")
	log.SetOutput(prev)
	if !errors.Is(errMem, io.EOF) || !strings.Contains(errMem.Error(), "a bug in a handler") {
		t.Errorf("panic: %v", errMem)
	}
	if !strings.Contains(logged.String(), "panic serving GET /bug in memory: a bug in a handler") ||
		!strings.Contains(logged.String(), "goroutine") {
		t.Errorf("the panic was not logged with its stack: %s", logged.String())
	}
	res, err := mem.Get("http://emulator.test:1/ok")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after the panics: %v %v", res, err)
	}
}

// TestMemoryContext: a context done before the call fails it with the
// context's cause, as net/http's transport does; one that ends while the
// handler runs fails the call once the handler returns (the handler ran).
func TestMemoryContext(t *testing.T) {
	var ran atomic.Int32
	var cancelDuring context.CancelFunc
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		if r.URL.Path == "/cancel" {
			cancelDuring()
			<-r.Context().Done() // the handler sees it through its request
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	mem := &http.Client{Transport: handlerTransport{h}}
	get := func(c *http.Client, ctx context.Context, u string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	caused, cancel3 := context.WithCancelCause(context.Background())
	cause := errors.New("the suite gave up")
	cancel3(cause)
	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"deadline", expired, context.DeadlineExceeded}, {"cause", caused, cause}} {
		errHTTP := get(srv.Client(), c.ctx, srv.URL+"/x")
		errMem := get(mem, c.ctx, "http://emulator.test:1/x")
		if !errors.Is(errHTTP, c.want) || !errors.Is(errMem, c.want) {
			t.Errorf("%s: over HTTP %v, in memory %v, want %v", c.name, errHTTP, errMem, c.want)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("the handler ran %d times for calls whose context was done", n)
	}
	ctx, cancel4 := context.WithCancel(context.Background())
	defer cancel4()
	cancelDuring = cancel4
	if err := get(mem, ctx, "http://emulator.test:1/cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the handler: %v", err)
	}
	if ran.Load() != 1 {
		t.Errorf("the handler ran %d times, want 1", ran.Load())
	}
}

// TestMemoryOtherHosts: a request for a host other than the emulator's is
// refused without being sent, naming the host, with a permanent error; the
// emulator's URLs with https are another host too.
func TestMemoryOtherHosts(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	c := s.Client()
	for _, u := range []string{"https://login.microsoftonline.com/common/oauth2/v2.0/token", strings.Replace(s.SalesURL, "http:", "https:", 1) + "/api/data/v9.2/leads"} {
		body := &closeCounter{Reader: strings.NewReader("x")}
		req, _ := http.NewRequest("POST", u, body)
		_, err := c.Do(req)
		var p interface{ Permanent() bool }
		host := u[:strings.Index(u[len("https://"):], "/")+len("https://")]
		if err == nil || !strings.Contains(err.Error(), "not to "+host) || !errors.As(err, &p) || !p.Permanent() {
			t.Errorf("%s: %v", u, err)
		}
		if body.closed != 1 {
			t.Errorf("%s: the body was closed %d times", u, body.closed)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("the emulator logged %d requests", n)
	}
}

// TestMemoryAfterClose: once the emulator is closed, a request fails with
// the dial error net/http gives for a port nobody listens on.
func TestMemoryAfterClose(t *testing.T) {
	s := NewServer(nil)
	mem := s.Client()
	u := api(s) + "WhoAmI"
	s.Close()
	_, errMem := mem.Get(u)
	_, errHTTP := (&http.Client{}).Get(u)
	for name, err := range map[string]error{"over HTTP": errHTTP, "in memory": errMem} {
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: %v, want a dial error, connection refused", name, err)
		}
	}
	if strings.Replace(errMem.Error(), "\n", "", -1) != errHTTP.Error() {
		t.Errorf("in memory %q, over HTTP %q", errMem, errHTTP)
	}
}

// TestMemoryTokenAndOnboarding: the token endpoint and the onboarding
// path (on the Sales host) answer in memory as over HTTP.
func TestMemoryTokenAndOnboarding(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	res, err := s.Client().Post(s.TokenURL, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"access_token":"`+Token+`"`) || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("token: %d %v %s", res.StatusCode, res.Header, b)
	}
	if log := s.Requests(); len(log) != 1 || log[0].Service != "token" || log[0].Status != 200 {
		t.Errorf("log %+v", log)
	}
}

// TestMemoryConcurrent: many goroutines through one in-memory client (run
// with -race): every create is stored once and logged once.
func TestMemoryConcurrent(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	c := s.Client()
	const goroutines, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := benchDo(c, "POST", api(s)+"leads", benchLead, "", http.StatusNoContent); err != nil {
					errs <- err
					return
				}
				if err := benchDo(c, "GET", api(s)+"leads?$top=1", nil, "", http.StatusOK); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := s.Count("leads"); n != goroutines*each {
		t.Errorf("%d leads, want %d", n, goroutines*each)
	}
	if n := len(s.Requests()); n != 2*goroutines*each {
		t.Errorf("%d requests logged, want %d", n, 2*goroutines*each)
	}
}

// TestMemoryConcurrentFaults: many goroutines through one in-memory client
// while random faults drop connections, lose answers and throttle (run
// with -race): every request is logged once, and every dropped or lost
// one reached its caller as io.EOF.
func TestMemoryConcurrentFaults(t *testing.T) {
	s := NewServer(&Options{Faults: &Faults{Throttle: 0.1, Unavailable: 0.05, Drop: 0.1, LoseResponse: 0.1, Seed: 3}})
	defer s.Close()
	c := s.Client()
	const goroutines, each = 16, 25
	var eofs, answered atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				req, _ := http.NewRequest("POST", api(s)+"leads", bytes.NewReader(benchLead))
				req.Header.Set("Authorization", "Bearer "+Token)
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				switch {
				case err == nil:
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					answered.Add(1)
				case errors.Is(err, io.EOF):
					eofs.Add(1)
				default:
					t.Errorf("error %v, want io.EOF", err)
				}
			}
		}()
	}
	wg.Wait()
	log := s.Requests()
	if len(log) != goroutines*each {
		t.Fatalf("%d requests logged, want %d", len(log), goroutines*each)
	}
	unanswered, acted := 0, 0
	for _, r := range log {
		switch r.Fault {
		case "drop":
			unanswered++
		case "lose-response":
			unanswered++
			acted++
		case "":
			acted++
		}
	}
	if int(eofs.Load()) != unanswered || unanswered == 0 {
		t.Errorf("%d io.EOF errors, %d requests logged without an answer", eofs.Load(), unanswered)
	}
	if n := s.Count("leads"); n != acted {
		t.Errorf("%d leads stored, %d requests acted on", n, acted)
	}
}
