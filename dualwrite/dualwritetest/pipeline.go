package dualwritetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/google/uuid"
)

// This file is the pipeline every request goes through: the entry points
// of the two servers, authentication, armed and random faults, the
// service protection limits, then the service's handler under the store
// lock, and the request log.

// serveSales is the entry point of the Sales (Dataverse) server.
func (s *Server) serveSales(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		s.serveToken(w, r, "sales")
		return
	}
	if r.URL.Path == OnboardingPath {
		s.serveOnboarding(w, r)
		return
	}
	s.serve(w, r, "sales", s.dv)
}

// serveCommerce is the entry point of the Commerce server.
func (s *Server) serveCommerce(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		s.serveToken(w, r, "commerce")
		return
	}
	s.serve(w, r, "commerce", s.fo)
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, _ string) {
	status := http.StatusOK
	if r.Method != http.MethodPost {
		status = http.StatusMethodNotAllowed
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":"invalid_request","error_description":"The token endpoint accepts POST only."}`)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store, no-cache")
		json.NewEncoder(w).Encode(map[string]any{
			"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": Token,
		})
	}
	s.record(Request{Service: "token", Method: r.Method, Path: r.URL.Path, Status: status})
}

// serve runs the common pipeline of the data APIs: authentication, armed
// and random faults, limits, then the handler under the store lock.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, service string, h http.Handler) {
	path := r.URL.Path
	if q, err := uncheckedUnescape(r.URL.RawQuery); err == nil && q != "" {
		path += "?" + q
	}
	rw := &statusWriter{ResponseWriter: w}
	w = rw
	req := Request{Service: service, Method: r.Method, Path: path, Header: loggedHeaders(r.Header)}
	recorded := false
	defer func() {
		if !recorded {
			req.Status = rw.status
			s.record(req)
		}
	}()
	// closeConn logs the request, then closes the connection unanswered.
	closeConn := func() {
		recorded = true
		s.record(req)
		hijackClose(w)
	}
	errorf := dataverse.WriteError
	if service == "commerce" {
		errorf = finops.WriteError
	}
	w.Header()[requestIDKey] = []string{uuid.NewString()}
	if auth := r.Header.Get("Authorization"); auth != "Bearer "+Token {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize`)
		errorf(w, r, http.StatusUnauthorized, "0x80040220", "The user is not authenticated: the Authorization header must be 'Bearer "+Token+"'.")
		return
	}
	fault := FaultNone
	if hk := s.takeHook(r, path); hk != nil {
		if hk.status != 0 {
			req.Fault = "fail"
			errorf(w, r, hk.status, "0x80040216", fmt.Sprintf("An unexpected error occurred (injected %d).", hk.status))
			return
		}
		fault = hk.fault
	} else {
		fault = s.randomFault()
	}
	req.Fault = faultNames[fault]
	switch fault {
	case FaultThrottle:
		ra := time.Second
		if s.faults != nil && s.faults.RetryAfter > 0 {
			ra = s.faults.RetryAfter
		}
		w.Header().Set("Retry-After", retryAfterSeconds(ra))
		errorf(w, r, http.StatusTooManyRequests, "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds.")
		return
	case FaultUnavailable:
		errorf(w, r, http.StatusServiceUnavailable, "0x80040216", "The service is temporarily unavailable. Please try again later.")
		return
	case FaultDrop:
		closeConn()
		return
	}
	if service == "sales" && s.limiter != nil {
		release, status, code, msg, retry := s.limiter.acquire(r, w.Header())
		if status != 0 {
			req.Fault = "limit"
			w.Header().Set("Retry-After", retryAfterSeconds(retry))
			errorf(w, r, status, code, msg)
			return
		}
		defer release()
	}
	if fault == FaultLoseResponse {
		rec := httptest.NewRecorder()
		s.locked(func() { h.ServeHTTP(rec, r) })
		closeConn()
		return
	}
	// The handler runs under the store lock; its answer is sent after the
	// lock is released, so that writing to the connection does not hold up
	// the other requests.
	bw := &bufferedWriter{header: w.Header(), body: bodyPool.Get().(*[]byte)}
	s.locked(func() { h.ServeHTTP(bw, r) })
	// The request is logged before its answer leaves: a client that has
	// its answer finds it in Requests.
	recorded = true
	req.Status = bw.status
	if req.Status == 0 {
		req.Status = http.StatusOK
	}
	s.record(req)
	bw.send(w)
}

// requestIDKey is "x-ms-service-request-id" as http.Header.Set files it.
var requestIDKey = http.CanonicalHeaderKey("x-ms-service-request-id")

// bufferedWriter holds the answer of a handler: the status, the headers
// (those of the real response, which are sent only with the status) and
// the body.
type bufferedWriter struct {
	header http.Header
	status int
	body   *[]byte
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	*b.body = append(*b.body, p...)
	return len(p), nil
}

// send writes the answer to w, with its Content-Length.
func (b *bufferedWriter) send(w http.ResponseWriter) {
	body := *b.body
	if b.status != 0 {
		if len(body) > 0 && b.header.Get("Content-Length") == "" {
			b.header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(b.status)
	}
	if len(body) > 0 {
		w.Write(body)
	}
	if cap(body) <= 1<<20 { // keep no page-sized buffers
		*b.body = body[:0]
		bodyPool.Put(b.body)
	}
	b.body = nil
}

// bodyPool holds the buffers of bufferedWriter.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.scanWebhooks()
	f()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func hijackClose(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		w = sw.ResponseWriter
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// loggedHeaders returns the headers of h that Request.Header logs.
func loggedHeaders(h http.Header) http.Header {
	var out http.Header
	for _, key := range loggedHeaderKeys {
		if vs := h[key]; len(vs) > 0 {
			if out == nil {
				out = http.Header{}
			}
			out[key] = append([]string(nil), vs...)
		}
	}
	return out
}

// loggedHeaderKeys are the canonical keys of the headers loggedHeaders
// keeps, made canonical once.
var loggedHeaderKeys = func() []string {
	var keys []string
	for _, name := range []string{"CallerObjectId", "MSCRM.BypassCustomPluginExecution", "MSCRM.BypassBusinessLogicExecution", "MSCRM.SuppressDuplicateDetection"} {
		keys = append(keys, http.CanonicalHeaderKey(name))
	}
	return keys
}()
