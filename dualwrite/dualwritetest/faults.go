package dualwritetest

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Faults turns on random fault injection on the data APIs (not the token
// endpoint). Each rate is the probability, from 0 to 1, that a request
// suffers that fault; the rates add up (0.1 and 0.1 fail a fifth of the
// requests). The random numbers come from Seed, so a run repeats.
type Faults struct {
	// Throttle is the rate of 429 Too Many Requests answers (not acted on).
	Throttle float64
	// Unavailable is the rate of 503 Service Unavailable answers (not
	// acted on).
	Unavailable float64
	// Drop is the rate of connections closed before acting or answering.
	Drop float64
	// LoseResponse is the rate of requests acted on and committed whose
	// connection is then closed without an answer.
	LoseResponse float64
	// Seed seeds the random numbers.
	Seed int64
	// RetryAfter is the Retry-After of injected 429s; 1s when zero.
	RetryAfter time.Duration
}

func (s *Server) randomFault() Fault {
	if s.faults == nil {
		return FaultNone
	}
	s.hookMu.Lock()
	x := s.rng.Float64()
	s.hookMu.Unlock()
	f := s.faults
	for _, c := range []struct {
		rate  float64
		fault Fault
	}{{f.Throttle, FaultThrottle}, {f.Unavailable, FaultUnavailable}, {f.Drop, FaultDrop}, {f.LoseResponse, FaultLoseResponse}} {
		if x < c.rate {
			return c.fault
		}
		x -= c.rate
	}
	return FaultNone
}

// retryAfterSeconds writes a duration as Retry-After seconds, rounded up,
// at least 1.
func retryAfterSeconds(d time.Duration) string {
	n := int(math.Ceil(d.Seconds()))
	if n < 1 {
		n = 1
	}
	return strconv.Itoa(n)
}

func uncheckedUnescape(q string) (string, error) { return url.PathUnescape(q) }

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
