package dualwritetest

import (
	"fmt"
	"net/http"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/google/uuid"
)

// This file holds the Dataverse actions of the process: QualifyLead,
// WinOpportunity and LoseOpportunity.

func bindOf(set, id string) string { return set + "(" + id + ")" }

func (s *Server) dvQualifyLead(d *dvReq, leads *table, id string, found bool) {
	if !found {
		s.dvNotFound(d, leads, id)
		return
	}
	body, err := readBody(d.r)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
		return
	}
	lead := leads.Get(id).Rec
	if st := mustInt(lead["statecode"]); st != 0 {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80040203",
			fmt.Sprintf("The lead is %s (statecode %d): only an open lead can be qualified.", labels["lead"]["statecode"][st], st))
		return
	}
	status := 3
	if v, ok := body["Status"]; ok {
		if status, ok = toInt(v); !ok || status != 3 {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x8004431a", fmt.Sprintf("%v is not a valid status code for state code LeadState.Qualified on lead.", v))
			return
		}
	}
	t := s.begin()
	var created []any
	out := func(tb *table, rid string) {
		o := s.dvOut(tb, tb.Get(rid), nil, d.annotations())
		o["@odata.type"] = "#Microsoft.Dynamics.CRM." + tb.Logical
		created = append(created, o)
	}
	fail := func(err error) {
		t.Rollback()
		s.dvFail(d, err)
	}
	b2b := dualwrite.Prospects.AppliesToDataverse(lead)
	accounts, contacts, opps := s.store.Dataverse("account"), s.store.Dataverse("contact"), s.store.Dataverse("opportunity")
	var accountID, contactID, oppID string
	leadBind := bindOf("leads", id)
	if body["CreateAccount"] == true {
		accountID = uuid.NewString()
		a := map[string]any{"name": lead["companyname"], "emailaddress1": lead["emailaddress1"], "telephone1": lead["telephone1"],
			"websiteurl": lead["websiteurl"], "address1_postalcode": lead["address1_postalcode"], "address1_city": lead["address1_city"],
			"originatingleadid@odata.bind": leadBind}
		if b2b {
			a["customertypecode"] = 3
		}
		if err := t.dvWriteSynced(accounts, accountID, nil, a); err != nil {
			fail(err)
			return
		}
	}
	if body["CreateContact"] == true {
		contactID = uuid.NewString()
		c := map[string]any{"firstname": lead["firstname"], "lastname": lead["lastname"], "emailaddress1": lead["emailaddress1"],
			"telephone1": lead["telephone1"], "originatingleadid@odata.bind": leadBind}
		if accountID != "" {
			c["parentcustomerid_account@odata.bind"] = bindOf("accounts", accountID)
		}
		if err := t.dvWriteSynced(contacts, contactID, nil, c); err != nil {
			fail(err)
			return
		}
	}
	if body["CreateOpportunity"] == true {
		oppID = uuid.NewString()
		name := str(lead["subject"])
		if name == "" {
			name = str(lead["companyname"])
		}
		o := map[string]any{"name": name, "originatingleadid@odata.bind": leadBind}
		if cur, ok := body["OpportunityCurrencyId"].(map[string]any); ok && cur["transactioncurrencyid"] != nil {
			o["transactioncurrencyid@odata.bind"] = bindOf("transactioncurrencies", str(cur["transactioncurrencyid"]))
		} else if cid, ok := lead["_transactioncurrencyid_value"].(string); ok {
			o["transactioncurrencyid@odata.bind"] = bindOf("transactioncurrencies", cid)
		}
		if cust, ok := body["OpportunityCustomerId"].(map[string]any); ok {
			if v, ok := cust["accountid"]; ok {
				o["customerid_account@odata.bind"] = bindOf("accounts", str(v))
				o["parentaccountid@odata.bind"] = bindOf("accounts", str(v))
			} else if v, ok := cust["contactid"]; ok {
				o["customerid_contact@odata.bind"] = bindOf("contacts", str(v))
			}
		} else if accountID != "" {
			o["customerid_account@odata.bind"] = bindOf("accounts", accountID)
			o["parentaccountid@odata.bind"] = bindOf("accounts", accountID)
		}
		if contactID != "" {
			o["parentcontactid@odata.bind"] = bindOf("contacts", contactID)
		}
		if err := t.dvWriteSynced(opps, oppID, nil, o); err != nil {
			fail(err)
			return
		}
	}
	upd := map[string]any{"statecode": 1, "statuscode": status}
	if oppID != "" {
		upd["qualifyingopportunityid@odata.bind"] = bindOf("opportunities", oppID)
	}
	if accountID != "" {
		upd["parentaccountid@odata.bind"] = bindOf("accounts", accountID)
	}
	if contactID != "" {
		upd["parentcontactid@odata.bind"] = bindOf("contacts", contactID)
	}
	if err := t.dvWriteSynced(leads, id, lead, upd); err != nil {
		fail(err)
		return
	}
	for _, c := range []struct {
		tb *table
		id string
	}{{accounts, accountID}, {contacts, contactID}, {opps, oppID}} {
		if c.id != "" {
			out(c.tb, c.id)
		}
	}
	if created == nil {
		created = []any{}
	}
	writeJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)",
		"value":          created,
	})
}

