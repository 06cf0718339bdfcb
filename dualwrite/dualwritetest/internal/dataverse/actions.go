package dataverse

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// This file holds the Dataverse actions of the process: QualifyLead,
// WinOpportunity and LoseOpportunity.

// Bind returns the @odata.bind value of a record: "<set>(<id>)".
func Bind(set, id string) string { return set + "(" + id + ")" }

func (s *Service) qualifyLead(d *request, leads *table, id string, found bool) {
	if !found {
		d.notFound(leads, id)
		return
	}
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	lead := leads.Get(id).Rec()
	status, ok := s.qualifyParams(d, body)
	if !ok {
		return
	}
	if st := IntOf(lead["statecode"]); st != 0 {
		d.writeError(http.StatusBadRequest, "0x80040203",
			fmt.Sprintf("The lead is %s (statecode %d): only an open lead can be qualified.", labels["lead"]["statecode"][st], st))
		return
	}
	t := s.Store.Begin()
	var created []any
	out := func(tb *table, rid string) {
		o := s.out(tb, tb.Get(rid), nil, d.annotations())
		o["@odata.type"] = "#Microsoft.Dynamics.CRM." + tb.Logical
		created = append(created, o)
	}
	fail := func(err error) {
		t.Rollback()
		d.fail(err)
	}
	b2b := dualwrite.Prospects.AppliesToDataverse(lead)
	accounts, contacts, opps := s.Store.Dataverse("account"), s.Store.Dataverse("contact"), s.Store.Dataverse("opportunity")
	var accountID, contactID, oppID string
	leadBind := Bind("leads", id)
	if body["CreateAccount"] == true {
		accountID = uuid.NewString()
		a := map[string]any{"name": lead["companyname"], "emailaddress1": lead["emailaddress1"], "telephone1": lead["telephone1"],
			"websiteurl": lead["websiteurl"], "address1_postalcode": lead["address1_postalcode"], "address1_city": lead["address1_city"],
			"originatingleadid@odata.bind": leadBind}
		if b2b {
			a["customertypecode"] = 3
		}
		if err := s.writeSynced(t, accounts, accountID, nil, a); err != nil {
			fail(err)
			return
		}
	}
	if body["CreateContact"] == true {
		contactID = uuid.NewString()
		c := map[string]any{"firstname": lead["firstname"], "lastname": lead["lastname"], "emailaddress1": lead["emailaddress1"],
			"telephone1": lead["telephone1"], "originatingleadid@odata.bind": leadBind}
		if accountID != "" {
			c["parentcustomerid_account@odata.bind"] = Bind("accounts", accountID)
		} else if existing, ok := lead["_parentaccountid_value"].(string); ok && existing != "" {
			// The lead's existing account (parentaccountid, "Existing
			// Account" on the lead form) becomes the contact's company
			// when no account is created (an inference: the action
			// reference does not say).
			c["parentcustomerid_account@odata.bind"] = Bind("accounts", existing)
		}
		if err := s.writeSynced(t, contacts, contactID, nil, c); err != nil {
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
			o["transactioncurrencyid@odata.bind"] = Bind("transactioncurrencies", str(cur["transactioncurrencyid"]))
		} else if cid, ok := lead["_transactioncurrencyid_value"].(string); ok {
			o["transactioncurrencyid@odata.bind"] = Bind("transactioncurrencies", cid)
		}
		if logical, cid := customerRef(body["OpportunityCustomerId"]); logical == "account" {
			o["customerid_account@odata.bind"] = Bind("accounts", cid)
			o["parentaccountid@odata.bind"] = Bind("accounts", cid)
		} else if logical == "contact" {
			o["customerid_contact@odata.bind"] = Bind("contacts", cid)
		} else if accountID != "" {
			o["customerid_account@odata.bind"] = Bind("accounts", accountID)
			o["parentaccountid@odata.bind"] = Bind("accounts", accountID)
		}
		if contactID != "" {
			o["parentcontactid@odata.bind"] = Bind("contacts", contactID)
		}
		if err := s.writeSynced(t, opps, oppID, nil, o); err != nil {
			fail(err)
			return
		}
		if cid := campaignID(body); cid != "" {
			// The opportunity's source campaign. Campaigns are not in the
			// emulator: the id is kept as is, not checked.
			rec := store.Clone(opps.Get(oppID).Rec())
			setLookup(rec, "campaignid", "campaignid", "campaign", cid)
			t.Put(opps, oppID, rec)
		}
	}
	upd := map[string]any{"statecode": 1, "statuscode": status}
	if oppID != "" {
		upd["qualifyingopportunityid@odata.bind"] = Bind("opportunities", oppID)
	}
	if accountID != "" {
		upd["parentaccountid@odata.bind"] = Bind("accounts", accountID)
	}
	if contactID != "" {
		upd["parentcontactid@odata.bind"] = Bind("contacts", contactID)
	}
	if err := s.writeSynced(t, leads, id, lead, upd); err != nil {
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
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)",
		"value":          created,
	})
}

