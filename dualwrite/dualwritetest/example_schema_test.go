package dualwritetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

// post sends a JSON body to the emulator's Web API and returns the status
// and the error code, if any.
func post(s *dualwritetest.Server, path, body string) string {
	req, _ := http.NewRequest("POST", s.SalesURL+"/api/data/v9.2/"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+dualwritetest.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&e)
	return strings.TrimSpace(fmt.Sprint(res.StatusCode, " ", e.Error.Code))
}

// Declare the custom columns, tables and alternate keys of the
// organization your code writes: the emulator refuses the names Microsoft
// does not document, as Dataverse refuses the names it does not have.
func ExampleSchemaExtension() {
	s := dualwritetest.NewServer(&dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{
		Tables: []dualwritetest.CustomTable{{LogicalName: "new_project", EntitySet: "new_projects"}},
		Columns: []dualwritetest.CustomColumn{
			{Table: "lead", LogicalName: "new_tier", Type: dualwritetest.Picklist, Options: map[int]string{1: "Gold", 2: "Silver"}},
			{Table: "new_project", LogicalName: "new_leadid", Type: dualwritetest.Lookup, Target: "lead"},
		},
		Keys: []dualwritetest.AlternateKey{{Table: "account", Columns: []string{"accountnumber"}}},
	}})
	defer s.Close()

	fmt.Println(post(s, "leads", `{"lastname":"Silva","new_tier":1}`))
	fmt.Println(post(s, "leads", `{"lastname":"Silva","new_tier":3}`))
	fmt.Println(post(s, "leads", `{"lastname":"Silva","new_segment":1}`))
	fmt.Println(post(s, "new_projects", `{"new_name":"Rollout"}`))
	fmt.Println(post(s, "contacts", `{"lastname":"Kim","parentcustomerid_account@odata.bind":"accounts(accountnumber='A-1')"}`))
	// Output:
	// 204
	// 400 0x8004431a
	// 400 0x0
	// 204
	// 404 0x80060891
}
