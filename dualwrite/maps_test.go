package dualwrite

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToDataverse(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Map
		in   map[string]any
		want map[string]any
	}{
		{
			name: "pending B2B prospect",
			m:    Prospects,
			in: map[string]any{"ProspectId": "P-000001", "ProspectName": "Ana Silva", "PersonFirstName": "Ana", "PersonLastName": "Silva",
				"IsB2BProspect": "Yes", "B2BProspectStatus": "Pending", "ProspectPartyNumber": "000001001", "CurrencyCode": "USD", "Unmapped": 1},
			want: map[string]any{"msdyn_prospectid": "P-000001", "fullname": "Ana Silva",
				"msdyn_b2bcommerceprospect": true, "msdyn_b2bprospectstatus": 192350000,
				"msdyn_partyid.msdyn_partynumber": "000001001", "transactioncurrencyid.isocurrencycode": "USD"},
		},
		{name: "approved", m: Prospects, in: map[string]any{"B2BProspectStatus": "Approved"}, want: map[string]any{"msdyn_b2bprospectstatus": 192350001}},
		{name: "enum case ignored", m: Prospects, in: map[string]any{"B2BProspectStatus": "rejected", "IsB2BProspect": "no"}, want: map[string]any{"msdyn_b2bprospectstatus": 192350002, "msdyn_b2bcommerceprospect": false}},
		{name: "null stays null", m: Prospects, in: map[string]any{"B2BProspectStatus": nil}, want: map[string]any{"msdyn_b2bprospectstatus": nil}},
		{name: "organization", m: CustomerAccounts, in: map[string]any{"CustomerAccount": "US-001", "OrganizationName": "Contoso", "CreditLimit": 0, "PartyType": "Organization"},
			want: map[string]any{"accountnumber": "US-001", "name": "Contoso", "creditlimit": 0}},
		{name: "node", m: CustomerHierarchyNodes, in: map[string]any{"CustomerHierarchyId": "CH-1", "NodePartyNumber": "9", "Role": "User", "NodeType": "Customer"},
			want: map[string]any{"msdyn_customerhierarchynumber.msdyn_customerhierarchynumber": "CH-1", "msdyn_nodepartynumber.msdyn_partynumber": "9", "msdyn_role": 192350001, "msdyn_nodetype": 192350000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.m.ToDataverse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestToFinOps(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Map
		in   map[string]any
		want map[string]any
	}{
		{
			name: "lead from JSON",
			m:    Prospects,
			in: map[string]any{"fullname": "Ana Silva", "msdyn_b2bprospectstatus": json.Number("192350001"), "msdyn_b2bcommerceprospect": true,
				"msdyn_prospectid": "P-1", "leadid": "x"},
			want: map[string]any{"ProspectName": "Ana Silva", "B2BProspectStatus": "Approved", "IsB2BProspect": "Yes", "ProspectId": "P-1"},
		},
		{name: "float choice", m: Prospects, in: map[string]any{"msdyn_b2bprospectstatus": 192350002.0}, want: map[string]any{"B2BProspectStatus": "Rejected"}},
		{name: "contact", m: CustomerContacts, in: map[string]any{"msdyn_contactpersonid": "C1", "firstname": "A", "emailaddress1": "a@x"},
			want: map[string]any{"CustomerAccount": "C1", "PersonFirstName": "A", "PrimaryContactEmail": "a@x"}},
		{name: "hierarchy", m: CustomerHierarchies, in: map[string]any{"msdyn_purpose": 192350000, "msdyn_name": "H"}, want: map[string]any{"Purpose": "B2BOrganization", "Name": "H"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.m.ToFinOps(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownValue(t *testing.T) {
	_, err := Prospects.ToDataverse(map[string]any{"B2BProspectStatus": "Foo"})
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Field != "B2BProspectStatus" || ve.Value != "Foo" {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"B2BProspectStatus", `"Foo"`, `"Pending"`, "Prospects (leads)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	if _, err := Prospects.ToFinOps(map[string]any{"msdyn_b2bprospectstatus": 7}); err == nil || !strings.Contains(err.Error(), "msdyn_b2bprospectstatus") {
		t.Errorf("ToFinOps err = %v", err)
	}
}

func TestApplies(t *testing.T) {
	for _, c := range []struct {
		name     string
		m        Map
		finOps   map[string]any
		dv       map[string]any
		fo, want bool
	}{
		{"b2b", Prospects, map[string]any{"IsB2BProspect": "Yes"}, map[string]any{"msdyn_b2bcommerceprospect": true}, true, true},
		{"not b2b", Prospects, map[string]any{"IsB2BProspect": "No"}, map[string]any{"msdyn_b2bcommerceprospect": false}, false, false},
		{"org", CustomerAccounts, map[string]any{"PartyType": "Organization"}, map[string]any{"customertypecode": json.Number("3")}, true, true},
		{"person without id", CustomerContacts, map[string]any{"PartyType": "Organization"}, map[string]any{"msdyn_sellable": true, "msdyn_contactpersonid": nil}, false, false},
		{"person", CustomerContacts, map[string]any{"PartyType": "Person"}, map[string]any{"msdyn_sellable": true, "msdyn_contactpersonid": "C1"}, true, true},
		{"hierarchies: every row", CustomerHierarchies, map[string]any{}, map[string]any{}, true, true},
	} {
		if got := c.m.AppliesToFinOps(c.finOps); got != c.fo {
			t.Errorf("%s: AppliesToFinOps = %v", c.name, got)
		}
		if got := c.m.AppliesToDataverse(c.dv); got != c.want {
			t.Errorf("%s: AppliesToDataverse = %v", c.name, got)
		}
	}
}

func TestRequiredMapsAreConsistent(t *testing.T) {
	for _, m := range Required() {
		seen := map[string]bool{}
		for _, f := range m.Fields {
			if seen[f.FinOps+">"+f.Dataverse] {
				t.Errorf("%s: %s twice", m.Name, f.FinOps)
			}
			seen[f.FinOps+">"+f.Dataverse] = true
			if strings.Contains(f.Dataverse, ".") != f.IsLookup() {
				t.Errorf("%s: %s: dotted name and LookupTable disagree", m.Name, f.Dataverse)
			}
		}
		if m.Name == "" || m.FinOpsEntity == "" || m.DataverseTable == "" || m.DataverseEntitySet == "" {
			t.Errorf("incomplete map %+v", m)
		}
	}
}

// TestProspectsDocumentedFields checks the fields the documented map
// carries and that the misspelled or absent ones do not travel.
func TestProspectsDocumentedFields(t *testing.T) {
	got, err := Prospects.ToDataverse(map[string]any{"PrimaryURL": "https://contoso.example", "AddressStateId": "WA",
		"AddressCountryRegionISOCode": "US", "PrimaryPhoneNumberDescription": "Front desk", "PrimaryFaxNumber": "+1 555 0199",
		"AddressLatitude": 47.6, "SalesTaxGroupCode": "WA", "PrimaryUrl": "x", "AddressState": "x", "AddressCountryRegionId": "USA", "Note": "n"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"websiteurl": "https://contoso.example", "address1_stateorprovince": "WA", "address1_country": "US",
		"description": "Front desk", "fax": "+1 555 0199", "address1_latitude": 47.6, "msdyn_salestaxgroup.msdyn_name": "WA"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	back, err := Prospects.ToFinOps(map[string]any{"fullname": "Ana Silva", "firstname": "Ana", "address1_addresstypecode": 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"ProspectName": "Ana Silva"}, back); diff != "" {
		t.Errorf("ToFinOps (-want +got):\n%s", diff)
	}
}

func TestConstants(t *testing.T) {
	for _, c := range []struct {
		m          Map
		dv, finOps map[string]any
	}{
		{Prospects, map[string]any{"address1_addresstypecode": 1}, map[string]any{"AddressLocationRoles": "Business"}},
		{CustomerAccounts, map[string]any{"customertypecode": 3}, map[string]any{"PartyType": "Organization"}},
		{CustomerContacts, map[string]any{"msdyn_sellable": true}, map[string]any{"PartyType": "Person"}},
		{CustomerHierarchies, map[string]any{}, map[string]any{}},
	} {
		if diff := cmp.Diff(c.dv, c.m.DataverseConstants()); diff != "" {
			t.Errorf("%s DataverseConstants (-want +got):\n%s", c.m.Name, diff)
		}
		if diff := cmp.Diff(c.finOps, c.m.FinOpsConstants()); diff != "" {
			t.Errorf("%s FinOpsConstants (-want +got):\n%s", c.m.Name, diff)
		}
	}
	if f, ok := Prospects.FieldByFinOps(""); ok {
		t.Errorf("FieldByFinOps(\"\") = %+v", f)
	}
	if f, ok := CustomerAccounts.FieldByDataverse(""); ok {
		t.Errorf("FieldByDataverse(\"\") = %+v", f)
	}
}
