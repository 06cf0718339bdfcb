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

// TestQualifyLeadIntoAnExistingAccount qualifies a lead with CreateAccount
// false and OpportunityCustomerId: no account is created, the answer lists
// the contact and the opportunity only, the opportunity's customer is the
// account, and the new contact's company is the lead's parentaccountid. A
// customer of another type, or one that does not exist, is refused.
func TestQualifyLeadIntoAnExistingAccount(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	acct := call(t, "POST", api(s)+"accounts", map[string]any{"name": "Fabrikam"}).want(t, 204).header.Get("OData-EntityId")
	acctID := acct[strings.LastIndex(acct, "(")+1 : len(acct)-1]
	lead := call(t, "POST", api(s)+"leads", map[string]any{"lastname": "Chen", "companyname": "Fabrikam",
		"parentaccountid@odata.bind": "accounts(" + acctID + ")"}).want(t, 204).header.Get("OData-EntityId")
	params := func(cust any) map[string]any {
		return map[string]any{"CreateAccount": false, "CreateContact": true, "CreateOpportunity": true, "Status": 3, "OpportunityCustomerId": cust}
	}
	for _, bad := range []struct {
		cust   any
		status int
	}{
		{map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "leadid": acctID}, 400},
		{map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": "not-a-guid"}, 400},
		{map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": "00000000-0000-0000-0000-0000000000ff"}, 404},
	} {
		call(t, "POST", lead+"/Microsoft.Dynamics.CRM.QualifyLead", params(bad.cust)).want(t, bad.status)
	}
	accounts := s.Count("accounts")
	res := call(t, "POST", lead+"/Microsoft.Dynamics.CRM.QualifyLead",
		params(map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": acctID})).want(t, 200)
	if n := s.Count("accounts"); n != accounts {
		t.Errorf("%d accounts after qualifying into an existing one, want %d", n, accounts)
	}
	var types []string
	var oppID, contactID string
	for _, v := range res.values() {
		typ := v["@odata.type"].(string)
		types = append(types, typ)
		if typ == "#Microsoft.Dynamics.CRM.opportunity" {
			oppID = v["opportunityid"].(string)
		} else {
			contactID, _ = v["contactid"].(string)
		}
	}
	if strings.Join(types, ",") != "#Microsoft.Dynamics.CRM.contact,#Microsoft.Dynamics.CRM.opportunity" {
		t.Errorf("created %v, want a contact and an opportunity", types)
	}
	opp := call(t, "GET", api(s)+"opportunities("+oppID+")?$select=_customerid_value,_parentaccountid_value", nil).want(t, 200)
	if opp.body["_customerid_value"] != acctID || opp.body["_parentaccountid_value"] != acctID {
		t.Errorf("opportunity: %s", opp.raw)
	}
	ct := call(t, "GET", api(s)+"contacts("+contactID+")?$select=_parentcustomerid_value", nil).want(t, 200)
	if ct.body["_parentcustomerid_value"] != acctID {
		t.Errorf("contact: %s", ct.raw)
	}
}
