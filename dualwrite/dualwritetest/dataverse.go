package dualwritetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// This file holds the Dataverse Web API: routing, errors, and create, read,
// update, delete of records.

var apiPathRE = regexp.MustCompile(`^/api/data/(v9\.[0-9])/?(.*)$`)

// dvReq is a parsed Dataverse request.
type dvReq struct {
	w      http.ResponseWriter
	r      *http.Request
	base   string // service root, ending in "/"
	prefer string
}

func (d *dvReq) annotations() bool {
	return strings.Contains(d.prefer, "odata.include-annotations")
}

func (s *Server) handleDataverse(w http.ResponseWriter, r *http.Request) {
	m := apiPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.dvError(w, r, http.StatusNotFound, "0x8006088a", fmt.Sprintf("Resource not found for the segment '%s'.", strings.Trim(r.URL.Path, "/")))
		return
	}
	d := &dvReq{w: w, r: r, base: s.SalesURL + "/api/data/" + m[1] + "/", prefer: strings.Join(r.Header.Values("Prefer"), ",")}
	if d.annotations() {
		w.Header().Add("Preference-Applied", `odata.include-annotations="*"`)
	}
	rest := m[2]
	switch strings.TrimPrefix(strings.TrimSuffix(rest, "()"), "Microsoft.Dynamics.CRM.") {
	case "":
		s.dvServiceDocument(d)
		return
	case "WhoAmI":
		s.dvWhoAmI(d)
		return
	case "WinOpportunity":
		s.dvCloseOpportunity(d, true)
		return
	case "LoseOpportunity":
		s.dvCloseOpportunity(d, false)
		return
	case "$batch":
		s.dvBatch(d)
		return
	}
	seg, key, tail := splitSegment(rest)
	tb := s.store.EnsureDataverse(seg)
	if tb == nil {
		s.dvError(w, r, http.StatusNotFound, "0x8006088a", fmt.Sprintf("Resource not found for the segment '%s'.", seg))
		return
	}
	if key == "" {
		if tail != "" && r.Method == http.MethodPost && s.dvBulk(d, tb, tail) {
			return
		}
		if tail != "" {
			s.dvError(w, r, http.StatusNotFound, "0x8006088a", fmt.Sprintf("Resource not found for the segment '%s'.", tail))
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.dvList(d, tb)
		case http.MethodPost:
			s.dvCreate(d, tb)
		default:
			s.dvError(w, r, http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+r.Method+"' is not allowed on a collection.")
		}
		return
	}
	id, found, err := s.dvResolveKey(tb, key)
	if err != nil {
		s.dvError(w, r, http.StatusBadRequest, "0x80060888", err.Error())
		return
	}
	if tail != "" {
		if strings.TrimPrefix(tail, "Microsoft.Dynamics.CRM.") == "QualifyLead" && tb.Logical == "lead" && r.Method == http.MethodPost {
			s.dvQualifyLead(d, tb, id, found)
			return
		}
		s.dvError(w, r, http.StatusNotFound, "0x8006088a", fmt.Sprintf("Resource not found for the segment '%s'.", tail))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.dvGet(d, tb, id, found)
	case http.MethodPatch:
		s.dvUpdate(d, tb, id, found, key)
	case http.MethodDelete:
		s.dvDelete(d, tb, id, found)
	default:
		s.dvError(w, r, http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+r.Method+"' is not allowed on a record.")
	}
}

// splitSegment splits "leads(<key>)/tail" into its parts.
func splitSegment(p string) (seg, key, tail string) {
	i := strings.IndexByte(p, '(')
	if i < 0 {
		seg, tail, _ = strings.Cut(p, "/")
		return seg, "", tail
	}
	j := strings.LastIndexByte(p, ')')
	if j < i {
		return p, "", ""
	}
	return p[:i], p[i+1 : j], strings.TrimPrefix(p[j+1:], "/")
}

// dvResolveKey turns a key (a GUID or alternate key values) into a record
// id. found says whether the record exists; for a missing alternate key the
// id is a new one.
func (s *Server) dvResolveKey(tb *table, key string) (string, bool, error) {
	if u, err := uuid.Parse(key); err == nil {
		id := u.String()
		ok := tb.Get(id) != nil
		return id, ok, nil
	}
	vals, err := parseKeyValues(key)
	if err != nil {
		return "", false, err
	}
	for id, e := range tb.All() {
		match := true
		for k, v := range vals {
			c, ok := compareValues(e.Rec[k], v)
			if !ok || c != 0 {
				match = false
				break
			}
		}
		if match {
			return id, true, nil
		}
	}
	return "", false, nil
}

