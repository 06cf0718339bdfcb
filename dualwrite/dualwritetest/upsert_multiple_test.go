package dualwritetest

import (
	"testing"
)

// TestUpsertMultiple checks the documented UpsertMultiple: targets named
// by @odata.id (alternate key or id) or not at all are created or updated
// in one request answered 204, and a bad target fails the whole request
// without writing any.
func TestUpsertMultiple(t *testing.T) {
	s := NewServer(&Options{Schema: &SchemaExtension{Keys: []AlternateKey{{Table: "account", Name: "numberkey", Columns: []string{"accountnumber"}}}}})
	defer s.Close()
	u := api(s) + "accounts/Microsoft.Dynamics.CRM.UpsertMultiple"
	id := "81883308-7ad5-ea11-a813-000d3a33f3b4"
	call(t, "POST", api(s)+"accounts", map[string]any{"accountid": id, "name": "Old"}).want(t, 204)
	typ := "Microsoft.Dynamics.CRM.account"
	call(t, "POST", u, map[string]any{"Targets": []any{
		map[string]any{"@odata.type": typ, "@odata.id": "accounts(accountnumber='A%2F1')", "name": "By key"},
		map[string]any{"@odata.type": typ, "@odata.id": "accounts(" + id + ")", "name": "Renamed"},
		map[string]any{"@odata.type": typ, "name": "No key"},
	}}).want(t, 204)
	got := map[string]string{}
	for _, r := range call(t, "GET", api(s)+"accounts?$select=name,accountnumber", nil).want(t, 200).values() {
		n, _ := r["accountnumber"].(string)
		got[r["name"].(string)] = n
	}
	if len(got) != 3 || got["By key"] != "A/1" || got["Renamed"] != "" || got["No key"] != "" {
		t.Errorf("accounts %v", got)
	}
	// The same key again updates.
	call(t, "POST", u, map[string]any{"Targets": []any{
		map[string]any{"@odata.type": typ, "@odata.id": "accounts(accountnumber='A%2F1')", "name": "By key 2"},
	}}).want(t, 204)
	if n := len(call(t, "GET", api(s)+"accounts?$select=name", nil).want(t, 200).values()); n != 3 {
		t.Errorf("%d accounts after the update, want 3", n)
	}
	for name, targets := range map[string][]any{
		"no @odata.type":    {map[string]any{"name": "X"}},
		"other table":       {map[string]any{"@odata.type": typ, "@odata.id": "contacts(" + id + ")", "name": "X"}},
		"undeclared key":    {map[string]any{"@odata.type": typ, "@odata.id": "accounts(name='X')", "name": "X"}},
		"unknown column":    {map[string]any{"@odata.type": typ, "name": "Fine"}, map[string]any{"@odata.type": typ, "new_nope": 1}},
		"same record twice": {map[string]any{"@odata.type": typ, "@odata.id": "accounts(" + id + ")", "name": "A"}, map[string]any{"@odata.type": typ, "@odata.id": "accounts(" + id + ")", "name": "B"}},
	} {
		r := call(t, "POST", u, map[string]any{"Targets": targets})
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400; %s", name, r.status, r.raw)
		}
	}
	if n := len(call(t, "GET", api(s)+"accounts?$select=name", nil).want(t, 200).values()); n != 3 {
		t.Errorf("%d accounts after refused requests, want 3", n)
	}
}
