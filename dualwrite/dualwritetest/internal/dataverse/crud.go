package dataverse

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// This file holds keys and binds, and create, read, update, delete of
// records.

// resolveKey turns a key (a GUID, the primary key or a declared
// alternate key's values) into a record id. found says whether the record
// exists; for a missing alternate key the id is "". Key names that are no
// declared key are 400 0x80060890.
func (s *Service) resolveKey(tb *table, key string) (string, bool, error) {
	if u, err := uuid.Parse(key); err == nil {
		id := u.String()
		ok := tb.Get(id) != nil
		return id, ok, nil
	}
	vals, err := parseKeyValues(key)
	if err != nil {
		return "", false, wire.BadRequest("0x80060888", "%s", err.Error())
	}
	if _, lone := vals[""]; lone {
		return "", false, wire.BadRequest("0x80060888", "The key '%s' of %s is neither a GUID nor a list of key properties (name=value).", key, tb.Name)
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	if st := s.schemaTable(tb); st != nil {
		if _, err := st.CheckAlternateKey(names...); err != nil {
			return "", false, err
		}
	}
	if v, ok := vals[tb.Key]; ok && len(vals) == 1 {
		u, err := uuid.Parse(str(v))
		if err != nil {
			return "", false, wire.BadRequest("0x80060888", "Cannot convert the literal '%v' to the expected type 'Edm.Guid'.", v)
		}
		return u.String(), tb.Get(u.String()) != nil, nil
	}
	for id, e := range tb.All() {
		match := true
		for k, v := range vals {
			c, ok := compareValues(e.Get(k), v)
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

func (s *Service) serviceDocument(d *request) {
	var sets []any
	for _, t := range s.schemaOf().Tables() {
		sets = append(sets, map[string]any{"name": t.EntitySet, "kind": "EntitySet", "url": t.EntitySet})
	}
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{"@odata.context": d.base + "$metadata", "value": sets})
}

func (s *Service) whoAmI(d *request) {
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context": d.base + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
		"BusinessUnitId": s.BusinessUnitID, "UserId": s.actingUser(), "OrganizationId": s.OrganizationID,
	})
}

func etagOf(e *entry) string { return fmt.Sprintf(`W/"%d"`, e.Version) }

func (s *Service) get(d *request, tb *table, id string, found bool) {
	if !found {
		d.notFound(tb, id)
		return
	}
	e := tb.Get(id)
	if inm := d.r.Header.Get("If-None-Match"); inm != "" && inm == etagOf(e) {
		d.w.Header().Set("OData-Version", "4.0")
		d.w.WriteHeader(http.StatusNotModified)
		return
	}
	if !d.checkOptions(tb, s.schemaTable(tb)) {
		return
	}
	d.w.Header().Set("ETag", etagOf(e))
	s.writeRecord(d, tb, e, http.StatusOK)
}

func (s *Service) create(d *request, tb *table) {
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	// nothing keeps the map once the record is written (its values are
	// copied into the record)
	defer wire.ReleaseBody(body)
	if !s.checkWrite(d, tb, schema.Create, body) || !s.checkStateChange(d, tb, body) || !d.checkOptions(tb, s.schemaTable(tb)) {
		return
	}
	id := uuid.NewString()
	if v, ok := body[tb.Key].(string); ok {
		u, err := uuid.Parse(v)
		if err != nil {
			d.badBody(fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.Guid'.", v))
			return
		}
		id = u.String()
		if tb.Get(id) != nil {
			d.writeError(http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
			return
		}
	}
	s.write(d, tb, id, nil, body, http.StatusCreated)
}

// write applies body to the record id (nil prev: a new record) in a
// transaction with dual-write, and answers.
func (s *Service) write(d *request, tb *table, id string, prev record, body map[string]any, createdStatus int) {
	t := s.Store.Begin()
	rec, err := s.Apply(t, tb, id, prev, body)
	if err == nil {
		err = s.sync(t, tb, id, prev, rec)
	}
	defer releaseRecord(rec)
	if err != nil {
		t.Rollback()
		d.fail(err)
		return
	}
	e := tb.Get(id)
	d.w.Header().Set("OData-EntityId", d.base+tb.Name+"("+id+")")
	d.w.Header().Set("ETag", etagOf(e))
	if strings.Contains(d.prefer, "return=representation") {
		d.w.Header().Add("Preference-Applied", "return=representation")
		status := http.StatusOK
		if prev == nil {
			status = createdStatus
		}
		s.writeRecord(d, tb, e, status)
		return
	}
	wire.NoContent(d.w)
}

func (s *Service) update(d *request, tb *table, id string, found bool, key string) {
	ifMatch := d.r.Header.Get("If-Match")
	if !d.checkOptions(tb, s.schemaTable(tb)) {
		return
	}
	if !found {
		if ifMatch != "" {
			d.notFound(tb, id)
			return
		}
		body, err := wire.ReadBody(d.r)
		if err != nil {
			d.badBody(err.Error())
			return
		}
		if !s.checkWrite(d, tb, schema.Create, body) || !s.checkStateChange(d, tb, body) {
			return
		}
		if id == "" { // upsert through an alternate key: the key columns come along
			id = uuid.NewString()
			vals, _ := parseKeyValues(key)
			for k, v := range vals {
				body[k] = v
			}
		}
		s.write(d, tb, id, nil, body, http.StatusCreated)
		return
	}
	e := tb.Get(id)
	if d.r.Header.Get("If-None-Match") == "*" {
		d.writeError(http.StatusPreconditionFailed, "0x80040237", "A record with matching key values already exists.")
		return
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != etagOf(e) {
		d.writeError(http.StatusPreconditionFailed, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")
		return
	}
	body, err := wire.ReadBody(d.r)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	if !s.checkWrite(d, tb, schema.Update, body) || !s.checkStateChange(d, tb, body) {
		return
	}
	s.write(d, tb, id, e.Rec(), body, http.StatusOK)
}

func (s *Service) remove(d *request, tb *table, id string, found bool) {
	if !d.checkOptions(tb, s.schemaTable(tb)) {
		return
	}
	if !found {
		d.notFound(tb, id)
		return
	}
	if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etagOf(tb.Get(id)) {
		d.writeError(http.StatusPreconditionFailed, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")
		return
	}
	t := s.Store.Begin()
	t.Delete(tb, id)
	wire.NoContent(d.w)
}

// parseBind reads an @odata.bind value: "/accounts(<id>)", "accounts(<id>)"
// or a full URL.
func (s *Service) parseBind(v any) (*table, string, error) {
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
	seg, key, _ := wire.SplitSegment(strings.TrimPrefix(str, "/"))
	tb, _, ok := s.table(seg)
	if !ok {
		//lint:ignore ST1005 the text is Dataverse's own message, sent to clients as is
		return nil, "", fmt.Errorf("Resource not found for the segment '%s'.", seg)
	}
	id, found, err := s.resolveKey(tb, key)
	if err != nil {
		return nil, "", err
	}
	if !found && id == "" {
		return tb, id, s.schemaTable(tb).ErrRecordNotFoundByKey()
	}
	if !found {
		return tb, id, wire.Errorf(http.StatusNotFound, "0x80040217", "%s With Id = %s Does Not Exist", tb.Logical, id)
	}
	return tb, id, nil
}
