package sales_test

import (
	"context"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// related creates on the emulator an account with two contacts, a lead of
// the account and an opportunity of the account originating from the lead,
// won.
func related(t *testing.T) (c *sales.Client, account, lead, opp uuid.UUID) {
	t.Helper()
	c = emulated(t, 0)
	ctx := context.Background()
	must := func(id uuid.UUID, err error) uuid.UUID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	account = must(c.Accounts.Create(ctx, &sales.Account{Name: "Contoso"}))
	for _, n := range []string{"Adams", "Baker"} {
		must(c.Table("contacts").Create(ctx, map[string]any{"lastname": n, "parentcustomerid_account@odata.bind": "/accounts(" + account.String() + ")"}))
	}
	lead = must(c.Table("leads").Create(ctx, map[string]any{"subject": "Expand", "lastname": "Lead", "parentaccountid@odata.bind": "/accounts(" + account.String() + ")"}))
	opp = must(c.Opportunities.Create(ctx, &sales.Opportunity{Name: "Deal", ParentAccountID: account, OriginatingLeadID: lead,
		TransactionCurrencyID: uuid.MustParse(dualwritetest.USDCurrencyID)}))
	if err := c.Opportunities.Win(ctx, opp, &sales.CloseOptions{Subject: "Won it", ActualRevenue: "1200.50"}); err != nil {
		t.Fatal(err)
	}
	return c, account, lead, opp
}

func TestExpandIntoTypedFields(t *testing.T) {
	c, account, lead, opp := related(t)
	ctx := context.Background()

	l, err := c.Leads.Get(ctx, lead, &d365.GetOptions{Select: []string{"subject"}, Expand: []string{"parentaccountid($select=name)"}})
	if err != nil {
		t.Fatal(err)
	}
	if l.ParentAccount == nil || l.ParentAccount.ID != account || l.ParentAccount.Name != "Contoso" || l.ParentContact != nil {
		t.Errorf("lead's account = %+v, contact %+v", l.ParentAccount, l.ParentContact)
	}

	o, err := c.Opportunities.Get(ctx, opp, &d365.GetOptions{Select: []string{"name"}, Expand: []string{
		"parentaccountid($select=name)", "originatingleadid($select=subject)", "Opportunity_OpportunityClose($select=subject,actualrevenue)"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.ParentAccount == nil || o.ParentAccount.Name != "Contoso" || o.OriginatingLead == nil || o.OriginatingLead.ID != lead || o.OriginatingLead.Subject != "Expand" {
		t.Errorf("opportunity's account %+v, lead %+v", o.ParentAccount, o.OriginatingLead)
	}
	if len(o.Closes) != 1 || o.Closes[0].Subject != "Won it" || o.Closes[0].ActualRevenue.String() == "" || o.Closes[0].ID == uuid.Nil {
		t.Fatalf("opportunity's closes = %+v", o.Closes)
	}
	if f, _ := o.Closes[0].ActualRevenue.Float64(); f != 1200.5 {
		t.Errorf("close's revenue = %s", o.Closes[0].ActualRevenue)
	}

	var names []string
	for a, err := range c.Accounts.List(ctx, &sales.ListOptions{Query: d365.Query{Select: []string{"name"},
		Expand: []string{"contact_customer_accounts($select=lastname;$orderby=lastname)"}}}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, ct := range a.Contacts {
			names = append(names, a.Name+"/"+ct.LastName)
		}
	}
	if diff := cmp.Diff([]string{"Contoso/Adams", "Contoso/Baker"}, names); diff != "" {
		t.Errorf("accounts' contacts (-want +got):\n%s", diff)
	}

	// Without $expand the fields stay nil.
	o, err = c.Opportunities.Get(ctx, opp, &d365.GetOptions{Select: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.ParentAccount != nil || o.OriginatingLead != nil || o.Closes != nil {
		t.Errorf("not expanded, yet %+v %+v %+v", o.ParentAccount, o.OriginatingLead, o.Closes)
	}
}

func TestExpandIntoRecords(t *testing.T) {
	c, account, _, opp := related(t)
	ctx := context.Background()
	r, err := c.Table("opportunities").Get(ctx, opp, &d365.GetOptions{Select: []string{"name"}, Expand: []string{"parentaccountid($select=name)", "Opportunity_OpportunityClose($select=subject)"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := sales.Expanded[sales.Account](r, "parentaccountid")
	if err != nil || a == nil || a.ID != account || a.Name != "Contoso" || a.ETag == "" {
		t.Errorf("Expanded account = %+v, %v", a, err)
	}
	closes, err := sales.ExpandedAll[sales.Record](r, "Opportunity_OpportunityClose")
	if err != nil || len(closes) != 1 || closes[0].Columns["subject"] != "Won it" {
		t.Errorf("ExpandedAll closes = %+v, %v", closes, err)
	}
	if none, err := sales.Expanded[sales.Account](r, "originatingleadid"); none != nil || err != nil {
		t.Errorf("not expanded: %+v, %v", none, err)
	}
	if _, err := sales.Expanded[sales.Account](r, "Opportunity_OpportunityClose"); err == nil {
		t.Error("Expanded of a collection: no error")
	}
	if _, err := sales.ExpandedAll[sales.Account](r, "parentaccountid"); err == nil {
		t.Error("ExpandedAll of a single record: no error")
	}
}
