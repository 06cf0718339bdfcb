package sales_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
)

// customized returns a sales client of an emulator whose leads and
// accounts have custom columns.
func customized(t testing.TB) *sales.Client {
	t.Helper()
	srv := dualwritetest.NewServer(&dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{Columns: []dualwritetest.CustomColumn{
		{Table: "lead", LogicalName: "new_vatnumber", Type: dualwritetest.String, MaxLength: 20},
		{Table: "lead", LogicalName: "new_score", Type: dualwritetest.Decimal, Precision: 4},
		{Table: "account", LogicalName: "new_tier", Type: dualwritetest.String},
	}}})
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCustomColumnsOnEmulator: custom columns go out on Create, Update,
// Upsert and UpdateMultiple and come back in Custom, numbers as written.
func TestCustomColumnsOnEmulator(t *testing.T) {
	c := customized(t)
	ctx := context.Background()
	id, err := c.Leads.Create(ctx, &sales.Lead{Subject: "Custom", LastName: "Vat", Custom: d365.NewColumns(map[string]any{"new_vatnumber": "DE123456789", "new_score": json.Number("12.3400")})})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"subject", "new_vatnumber", "new_score"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"new_vatnumber": "DE123456789", "new_score": json.Number("12.3400")}, l.Custom.Map()); d != "" {
		t.Errorf("Custom after Create (-want +got):\n%s", d)
	}
	if err := c.Leads.Update(ctx, id, &sales.LeadChanges{Custom: map[string]any{"new_vatnumber": "FR987"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Leads.UpdateMultiple(ctx, []sales.LeadUpdate{{ID: id, Changes: &sales.LeadChanges{Custom: map[string]any{"new_score": json.Number("0.5000")}}}}, nil); err != nil {
		t.Fatal(err)
	}
	l, err = c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"new_vatnumber", "new_score"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"new_vatnumber": "FR987", "new_score": json.Number("0.5000")}, l.Custom.Map()); d != "" {
		t.Errorf("Custom after Update (-want +got):\n%s", d)
	}
	aid, err := c.Accounts.Create(ctx, &sales.Account{Name: "Tiered", Custom: d365.NewColumns(map[string]any{"new_tier": "gold"})})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Accounts.Upsert(ctx, sales.ByID(aid), &sales.Account{Custom: d365.NewColumns(map[string]any{"new_tier": "platinum"})}, nil); err != nil {
		t.Fatal(err)
	}
	a, err := c.Accounts.Get(ctx, aid, &d365.GetOptions{Select: []string{"name", "new_tier"}})
	if tier, _ := a.Custom.Get("new_tier"); err != nil || tier != "platinum" {
		t.Errorf("account %+v, %v: want new_tier platinum", a, err)
	}
	// A custom column the type has a field for is refused before sending.
	var ie *d365.InputError
	_, err = c.Leads.Create(ctx, &sales.Lead{Subject: "x", Custom: d365.NewColumns(map[string]any{"subject": "y"})})
	if !errors.As(err, &ie) || ie.Field != "Lead.Custom[subject]" {
		t.Errorf("Custom[subject]: %v, want an InputError naming Lead.Custom[subject]", err)
	}
	// A column the organization does not have is the service's error.
	if err := c.Leads.Update(ctx, id, &sales.LeadChanges{Custom: map[string]any{"new_missing": 1}}, nil); err == nil {
		t.Error("unknown custom column: no error")
	}
}

// A custom column, new_vatnumber, on leads without leaving the typed API:
// set it in Custom on Create (or LeadChanges.Custom on Update), and read
// it back from Custom. The emulator declares the column as the
// organization's customization does.
func Example_customColumn() {
	srv := dualwritetest.NewServer(&dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{Columns: []dualwritetest.CustomColumn{
		{Table: "lead", LogicalName: "new_vatnumber", Type: dualwritetest.String, MaxLength: 20},
	}}})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	id, err := c.Leads.Create(ctx, &sales.Lead{
		Subject: "B2B onboarding: Fabrikam GmbH", LastName: "Weber", CompanyName: "Fabrikam GmbH",
		Custom: d365.NewColumns(map[string]any{"new_vatnumber": "DE123456789"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Leads.Update(ctx, id, &sales.LeadChanges{Custom: map[string]any{"new_vatnumber": "DE987654321"}}, nil); err != nil {
		log.Fatal(err)
	}
	l, err := c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"companyname", "new_vatnumber"}})
	if err != nil {
		log.Fatal(err)
	}
	vat, _ := l.Custom.Get("new_vatnumber")
	fmt.Println(l.CompanyName, vat)
	// Output:
	// Fabrikam GmbH DE987654321
}
