package sales_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestQualifyIntoAnExistingAccount sends QualifyLead's existing-customer
// parameters as the action reference names them (CreateAccount false,
// OpportunityCustomerId an account reference, SuppressDuplicateDetection
// false when asked) and reads the created records of the answer: a
// contact and an opportunity, no account.
func TestQualifyIntoAnExistingAccount(t *testing.T) {
	account := uuid.MustParse("7d577253-3ef0-4a0a-bb7f-8335c2596e70")
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"@odata.context":"x","value":[
			{"@odata.type":"#Microsoft.Dynamics.CRM.contact","contactid":"11111111-0000-4000-8000-000000000001"},
			{"@odata.type":"#Microsoft.Dynamics.CRM.opportunity","opportunityid":"22222222-0000-4000-8000-000000000002"}]}`))
	}))
	defer srv.Close()
	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Leads.Qualify(context.Background(), uuid.New(), &sales.QualifyOptions{SkipAccount: true, CustomerAccountID: account, DetectDuplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"CreateAccount": false, "CreateContact": true, "CreateOpportunity": true, "Status": float64(3),
		"OpportunityCustomerId":      map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": account.String()},
		"SuppressDuplicateDetection": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&sales.QualifyResult{ContactID: uuid.MustParse("11111111-0000-4000-8000-000000000001"),
		OpportunityID: uuid.MustParse("22222222-0000-4000-8000-000000000002")}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}
