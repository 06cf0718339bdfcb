package dualwritetest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContractRecords replays the documented exchanges of records below a
// record (single properties, related records, $ref) and of keys; each
// case names its reference file (testdata/contract, copied from
// /work/shared/reference/dataverse-docs-examples).
func TestContractRecords(t *testing.T) {
	const (
		opp     = "00000000-0000-0000-0000-000000000001"
		acct    = "00000000-0000-0000-0000-000000000002"
		contact = "00000000-0000-0000-0000-000000000003"
	)
	var s *Server
	account := func(t *testing.T, id string) {
		call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": "Adventure Works (sample)", "revenue": 10000,
			"description": "This is the description of the sample account"}).want(t, 204)
	}
	related := func(t *testing.T) { // the account acct and the opportunity opp
		account(t, acct)
		call(t, "POST", api(s)+"opportunities", map[string]any{"opportunityid": opp, "name": "Sample"}).want(t, 204)
	}
	customer := func(t *testing.T) string {
		t.Helper()
		return str(call(t, "GET", api(s)+"opportunities("+opp+")?$select=_customerid_value", nil).want(t, 200).body["_customerid_value"])
	}
	cases := []struct {
		req, res string
		opts     *Options
		setup    func(t *testing.T)
		status   int // when no response is documented
		check    func(t *testing.T, got map[string]any)
	}{
		{
			// POST <collection-nav>/$ref: the opportunity's customer becomes the account.
			req: "associate-disassociate-entities-using-web-api-001", status: 204, setup: related,
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != acct {
					t.Errorf("_customerid_value = %q, want %s", c, acct)
				}
			},
		},
		{
			// DELETE <collection-nav>/$ref?$id=...
			req: "associate-disassociate-entities-using-web-api-003", status: 204,
			setup: func(t *testing.T) {
				related(t)
				call(t, "PATCH", api(s)+"opportunities("+opp+")", map[string]any{"customerid_account@odata.bind": "/accounts(" + acct + ")"}).want(t, 204)
			},
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != "" {
					t.Errorf("_customerid_value = %q after disassociate", c)
				}
			},
		},
		{
			// DELETE <collection-nav>(<id>)/$ref
			req: "associate-disassociate-entities-using-web-api-004", status: 204,
			setup: func(t *testing.T) {
				related(t)
				call(t, "PATCH", api(s)+"opportunities("+opp+")", map[string]any{"customerid_account@odata.bind": "/accounts(" + acct + ")"}).want(t, 204)
			},
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != "" {
					t.Errorf("_customerid_value = %q after disassociate", c)
				}
			},
		},
		{
			// DELETE <single-nav>/$ref
			req: "associate-disassociate-entities-using-web-api-005", status: 204,
			setup: func(t *testing.T) {
				related(t)
				call(t, "PATCH", api(s)+"opportunities("+opp+")", map[string]any{"customerid_account@odata.bind": "/accounts(" + acct + ")"}).want(t, 204)
			},
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != "" {
					t.Errorf("_customerid_value = %q after disassociate", c)
				}
			},
		},
		{
			// PUT <single-nav>/$ref
			req: "associate-disassociate-entities-using-web-api-007", status: 204, setup: related,
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != acct {
					t.Errorf("_customerid_value = %q, want %s", c, acct)
				}
			},
		},
		{
			// PATCH with a bind given as a full URL
			req: "associate-disassociate-entities-using-web-api-009", status: 204, setup: related,
			check: func(t *testing.T, _ map[string]any) {
				if c := customer(t); c != acct {
					t.Errorf("_customerid_value = %q, want %s", c, acct)
				}
			},
		},
		{
			req: "update-delete-entities-using-web-api-001", status: 204,
			setup: func(t *testing.T) { account(t, opp) },
			check: func(t *testing.T, _ map[string]any) {
				got := call(t, "GET", api(s)+"accounts("+opp+")?$select=name,creditonhold,accountcategorycode", nil).want(t, 200).body
				if got["name"] != "Updated Sample Account " || got["creditonhold"] != true || num(got["accountcategorycode"]) != 2 {
					t.Errorf("after update: %v", got)
				}
			},
		},
		{
			// PUT <set>(id)/<column> {"value": ...}
			req: "update-delete-entities-using-web-api-005", status: 204,
			setup: func(t *testing.T) { account(t, opp) },
			check: func(t *testing.T, _ map[string]any) {
				got := call(t, "GET", api(s)+"accounts("+opp+")/name", nil).want(t, 200).body
				if got["value"] != "Updated Sample Account Name" {
					t.Errorf("name = %v", got)
				}
			},
		},
		{
			// DELETE <set>(id)/<column> clears it
			req: "update-delete-entities-using-web-api-007", status: 204,
			setup: func(t *testing.T) { account(t, opp) },
			check: func(t *testing.T, _ map[string]any) {
				got := call(t, "GET", api(s)+"accounts("+opp+")?$select=description", nil).want(t, 200).body
				if v, ok := got["description"]; !ok || v != nil {
					t.Errorf("description = %v, want null", got)
				}
			},
		},
		{
			req: "update-delete-entities-using-web-api-009", status: 204,
			setup: func(t *testing.T) { account(t, opp) },
			check: func(t *testing.T, _ map[string]any) {
				call(t, "GET", api(s)+"accounts("+opp+")", nil).want(t, 404)
			},
		},
		{
			// A record without $select carries the system columns and its ETag header.
			req: "retrieve-entity-using-web-api-001", status: 200,
			setup: func(t *testing.T) { account(t, opp) },
			check: func(t *testing.T, got map[string]any) {
				for _, k := range []string{"_ownerid_value", "_createdby_value", "_modifiedby_value", "createdon", "modifiedon",
					"versionnumber", "_owningbusinessunit_value", "statecode", "statuscode", "_transactioncurrencyid_value"} {
					if got[k] == nil {
						t.Errorf("%s missing or null in %v", k, got)
					}
				}
				if _, ok := got["_owningteam_value"]; !ok {
					t.Error("_owningteam_value missing (null when unset)")
				}
			},
		},
		{req: "retrieve-entity-using-web-api-002", res: "retrieve-entity-using-web-api-003", setup: func(t *testing.T) { account(t, opp) }},
		{req: "retrieve-entity-using-web-api-006", res: "retrieve-entity-using-web-api-007", setup: func(t *testing.T) { account(t, opp) }},
		{
			req: "retrieve-entity-using-web-api-008", res: "retrieve-entity-using-web-api-009",
			setup: func(t *testing.T) {
				call(t, "POST", api(s)+"contacts", map[string]any{"contactid": contact, "firstname": "Rene", "lastname": "Valdes (sample)"}).want(t, 204)
				call(t, "POST", api(s)+"accounts", map[string]any{"accountid": opp, "name": "A", "primarycontactid@odata.bind": "/contacts(" + contact + ")"}).want(t, 204)
			},
			check: func(t *testing.T, got map[string]any) {
				if got["fullname"] != "Rene Valdes (sample)" || got["contactid"] != contact {
					t.Errorf("related contact %v", got)
				}
			},
		},
		{
			// An alternate key of two columns, declared by the test.
			req: "retrieve-entity-using-web-api-004", status: 200,
			opts: &Options{Schema: &SchemaExtension{Keys: []AlternateKey{{Table: "contact", Columns: []string{"firstname", "emailaddress1"}}}}},
			setup: func(t *testing.T) {
				call(t, "POST", api(s)+"contacts", map[string]any{"contactid": contact, "firstname": "Joe", "lastname": "Smith", "emailaddress1": "abc@example.com"}).want(t, 204)
			},
			check: func(t *testing.T, got map[string]any) {
				if got["contactid"] != contact {
					t.Errorf("by key: %v", got)
				}
			},
		},
		{
			// An alternate key on a lookup, named by its lookup property.
			req: "retrieve-entity-using-web-api-005", status: 200,
			opts: &Options{Schema: &SchemaExtension{Keys: []AlternateKey{{Table: "account", Columns: []string{"primarycontactid"}}}}},
			setup: func(t *testing.T) {
				call(t, "POST", api(s)+"contacts", map[string]any{"contactid": opp, "lastname": "Smith"}).want(t, 204)
				call(t, "POST", api(s)+"accounts", map[string]any{"accountid": acct, "name": "A", "primarycontactid@odata.bind": "/contacts(" + opp + ")"}).want(t, 204)
			},
			check: func(t *testing.T, got map[string]any) {
				if got["accountid"] != acct {
					t.Errorf("by key: %v", got)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s = NewServer(c.opts)
			defer s.Close()
			if c.setup != nil {
				c.setup(t)
			}
			req := readExchange(t, c.req, s.SalesURL)
			res, body := send(t, req)
			want := exchange{status: c.status}
			if c.res != "" {
				want = readExchange(t, c.res, s.SalesURL)
			}
			if res.StatusCode != want.status {
				t.Fatalf("status %d, documented %d; body %s", res.StatusCode, want.status, body)
			}
			var got map[string]any
			if strings.TrimSpace(body) != "" {
				got, _ = decodeLoose(t, body).(map[string]any)
			}
			if want.body != "" {
				if diff := cmp.Diff(shape(decodeLoose(t, want.body)), shape(got)); diff != "" {
					t.Errorf("body shape differs from the documented one (-doc +emulator):\n%s", diff)
				}
			} else if want.status == 204 && strings.TrimSpace(body) != "" {
				t.Errorf("body %s, documented none", body)
			}
			if c.check != nil {
				c.check(t, got)
			}
		})
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
