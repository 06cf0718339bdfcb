package dualwritetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// This file holds the Commerce headquarters (Finance and Operations) OData
// service at /data/.

const (
	foMaxPageSize = 10000
	noDate        = "1900-01-01T00:00:00Z"
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

func (s *Server) foError(w http.ResponseWriter, _ *http.Request, status int, _ string, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": "", "message": msg,
		"innererror": map[string]any{"message": msg, "type": "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataException", "stacktrace": ""},
	}})
}

// foKey is the map key of a Commerce row: its key fields, lower-cased.
func foKey(tb *table, row record) string {
	parts := make([]string, len(tb.Keys))
	for i, k := range tb.Keys {
		parts[i] = strings.ToLower(str(row[k]))
	}
	return strings.Join(parts, "|")
}

func foETag(e *entry) string {
	return `W/"` + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("'1,%d;1,%d'", 5637144575+e.Seq, 5637144575+e.Version))) + `"`
}

func (s *Server) foOut(e *entry, sel []string) map[string]any {
	out := map[string]any{"@odata.etag": foETag(e)}
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

var foPathRE = regexp.MustCompile(`^/data/?(.*)$`)

func (s *Server) handleCommerce(w http.ResponseWriter, r *http.Request) {
	m := foPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.foError(w, r, http.StatusNotFound, "", "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
		return
	}
	base := s.CommerceURL + "/data/"
	if m[1] == "" {
		var sets []any
		for _, t := range s.store.FinOpsTables() {
			sets = append(sets, map[string]any{"name": t.Name, "kind": "EntitySet", "url": t.Name})
		}
		writeJSON(w, http.StatusOK, map[string]any{"@odata.context": base + "$metadata", "value": sets})
		return
	}
	seg, key, tail := splitSegment(m[1])
	tb := s.store.FinOps(seg)
	if tb == nil || tb.Name != seg || tail != "" {
		s.foError(w, r, http.StatusNotFound, "", fmt.Sprintf("Resource not found for the segment '%s'.", seg))
		return
	}
	cross := strings.EqualFold(r.URL.Query().Get("cross-company"), "true")
	if key == "" {
		switch r.Method {
		case http.MethodGet:
			s.foList(w, r, tb, base, cross)
		case http.MethodPost:
			s.foCreate(w, r, tb, base)
		default:
			s.foError(w, r, http.StatusMethodNotAllowed, "", "The requested resource does not support http method '"+r.Method+"'.")
		}
		return
	}
	vals, err := parseKeyValues(key)
	if err != nil {
		s.foError(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	row := record{}
	if v, ok := vals[""]; ok && len(tb.Keys) == 1 {
		row[tb.Keys[0]] = v
	} else {
		for _, k := range tb.Keys {
			v, ok := vals[k]
			if !ok && k == "dataAreaId" {
				v, ok = s.company, true
			}
			if !ok {
				s.foError(w, r, http.StatusBadRequest, "", fmt.Sprintf("The key of %s needs the field %s.", tb.Name, k))
				return
			}
			row[k] = v
		}
	}
	k := foKey(tb, row)
	e := tb.Get(k)
	if e == nil || (tb.Company && !cross && !strings.EqualFold(str(e.Rec["dataAreaId"]), s.company) && vals["dataAreaId"] == nil) {
		s.foError(w, r, http.StatusNotFound, "", fmt.Sprintf("No %s record with key (%s) was found.", tb.Name, key))
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := s.foOut(e, selectList(r.URL.Query().Get("$select")))
		out["@odata.context"] = base + "$metadata#" + tb.Name + "/$entity"
		writeJSON(w, http.StatusOK, out)
	case http.MethodPatch:
		if im := r.Header.Get("If-Match"); im != "" && im != "*" && im != foETag(e) {
			s.foError(w, r, http.StatusPreconditionFailed, "", "The record has been changed by another user since it was read (the ETag does not match).")
			return
		}
		body, err := readBody(r)
		if err != nil {
			s.foError(w, r, http.StatusBadRequest, "", err.Error())
			return
		}
		next := cloneRecord(e.Rec)
		for f, v := range body {
			if strings.Contains(f, "@") {
				continue
			}
			next[f] = v
		}
		for _, kf := range tb.Keys { // keys cannot change
			next[kf] = e.Rec[kf]
		}
		s.foCommit(w, r, tb, k, e.Rec, next, func() { noContent(w) })
	case http.MethodDelete:
		t := s.begin()
		t.Delete(tb, k)
		noContent(w)
	default:
		s.foError(w, r, http.StatusMethodNotAllowed, "", "The requested resource does not support http method '"+r.Method+"'.")
	}
}

// foCommit validates and stores a row and runs dual-write, answering with
// done on success.
func (s *Server) foCommit(w http.ResponseWriter, r *http.Request, tb *table, key string, prev, row record, done func()) {
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
			s.foError(w, r, http.StatusBadRequest, "", fmt.Sprintf("An error has occurred: the value '%v' is not valid for the enum field %s (valid: %s).", v, f, strings.Join(members, ", ")))
			return
		}
	}
	t := s.begin()
	t.Put(tb, key, row)
	if err := t.afterCommerceWrite(tb, prev, row); err != nil {
		t.Rollback()
		status, msg := http.StatusInternalServerError, err.Error()
		if ae, ok := err.(*apiError); ok {
			status = ae.status
		}
		s.foError(w, r, status, "", msg)
		return
	}
	done()
}

func (s *Server) foCreate(w http.ResponseWriter, r *http.Request, tb *table, base string) {
	body, err := readBody(r)
	if err != nil {
		s.foError(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	row := record{}
	for f, v := range body {
		if !strings.Contains(f, "@") {
			row[f] = v
		}
	}
	t := s.begin()
	s.foDefaults(t, tb, row)
	key := foKey(tb, row)
	if tb.Get(key) != nil {
		s.foError(w, r, http.StatusBadRequest, "", fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Error: The record already exists.", tb.Name))
		return
	}
	s.foCommit(w, r, tb, key, nil, row, func() {
		e := tb.Get(key)
		out := s.foOut(e, nil)
		out["@odata.context"] = base + "$metadata#" + tb.Name + "/$entity"
		w.Header().Set("Location", base+tb.Name+"("+foKeyLiteral(tb, row)+")")
		writeJSON(w, http.StatusCreated, out)
	})
}

// foDefaults fills what Finance and Operations fills on create: the
// company, allocated numbers and enum defaults.
func (s *Server) foDefaults(t *tx, tb *table, row record) {
	if tb.Company && str(row["dataAreaId"]) == "" {
		row["dataAreaId"] = s.company
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
			row["ProspectPartyNumber"] = t.newPartyNumber()
		}
		if row["ProspectName"] == nil {
			row["ProspectName"] = strings.TrimSpace(str(row["PersonFirstName"]) + " " + str(row["PersonLastName"]))
		}
		if row["FollowUpDate"] == nil {
			row["FollowUpDate"] = noDate
		}
	case "CustomersV3":
		if str(row["CustomerAccount"]) == "" {
			row["CustomerAccount"] = t.newCustomerAccount()
		}
		if str(row["PartyNumber"]) == "" {
			row["PartyNumber"] = t.newPartyNumber()
		}
	case "CustomerHiearchies":
		if str(row["CustomerHierarchyId"]) == "" {
			row["CustomerHierarchyId"] = fmt.Sprintf("CH-%06d", t.Next("hierarchy"))
		}
	}
}

func foKeyLiteral(tb *table, row record) string {
	parts := make([]string, len(tb.Keys))
	for i, k := range tb.Keys {
		parts[i] = k + "='" + strings.ReplaceAll(str(row[k]), "'", "''") + "'"
	}
	return strings.Join(parts, ",")
}

func (s *Server) foList(w http.ResponseWriter, r *http.Request, tb *table, base string, cross bool) {
	q := r.URL.Query()
	var rows []*entry
	for _, e := range tb.Sorted() {
		if !tb.Company || cross || strings.EqualFold(str(e.Rec["dataAreaId"]), s.company) {
			rows = append(rows, e)
		}
	}
	rows, err := filterRows(rows, q.Get("$filter"))
	if err != nil {
		s.foError(w, r, http.StatusBadRequest, "", "The query specified in the URI is not valid. "+err.Error())
		return
	}
	orderRows(rows, q.Get("$orderby"))
	total := len(rows)
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top >= 0 && top < len(rows) {
		rows = rows[:top]
	}
	skip, _ := strconv.Atoi(q.Get("$skip"))
	skip = min(max(skip, 0), len(rows))
	pageSize := foMaxPageSize
	if m := maxPageRE.FindStringSubmatch(strings.Join(r.Header.Values("Prefer"), ",")); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > 0 && n < foMaxPageSize {
			pageSize = n
		}
		w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	end := min(skip+pageSize, len(rows))
	sel := selectList(q.Get("$select"))
	value := make([]any, 0, end-skip)
	for _, e := range rows[skip:end] {
		value = append(value, s.foOut(e, sel))
	}
	out := map[string]any{"@odata.context": base + "$metadata#" + tb.Name + selectContext(sel), "value": value}
	if q.Get("$count") == "true" {
		out["@odata.count"] = total
	}
	if end < len(rows) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("$skip", strconv.Itoa(end))
		out["@odata.nextLink"] = base + tb.Name + "?" + encodeQuery(nq)
	}
	writeJSON(w, http.StatusOK, out)
}
