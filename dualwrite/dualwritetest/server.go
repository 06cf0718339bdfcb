package dualwritetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/engine"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/google/uuid"
)

// Token is the access token the emulator accepts. Requests without
// "Authorization: Bearer dualwritetest-token" are refused with 401.
const Token = "dualwritetest-token"

// DefaultCompany is the company (dataAreaId) of the Commerce side when
// Options.Company is empty.
const DefaultCompany = "usrt"

// Options configures a Server. The zero value (or nil) is a quiet emulator
// without limits or faults.
type Options struct {
	// Company is the default company (dataAreaId) of Commerce, "usrt" when
	// empty. Rows of other companies are returned only with
	// cross-company=true.
	Company string
	// Limits turns on the Dataverse service protection limits; nil is off.
	Limits *Limits
	// Faults turns on random fault injection; nil is off.
	Faults *Faults
	// Logger receives one debug line per request; nil is silent.
	Logger *slog.Logger
	// SalesAddr and CommerceAddr are the addresses to listen on, such as
	// "127.0.0.1:8081"; empty means a free loopback port.
	SalesAddr, CommerceAddr string
}

// Server is a running emulator of Dynamics 365 Sales (the Dataverse Web
// API), Commerce headquarters (Finance and Operations OData) and dual-write
// between them, on two loopback HTTP servers. It is safe for concurrent use.
type Server struct {
	// SalesURL is the Dataverse organization URL, such as
	// http://127.0.0.1:41234; the Web API is at SalesURL+"/api/data/v9.2/".
	SalesURL string
	// CommerceURL is the Finance and Operations environment URL; OData is
	// at CommerceURL+"/data/".
	CommerceURL string
	// TokenURL is an OAuth 2.0 token endpoint (client credentials grant)
	// that hands out Token, for programs that want to exercise their
	// sign-in code. Faults and limits do not apply to it.
	TokenURL string

	sales, commerce *httptest.Server
	company         string
	logger          *slog.Logger

	mu    sync.Mutex // guards the store
	store store.Store

	hookMu   sync.Mutex
	hooks    []*hook
	syncFail map[string]int
	log      []Request
	rng      *rand.Rand
	faults   *Faults

	limiter *limiter

	dv     *dataverse.Service
	fo     *finops.Service
	engine *engine.Engine
}

// Request is one request the emulator received, for inspection in tests.
type Request struct {
	// Service is "sales", "commerce" or "token".
	Service string
	// Method and Path (with the query string, decoded) identify the request.
	Method, Path string
	// Status is the status code answered, 0 when the connection was
	// dropped before answering.
	Status int
	// Fault names the fault injected, "" for none: "throttle",
	// "unavailable", "drop", "lose-response", "fail", "limit".
	Fault string
}

// NewServer starts an emulator. Close it when done.
func NewServer(o *Options) *Server {
	var opt Options
	if o != nil {
		opt = *o
	}
	if opt.Company == "" {
		opt.Company = DefaultCompany
	}
	s := &Server{
		company:  strings.ToLower(opt.Company),
		logger:   opt.Logger,
		store:    store.New(),
		syncFail: map[string]int{},
		faults:   opt.Faults,
	}
	if opt.Faults != nil {
		s.rng = rand.New(rand.NewSource(opt.Faults.Seed))
	}
	if opt.Limits != nil {
		s.limiter = newLimiter(*opt.Limits)
	}
	s.dv = &dataverse.Service{Store: s.store, BaseCurrencyID: USDCurrencyID,
		UserID: systemUserID, BusinessUnitID: businessUnitID, OrganizationID: organizationID}
	s.fo = &finops.Service{Store: s.store, Company: s.company}
	s.engine = &engine.Engine{Dataverse: s.dv, FinOps: s.fo, Fail: s.takeSyncFail}
	s.dv.Sync, s.fo.Sync = s.engine, s.engine
	s.sales = startServer(opt.SalesAddr, http.HandlerFunc(s.serveSales))
	s.commerce = startServer(opt.CommerceAddr, http.HandlerFunc(s.serveCommerce))
	s.SalesURL = s.sales.URL
	s.CommerceURL = s.commerce.URL
	s.dv.URL, s.fo.URL = s.SalesURL, s.CommerceURL
	s.TokenURL = s.sales.URL + "/dualwritetest/oauth2/v2.0/token"
	s.seed()
	return s
}

// startServer starts an httptest server on addr (a free loopback port when
// empty). It panics when addr cannot be listened on, as httptest does.
func startServer(addr string, h http.Handler) *httptest.Server {
	if addr == "" {
		return httptest.NewServer(h)
	}
	ts := httptest.NewUnstartedServer(h)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		panic(fmt.Sprintf("dualwritetest: listen on %s: %v", addr, err))
	}
	ts.Listener.Close()
	ts.Listener = l
	ts.Start()
	return ts
}