// qualifyParameters are QualifyLead's parameters (Web API Action
// Reference, QualifyLead): CreateAccount, CreateContact, CreateOpportunity
// and Status are not nullable, so required; the others are optional.
var qualifyParameters = map[string]bool{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true,
	"Status": true, "OpportunityCurrencyId": false, "OpportunityCustomerId": false, "SourceCampaignId": false,
	"ProcessInstanceId": false, "SuppressDuplicateDetection": false}

// qualifyParams checks QualifyLead's parameters and returns the Status.
func (s *Service) qualifyParams(d *request, body map[string]any) (int, bool) {
	for k := range body {
		if _, ok := qualifyParameters[k]; !ok && !strings.HasPrefix(k, "@") {
			d.writeError(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("The parameter '%s' in the request payload is not a valid parameter for the operation 'QualifyLead'.", k))
			return 0, false
		}
	}
	for _, k := range []string{"CreateAccount", "CreateContact", "CreateOpportunity", "Status"} {
		v, ok := body[k]
		if !ok || v == nil {
			d.writeError(http.StatusBadRequest, "0x80040203", fmt.Sprintf("Required parameter '%s' of the operation 'QualifyLead' is missing or null.", k))
			return 0, false
		}
		if k != "Status" {
			if _, isBool := v.(bool); !isBool {
				d.writeError(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Cannot convert the literal '%v' to the expected type 'Edm.Boolean' of the parameter '%s'.", v, k))
				return 0, false
			}
		}
	}
	status, ok := toInt(body["Status"])
	if !ok || !slices.Contains(stateRules["lead"][1], status) {
		d.writeError(http.StatusBadRequest, "0x8004431a", fmt.Sprintf("%v is not a valid status code for state code LeadState.Qualified on lead.", body["Status"]))
		return 0, false
	}
	if c, ok := body["SourceCampaignId"]; ok && c != nil && campaignID(body) == "" {
		d.writeError(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("QualifyLead's SourceCampaignId must be {\"@odata.type\":\"Microsoft.Dynamics.CRM.campaign\",\"campaignid\":\"<guid>\"}, not %v.", c))
		return 0, false
	}
	if c, ok := body["OpportunityCustomerId"]; ok && c != nil {
		logical, id := customerRef(c)
		if logical == "" {
			d.writeError(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("QualifyLead's OpportunityCustomerId must be {\"@odata.type\":\"Microsoft.Dynamics.CRM.account\",\"accountid\":\"<guid>\"} or a contact, not %v.", c))
			return 0, false
		}
		if s.Store.Dataverse(logical).Get(id) == nil {
			d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", logical, id))
			return 0, false
		}
	}
	if c, ok := body["ProcessInstanceId"]; ok && c != nil {
		d.unimplemented("QualifyLead's ProcessInstanceId (business process flows are not in the emulator)")
		return 0, false
	}
	if v, ok := body["SuppressDuplicateDetection"]; ok && v != nil && v != true {
		d.unimplemented("duplicate detection (QualifyLead's SuppressDuplicateDetection: false)")
		return 0, false
	}
	return status, true
}

// customerRef returns the table ("account" or "contact") and id of
// QualifyLead's OpportunityCustomerId, "" when it is neither or its id is no
// GUID. The @odata.type, when given, must name the table of the id.
func customerRef(v any) (logical, id string) {
	c, _ := v.(map[string]any)
	typ := strings.TrimPrefix(strings.TrimPrefix(str(c["@odata.type"]), "#"), "Microsoft.Dynamics.CRM.")
	for _, t := range []string{"account", "contact"} {
		raw, ok := c[t+"id"]
		if !ok || (typ != "" && typ != t) {
			continue
		}
		u, err := uuid.Parse(str(raw))
		if err != nil {
			return "", ""
		}
		return t, u.String()
	}
	return "", ""
}

// campaignID returns the campaignid of QualifyLead's SourceCampaignId, ""
// when there is none or it is no GUID.
func campaignID(body map[string]any) string {
	c, _ := body["SourceCampaignId"].(map[string]any)
	u, err := uuid.Parse(str(c["campaignid"]))
	if err != nil {
		return ""
	}
	return u.String()
}

// writeSynced writes a record and runs dual-write for it.
func (s *Service) writeSynced(t *store.Tx, tb *table, id string, prev record, body map[string]any) error {
	rec, err := s.Apply(t, tb, id, prev, body)
	if err != nil {
		return err
	}
	return s.sync(t, tb, id, prev, rec)
}

// closeOpportunity runs WinOpportunity (win) or LoseOpportunity.
func (s *Service) closeOpportunity(d *request, win bool) {
	if d.r.Method != http.MethodPost {
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The action accepts POST only.")
		return
	}
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
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
			d.writeError(http.StatusBadRequest, "0x8004431a", fmt.Sprintf("%v is not a valid status code for state code OpportunityState.%s on opportunity.", v, labels["opportunity"]["statecode"][state]))
			return
		}
		status = n
	}
	oc, ok := body["OpportunityClose"].(map[string]any)
	if !ok {
		d.writeError(http.StatusBadRequest, "0x80040203", "The OpportunityClose parameter is required.")
		return
	}
	opps, found, oppID, err := s.Store.Dataverse("opportunity"), false, "", error(nil)
	if b, ok := oc["opportunityid@odata.bind"]; ok {
		var tb *table
		tb, oppID, err = s.parseBind(b)
		found = err == nil && tb == opps
	}
	if !found {
		if err == nil {
			err = wire.BadRequest("0x80040203", "OpportunityClose must bind opportunityid to an opportunity.")
		}
		d.fail(err)
		return
	}
	opp := opps.Get(oppID).Rec()
	if st := IntOf(opp["statecode"]); st != 0 {
		d.writeError(http.StatusBadRequest, "0x80040203",
			fmt.Sprintf("The opportunity is already closed (%s): only an open opportunity can be won or lost.", labels["opportunity"]["statecode"][st]))
		return
	}
	t := s.Store.Begin()
	closeRec := map[string]any{"subject": oc["subject"], "description": oc["description"], "actualrevenue": oc["actualrevenue"],
		"actualend": oc["actualend"], "opportunityid@odata.bind": Bind("opportunities", oppID)}
	if err := s.writeSynced(t, s.Store.Dataverse("opportunityclose"), uuid.NewString(), nil, closeRec); err != nil {
		t.Rollback()
		d.fail(err)
		return
	}
	upd := map[string]any{"statecode": state, "statuscode": status, "actualclosedate": store.Stamp(t.Now)}
	if v, ok := oc["actualrevenue"]; ok {
		upd["actualvalue"] = v
	}
	if err := s.writeSynced(t, opps, oppID, opp, upd); err != nil {
		t.Rollback()
		d.fail(err)
		return
	}
	// The Commerce solution turns the outcome into the prospect status of
	// the originating B2B lead (an inference, see domain.md).
	if leadID, ok := opp["_originatingleadid_value"].(string); ok {
		leads := s.Store.Dataverse("lead")
		if e := leads.Get(leadID); e != nil && dualwrite.Prospects.AppliesToDataverse(e.Rec()) {
			st := dualwrite.DataverseApproved
			if !win {
				st = dualwrite.DataverseRejected
			}
			if err := s.writeSynced(t, leads, leadID, e.Rec(), map[string]any{"msdyn_b2bprospectstatus": st}); err != nil {
				t.Rollback()
				d.fail(err)
				return
			}
		}
	}
	wire.NoContent(d.w)
}
