package dataverse

import (
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// This file holds the bulk messages CreateMultiple and UpdateMultiple,
// bound to a table's entity set:
//
//	POST <root><set>/Microsoft.Dynamics.CRM.CreateMultiple  {"Targets":[...]}  → 200 {"Ids":[...]}
//	POST <root><set>/Microsoft.Dynamics.CRM.UpdateMultiple  {"Targets":[...]}  → 204
//
// All the targets are written in one transaction with their dual-write
// side effects: the first failure undoes them all and is answered.
//
// Service protection limits and faults count a bulk request as ONE
// request, as they do a $batch (see MaxBatchRequests). In Dataverse too a
// bulk message is one request for the number-of-requests limit, but the
// time spent writing all its targets counts against the combined execution
// time limit, which the emulator does not model.

// MaxBulkTargets is the most targets the emulator accepts in one
// CreateMultiple or UpdateMultiple (dualwritetest.MaxBulkTargets).
const MaxBulkTargets = 1000

// bulk answers CreateMultiple and UpdateMultiple on tb; it reports false
// when tail names neither.
func (s *Service) bulk(d *request, tb *table, tail string) bool {
	switch strings.TrimPrefix(tail, "Microsoft.Dynamics.CRM.") {
	case "CreateMultiple":
		s.multiple(d, tb, true)
	case "UpdateMultiple":
		s.multiple(d, tb, false)
	default:
		return false
	}
	return true
}

func (s *Service) multiple(d *request, tb *table, create bool) {
	action := "UpdateMultiple"
	if create {
		action = "CreateMultiple"
	}
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	raw, ok := body["Targets"].([]any)
	if !ok {
		d.badBody(fmt.Sprintf("The %s request must have a Targets collection of Microsoft.Dynamics.CRM.%s records.", action, tb.Logical))
		return
	}
	if len(raw) == 0 {
		d.badBody(fmt.Sprintf("The Targets collection of the %s request is empty.", action))
		return
	}
	if len(raw) > MaxBulkTargets {
		d.badBody(fmt.Sprintf("The Targets collection of the %s request holds %d records: the emulator accepts at most %d.", action, len(raw), MaxBulkTargets))
		return
	}
	want := "Microsoft.Dynamics.CRM." + tb.Logical
	targets := make([]map[string]any, len(raw))
	ids := make([]string, len(raw))
	for i, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			d.badBody(fmt.Sprintf("Target %d of the %s request is not a record.", i, action))
			return
		}
		typ, has := m["@odata.type"]
		ts, _ := typ.(string)
		// UpdateMultiple targets may leave @odata.type out (the table is
		// known from the URL); CreateMultiple ones must have it.
		if (has || create) && strings.TrimPrefix(ts, "#") != want {
			d.badBody(fmt.Sprintf("Target %d of the %s request must have \"@odata.type\":\"%s\", not %q.", i, action, want, ts))
			return
		}
		targets[i] = m
		op, checked := schema.Create, m
		if !create { // the primary key names the record; it is not written
			op, checked = schema.Update, maps.Clone(m)
			delete(checked, tb.Key)
		}
		if !s.checkWrite(d, tb, op, checked) || !s.checkStateChange(d, tb, checked) {
			return
		}
		if v, ok := m[tb.Key]; ok {
			kv, _ := v.(string)
			u, err := uuid.Parse(kv)
			if err != nil {
				d.badBody(fmt.Sprintf("Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v))
				return
			}
			ids[i] = u.String()
		} else if create {
			ids[i] = uuid.NewString()
		} else {
			d.writeError(http.StatusBadRequest, "0x80040203", fmt.Sprintf("Target %d of the UpdateMultiple request has no %s: each target must carry its primary key.", i, tb.Key))
			return
		}
	}
	t := s.Store.Begin()
	for i, m := range targets {
		id := ids[i]
		var prev record
		if e := tb.Get(id); create && e != nil {
			err = wire.Errorf(http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
		} else if !create && e == nil {
			err = wire.Errorf(http.StatusNotFound, "0x80040217", "%s With Id = %s Does Not Exist", tb.Logical, id)
		} else if e != nil {
			prev = e.Rec
		}
		if err == nil {
			err = s.writeSynced(t, tb, id, prev, m)
		}
		if err != nil {
			t.Rollback()
			d.fail(err)
			return
		}
	}
	if !create {
		wire.NoContent(d.w)
		return
	}
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse",
		"Ids":            ids,
	})
}
