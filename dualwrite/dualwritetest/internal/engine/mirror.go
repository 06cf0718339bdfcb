package engine

import (
	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// This file holds the live sync of the Commerce rows a client writes
// directly to the customer hierarchy entities (adding, changing and
// removing B2B users), and the company of the customers that qualifying a
// lead creates.

// mirrorWrite writes a customer hierarchy or node a client created or
// changed to its Dataverse record through map m, creating the record when
// it has none yet.
func (t *tx) mirrorWrite(m dualwrite.Map, prev, row store.Record) error {
	tb := t.Store().EnsureDataverse(m.DataverseTable)
	id, e := t.mirrorOf(m, tb, row)
	if e == nil {
		return t.mirror(m, row)
	}
	changes := map[string]any{}
	for _, f := range m.Fields {
		if v, ok := row[f.FinOps]; ok && f.FinOps != "" && (prev == nil || !dualwrite.Equal(prev[f.FinOps], v)) {
			changes[f.FinOps] = v
		}
	}
	dv, err := m.ToDataverse(changes)
	if err != nil {
		return syncError(tb.Name, err)
	}
	if len(dv) == 0 {
		return nil
	}
	if err := t.checkSyncFail(tb.Name, tb.Logical); err != nil {
		return err
	}
	if _, err := t.dvApply(tb, id, e.Rec(), dv); err != nil {
		return syncError(tb.Name, err)
	}
	return nil
}

// afterCommerceDelete runs live sync for a Commerce row a client deleted:
// a removed hierarchy node (or hierarchy) deletes its Dataverse record.
// Deleting other rows is not synced by the emulator.
func (t *tx) afterCommerceDelete(tb *store.Table, prev store.Record) error {
	var m dualwrite.Map
	switch tb.Name {
	case "CustomerHiearchies":
		m = dualwrite.CustomerHierarchies
	case "CustomerHierarchyNodes":
		m = dualwrite.CustomerHierarchyNodes
	default:
		return nil
	}
	dt := t.Store().EnsureDataverse(m.DataverseTable)
	id, e := t.mirrorOf(m, dt, prev)
	if e == nil {
		return nil
	}
	if err := t.checkSyncFail(dt.Name, dt.Logical); err != nil {
		return err
	}
	t.Delete(dt, id)
	return nil
}

// mirrorOf finds the Dataverse record of a Commerce row of map m: the
// record whose columns of the row's key fields hold the row's values.
func (t *tx) mirrorOf(m dualwrite.Map, tb *store.Table, row store.Record) (string, *store.Entry) {
	keys := map[string]bool{}
	for _, k := range t.Store().FinOps(m.FinOpsEntity).Keys {
		keys[k] = true
	}
	for id, e := range tb.All() {
		match := true
		for _, f := range m.Fields {
			if !keys[f.FinOps] {
				continue
			}
			v := e.Get(f.Dataverse)
			if f.IsLookup() {
				v = t.dotted(e.Rec(), f.Dataverse)
			}
			if !dualwrite.Equal(v, row[f.FinOps]) {
				match = false
				break
			}
		}
		if match {
			return id, e
		}
	}
	return "", nil
}

// company returns the company (dataAreaId) of the customer an account or
// contact becomes: that of the B2B prospect behind the lead the record was
// qualified from, else the default company. Real dual-write stripes such
// records by company through a company lookup (cdm_company) that the
// emulator's Dataverse tables do not have; the emulator carries the
// company along the lead instead.
func (t *tx) company(rec store.Record) string {
	if id, ok := rec["_originatingleadid_value"].(string); ok {
		if le := t.Store().Dataverse("lead").Get(id); le != nil {
			if pid := str(le.Get("msdyn_prospectid")); pid != "" {
				if _, pe := Find(t.Store().FinOps("prospects"), "ProspectId", pid); pe != nil && str(pe.Get("dataAreaId")) != "" {
					return str(pe.Get("dataAreaId"))
				}
			}
		}
	}
	return t.e.FinOps.Company
}
