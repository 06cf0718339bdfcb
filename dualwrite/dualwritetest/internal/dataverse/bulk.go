package dataverse

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
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
//	POST <root><set>/Microsoft.Dynamics.CRM.UpsertMultiple  {"Targets":[...]}  → 204
//
// An UpsertMultiple target names its record with "@odata.id" (a relative
// URL such as "accounts(accountnumber='A-1')", by id or alternate key) or
// with its primary key column; a target naming none is created.
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
	case "UpsertMultiple":
		s.upsertMultiple(d, tb)
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
			prev = e.Rec()
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

// upsertMultiple answers UpsertMultiple on tb: every target is created or
// updated in one transaction, and the answer is 204, as documented.
func (s *Service) upsertMultiple(d *request, tb *table) {
	const action = "UpsertMultiple"
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	raw, ok := body["Targets"].([]any)
	switch {
	case !ok:
		d.badBody(fmt.Sprintf("The %s request must have a Targets collection of Microsoft.Dynamics.CRM.%s records.", action, tb.Logical))
		return
	case len(raw) == 0:
		d.badBody(fmt.Sprintf("The Targets collection of the %s request is empty.", action))
		return
	case len(raw) > MaxBulkTargets:
		d.badBody(fmt.Sprintf("The Targets collection of the %s request holds %d records: the emulator accepts at most %d.", action, len(raw), MaxBulkTargets))
		return
	}
	want := "Microsoft.Dynamics.CRM." + tb.Logical
	type target struct {
		id     string
		exists bool
		body   map[string]any
	}
	targets := make([]target, len(raw))
	seen := map[string]int{}
	for i, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			d.badBody(fmt.Sprintf("Target %d of the %s request is not a record.", i, action))
			return
		}
		if ts, _ := m["@odata.type"].(string); strings.TrimPrefix(ts, "#") != want {
			d.badBody(fmt.Sprintf("Target %d of the %s request must have \"@odata.type\":\"%s\", not %q.", i, action, want, ts))
			return
		}
		m = maps.Clone(m)
		var id, key string
		found := false
		if ref, has := m["@odata.id"]; has {
			delete(m, "@odata.id")
			rs, _ := ref.(string)
			rs = strings.TrimPrefix(rs, d.base)
			if u, err := url.PathUnescape(rs); err == nil {
				rs = u
			}
			seg, k, tail := wire.SplitSegment(rs)
			if seg != tb.Name || k == "" || tail != "" {
				d.badBody(fmt.Sprintf("The @odata.id %q of target %d of the %s request does not name a record of %s.", ref, i, action, tb.Name))
				return
			}
			if id, found, err = s.resolveKey(tb, k); err != nil {
				d.keyError(err)
				return
			}
			key = k
		} else if v, has := m[tb.Key]; has {
			u, err := uuid.Parse(fmt.Sprint(v))
			if err != nil {
				d.badBody(fmt.Sprintf("Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v))
				return
			}
			id = u.String()
			found = tb.Get(id) != nil
		}
		checked := m
		op := schema.Create
		if found {
			op, checked = schema.Update, maps.Clone(m)
			delete(checked, tb.Key)
		}
		if !s.checkWrite(d, tb, op, checked) || !s.checkStateChange(d, tb, checked) {
			return
		}
		if !found {
			if id == "" {
				id = uuid.NewString()
			}
			if key != "" { // created through an alternate key: the key columns come along
				if vals, err := parseKeyValues(key); err == nil {
					if _, lone := vals[""]; !lone {
						for k, v := range vals {
							m[k] = v
						}
					}
				}
			}
		}
		if j, dup := seen[id]; dup && id != "" {
			d.badBody(fmt.Sprintf("Targets %d and %d of the %s request name the same record.", j, i, action))
			return
		}
		seen[id] = i
		targets[i] = target{id: id, exists: found, body: m}
	}
	t := s.Store.Begin()
	for _, tg := range targets {
		var prev record
		if e := tb.Get(tg.id); e != nil {
			prev = e.Rec()
		}
		if err := s.writeSynced(t, tb, tg.id, prev, tg.body); err != nil {
			t.Rollback()
			d.fail(err)
			return
		}
	}
	wire.NoContent(d.w)
}
