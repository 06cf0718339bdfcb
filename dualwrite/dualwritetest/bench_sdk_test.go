package dualwritetest_test

import (
	"context"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// BenchmarkEmulatorSDK is a user's suite as it runs: the SDK's own
// Leads.Get (every column, every annotation) and Leads.Create against the
// emulator, over loopback HTTP (/http) and in memory through
// Server.Client (/memory), serial and from 16 goroutines. Run with
//
//	go test -run '^$' -bench 'BenchmarkEmulatorSDK' -benchmem ./dualwrite/dualwritetest
func BenchmarkEmulatorSDK(b *testing.B) {
	for _, tr := range []string{"http", "memory"} {
		b.Run(tr, func(b *testing.B) {
			srv := dualwritetest.NewServer(nil)
			defer srv.Close()
			var opts sales.Options
			if tr == "memory" {
				opts.HTTPClient = srv.Client()
			}
			c, err := sales.NewClient(srv.SalesURL, srv.Credential(), &opts)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			yes := true
			lead := &sales.Lead{Subject: "Bench", FirstName: "Ana", LastName: "Silva", CompanyName: "Contoso Bikes",
				Email: "ana@contoso.example", Phone: "+1 555 0100", B2BCommerceProspect: &yes}
			id, err := c.Leads.Create(ctx, lead)
			if err != nil {
				b.Fatal(err)
			}
			get := func() error { _, err := c.Leads.Get(ctx, id, nil); return err }
			create := func() error { _, err := c.Leads.Create(ctx, lead); return err }
			b.Run("get-serial", func(b *testing.B) { dualwritetest.BenchSerial(b, get) })
			b.Run("get-parallel", func(b *testing.B) { dualwritetest.BenchParallel(b, get) })
			b.Run("create-serial", func(b *testing.B) { dualwritetest.BenchSerial(b, create) })
			b.Run("create-parallel", func(b *testing.B) { dualwritetest.BenchParallel(b, create) })
		})
	}
}
