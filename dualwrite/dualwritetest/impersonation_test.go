package dualwritetest

import (
	"strings"
	"testing"
)

// TestImpersonationSetsTheAuditColumns creates and updates records with
// CallerObjectId and MSCRMCallerID: createdby, modifiedby and ownerid name
// the impersonated user, createdonbehalfby (modifiedonbehalfby) the
// calling one, as impersonate-another-user-web-api-004 shows; WhoAmI
// answers the impersonated user; an unknown caller is refused.
func TestImpersonationSetsTheAuditColumns(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	const oid = "e39c5d16-675b-48d1-8e67-667427e9c084"
	jane, err := s.AddUser("Impersonated User", oid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser("Again", strings.ToUpper(oid)); err == nil {
		t.Error("AddUser accepted a second user with the same object id")
	}
	created := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Sample Account created using impersonation"}, "CallerObjectId", oid).want(t, 204)
	url := created.header.Get("OData-EntityId")
	got := call(t, "GET", url+"?$select=name&$expand=createdby($select=fullname),createdonbehalfby($select=fullname),owninguser($select=fullname)", nil).want(t, 200)
	name := func(nav string) any {
		m, _ := got.body[nav].(map[string]any)
		return m["fullname"]
	}
	if name("createdby") != "Impersonated User" || name("createdonbehalfby") != "Dual-write Test" || name("owninguser") != "Impersonated User" {
		t.Errorf("impersonated create: %s", got.raw)
	}
	rec := call(t, "GET", url+"?$select=_modifiedby_value,_modifiedonbehalfby_value,_ownerid_value", nil).want(t, 200)
	if rec.body["_modifiedby_value"] != jane || rec.body["_modifiedonbehalfby_value"] != SystemUserID || rec.body["_ownerid_value"] != jane {
		t.Errorf("impersonated create, lookups: %s", rec.raw)
	}

	// An update without impersonation: modifiedby is the caller again,
	// modifiedonbehalfby empty; createdby stays.
	call(t, "PATCH", url, map[string]any{"name": "Renamed"}).want(t, 204)
	rec = call(t, "GET", url+"?$select=_createdby_value,_modifiedby_value,_modifiedonbehalfby_value", nil).want(t, 200)
	if rec.body["_createdby_value"] != jane || rec.body["_modifiedby_value"] != SystemUserID || rec.body["_modifiedonbehalfby_value"] != nil {
		t.Errorf("plain update: %s", rec.raw)
	}
	// MSCRMCallerID names the systemuserid.
	call(t, "PATCH", url, map[string]any{"name": "Renamed again"}, "MSCRMCallerID", jane).want(t, 204)
	rec = call(t, "GET", url+"?$select=_modifiedby_value,_modifiedonbehalfby_value", nil).want(t, 200)
	if rec.body["_modifiedby_value"] != jane || rec.body["_modifiedonbehalfby_value"] != SystemUserID {
		t.Errorf("update with MSCRMCallerID: %s", rec.raw)
	}

	who := call(t, "GET", api(s)+"WhoAmI", nil, "CallerObjectId", oid).want(t, 200)
	if who.body["UserId"] != jane {
		t.Errorf("WhoAmI as %s: %s", oid, who.raw)
	}
	who = call(t, "GET", api(s)+"WhoAmI", nil).want(t, 200)
	if who.body["UserId"] != SystemUserID {
		t.Errorf("WhoAmI: %s", who.raw)
	}

	before := s.Count("accounts")
	r := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Nobody's"}, "CallerObjectId", "00000000-0000-0000-0000-00000000beef").want(t, 404)
	if !strings.Contains(r.raw, "0x80040217") || !strings.Contains(r.raw, "00000000-0000-0000-0000-00000000beef") {
		t.Errorf("unknown caller: %s", r.raw)
	}
	call(t, "GET", api(s)+"accounts", nil, "CallerObjectId", "jane@contoso.com").want(t, 400)
	if n := s.Count("accounts"); n != before {
		t.Errorf("%d accounts after the refused creates, want %d", n, before)
	}
}
