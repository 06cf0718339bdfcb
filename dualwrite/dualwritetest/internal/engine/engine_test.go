package engine

import (
	"testing"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

func newEngine(fail func(...string) bool) (*Engine, store.Store) {
	st := store.New()
	e := &Engine{Dataverse: &dataverse.Service{Store: st}, FinOps: &finops.Service{Store: st, Company: "usrt"}, Fail: fail}
	e.Dataverse.Sync, e.FinOps.Sync = e, e
	t := st.Begin()
	if _, err := e.Dataverse.Apply(t, st.Dataverse("transactioncurrency"), "0b3c5a2e-1d3f-4e4a-9a11-00000000c001", nil, map[string]any{"isocurrencycode": "USD"}); err != nil {
		panic(err)
	}
	return e, st
}

// submit writes a Pending B2B prospect as the Commerce handlers do.
func submit(e *Engine, st store.Store) (store.Record, error) {
	t := st.Begin()
	tb := st.FinOps("Prospects")
	row := store.Record{"PersonFirstName": "Ana", "PersonLastName": "Silva", "CompanyName": "Contoso", "PrimaryEmailAddress": "ana@contoso.example",
		"IsB2BProspect": "Yes", "B2BProspectStatus": "Pending", "CurrencyCode": "USD"}
	e.FinOps.Defaults(t, tb, row)
	t.Put(tb, finops.Key(tb, row), row)
	if err := e.AfterCommerceWrite(t, tb, nil, row); err != nil {
		t.Rollback()
		return nil, err
	}
	return row, nil
}

func TestProspectBecomesLead(t *testing.T) {
	e, st := newEngine(nil)
	row, err := submit(e, st)
	if err != nil {
		t.Fatal(err)
	}
	id, lead := Find(st.Dataverse("lead"), "msdyn_prospectid", row["ProspectId"])
	if lead == nil {
		t.Fatal("no lead for the prospect")
	}
	if !dualwrite.Equal(lead.Rec()["msdyn_b2bprospectstatus"], dualwrite.DataversePending) || lead.Rec()["subject"] != "B2B onboarding request: Contoso" {
		t.Errorf("lead %v", lead.Rec())
	}
	if _, note := Find(st.Dataverse("annotation"), "_objectid_value", id); note == nil {
		t.Error("no timeline note on the lead")
	}
}

func TestFailRollsBack(t *testing.T) {
	var asked []string
	e, st := newEngine(func(names ...string) bool { asked = append(asked, names...); return true })
	_, err := submit(e, st)
	we, ok := err.(*wire.Error)
	if !ok || we.Status != 400 || we.Code != "0x80040265" {
		t.Fatalf("error %#v, want a 400 0x80040265 *wire.Error", err)
	}
	if st.FinOps("Prospects").Len() != 0 || st.Dataverse("lead").Len() != 0 {
		t.Errorf("%d prospects and %d leads after the failed sync, want none", st.FinOps("Prospects").Len(), st.Dataverse("lead").Len())
	}
	if len(asked) == 0 || asked[0] != "leads" {
		t.Errorf("Fail was asked about %v, want leads first", asked)
	}
}
