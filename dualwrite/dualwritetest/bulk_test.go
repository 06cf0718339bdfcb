package dualwritetest

import (
	"strings"
	"testing"
)

func leadTarget(fields ...any) map[string]any {
	m := map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead"}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

func TestCreateMultiple(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads := s.Count("leads")
	chosen := "11111111-2222-3333-4444-555555555555"
	r := call(t, "POST", api(s)+"leads/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		leadTarget("subject", "first", "lastname", "One"),
		leadTarget("subject", "second", "leadid", strings.ToUpper(chosen)),
		leadTarget("subject", "third"),
	}}).want(t, 200)
	if r.body["@odata.context"] != api(s)+"$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse" {
		t.Errorf("context %v", r.body["@odata.context"])
	}
	ids, _ := r.body["Ids"].([]any)
	if len(ids) != 3 || ids[1] != chosen {
		t.Fatalf("Ids %v", r.body["Ids"])
	}
	for i, want := range []string{"first", "second", "third"} {
		got := call(t, "GET", api(s)+"leads("+ids[i].(string)+")", nil).want(t, 200).body
		if got["subject"] != want {
			t.Errorf("Ids[%d] is the lead %q, want %q", i, got["subject"], want)
		}
	}
	if s.Count("leads") != leads+3 {
		t.Errorf("leads %d, want %d", s.Count("leads"), leads+3)
	}
}

func TestCreateMultipleIsAllOrNothing(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads, accounts, customers := s.Count("leads"), s.Count("accounts"), s.Count("CustomersV3")
	url := api(s) + "leads/Microsoft.Dynamics.CRM.CreateMultiple"
	// A missing or wrong @odata.type.
	r := call(t, "POST", url, map[string]any{"Targets": []any{leadTarget("subject", "a"), map[string]any{"subject": "b"}}}).want(t, 400)
	if !strings.Contains(r.raw, "Microsoft.Dynamics.CRM.lead") {
		t.Errorf("body %s", r.raw)
	}
	call(t, "POST", url, map[string]any{"Targets": []any{map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "b"}}}).want(t, 400)
	call(t, "POST", url, map[string]any{"Targets": []any{}}).want(t, 400)
	call(t, "POST", url, map[string]any{}).want(t, 400)
	// A target that fails while written: the earlier ones are undone.
	call(t, "POST", url, map[string]any{"Targets": []any{
		leadTarget("subject", "a"),
		leadTarget("subject", "b", "statecode", 0, "statuscode", 4),
	}}).want(t, 400)
	// A repeated client-chosen id.
	id := "11111111-2222-3333-4444-555555555555"
	call(t, "POST", url, map[string]any{"Targets": []any{leadTarget("leadid", id), leadTarget("leadid", id)}}).want(t, 412)
	// Too many targets.
	var many []any
	for i := 0; i <= MaxBulkTargets; i++ {
		many = append(many, leadTarget("subject", "x"))
	}
	call(t, "POST", url, map[string]any{"Targets": many}).want(t, 400)
	if s.Count("leads") != leads {
		t.Errorf("leads %d, want %d", s.Count("leads"), leads)
	}
	// Dual-write side effects are undone too.
	s.FailSync("CustomersV3")
	call(t, "POST", api(s)+"accounts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "plain"},
		map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "customer one", "customertypecode": 3},
	}}).want(t, 400)
	if s.Count("accounts") != accounts || s.Count("CustomersV3") != customers {
		t.Errorf("accounts %d/%d, customers %d/%d", s.Count("accounts"), accounts, s.Count("CustomersV3"), customers)
	}
}

func TestUpdateMultiple(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	r := call(t, "POST", api(s)+"leads/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		leadTarget("subject", "one"), leadTarget("subject", "two"),
	}}).want(t, 200)
	ids := r.body["Ids"].([]any)
	url := api(s) + "leads/Microsoft.Dynamics.CRM.UpdateMultiple"
	r = call(t, "POST", url, map[string]any{"Targets": []any{
		leadTarget("leadid", ids[0], "subject", "one updated"),
		map[string]any{"leadid": ids[1], "subject": "two updated"}, // @odata.type may be left out
	}}).want(t, 204)
	for i, want := range []string{"one updated", "two updated"} {
		if got := call(t, "GET", api(s)+"leads("+ids[i].(string)+")", nil).want(t, 200).body["subject"]; got != want {
			t.Errorf("lead %d subject %v, want %q", i, got, want)
		}
	}
	// No primary key, a missing record, a wrong type: 400/404, nothing kept.
	call(t, "POST", url, map[string]any{"Targets": []any{leadTarget("leadid", ids[0], "subject", "x"), leadTarget("subject", "y")}}).want(t, 400)
	call(t, "POST", url, map[string]any{"Targets": []any{
		leadTarget("leadid", ids[0], "subject", "x"), leadTarget("leadid", "00000000-0000-0000-0000-0000000000dd", "subject", "y"),
	}}).want(t, 404)
	call(t, "POST", url, map[string]any{"Targets": []any{map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.contact", "leadid": ids[0]}}}).want(t, 400)
	if got := call(t, "GET", api(s)+"leads("+ids[0].(string)+")", nil).want(t, 200).body["subject"]; got != "one updated" {
		t.Errorf("subject %v after failed updates", got)
	}
}