// parseKeyValues parses "a='x',b=2" (and a lone value for single-key
// Commerce entities, returned under "").
func parseKeyValues(key string) (map[string]any, error) {
	out := map[string]any{}
	for rest := strings.TrimSpace(key); rest != ""; {
		name := ""
		if i := strings.IndexByte(rest, '='); i > 0 && !strings.HasPrefix(rest, "'") {
			name, rest = strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+1:])
		}
		var v any
		if strings.HasPrefix(rest, "'") {
			str, n, err := readQuoted(rest)
			if err != nil {
				return nil, fmt.Errorf("bad key '%s': %v", key, err)
			}
			v, rest = str, rest[n:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			lit, err := numericLiteral(strings.TrimSpace(rest[:end]))
			if err != nil {
				return nil, fmt.Errorf("bad key '%s': %v", key, err)
			}
			v, rest = lit, rest[end:]
		}
		out[name] = v
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return nil, fmt.Errorf("bad key '%s'", key)
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	return out, nil
}

// dvError answers with Dataverse's error shape, plus the annotation members
// when the request asked for annotations.
func (s *Server) dvError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body := map[string]any{"code": code, "message": msg}
	if strings.Contains(strings.Join(r.Header.Values("Prefer"), ","), "odata.include-annotations") {
		body["@Microsoft.PowerApps.CDS.ErrorDetails.HttpStatusCode"] = fmt.Sprint(status)
		body["@Microsoft.PowerApps.CDS.HelpLink"] = "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a" + strings.TrimPrefix(code, "0x") + "&client=platform"
		body["@Microsoft.PowerApps.CDS.TraceText"] = "[dualwritetest] " + msg
		body["@Microsoft.PowerApps.CDS.InnerError.Message"] = msg
	}
	writeJSON(w, status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":{"code":"0x80040216","message":%q}}`, err.Error())
	}
	h := w.Header()
	h.Set("OData-Version", "4.0")
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func noContent(w http.ResponseWriter) {
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
}

// readBody decodes a JSON object body, numbers kept as json.Number.
func readBody(r *http.Request) (map[string]any, error) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the request body is not a JSON object: %v", err)
	}
	return m, nil
}

func (s *Server) dvServiceDocument(d *dvReq) {
	var sets []any
	for _, t := range s.store.DataverseTables() {
		sets = append(sets, map[string]any{"name": t.Name, "kind": "EntitySet", "url": t.Name})
	}
	writeJSON(d.w, http.StatusOK, map[string]any{"@odata.context": d.base + "$metadata", "value": sets})
}

func (s *Server) dvWhoAmI(d *dvReq) {
	writeJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
		"BusinessUnitId": businessUnitID, "UserId": systemUserID, "OrganizationId": organizationID,
	})
}

