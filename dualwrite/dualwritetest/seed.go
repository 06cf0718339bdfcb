package dualwritetest

import (
	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// Fixed ids of the seeded records, so that tests and examples can use them.
const (
	// USDCurrencyID and EURCurrencyID are the transactioncurrencies rows.
	USDCurrencyID = "0b3c5a2e-1d3f-4e4a-9a11-00000000c001"
	EURCurrencyID = "0b3c5a2e-1d3f-4e4a-9a11-00000000c002"
	// B2BLeadsViewID is the savedquery "All commerce B2B leads": open B2B
	// leads, read with leads?savedQuery=<id>.
	B2BLeadsViewID = "8d0b9d36-6b7f-4b8e-9e1a-00000000b2b1"
	// MyOpenLeadsViewID is the savedquery "My open leads" (open leads that
	// are not B2B prospects).
	MyOpenLeadsViewID = "8d0b9d36-6b7f-4b8e-9e1a-00000000b2b2"

	systemUserID   = "a1e5f0c2-7d0e-4f55-8c36-0000000005e1"
	businessUnitID = "a1e5f0c2-7d0e-4f55-8c36-00000000b001"
	organizationID = "a1e5f0c2-7d0e-4f55-8c36-00000000f001"
)

func (s *Server) seed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.store.Begin()
	st := s.store
	put := func(logical, id string, body map[string]any) {
		if _, err := s.dv.Apply(t, st.Dataverse(logical), id, nil, body); err != nil {
			panic("dualwritetest: seed: " + err.Error())
		}
	}
	put("transactioncurrency", USDCurrencyID, map[string]any{"isocurrencycode": "USD", "currencyname": "US Dollar", "currencysymbol": "$", "exchangerate": 1})
	put("transactioncurrency", EURCurrencyID, map[string]any{"isocurrencycode": "EUR", "currencyname": "Euro", "currencysymbol": "€", "exchangerate": 0.92})
	put("systemuser", systemUserID, map[string]any{"fullname": "Dual-write Test", "domainname": "admin@dualwritetest.example", "azureactivedirectoryobjectid": "00000000-0000-0000-0000-0000000000a1"})
	s.dv.Views = map[string]string{
		B2BLeadsViewID:    "msdyn_b2bcommerceprospect eq true and statecode eq 0",
		MyOpenLeadsViewID: "statecode eq 0 and (msdyn_b2bcommerceprospect eq false or msdyn_b2bcommerceprospect eq null)",
	}
	put("savedquery", B2BLeadsViewID, map[string]any{"name": "All commerce B2B leads", "returnedtypecode": "lead", "querytype": 0,
		"fetchxml": `<fetch version="1.0" mapping="logical"><entity name="lead"><attribute name="fullname"/><attribute name="companyname"/><attribute name="msdyn_b2bprospectstatus"/><attribute name="createdon"/><order attribute="createdon" descending="true"/><filter type="and"><condition attribute="msdyn_b2bcommerceprospect" operator="eq" value="1"/><condition attribute="statecode" operator="eq" value="0"/></filter></entity></fetch>`})
	put("savedquery", MyOpenLeadsViewID, map[string]any{"name": "My open leads", "returnedtypecode": "lead", "querytype": 0,
		"fetchxml": `<fetch version="1.0" mapping="logical"><entity name="lead"><attribute name="fullname"/><filter type="and"><condition attribute="statecode" operator="eq" value="0"/><condition attribute="msdyn_b2bcommerceprospect" operator="ne" value="1"/></filter></entity></fetch>`})
	cfg := st.FinOps("dualwriteprojectconfigurations")
	for _, m := range dualwrite.Required() {
		row := store.Record{"ProjectName": m.Name, "InternalEntityName": m.FinOpsEntity, "ExternalEntityName": m.DataverseEntitySet,
			"Status": dualwrite.Enabled.String(), "QueryFilterExpression": m.FinOpsFilter, "FieldMap": fieldMap(m)}
		t.Put(cfg, finops.Key(cfg, row), row)
	}
}

func fieldMap(m dualwrite.Map) string {
	s := ""
	for i, f := range m.Fields {
		if i > 0 {
			s += ";"
		}
		s += f.FinOps + "=" + f.Dataverse
	}
	return s
}

// SetMapStatus changes the Status of the DualWriteProjectConfigurations row
// of a map (by its ProjectName, the map's Name), to test map health checks.
// It reports whether the row exists.
func (s *Server) SetMapStatus(projectName string, status dualwrite.MapStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := s.store.FinOps("dualwriteprojectconfigurations")
	for k, e := range cfg.All() {
		if e.Get("ProjectName") == projectName {
			row := store.Clone(e.Rec())
			row["Status"] = status.String()
			s.store.Begin().Put(cfg, k, row)
			return true
		}
	}
	return false
}