// dvWriteSynced writes a record and runs dual-write for it.
func (t *tx) dvWriteSynced(tb *table, id string, prev record, body map[string]any) error {
	rec, err := t.dvApply(tb, id, prev, body)
	if err != nil {
		return err
	}
	return t.afterDataverseWrite(tb, id, prev, rec)
}

// dvCloseOpportunity runs WinOpportunity (win) or LoseOpportunity.
func (s *Server) dvCloseOpportunity(d *dvReq, win bool) {
	if d.r.Method != http.MethodPost {
		s.dvError(d.w, d.r, http.StatusMethodNotAllowed, "0x80060888", "The action accepts POST only.")
		return
	}
	body, err := readBody(d.r)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
		return
	}
	state, status := 1, 3
	if !win {
		state, status = 2, 4
	}
	if v, ok := body["Status"]; ok {
		n, ok := toInt(v)
		valid := false
		for _, x := range stateRules["opportunity"][state] {
			valid = valid || (ok && x == n)
		}
		if !valid {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x8004431a", fmt.Sprintf("%v is not a valid status code for state code OpportunityState.%s on opportunity.", v, labels["opportunity"]["statecode"][state]))
			return
		}
		status = n
	}
	oc, ok := body["OpportunityClose"].(map[string]any)
	if !ok {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80040203", "The OpportunityClose parameter is required.")
		return
	}
	opps, found, oppID, err := s.store.Dataverse("opportunity"), false, "", error(nil)
	if b, ok := oc["opportunityid@odata.bind"]; ok {
		var tb *table
		tb, oppID, err = s.parseBind(b)
		found = err == nil && tb == opps
	}
	if !found {
		if err == nil {
			err = badRequest("0x80040203", "OpportunityClose must bind opportunityid to an opportunity.")
		}
		s.dvFail(d, err)
		return
	}
	opp := opps.Get(oppID).Rec
	if st := mustInt(opp["statecode"]); st != 0 {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80040203",
			fmt.Sprintf("The opportunity is already closed (%s): only an open opportunity can be won or lost.", labels["opportunity"]["statecode"][st]))
		return
	}
	t := s.begin()
	closeRec := map[string]any{"subject": oc["subject"], "description": oc["description"], "actualrevenue": oc["actualrevenue"],
		"actualend": oc["actualend"], "opportunityid@odata.bind": bindOf("opportunities", oppID)}
	if err := t.dvWriteSynced(s.store.Dataverse("opportunityclose"), uuid.NewString(), nil, closeRec); err != nil {
		t.Rollback()
		s.dvFail(d, err)
		return
	}
	upd := map[string]any{"statecode": state, "statuscode": status, "actualclosedate": stamp(t.Now)}
	if v, ok := oc["actualrevenue"]; ok {
		upd["actualvalue"] = v
	}
	if err := t.dvWriteSynced(opps, oppID, opp, upd); err != nil {
		t.Rollback()
		s.dvFail(d, err)
		return
	}
	// The Commerce solution turns the outcome into the prospect status of
	// the originating B2B lead (an inference, see domain.md).
	if leadID, ok := opp["_originatingleadid_value"].(string); ok {
		leads := s.store.Dataverse("lead")
		if e := leads.Get(leadID); e != nil && dualwrite.Prospects.AppliesToDataverse(e.Rec) {
			st := dualwrite.DataverseApproved
			if !win {
				st = dualwrite.DataverseRejected
			}
			if err := t.dvWriteSynced(leads, leadID, e.Rec, map[string]any{"msdyn_b2bprospectstatus": st}); err != nil {
				t.Rollback()
				s.dvFail(d, err)
				return
			}
		}
	}
	noContent(d.w)
}