func (s *Server) dvNotFound(d *dvReq, tb *table, id string) {
	if id == "" {
		s.dvError(d.w, d.r, http.StatusNotFound, "0x80040217", fmt.Sprintf("A record with the specified key values does not exist in %s entity", tb.Logical))
		return
	}
	s.dvError(d.w, d.r, http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", tb.Logical, id))
}

func etagOf(e *entry) string { return fmt.Sprintf(`W/"%d"`, e.Version) }

func (s *Server) dvGet(d *dvReq, tb *table, id string, found bool) {
	if !found {
		s.dvNotFound(d, tb, id)
		return
	}
	e := tb.Get(id)
	if inm := d.r.Header.Get("If-None-Match"); inm != "" && inm == etagOf(e) {
		d.w.Header().Set("OData-Version", "4.0")
		d.w.WriteHeader(http.StatusNotModified)
		return
	}
	sel := selectList(d.r.URL.Query().Get("$select"))
	out := s.dvOut(tb, e, sel, d.annotations())
	out["@odata.context"] = d.base + "$metadata#" + tb.Name + selectContext(sel) + "/$entity"
	writeJSON(d.w, http.StatusOK, out)
}

func selectList(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func selectContext(sel []string) string {
	if len(sel) == 0 {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

func (s *Server) dvCreate(d *dvReq, tb *table) {
	body, err := readBody(d.r)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
		return
	}
	id := uuid.NewString()
	if v, ok := body[tb.Key].(string); ok {
		u, err := uuid.Parse(v)
		if err != nil {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.Guid'.", v))
			return
		}
		id = u.String()
		if tb.Get(id) != nil {
			s.dvError(d.w, d.r, http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
			return
		}
	}
	s.dvWrite(d, tb, id, nil, body, http.StatusCreated)
}

// dvWrite applies body to the record id (nil prev: a new record) in a
// transaction with dual-write, and answers.
func (s *Server) dvWrite(d *dvReq, tb *table, id string, prev record, body map[string]any, createdStatus int) {
	t := s.begin()
	rec, err := t.dvApply(tb, id, prev, body)
	if err == nil {
		err = t.afterDataverseWrite(tb, id, prev, rec)
	}
	if err != nil {
		t.Rollback()
		s.dvFail(d, err)
		return
	}
	e := tb.Get(id)
	d.w.Header().Set("OData-EntityId", d.base+tb.Name+"("+id+")")
	d.w.Header().Set("ETag", etagOf(e))
	if strings.Contains(d.prefer, "return=representation") {
		d.w.Header().Add("Preference-Applied", "return=representation")
		sel := selectList(d.r.URL.Query().Get("$select"))
		out := s.dvOut(tb, e, sel, d.annotations())
		out["@odata.context"] = d.base + "$metadata#" + tb.Name + "/$entity"
		status := http.StatusOK
		if prev == nil {
			status = createdStatus
		}
		writeJSON(d.w, status, out)
		return
	}
	noContent(d.w)
}

// dvFail answers an error from a write: a *apiError as it is, anything else
// as 400.
func (s *Server) dvFail(d *dvReq, err error) {
	if ae, ok := err.(*apiError); ok {
		s.dvError(d.w, d.r, ae.status, ae.code, ae.msg)
		return
	}
	s.dvError(d.w, d.r, http.StatusBadRequest, "0x80040203", err.Error())
}

// apiError is an error with the status and code to answer.
type apiError struct {
	status    int
	code, msg string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

func (s *Server) dvUpdate(d *dvReq, tb *table, id string, found bool, key string) {
	ifMatch := d.r.Header.Get("If-Match")
	if !found {
		if ifMatch != "" {
			s.dvNotFound(d, tb, id)
			return
		}
		body, err := readBody(d.r)
		if err != nil {
			s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
			return
		}
		if id == "" { // upsert through an alternate key: the key columns come along
			id = uuid.NewString()
			vals, _ := parseKeyValues(key)
			for k, v := range vals {
				body[k] = v
			}
		}
		s.dvWrite(d, tb, id, nil, body, http.StatusCreated)
		return
	}
	e := tb.Get(id)
	if d.r.Header.Get("If-None-Match") == "*" {
		s.dvError(d.w, d.r, http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
		return
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etagOf(e) {
		s.dvError(d.w, d.r, http.StatusPreconditionFailed, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")
		return
	}
	body, err := readBody(d.r)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", err.Error())
		return
	}
	s.dvWrite(d, tb, id, e.Rec, body, http.StatusOK)
}

func (s *Server) dvDelete(d *dvReq, tb *table, id string, found bool) {
	if !found {
		s.dvNotFound(d, tb, id)
		return
	}
	if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etagOf(tb.Get(id)) {
		s.dvError(d.w, d.r, http.StatusPreconditionFailed, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")
		return
	}
	t := s.begin()
	t.Delete(tb, id)
	noContent(d.w)
}

// parseBind reads an @odata.bind value: "/accounts(<id>)", "accounts(<id>)"
// or a full URL.
func (s *Server) parseBind(v any) (*table, string, error) {
	str, ok := v.(string)
	if !ok {
		return nil, "", fmt.Errorf("an @odata.bind value must be a string, not %v", v)
	}
	if u, err := url.Parse(str); err == nil && u.IsAbs() {
		str = u.Path
	}
	if m := apiPathRE.FindStringSubmatch(str); m != nil {
		str = m[2]
	}
	seg, key, _ := splitSegment(strings.TrimPrefix(str, "/"))
	tb := s.store.EnsureDataverse(seg)
	if tb == nil {
		//lint:ignore ST1005 the text is Dataverse's own message, sent to clients as is
		return nil, "", fmt.Errorf("Resource not found for the segment '%s'.", seg)
	}
	id, found, err := s.dvResolveKey(tb, key)
	if err != nil {
		return nil, "", err
	}
	if !found {
		return tb, id, &apiError{http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", tb.Logical, id)}
	}
	return tb, id, nil
}
