package dualwritetest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/engine"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
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
	// Schema declares the custom tables, columns and alternate keys the
	// tests use, on top of the documented tables the Web API checks every
	// request against; nil is the documented tables only. NewServer panics
	// when the extension is invalid (naming the problem), as it does when
	// it cannot listen.
	Schema *SchemaExtension
	// SalesAddr and CommerceAddr are the addresses to listen on, such as
	// "127.0.0.1:8081"; empty means a free loopback port.
	SalesAddr, CommerceAddr string
	// Webhooks are the webhooks registered on Sales (see Webhook).
	Webhooks []Webhook
	// CustomAPIs are the custom APIs of the organization, by unique name
	// (such as "new_CheckCredit"), called as actions or functions, bound
	// or unbound (see CustomAPI).
	CustomAPIs map[string]CustomAPI
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

	// mu guards the store and the services: every request runs its
	// handler under it (see serve), and so do the control methods that
	// read or write data. A handler never takes it again, so a $batch
	// runs its requests inside the one lock.
	mu    sync.Mutex
	store store.Store

	// hookMu guards the armed faults, the sync failures, the request log
	// and the random numbers. It may be taken under mu, never the other
	// way round.
	hookMu   sync.Mutex
	hooks    []*hook
	syncFail map[string]int
	log      [][]Request // in chunks of logChunk: a long log is not copied as it grows
	logLen   int
	rng      *rand.Rand
	faults   *Faults

	limiter *limiter

	// The protocol handlers and the dual-write engine, wired in NewServer.
	dv     *dataverse.Service
	fo     *finops.Service
	engine *engine.Engine

	wh *webhooks // nil without Options.Webhooks

	closed atomic.Bool // Close was called: the in-memory transport refuses requests
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
	// Header holds the documented Dataverse headers the request carried
	// that change how it runs (nil when none): CallerObjectId,
	// MSCRM.BypassCustomPluginExecution,
	// MSCRM.BypassBusinessLogicExecution and
	// MSCRM.SuppressDuplicateDetection, under canonical keys (read them
	// with Header.Get).
	Header http.Header
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
	sch, err := buildSchema(opt.Schema)
	if err != nil {
		panic(err.Error())
	}
	s.dv = &dataverse.Service{Store: s.store, Schema: sch, BaseCurrencyID: USDCurrencyID,
		UserID: systemUserID, BusinessUnitID: businessUnitID, OrganizationID: organizationID}
	s.customAPIs(opt.CustomAPIs)
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
	s.initWebhooks(opt.Webhooks)
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
	s.closed.Store(true)
	s.closeWebhooks()
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
	if s.logLen == 0 {
		return nil
	}
	out := make([]Request, 0, s.logLen)
	for _, c := range s.log {
		out = append(out, c...)
	}
	return out
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.log, s.logLen = nil, 0
}

// logChunk is the number of requests a chunk of the request log holds.
const logChunk = 512

func (s *Server) record(req Request) {
	s.hookMu.Lock()
	if n := len(s.log); n == 0 || len(s.log[n-1]) == cap(s.log[n-1]) {
		s.log = append(s.log, make([]Request, 0, logChunk))
	}
	last := &s.log[len(s.log)-1]
	*last = append(*last, req)
	s.logLen++
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
			out = append(out, store.Clone(e.Rec()))
		}
		return out
	}
	if t := s.store.FinOps(name); t != nil {
		for _, e := range t.Sorted() {
			out = append(out, store.Clone(e.Rec()))
		}
	}
	return out
}
