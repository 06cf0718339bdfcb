package dualwritetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The emulator as a test dependency: requests per second for the calls a
// user's suite makes most, over real HTTP on loopback (client and emulator
// share the machine), and in memory through Server.Client (the /memory
// rows: the same requests, without the socket). Run with
//
//	go test -run '^$' -bench 'BenchmarkEmulator' -benchmem -count 6 ./dualwrite/dualwritetest

// benchClient is a pooled client with enough idle connections for the
// parallel variants.
func benchClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: tr}
}

// benchLead is the body of a lead like the one the SDK's Leads.Create
// sends: seven columns, the B2B flag among them.
var benchLead = []byte(`{"firstname":"Ana","lastname":"Silva","companyname":"Contoso Bikes","emailaddress1":"ana@contoso.example","telephone1":"+1 555 0100","subject":"Bench","msdyn_b2bcommerceprospect":true}`)

// benchDo sends one request with the headers the SDK sends and checks the
// status; the body is read and dropped.
func benchDo(c *http.Client, method, url string, body []byte, prefer string, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, res.StatusCode, want, raw)
	}
	return nil
}

// benchLeadURL creates a lead from benchLead and returns the URL
// of its record.
func benchLeadURL(b *testing.B, s *Server) string {
	b.Helper()
	r := call(b, "POST", s.SalesURL+"/api/data/v9.2/leads?$select=leadid", string(benchLead), "Prefer", "return=representation").want(b, http.StatusCreated)
	id, _ := r.body["leadid"].(string)
	if id == "" {
		b.Fatalf("no leadid in %s", r.raw)
	}
	return s.SalesURL + "/api/data/v9.2/leads(" + id + ")"
}

// meter measures the timed part of a benchmark: wall time and the
// process's CPU time (client and emulator together, as both run here).
type meter struct {
	wall time.Time
	cpu  time.Duration
}

func startMeter() meter { return meter{time.Now(), processCPU()} }

// reportRate reports the requests per second of the timed part, and the
// CPU time per request: on a shared machine the wall time moves with the
// other work, the CPU time much less.
func reportRate(b *testing.B, n int64, m meter) {
	if d := time.Since(m.wall).Seconds(); d > 0 && n > 0 {
		b.ReportMetric(float64(n)/d, "req/s")
	}
	if cpu := processCPU() - m.cpu; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/req")
	}
}

// BenchmarkEmulatorGetLead reads one full lead (every column) with every
// annotation, as Leads.Get with nil options does.
func BenchmarkEmulatorGetLead(b *testing.B) {
	s := NewServer(nil)
	defer s.Close()
	c := benchClient()
	url := benchLeadURL(b, s)
	const prefer = `odata.include-annotations="*"`
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := startMeter()
		for b.Loop() {
			if err := benchDo(c, "GET", url, nil, prefer, http.StatusOK); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, int64(b.N), start)
	})
	b.Run("select", func(b *testing.B) {
		b.ReportAllocs()
		sel := url + "?$select=fullname,emailaddress1,statecode"
		start := startMeter()
		for b.Loop() {
			if err := benchDo(c, "GET", sel, nil, "", http.StatusOK); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, int64(b.N), start)
	})
	b.Run("parallel", func(b *testing.B) {
		benchParallel(b, func() error { return benchDo(c, "GET", url, nil, prefer, http.StatusOK) })
	})
	b.Run("handler", func(b *testing.B) {
		benchHandler(b, s, "GET", url, nil, prefer, http.StatusOK)
	})
	mem := s.Client()
	b.Run("memory-serial", func(b *testing.B) {
		benchSerial(b, func() error { return benchDo(mem, "GET", url, nil, prefer, http.StatusOK) })
	})
	b.Run("memory-parallel", func(b *testing.B) {
		benchParallel(b, func() error { return benchDo(mem, "GET", url, nil, prefer, http.StatusOK) })
	})
}

// benchSerial runs f b.N times and reports the rate.
func benchSerial(b *testing.B, f func() error) {
	b.ReportAllocs()
	start := startMeter()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, int64(b.N), start)
}

// benchHandler calls the Sales handler in process, without HTTP: the
// emulator's own cost of a request. The request is built once (its body
// rewound for each call).
func benchHandler(b *testing.B, s *Server, method, url string, body []byte, prefer string, want int) {
	b.ReportAllocs()
	h := s.sales.Config.Handler
	req := httptest.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	rd := bytes.NewReader(body)
	start := startMeter()
	for b.Loop() {
		if body != nil {
			rd.Reset(body)
			req.Body = io.NopCloser(rd)
			req.ContentLength = int64(len(body))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			b.Fatalf("%s %s: status %d, want %d: %s", method, url, w.Code, want, w.Body)
		}
	}
	reportRate(b, int64(b.N), start)
}

