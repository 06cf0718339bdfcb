package dualwritetest

import (
	"fmt"
	"net/http"
	"strings"

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
// CreateMultiple or UpdateMultiple (more: 400, nothing written); the
// limits count such a request as one, whatever its size. The cap is the
// same as a $batch's; whether Dataverse enforces exactly this number for
// bulk messages is not verified here.
const MaxBulkTargets = 1000

// dvBulk answers CreateMultiple and UpdateMultiple on tb; it reports false
// when tail names neither.
func (s *Server) dvBulk(d *dvReq, tb *table, tail string) bool {
	switch strings.TrimPrefix(tail, "Microsoft.Dynamics.CRM.") {
	case "CreateMultiple":
		s.dvMultiple(d, tb, true)
	case "UpdateMultiple":
		s.dvMultiple(d, tb, false)
	default:
		return false
	}
	return true
}

func (s *Server) dvMultiple(d *dvReq, tb *table, create bool) {
	action := "UpdateMultiple"
	if create {
		action = "CreateMultiple"
	}
	body, err := readBody(d.r)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
		return
	}
	raw, ok := body["Targets"].([]any)
	if !ok {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("The %s request must have a Targets collection of Microsoft.Dynamics.CRM.%s records.", action, tb.Logical))
		return
	}
	if len(raw) == 0 {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("The Targets collection of the %s request is empty.", action))
		return
	}
	if len(raw) > MaxBulkTargets {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("The Targets collection of the %s request holds %d records: the emulator accepts at most %d.", action, len(raw), MaxBulkTargets))
		return
	}
	want := "Microsoft.Dynamics.CRM." + tb.Logical
	targets := make([]map[string]any, len(raw))
	ids := make([]string, len(raw))
	for i, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Target %d of the %s request is not a record.", i, action))
			return
		}
		typ, has := m["@odata.type"]
		ts, _ := typ.(string)
		// UpdateMultiple targets may leave @odata.type out (the table is
		// known from the URL); CreateMultiple ones must have it.
		if (has || create) && strings.TrimPrefix(ts, "#") != want {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Target %d of the %s request must have \"@odata.type\":\"%s\", not %q.", i, action, want, ts))
			return
		}
		targets[i] = m
		if v, ok := m[tb.Key]; ok {
			kv, _ := v.(string)
			u, err := uuid.Parse(kv)
			if err != nil {
				s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v))
				return
			}
			ids[i] = u.String()
		} else if create {
			ids[i] = uuid.NewString()
		} else {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x80040203", fmt.Sprintf("Target %d of the UpdateMultiple request has no %s: each target must carry its primary key.", i, tb.Key))
			return
		}
	}
	t := s.begin()
	for i, m := range targets {
		id := ids[i]
		var prev record
		if e := tb.Get(id); create && e != nil {
			err = &apiError{http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists."}
		} else if !create && e == nil {
			err = &apiError{http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", tb.Logical, id)}
		} else if e != nil {
			prev = e.Rec
		}
		if err == nil {
			err = t.dvWriteSynced(tb, id, prev, m)
		}
		if err != nil {
			t.Rollback()
			s.dvFail(d, err)
			return
		}
	}
	if !create {
		noContent(d.w)
		return
	}
	writeJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse",
		"Ids":            ids,
	})
}
