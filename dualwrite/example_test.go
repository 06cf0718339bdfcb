package dualwrite_test

import (
	"fmt"
	"sort"

	"github.com/b2bflow/d365/dualwrite"
)

func ExampleMap_ToDataverse() {
	prospect := map[string]any{
		"ProspectId":        "P-000001",
		"CompanyName":       "Contoso Bikes",
		"IsB2BProspect":     "Yes",
		"B2BProspectStatus": "Pending",
		"CurrencyCode":      "USD",
	}
	lead, err := dualwrite.Prospects.ToDataverse(prospect)
	if err != nil {
		fmt.Println(err)
		return
	}
	keys := make([]string, 0, len(lead))
	for k := range lead {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s = %v\n", k, lead[k])
	}

	_, err = dualwrite.Prospects.ToDataverse(map[string]any{"B2BProspectStatus": "Foo"})
	fmt.Println(err)
	// Output:
	// companyname = Contoso Bikes
	// msdyn_b2bcommerceprospect = true
	// msdyn_b2bprospectstatus = 192350000
	// msdyn_prospectid = P-000001
	// transactioncurrencyid.isocurrencycode = USD
	// dualwrite: map "Prospects (leads)": field B2BProspectStatus: unknown value "Foo" (known: "Pending", "Approved", "Rejected")
}

func ExampleCheckMaps() {
	// The rows come from DualWriteProjectConfigurations in Commerce
	// headquarters (the commerce package reads them).
	configs := []dualwrite.MapConfig{
		{ProjectName: "Prospects (leads)", InternalEntityName: "Prospects", ExternalEntityName: "leads", Status: dualwrite.Enabled},
		{InternalEntityName: "CustomersV3", ExternalEntityName: "account", Status: dualwrite.Enabled},
		{InternalEntityName: "CustomersV3", ExternalEntityName: "contact", Status: dualwrite.Queueing},
		{InternalEntityName: "CustomerHiearchies", ExternalEntityName: "msdyn_customerhierarchy", Status: dualwrite.Disabled},
	}
	fmt.Println(dualwrite.CheckMaps(configs))
	// Output:
	// dual-write: 3 of 5 required maps are not running
	//   ok    Prospects (leads): Enabled
	//   ok    Customers V3 (accounts): Enabled
	//   FAIL  Customers V3 (contacts): Queueing: the map is paused, changes wait in a queue until it runs again
	//   FAIL  Customer hierarchies (msdyn_customerhierarchies): Disabled: the map is stopped, changes are not copied; run it in the dual-write workspace
	//   FAIL  Customer hierarchy nodes (msdyn_customerhierarchynodes): not found (no map between CustomerHierarchyNodes and msdyn_customerhierarchynode)
}
