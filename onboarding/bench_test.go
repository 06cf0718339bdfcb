package onboarding_test

// Throughput of the onboarding workflows against the emulator, and HTTP
// round trips per decision counted from the emulator's request log:
//
//	go test -run '^$' -bench 'BenchmarkDecision' -benchtime 2000x -count 6 ./onboarding
//
// Reported metrics: decisions/s, sales-req/op (requests to Dataverse per
// decision), req/op (both services) and the usual ns/op, B/op, allocs/op
// (client and in-process emulator together).

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/google/uuid"
)

// benchRequests submits n onboarding requests (not in the request log).
func benchRequests(b *testing.B, srv *dualwritetest.Server, n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			FirstName: "Bench", LastName: fmt.Sprintf("Buyer %06d", i),
			Company: fmt.Sprintf("Bench %06d Ltd", i), Email: fmt.Sprintf("bench%06d@partner.example", i),
			ZipCode: "98052",
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = sub.LeadID
	}
	return ids
}

// reportRequests reports the requests per decision seen by the emulator.
func reportRequests(b *testing.B, srv *dualwritetest.Server, decisions int, elapsed time.Duration) {
	all, salesN := 0, 0
	for _, r := range srv.Requests() {
		if r.Service == "token" {
			continue
		}
		all++
		if r.Service == "sales" {
			salesN++
		}
	}
	b.ReportMetric(float64(salesN)/float64(decisions), "sales-req/op")
	b.ReportMetric(float64(all)/float64(decisions), "req/op")
	b.ReportMetric(float64(decisions)/elapsed.Seconds(), "decisions/s")
}

// BenchmarkDecision approves or rejects one request at a time (without
// Confirm, and with Confirm: &onboarding.ConfirmOptions{} waiting for Commerce), then decides
// through Process with 8 workers (two approvals for each rejection).
func BenchmarkDecision(b *testing.B) {
	for _, tc := range []struct {
		name    string
		confirm bool
		reject  bool
	}{
		{"op=approve", false, false},
		{"op=reject", false, true},
		{"op=approve/confirm", true, false},
		{"op=reject/confirm", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newChaosEnv(b, nil, nil)
			svc := onboarding.New(e.sc, e.cc, nil)
			ids := benchRequests(b, e.srv, b.N)
			ctx := context.Background()
			e.srv.ResetRequests()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for _, id := range ids {
				var err error
				if tc.reject {
					_, err = svc.Reject(ctx, id, &onboarding.RejectOptions{Confirm: confirmIf(tc.confirm)})
				} else {
					_, err = svc.Approve(ctx, id, &onboarding.ApproveOptions{Confirm: confirmIf(tc.confirm)})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			reportRequests(b, e.srv, b.N, elapsed)
		})
	}
	b.Run("op=process/concurrency=8", func(b *testing.B) {
		e := newChaosEnv(b, nil, nil)
		svc := onboarding.New(e.sc, e.cc, nil)
		ids := benchRequests(b, e.srv, b.N)
		reject := map[uuid.UUID]bool{}
		for i, id := range ids {
			reject[id] = i%3 == 2
		}
		e.srv.ResetRequests()
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		sum, err := svc.Process(context.Background(), func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
			if reject[r.Lead.ID] {
				return onboarding.Verdict{Decision: onboarding.Reject}, nil
			}
			return onboarding.Verdict{Decision: onboarding.Approve}, nil
		}, &onboarding.ProcessOptions{Concurrency: 8, SkipProspects: true})
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || sum.Failed != 0 || sum.Approved+sum.Rejected != b.N {
			b.Fatalf("summary %+v, err %v", sum, err)
		}
		reportRequests(b, e.srv, b.N, elapsed)
	})
}

// TestRoundTripsPerDecisionUnderLoad checks the round-trip targets over many
// decisions rather than one: at most 3 requests per approval and 2 per
// rejection (without Confirm), counted from the emulator's request log.
func TestRoundTripsPerDecisionUnderLoad(t *testing.T) {
	const n = 30
	e := newChaosEnv(t, nil, nil)
	// The decisions' own requests, without the ledger's notes
	// (TestLedgerNoteIsOneMoreRequest counts those).
	svc := onboarding.New(e.sc, e.cc, &onboarding.Options{Ledger: onboarding.NoLedger})
	ids, want := e.submit(t, n)
	ctx := context.Background()
	for _, d := range []onboarding.Decision{onboarding.Approve, onboarding.Reject} {
		e.srv.ResetRequests()
		k := 0
		for _, id := range ids {
			if want[id] != d {
				continue
			}
			k++
			var err error
			if d == onboarding.Approve {
				_, err = svc.Approve(ctx, id, nil)
			} else {
				_, err = svc.Reject(ctx, id, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		got, limit := len(e.srv.Requests()), 3*k
		if d == onboarding.Reject {
			limit = 2 * k
		}
		if got > limit {
			t.Errorf("%d %s decisions took %d requests, want at most %d", k, d, got, limit)
		}
	}
	checkDecided(t, e.srv, want, false)
}
