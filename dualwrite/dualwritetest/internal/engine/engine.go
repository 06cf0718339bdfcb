// Package engine is the emulator's dual-write: live sync between
// Dataverse and Commerce, driven by the dualwrite maps, inside the
// transaction of the request that made the change, as live sync is. A
// write the other side refuses (or that [Engine.Fail] fails) rolls the
// whole request back with a 0x80040265 error.
//
// It also runs the B2B onboarding business logic of the Commerce solution:
// a B2B prospect becomes a lead with a timeline note, a qualified lead's
// account and contact become customers, and approving the prospect creates
// the customers and the customer hierarchy on both sides.
//
// An [Engine] is the Syncer of the dataverse and finops services; it
// writes through their record rules (dataverse.Service.Apply,
// finops.Service numbers and keys). It runs under the caller's lock.
package engine

import (
	"fmt"
	"strings"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// syncError is the error live sync answers when the other side refuses a
// write.
func syncError(target string, err error) error {
	return wire.BadRequest("0x80040265", "Dual-write: unable to write data to %s: %v. The transaction was rolled back.", target, err)
}

func (t *tx) checkSyncFail(names ...string) error {
	if t.e.Fail != nil && t.e.Fail(names...) {
		return syncError(names[0], fmt.Errorf("the write failed (injected)"))
	}
	return nil
}

// dvView returns a Dataverse record with the dotted lookup values of map m
// filled in, as ToFinOps expects.
func (t *tx) dvView(m dualwrite.Map, rec store.Record) map[string]any {
	v := map[string]any{}
	if rec == nil {
		return v
	}
	for k, x := range rec {
		v[k] = x
	}
	for _, f := range m.Fields {
		if f.IsLookup() {
			v[f.Dataverse] = t.dotted(rec, f.Dataverse)
		}
	}
	return v
}

// changedToFinOps returns the Finance and Operations fields of map m whose
// Dataverse columns differ between prev and rec.
func (t *tx) changedToFinOps(m dualwrite.Map, prev, rec store.Record) (map[string]any, error) {
	pv, rv := t.dvView(m, prev), t.dvView(m, rec)
	changed := map[string]any{}
	for _, f := range m.Fields {
		if f.Direction == dualwrite.ToDataverseOnly {
			continue
		}
		if _, ok := rv[f.Dataverse]; !ok {
			continue
		}
		if prev == nil || !dualwrite.Equal(pv[f.Dataverse], rv[f.Dataverse]) {
			changed[f.Dataverse] = rv[f.Dataverse]
		}
	}
	return m.ToFinOps(changed)
}

// afterDataverseWrite runs dual-write for a Dataverse record just written
// by a client.
func (t *tx) afterDataverseWrite(tb *store.Table, id string, prev, rec store.Record) error {
	switch tb.Logical {
	case "lead":
		return t.leadChanged(tb, id, prev, rec)
	case "account":
		return t.customerChanged(tb, id, prev, rec, dualwrite.CustomerAccounts, "accountnumber", "Organization")
	case "contact":
		return t.customerChanged(tb, id, prev, rec, dualwrite.CustomerContacts, "msdyn_contactpersonid", "Person")
	}
	return nil
}

func (t *tx) leadChanged(leads *store.Table, id string, prev, rec store.Record) error {
	if !dualwrite.Prospects.AppliesToDataverse(rec) {
		return nil
	}
	// Disqualifying a pending B2B lead rejects the prospect.
	if dataverse.IntOf(rec["statecode"]) == 2 && (prev == nil || dataverse.IntOf(prev["statecode"]) != 2) &&
		(rec["msdyn_b2bprospectstatus"] == nil || dualwrite.Equal(rec["msdyn_b2bprospectstatus"], dualwrite.DataversePending)) {
		var err error
		if rec, err = t.dvApply(leads, id, rec, map[string]any{"msdyn_b2bprospectstatus": dualwrite.DataverseRejected}); err != nil {
			return err
		}
	}
	pid := str(rec["msdyn_prospectid"])
	if pid == "" {
		return nil
	}
	pt := t.Store().FinOps("prospects")
	pkey, pe := Find(pt, "ProspectId", pid)
	if pe == nil {
		return nil
	}
	changes, err := t.changedToFinOps(dualwrite.Prospects, prev, rec)
	if err != nil {
		return syncError("Prospects", err)
	}
	delete(changes, "ProspectId")
	if len(changes) == 0 {
		return nil
	}
	if err := t.checkSyncFail("Prospects"); err != nil {
		return err
	}
	row := store.Clone(pe.Rec())
	for k, v := range changes {
		row[k] = v
	}
	t.Put(pt, pkey, row)
	if s, ok := changes["B2BProspectStatus"]; ok && dualwrite.Equal(s, "Approved") {
		return t.approveProspect(row, id)
	}
	return nil
}

// Find finds a row by a field or column value (compared as dual-write
// compares values), in no particular order; "" and nil when none.
func Find(tb *store.Table, field string, v any) (string, *store.Entry) {
	for k, e := range tb.All() {
		if dualwrite.Equal(e.Get(field), v) {
			return k, e
		}
	}
	return "", nil
}

// customerChanged writes an account or contact that passes its map's filter
// to CustomersV3, allocating its customer account and party number.
func (t *tx) customerChanged(tb *store.Table, id string, prev, rec store.Record, m dualwrite.Map, numberCol, partyType string) error {
	if tb.Logical == "contact" && rec["msdyn_sellable"] == true && str(rec[numberCol]) == "" {
		var err error
		if rec, err = t.dvApply(tb, id, rec, map[string]any{numberCol: t.e.FinOps.NewCustomerAccount(t.Tx)}); err != nil {
			return err
		}
	}
	if !m.AppliesToDataverse(rec) {
		return nil
	}
	upd := map[string]any{}
	if str(rec[numberCol]) == "" {
		upd[numberCol] = t.e.FinOps.NewCustomerAccount(t.Tx)
	}
	if rec["_msdyn_partyid_value"] == nil {
		upd["msdyn_partyid.msdyn_partynumber"] = t.e.FinOps.NewPartyNumber(t.Tx)
	}
	if len(upd) > 0 {
		var err error
		if rec, err = t.dvApply(tb, id, rec, upd); err != nil {
			return err
		}
	}
	changes, err := t.changedToFinOps(m, prev, rec)
	if err != nil {
		return syncError("CustomersV3", err)
	}
	if len(changes) == 0 {
		return nil
	}
	if err := t.checkSyncFail("CustomersV3"); err != nil {
		return err
	}
	ct := t.Store().FinOps("customersv3")
	row := store.Record{"dataAreaId": t.company(rec), "PartyType": partyType}
	key, e := Find(ct, "CustomerAccount", rec[numberCol])
	if e != nil {
		row = store.Clone(e.Rec())
	}
	for k, v := range changes {
		row[k] = v
	}
	if key == "" {
		key = finops.Key(ct, row)
	}
	t.Put(ct, key, row)
	return nil
}

// afterCommerceWrite runs dual-write for a Commerce row just written by a
// client.
func (t *tx) afterCommerceWrite(tb *store.Table, prev, row store.Record) error {
	if row == nil {
		return t.afterCommerceDelete(tb, prev)
	}
	switch tb.Name {
	case "CustomerHiearchies":
		return t.mirrorWrite(dualwrite.CustomerHierarchies, prev, row)
	case "CustomerHierarchyNodes":
		return t.mirrorWrite(dualwrite.CustomerHierarchyNodes, prev, row)
	case "Prospects":
		if !dualwrite.Prospects.AppliesToFinOps(row) {
			return nil
		}
		leads := t.Store().Dataverse("lead")
		leadID, le := Find(leads, "msdyn_prospectid", row["ProspectId"])
		if le == nil {
			if prev != nil && dualwrite.Prospects.AppliesToFinOps(prev) {
				return nil // the lead is gone; nothing to update
			}
			var err error
			if leadID, err = t.createLead(row); err != nil {
				return err
			}
		} else {
			changes := map[string]any{}
			for _, f := range dualwrite.Prospects.Fields {
				if v, ok := row[f.FinOps]; ok && (prev == nil || !dualwrite.Equal(prev[f.FinOps], v)) {
					changes[f.FinOps] = v
				}
			}
			dv, err := dualwrite.Prospects.ToDataverse(changes)
			if err != nil {
				return syncError("leads", err)
			}
			splitFullName(dv)
			if len(dv) > 0 {
				if err := t.checkSyncFail("leads", "lead"); err != nil {
					return err
				}
				if _, err := t.dvApply(leads, leadID, le.Rec(), dv); err != nil {
					return syncError("leads", err)
				}
			}
		}
		if prev != nil && !dualwrite.Equal(prev["B2BProspectStatus"], "Approved") && dualwrite.Equal(row["B2BProspectStatus"], "Approved") {
			return t.approveProspect(row, leadID)
		}
	case "CustomersV3":
		m, col := dualwrite.CustomerAccounts, "accountnumber"
		if !m.AppliesToFinOps(row) {
			m, col = dualwrite.CustomerContacts, "msdyn_contactpersonid"
			if !m.AppliesToFinOps(row) {
				return nil
			}
		}
		_, err := t.customerToDataverse(m, col, row)
		return err
	}
	return nil
}

// customerToDataverse writes a CustomersV3 row to its account or contact,
// creating it when needed, and returns the record id.
func (t *tx) customerToDataverse(m dualwrite.Map, col string, row store.Record) (string, error) {
	tb := t.Store().Dataverse(m.DataverseTable)
	dv, err := m.ToDataverse(row)
	if err != nil {
		return "", syncError(tb.Name, err)
	}
	if err := t.checkSyncFail(tb.Name, tb.Logical); err != nil {
		return "", err
	}
	id, e := Find(tb, col, row["CustomerAccount"])
	var prev store.Record
	if e != nil {
		prev = e.Rec()
	} else {
		id = uuid.NewString()
		if m.DataverseTable == "account" {
			dv["customertypecode"] = 3
		} else {
			dv["msdyn_sellable"] = true
		}
	}
	if _, err := t.dvApply(tb, id, prev, dv); err != nil {
		return "", syncError(tb.Name, err)
	}
	return id, nil
}

// createLead writes a new B2B prospect as a lead with its timeline note.
func (t *tx) createLead(p store.Record) (string, error) {
	dv, err := dualwrite.Prospects.ToDataverse(p)
	if err != nil {
		return "", syncError("leads", err)
	}
	splitFullName(dv)
	if err := t.checkSyncFail("leads", "lead"); err != nil {
		return "", err
	}
	company := str(p["CompanyName"])
	if company == "" {
		company = str(p["ProspectName"])
	}
	dv["subject"] = "B2B onboarding request: " + company
	if dv["msdyn_b2bprospectstatus"] == nil {
		dv["msdyn_b2bprospectstatus"] = dualwrite.DataversePending
	}
	id := uuid.NewString()
	if _, err := t.dvApply(t.Store().Dataverse("lead"), id, nil, dv); err != nil {
		return "", syncError("leads", err)
	}
	note := map[string]any{
		"subject":                  "Created by dual-write",
		"notetext":                 fmt.Sprintf("This lead was created by dual-write from the Commerce B2B prospect %v (company %v). Approve it by qualifying the lead and winning the opportunity; reject it by disqualifying the lead.", p["ProspectId"], p["dataAreaId"]),
		"objectid_lead@odata.bind": dataverse.Bind("leads", id),
		"objecttypecode":           "lead",
	}
	if _, err := t.dvApply(t.Store().Dataverse("annotation"), uuid.NewString(), nil, note); err != nil {
		return "", syncError("annotations", err)
	}
	return id, nil
}

// approveProspect does what approving a B2B prospect does in Commerce: the
// Organization and Person customers (reusing those the qualified lead's
// account and contact became) and the B2B customer hierarchy with the
// requester as its Admin node, all mirrored to Dataverse.
func (t *tx) approveProspect(p store.Record, leadID string) error {
	ct := t.Store().FinOps("customersv3")
	var lead store.Record
	if e := t.Store().Dataverse("lead").Get(leadID); e != nil {
		lead = e.Rec()
	}
	customer := func(lookup, table, col string) *store.Entry {
		if lead == nil {
			return nil
		}
		id, _ := lead[lookup].(string)
		e := t.Store().Dataverse(table).Get(id)
		if id == "" || e == nil || e.Get(col) == nil {
			return nil
		}
		_, c := Find(ct, "CustomerAccount", e.Get(col))
		return c
	}
	org := customer("_parentaccountid_value", "account", "accountnumber")
	person := customer("_parentcontactid_value", "contact", "msdyn_contactpersonid")
	company := str(p["dataAreaId"])
	if company == "" {
		company = t.e.FinOps.Company
	}
	if err := t.checkSyncFail("CustomersV3"); err != nil {
		return err
	}
	newCustomer := func(m dualwrite.Map, col string, row store.Record) (*store.Entry, error) {
		row["dataAreaId"] = company
		row["CustomerAccount"] = t.e.FinOps.NewCustomerAccount(t.Tx)
		row["PartyNumber"] = t.e.FinOps.NewPartyNumber(t.Tx)
		row["CustomerGroupId"] = p["CustomerGroupId"]
		row["SalesCurrencyCode"] = p["CurrencyCode"]
		row["CreditLimit"] = 0
		e := t.Put(ct, finops.Key(ct, row), row)
		if _, err := t.customerToDataverse(m, col, row); err != nil {
			return nil, err
		}
		return e, nil
	}
	var err error
	if org == nil {
		org, err = newCustomer(dualwrite.CustomerAccounts, "accountnumber", store.Record{"PartyType": "Organization", "OrganizationName": p["CompanyName"], "PrimaryContactEmail": p["PrimaryEmailAddress"]})
		if err != nil {
			return err
		}
	}
	if person == nil {
		first, last := splitName(str(p["ProspectName"]))
		person, err = newCustomer(dualwrite.CustomerContacts, "msdyn_contactpersonid", store.Record{"PartyType": "Person", "PersonFirstName": first, "PersonLastName": last, "PrimaryContactEmail": p["PrimaryEmailAddress"]})
		if err != nil {
			return err
		}
	}
	if err := t.checkSyncFail("CustomerHiearchies"); err != nil {
		return err
	}
	ht, nt := t.Store().FinOps("customerhiearchies"), t.Store().FinOps("customerhierarchynodes")
	orgParty := org.Get("PartyNumber")
	_, h := Find(ht, "OrganizationPartyNumber", orgParty)
	var hrow store.Record
	if h != nil {
		hrow = h.Rec()
	} else {
		hrow = store.Record{"CustomerHierarchyId": fmt.Sprintf("CH-%06d", t.Next("hierarchy")), "Name": p["CompanyName"],
			"Purpose": "B2BOrganization", "OrganizationPartyNumber": orgParty, "SellerChannel": p["RetailChannelOperatingUnitPartyNumber"]}
		t.Put(ht, finops.Key(ht, hrow), hrow)
		if err := t.mirror(dualwrite.CustomerHierarchies, hrow); err != nil {
			return err
		}
	}
	node := store.Record{"CustomerHierarchyId": hrow["CustomerHierarchyId"], "NodePartyNumber": person.Get("PartyNumber"), "Role": "Admin", "NodeType": "Customer"}
	if nt.Get(finops.Key(nt, node)) == nil {
		t.Put(nt, finops.Key(nt, node), node)
		if err := t.mirror(dualwrite.CustomerHierarchyNodes, node); err != nil {
			return err
		}
	}
	return nil
}

// mirror creates the Dataverse record of a new Commerce row.
func (t *tx) mirror(m dualwrite.Map, row store.Record) error {
	tb := t.Store().EnsureDataverse(m.DataverseTable)
	if err := t.checkSyncFail(tb.Name, tb.Logical); err != nil {
		return err
	}
	dv, err := m.ToDataverse(row)
	if err != nil {
		return syncError(tb.Name, err)
	}
	if _, err := t.dvApply(tb, uuid.NewString(), nil, dv); err != nil {
		return syncError(tb.Name, err)
	}
	return nil
}

// Engine runs dual-write between the two services.
type Engine struct {
	// Dataverse and FinOps are the services whose record rules the engine
	// writes with.
	Dataverse *dataverse.Service
	FinOps    *finops.Service
	// Fail reports whether the next write to one of the named tables or
	// entities (lower case) is to fail, and consumes that failure; nil
	// fails nothing.
	Fail func(names ...string) bool
}

// AfterDataverseWrite runs dual-write for a Dataverse record a client
// just wrote (prev is nil for a new record).
func (e *Engine) AfterDataverseWrite(t *store.Tx, tb *store.Table, id string, prev, rec store.Record) error {
	return (&tx{Tx: t, e: e}).afterDataverseWrite(tb, id, prev, rec)
}

// AfterCommerceWrite runs dual-write for a Commerce row a client just
// wrote (prev is nil for a new row).
func (e *Engine) AfterCommerceWrite(t *store.Tx, tb *store.Table, prev, row store.Record) error {
	return (&tx{Tx: t, e: e}).afterCommerceWrite(tb, prev, row)
}

// tx is a transaction of the engine.
type tx struct {
	*store.Tx
	e *Engine
}

// dvApply writes a Dataverse record with its record rules.
func (t *tx) dvApply(tb *store.Table, id string, prev store.Record, body map[string]any) (store.Record, error) {
	return t.e.Dataverse.Apply(t.Tx, tb, id, prev, body)
}

// dotted returns the value behind a dotted lookup name for a record.
func (t *tx) dotted(rec store.Record, dotted string) any { return t.e.Dataverse.Dotted(rec, dotted) }

func str(v any) string { return store.Text(v) }

// splitFullName replaces the fullname the Prospects map writes (Dataverse
// composes a lead's fullname) with the firstname and lastname it is made of.
func splitFullName(dv map[string]any) {
	n, ok := dv["fullname"]
	if !ok {
		return
	}
	delete(dv, "fullname")
	first, last := splitName(str(n))
	dv["firstname"], dv["lastname"] = first, last
}

// splitName splits a person's name at its last space: the last word is the
// last name. An empty part is nil.
func splitName(full string) (first, last any) {
	full = strings.TrimSpace(full)
	if i := strings.LastIndex(full, " "); i >= 0 {
		first, full = strings.TrimSpace(full[:i]), full[i+1:]
	}
	if full != "" {
		last = full
	}
	if first == "" {
		first = nil
	}
	return first, last
}
