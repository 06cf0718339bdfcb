package dualwritetest

import (
	"math"
	"net/url"
	"strconv"
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
