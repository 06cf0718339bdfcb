package finops

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds the handlers of the entities: create, read, update,
// delete and queries, and what Finance and Operations fills on create.

const (
	maxPageSize = 10000
	noDate      = "1900-01-01T00:00:00Z"
)

// enums lists the enum fields the emulator checks, with their members.
var enums = map[string][]string{
	"IsB2BProspect":     {"No", "Yes"},
	"B2BProspectStatus": {"Pending", "Approved", "Rejected", "Unknown"},
	"PartyType":         {"None", "Person", "Organization"},
	"Purpose":           {"B2BOrganization"},
	"Role":              {"Admin", "User"},
	"NodeType":          {"Customer"},
}

// Key is the map key of a Commerce row: its key fields, lower-cased.
func Key(tb *store.Table, row store.Record) string {
	parts := make([]string, len(tb.Keys))
	for i, k := range tb.Keys {
		parts[i] = strings.ToLower(str(row[k]))
	}
	return strings.Join(parts, "|")
}

func etag(e *store.Entry) string {
	return `W/"` + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("'1,%d;1,%d'", 5637144575+e.Seq, 5637144575+e.Version))) + `"`
}

func (s *Service) out(e *store.Entry, sel []string) map[string]any {
	out := map[string]any{"@odata.etag": etag(e)}
	if len(sel) == 0 {
		for k, v := range e.Rec {
			out[k] = v
		}
		return out
	}
	for _, c := range sel {
		out[c] = e.Rec[c]
	}
	return out
}

// lookup finds the row of a key predicate, answering 400 or 404 when
// there is none.
func (s *Service) lookup(d *request, tb *store.Table, key string, cross bool) (string, *store.Entry, bool) {
	vals, err := dataverse.ParseKeyValues(key)
	if err != nil {
		d.writeError(http.StatusBadRequest, err.Error())
		return "", nil, false
	}
	row := store.Record{}
	if v, ok := vals[""]; ok && len(tb.Keys) == 1 {
		row[tb.Keys[0]] = v
	} else {
		for _, k := range tb.Keys {
			v, ok := vals[k]
			if !ok && k == "dataAreaId" {
				v, ok = s.Company, true
			}
			if !ok {
				d.writeError(http.StatusBadRequest, fmt.Sprintf("The key of %s needs the field %s.", tb.Name, k))
				return "", nil, false
			}
			row[k] = v
		}
	}
	k := Key(tb, row)
	e := tb.Get(k)
	if e == nil || (tb.Company && !cross && !strings.EqualFold(str(e.Rec["dataAreaId"]), s.Company) && vals["dataAreaId"] == nil) {
		d.writeError(http.StatusNotFound, fmt.Sprintf("No %s record with key (%s) was found.", tb.Name, key))
		return "", nil, false
	}
	return k, e, true
}

func (s *Service) serviceDocument(d *request) {
	var sets []any
	for _, t := range s.Store.FinOpsTables() {
		sets = append(sets, map[string]any{"name": t.Name, "kind": "EntitySet", "url": t.Name})
	}
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{"@odata.context": d.base + "$metadata", "value": sets})
}

func (s *Service) get(d *request, tb *store.Table, e *store.Entry) {
	out := s.out(e, wire.SelectList(d.r.URL.Query().Get("$select")))
	out["@odata.context"] = d.base + "$metadata#" + tb.Name + "/$entity"
	wire.WriteJSON(d.w, http.StatusOK, out)
}

func (s *Service) update(d *request, tb *store.Table, k string, e *store.Entry) {
	if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etag(e) {
		d.writeError(http.StatusPreconditionFailed, "The record has been changed by another user since it was read (the ETag does not match).")
		return
	}
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.writeError(http.StatusBadRequest, err.Error())
		return
	}
	next := store.Clone(e.Rec)
	for f, v := range body {
		if strings.Contains(f, "@") {
			continue
		}
		next[f] = v
	}
	for _, kf := range tb.Keys { // keys cannot change
		next[kf] = e.Rec[kf]
	}
	s.commit(d, tb, k, e.Rec, next, func() { wire.NoContent(d.w) })
}

func (s *Service) remove(d *request, tb *store.Table, k string) {
	t := s.Store.Begin()
	t.Delete(tb, k)
	wire.NoContent(d.w)
}

// commit validates and stores a row and runs dual-write, answering with
// done on success.
func (s *Service) commit(d *request, tb *store.Table, key string, prev, row store.Record, done func()) {
	for f, members := range enums {
		v, ok := row[f]
		if !ok || v == nil {
			continue
		}
		valid := false
		for _, m := range members {
			valid = valid || v == m
		}
		if !valid {
			d.writeError(http.StatusBadRequest, fmt.Sprintf("An error has occurred: the value '%v' is not valid for the enum field %s (valid: %s).", v, f, strings.Join(members, ", ")))
			return
		}
	}
	t := s.Store.Begin()
	t.Put(tb, key, row)
	if err := s.sync(t, tb, prev, row); err != nil {
		t.Rollback()
		status, msg := http.StatusInternalServerError, err.Error()
		if ae, ok := err.(*wire.Error); ok {
			status = ae.Status
		}
		d.writeError(status, msg)
		return
	}
	done()
}