// Close shuts both servers down, closing open connections.
func (s *Server) Close() {
	s.sales.CloseClientConnections()
	s.commerce.CloseClientConnections()
	s.sales.Close()
	s.commerce.Close()
}

// Credential returns a credential whose tokens the emulator accepts.
func (s *Server) Credential() d365.Credential { return d365.StaticTokenCredential(Token) }

// Company returns the default company (dataAreaId) of the Commerce side.
func (s *Server) Company() string { return s.company }

// Requests returns a copy of the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.log = nil
}

func (s *Server) record(req Request) {
	s.hookMu.Lock()
	s.log = append(s.log, req)
	s.hookMu.Unlock()
	if s.logger != nil {
		s.logger.LogAttrs(context.Background(), slog.LevelDebug, "dualwritetest",
			slog.String("service", req.Service), slog.String("method", req.Method),
			slog.String("path", req.Path), slog.Int("status", req.Status), slog.String("fault", req.Fault))
	}
}

// Count returns how many records a Dataverse table (entity set or logical
// name, such as "leads" or "lead") or a Commerce entity (such as
// "Prospects" or "CustomersV3", all companies) holds.
func (s *Server) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.store.Dataverse(name); t != nil {
		return t.Len()
	}
	if t := s.store.FinOps(name); t != nil {
		return t.Len()
	}
	return 0
}

// Rows returns copies of the records of a Dataverse table or a Commerce
// entity (as for Count), in creation order. Dataverse lookups appear as
// _<name>_value columns.
func (s *Server) Rows(name string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	if t := s.store.Dataverse(name); t != nil {
		for _, e := range t.Sorted() {
			out = append(out, store.Clone(e.Rec))
		}
		return out
	}
	if t := s.store.FinOps(name); t != nil {
		for _, e := range t.Sorted() {
			out = append(out, store.Clone(e.Rec))
		}
	}
	return out
}

// Fault is a failure the emulator can inject into one request.
type Fault int

const (
	// FaultNone injects nothing.
	FaultNone Fault = iota
	// FaultThrottle answers 429 Too Many Requests with Retry-After, without
	// acting.
	FaultThrottle
	// FaultUnavailable answers 503 Service Unavailable, without acting.
	FaultUnavailable
	// FaultDrop closes the connection without answering and without acting.
	FaultDrop
	// FaultLoseResponse acts and commits, then closes the connection
	// without answering: the client cannot know the request succeeded.
	FaultLoseResponse
)

var faultNames = map[Fault]string{FaultThrottle: "throttle", FaultUnavailable: "unavailable", FaultDrop: "drop", FaultLoseResponse: "lose-response"}

// String names the fault.
func (f Fault) String() string {
	if n, ok := faultNames[f]; ok {
		return n
	}
	return "none"
}

type hook struct {
	method, contains string
	fault            Fault
	status           int
}

// InjectFault makes the next request whose method is method (any when "")
// and whose path and query contain pathContains suffer fault f. Each call
// arms one fault, used once; armed faults are matched in order.
func (s *Server) InjectFault(method, pathContains string, f Fault) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, &hook{method: method, contains: pathContains, fault: f})
}

// FailNext makes the next matching request (as for InjectFault) fail with
// the given status and the service's error shape, without acting.
func (s *Server) FailNext(method, pathContains string, status int) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, &hook{method: method, contains: pathContains, status: status})
}

// FailSync makes the next dual-write write to a table or entity (a Dataverse
// entity set or logical name, or a Commerce entity such as "CustomersV3")
// fail. The request that caused it is rolled back and answered with the
// error, as live sync does.
func (s *Server) FailSync(name string) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.syncFail[strings.ToLower(name)]++
}

func (s *Server) takeSyncFail(names ...string) bool {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	for _, n := range names {
		n = strings.ToLower(n)
		if s.syncFail[n] > 0 {
			s.syncFail[n]--
			return true
		}
	}
	return false
}

func (s *Server) takeHook(r *http.Request, path string) *hook {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	for i, h := range s.hooks {
		if (h.method == "" || strings.EqualFold(h.method, r.Method)) && strings.Contains(path, h.contains) {
			s.hooks = append(s.hooks[:i:i], s.hooks[i+1:]...)
			return h
		}
	}
	return nil
}

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
	req := Request{Service: service, Method: r.Method, Path: path}
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
	w.Header().Set("x-ms-service-request-id", uuid.NewString())
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
	s.locked(func() { h.ServeHTTP(w, r) })
}

func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