// BenchmarkEmulatorFloor is the floor of the measurement: the same client
// and requests against a server that answers a prepared copy of the GET's
// body at once.
func BenchmarkEmulatorFloor(b *testing.B) {
	s := NewServer(nil)
	defer s.Close()
	c := benchClient()
	r := call(b, "GET", benchLeadURL(b, s), nil, "Prefer", `odata.include-annotations="*"`).want(b, http.StatusOK)
	body := []byte(r.raw)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
		w.Header().Set("OData-Version", "4.0")
		w.Write(body)
	}))
	defer ts.Close()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := startMeter()
		for b.Loop() {
			if err := benchDo(c, "GET", ts.URL, nil, "", http.StatusOK); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, int64(b.N), start)
	})
	b.Run("parallel", func(b *testing.B) {
		benchParallel(b, func() error { return benchDo(c, "GET", ts.URL, nil, "", http.StatusOK) })
	})
}

// BenchmarkEmulatorCreateLead creates leads as Leads.Create does (204, no
// representation).
func BenchmarkEmulatorCreateLead(b *testing.B) {
	s := NewServer(nil)
	defer s.Close()
	c := benchClient()
	url := s.SalesURL + "/api/data/v9.2/leads"
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := startMeter()
		for b.Loop() {
			if err := benchDo(c, "POST", url, benchLead, "", http.StatusNoContent); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, int64(b.N), start)
		reportHeld(b, s)
	})
	b.Run("parallel", func(b *testing.B) {
		benchParallel(b, func() error { return benchDo(c, "POST", url, benchLead, "", http.StatusNoContent) })
		reportHeld(b, s)
	})
	b.Run("handler", func(b *testing.B) {
		benchHandler(b, s, "POST", url, benchLead, "", http.StatusNoContent)
		reportHeld(b, s)
	})
	// The in-memory rows start from an empty store, as /serial does (the
	// leads of the rows above stay in memory, which only adds to the
	// collector's work).
	ms := NewServer(nil)
	defer ms.Close()
	mem, murl := ms.Client(), ms.SalesURL+"/api/data/v9.2/leads"
	b.Run("memory-serial", func(b *testing.B) {
		benchSerial(b, func() error { return benchDo(mem, "POST", murl, benchLead, "", http.StatusNoContent) })
		reportHeld(b, ms)
	})
	b.Run("memory-parallel", func(b *testing.B) {
		benchParallel(b, func() error { return benchDo(mem, "POST", murl, benchLead, "", http.StatusNoContent) })
		reportHeld(b, ms)
	})
}

// reportHeld reports the leads the store holds at the end of a create
// benchmark: the store grows as it runs (the three variants share one
// server), and so does the collector's work.
func reportHeld(b *testing.B, s *Server) {
	b.ReportMetric(float64(s.Count("leads")), "leads-held")
}

// benchParallel runs f from 8 goroutines per CPU and reports the rate.
func benchParallel(b *testing.B, f func() error) {
	b.ReportAllocs()
	b.SetParallelism(8)
	var n atomic.Int64
	var failed atomic.Value
	start := startMeter()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f(); err != nil {
				failed.CompareAndSwap(nil, err.Error())
				return
			}
			n.Add(1)
		}
	})
	reportRate(b, n.Load(), start)
	if msg, _ := failed.Load().(string); msg != "" {
		b.Fatal(msg)
	}
}

// TestBenchLeadIsAcceptedAndRead checks that the benchmarks' requests do
// what they measure: the create answers 204 and the read answers the lead
// with its formatted values.
func TestBenchLeadIsAcceptedAndRead(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	c := benchClient()
	if err := benchDo(c, "POST", s.SalesURL+"/api/data/v9.2/leads", benchLead, "", http.StatusNoContent); err != nil {
		t.Fatal(err)
	}
	r := call(t, "POST", s.SalesURL+"/api/data/v9.2/leads?$select=leadid", string(benchLead), "Prefer", "return=representation").want(t, http.StatusCreated)
	id, _ := r.body["leadid"].(string)
	got := call(t, "GET", s.SalesURL+"/api/data/v9.2/leads("+id+")", nil, "Prefer", `odata.include-annotations="*"`).want(t, http.StatusOK)
	if got.body["fullname"] != "Ana Silva" {
		t.Errorf("fullname = %v, want Ana Silva", got.body["fullname"])
	}
	if f, _ := got.body["statecode@OData.Community.Display.V1.FormattedValue"].(string); f != "Open" {
		t.Errorf("statecode formatted value = %q, want Open", f)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got.raw), &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.raw, `"@odata.etag"`) {
		t.Errorf("no @odata.etag in %s", got.raw)
	}
}

// StartMeter, ReportRate and BenchParallel are the meters of this file,
// for the benchmarks of package dualwritetest_test (bench_sdk_test.go).
var (
	StartMeter    = startMeter
	ReportRate    = reportRate
	BenchParallel = benchParallel
	BenchSerial   = benchSerial
)
