package sales_test

import (
	"context"
	"fmt"
	"log"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// A change-tracking sync loop, here on the emulator: the first pass reads
// every lead, each later pass only what was created, changed or deleted
// since the delta link the previous pass saved.
func ExampleLeadService_Changes() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	var saved string // keep it in your store between runs
	var gone uuid.UUID
	sync := func() {
		ch := c.Leads.Changes(ctx, &sales.ChangesOptions{Select: []string{"subject"}, DeltaLink: saved})
		for row, err := range ch.All() {
			if err != nil {
				log.Fatal(err) // keep the old delta link: the next pass reads these changes again
			}
			if row.Record != nil {
				fmt.Println("upsert", row.Record.Subject)
			} else {
				fmt.Println("delete", row.Deleted == gone)
			}
		}
		saved = ch.DeltaLink()
	}

	if _, err := c.Leads.Create(ctx, &sales.Lead{Subject: "Alpine Ski House", LastName: "Koch"}); err != nil {
		log.Fatal(err)
	}
	gone, err = c.Leads.Create(ctx, &sales.Lead{Subject: "Fabrikam", LastName: "Bauer"})
	if err != nil {
		log.Fatal(err)
	}
	sync() // the first pass: every lead
	if err := c.Leads.Delete(ctx, gone); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Leads.Create(ctx, &sales.Lead{Subject: "Contoso", LastName: "Ray"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("--")
	sync() // only the changes
	// Unordered output:
	// upsert Alpine Ski House
	// upsert Fabrikam
	// --
	// upsert Contoso
	// delete true
}

// Fetch pages through a FetchXML query with its paging cookie; Aggregate
// reads an aggregate query into the caller's struct, by alias.
func ExampleFetch() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for i, n := range []string{"Contoso", "Fabrikam", "Litware"} {
		if _, err := c.Accounts.Create(ctx, &sales.Account{Name: n, Description: "partner", Revenue: d365.Decimal(fmt.Sprint(1000 * (i + 1)))}); err != nil {
			log.Fatal(err)
		}
	}

	// Two rows a page (count="2"): Fetch reads both pages.
	for a, err := range sales.Fetch[sales.Account](ctx, c, "accounts", `<fetch count="2">
	  <entity name="account">
	    <attribute name="name" />
	    <filter><condition attribute="description" operator="eq" value="partner" /></filter>
	    <order attribute="name" />
	  </entity>
	</fetch>`) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.Name)
	}

	type total struct {
		Accounts int          `json:"n"`
		Revenue  d365.Decimal `json:"revenue"`
	}
	rows, err := sales.Aggregate[total](ctx, c, "accounts", `<fetch aggregate="true">
	  <entity name="account">
	    <attribute name="accountid" alias="n" aggregate="count" />
	    <attribute name="revenue" alias="revenue" aggregate="sum" />
	    <filter><condition attribute="description" operator="eq" value="partner" /></filter>
	  </entity>
	</fetch>`)
	if err != nil {
		log.Fatal(err)
	}
	f, _ := rows[0].Revenue.Float64()
	fmt.Println(rows[0].Accounts, "accounts,", f, "revenue")
	// Output:
	// Contoso
	// Fabrikam
	// Litware
	// 3 accounts, 6000 revenue
}

// A lead with its account, expanded into the typed field.
func ExampleLeadService_Get_expand() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	acc, err := c.Accounts.Create(ctx, &sales.Account{Name: "Alpine Ski House"})
	if err != nil {
		log.Fatal(err)
	}
	id, err := c.Table("leads").Create(ctx, map[string]any{"subject": "Ski rental", "lastname": "Koch", "parentaccountid@odata.bind": "/accounts(" + acc.String() + ")"})
	if err != nil {
		log.Fatal(err)
	}
	l, err := c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"subject"}, Expand: []string{"parentaccountid($select=name)"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Subject, "for", l.ParentAccount.Name)
	// Output: Ski rental for Alpine Ski House
}