func (s *Service) create(d *request, tb *store.Table) {
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.writeError(http.StatusBadRequest, err.Error())
		return
	}
	row := store.Record{}
	for f, v := range body {
		if !strings.Contains(f, "@") {
			row[f] = v
		}
	}
	t := s.Store.Begin()
	s.Defaults(t, tb, row)
	key := Key(tb, row)
	if tb.Get(key) != nil {
		d.writeError(http.StatusBadRequest, fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Error: The record already exists.", tb.Name))
		return
	}
	s.commit(d, tb, key, nil, row, func() {
		e := tb.Get(key)
		out := s.out(e, nil)
		out["@odata.context"] = d.base + "$metadata#" + tb.Name + "/$entity"
		d.w.Header().Set("Location", d.base+tb.Name+"("+keyLiteral(tb, row)+")")
		wire.WriteJSON(d.w, http.StatusCreated, out)
	})
}

// Defaults fills what Finance and Operations fills on create: the
// company, allocated numbers and enum defaults.
func (s *Service) Defaults(t *store.Tx, tb *store.Table, row store.Record) {
	if tb.Company && str(row["dataAreaId"]) == "" {
		row["dataAreaId"] = s.Company
	}
	switch tb.Name {
	case "Prospects":
		if str(row["ProspectId"]) == "" {
			row["ProspectId"] = fmt.Sprintf("P-%06d", t.Next("prospect"))
		}
		if row["IsB2BProspect"] == nil {
			row["IsB2BProspect"] = "No"
		}
		if row["IsB2BProspect"] == "Yes" && row["B2BProspectStatus"] == nil {
			row["B2BProspectStatus"] = "Pending"
		}
		if str(row["ProspectPartyNumber"]) == "" {
			row["ProspectPartyNumber"] = s.NewPartyNumber(t)
		}
		if row["ProspectName"] == nil {
			row["ProspectName"] = strings.TrimSpace(str(row["PersonFirstName"]) + " " + str(row["PersonLastName"]))
		}
		if row["FollowUpDate"] == nil {
			row["FollowUpDate"] = noDate
		}
	case "CustomersV3":
		if str(row["CustomerAccount"]) == "" {
			row["CustomerAccount"] = s.NewCustomerAccount(t)
		}
		if str(row["PartyNumber"]) == "" {
			row["PartyNumber"] = s.NewPartyNumber(t)
		}
	case "CustomerHiearchies":
		if str(row["CustomerHierarchyId"]) == "" {
			row["CustomerHierarchyId"] = fmt.Sprintf("CH-%06d", t.Next("hierarchy"))
		}
	}
}

func keyLiteral(tb *store.Table, row store.Record) string {
	parts := make([]string, len(tb.Keys))
	for i, k := range tb.Keys {
		parts[i] = k + "='" + strings.ReplaceAll(str(row[k]), "'", "''") + "'"
	}
	return strings.Join(parts, ",")
}

func (s *Service) list(d *request, tb *store.Table, cross bool) {
	q := d.r.URL.Query()
	var rows []*store.Entry
	for _, e := range tb.Sorted() {
		if !tb.Company || cross || strings.EqualFold(str(e.Rec["dataAreaId"]), s.Company) {
			rows = append(rows, e)
		}
	}
	rows, err := dataverse.FilterRows(rows, q.Get("$filter"))
	if err != nil {
		d.writeError(http.StatusBadRequest, "The query specified in the URI is not valid. "+err.Error())
		return
	}
	dataverse.OrderRows(rows, q.Get("$orderby"))
	total := len(rows)
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top >= 0 && top < len(rows) {
		rows = rows[:top]
	}
	skip, _ := strconv.Atoi(q.Get("$skip"))
	skip = min(max(skip, 0), len(rows))
	pageSize := maxPageSize
	if n, ok := wire.MaxPageSize(strings.Join(d.r.Header.Values("Prefer"), ",")); ok {
		if n > 0 && n < maxPageSize {
			pageSize = n
		}
		d.w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	end := min(skip+pageSize, len(rows))
	sel := wire.SelectList(q.Get("$select"))
	value := make([]any, 0, end-skip)
	for _, e := range rows[skip:end] {
		value = append(value, s.out(e, sel))
	}
	out := map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + wire.SelectContext(sel), "value": value}
	if q.Get("$count") == "true" {
		out["@odata.count"] = total
	}
	if end < len(rows) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("$skip", strconv.Itoa(end))
		out["@odata.nextLink"] = d.base + tb.Name + "?" + wire.EncodeQuery(nq)
	}
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// NewCustomerAccount allocates a customer account number of the company,
// such as "US-001".
func (s *Service) NewCustomerAccount(t *store.Tx) string {
	return fmt.Sprintf("%s-%03d", strings.ToUpper(s.Company[:min(2, len(s.Company))]), t.Next("customer"))
}

// NewPartyNumber allocates a party number, such as "000001001".
func (s *Service) NewPartyNumber(t *store.Tx) string {
	return fmt.Sprintf("%09d", 1000+t.Next("party"))
}
