package sales_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// benchLeads is how many leads each run of BenchmarkCreateLeads creates.
const benchLeads = 10000

func bulkLead(i int) *sales.Lead {
	return &sales.Lead{Subject: fmt.Sprintf("Bulk load %d", i), FirstName: "Avery", LastName: fmt.Sprintf("Buyer %05d", i),
		CompanyName: fmt.Sprintf("Partner %05d Ltd", i), Email: fmt.Sprintf("avery%05d@partner.example", i)}
}

// BenchmarkCreateLeads creates 10,000 leads in the emulator four ways and
// reports records/s for each: one request per lead in sequence, one request
// per lead from 52 goroutines (Dataverse's concurrency limit), $batch
// requests of 1,000 creates, and CreateMultiple in chunks of 1,000.
//
//	go test ./sales -run '^$' -bench CreateLeads -benchtime 1x -count 5 | tee bulk.txt
//	benchstat bulk.txt
func BenchmarkCreateLeads(b *testing.B) {
	ways := []struct {
		name string
		run  func(context.Context, *sales.Client) error
	}{
		{"sequential", func(ctx context.Context, c *sales.Client) error {
			for i := 0; i < benchLeads; i++ {
				if _, err := c.Leads.Create(ctx, bulkLead(i)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"concurrent-52", func(ctx context.Context, c *sales.Client) error {
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 52)
			for w := 0; w < 52; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1) - 1); i < benchLeads; i = int(next.Add(1) - 1) {
						if _, err := c.Leads.Create(ctx, bulkLead(i)); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			return <-errs
		}},
		{"batch-1000", func(ctx context.Context, c *sales.Client) error {
			for start := 0; start < benchLeads; start += d365.MaxBatchRequests {
				batch := &d365.Batch{ContinueOnError: true}
				for i := start; i < start+d365.MaxBatchRequests && i < benchLeads; i++ {
					l := bulkLead(i)
					batch.Parts = append(batch.Parts, d365.BatchPart{Request: &d365.BatchRequest{
						Method: http.MethodPost, Path: "leads",
						Body: map[string]any{"subject": l.Subject, "firstname": l.FirstName, "lastname": l.LastName, "companyname": l.CompanyName, "emailaddress1": l.Email},
					}})
				}
				res, err := c.Batch(ctx, batch)
				if err != nil {
					return err
				}
				for _, r := range res {
					if r.Err != nil {
						return r.Err
					}
				}
			}
			return nil
		}},
		{"createmultiple-1000", func(ctx context.Context, c *sales.Client) error {
			leads := make([]*sales.Lead, benchLeads)
			for i := range leads {
				leads[i] = bulkLead(i)
			}
			_, err := c.Leads.CreateMultiple(ctx, leads, &sales.BulkOptions{ChunkSize: 1000})
			return err
		}},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				srv := dualwritetest.NewServer(nil)
				c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if err := w.run(context.Background(), c); err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if n := srv.Count("leads"); n != benchLeads {
					b.Fatalf("%d leads created, want %d", n, benchLeads)
				}
				srv.Close()
				b.ReportMetric(benchLeads/elapsed.Seconds(), "records/s")
				b.StartTimer()
			}
		})
	}
}
