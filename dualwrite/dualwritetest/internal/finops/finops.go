package finops

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds the handlers of the entities: create, read, update,
// delete and queries, and what Finance and Operations fills on create.

const (
	// maxPageSize is F&O's server-driven page size ("The OData service
	// supports serving driven paging with a maximum page size of 10,000",
	// odata.md).
	maxPageSize = 10000
	noDate      = "1900-01-01T00:00:00Z"
)

// tableRowTypes are the names of the entities' AOT objects that F&O puts in
// "Write failed for table row of type '...'" messages, where a capture
// shows one (CustCustomerV3Entity: public F&O client tests' recorded
// errors). The others are inferred as <type name>Entity.
var tableRowTypes = map[string]string{
	"CustomersV3": "CustCustomerV3Entity",
}

func tableRowType(ent *schema.Entity) string {
	if t, ok := tableRowTypes[ent.Name]; ok {
		return t
	}
	return ent.TypeName + "Entity"
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
		for k, v := range e.Rec() {
			out[k] = v
		}
		return out
	}
	for _, c := range sel {
		out[c] = e.Get(c)
	}
	return out
}

// parseKey reads a key predicate: 'v' (a lone value) or Name='v',Name2=5,
// quotes doubled inside strings. A lone value has the name "".
func parseKey(key string) (map[string]string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(key)
	for rest != "" {
		name := ""
		if rest[0] != '\'' {
			i := strings.IndexAny(rest, "=,")
			if i >= 0 && rest[i] == '=' {
				name, rest = strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+1:])
			}
		}
		var val string
		if strings.HasPrefix(rest, "'") {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) {
				if rest[i] == '\'' {
					if i+1 < len(rest) && rest[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				b.WriteByte(rest[i])
				i++
			}
			if !closed {
				return nil, badRequest(fmt.Sprintf("Bad Request - Error in query syntax: the key predicate (%s) has an unterminated string.", key))
			}
			val, rest = b.String(), strings.TrimSpace(rest[i:])
		} else {
			i := strings.IndexByte(rest, ',')
			if i < 0 {
				i = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:i]), rest[i:]
		}
		if _, dup := out[name]; dup {
			return nil, badRequest(fmt.Sprintf("Bad Request - Error in query syntax: the key predicate (%s) names '%s' twice.", key, name))
		}
		out[name] = val
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, badRequest(fmt.Sprintf("Bad Request - Error in query syntax: the key predicate (%s) is not valid.", key))
		}
		rest = strings.TrimSpace(rest[1:])
	}
	if len(out) > 1 {
		if _, ok := out[""]; ok {
			return nil, badRequest(fmt.Sprintf("Bad Request - Error in query syntax: the key predicate (%s) mixes named and unnamed values.", key))
		}
	}
	return out, nil
}

// lookup finds the row of a key predicate. Every key field must be named,
// dataAreaId included (odata.md: "all fields in the entity key must be
// provided"); a lone value addresses an entity with a single key field.
func (s *Service) lookup(d *request, tb *store.Table, ent *schema.Entity, key string) (string, *store.Entry, bool) {
	vals, err := parseKey(key)
	if err != nil {
		d.fail(err)
		return "", nil, false
	}
	if v, ok := vals[""]; ok && len(vals) == 1 && len(ent.Keys) == 1 {
		vals = map[string]string{ent.Keys[0]: v}
	}
	delete(vals, "") // a lone value for a compound key: every field is missing
	if err := ent.CheckKey(vals); err != nil {
		d.fail(badRequest(err.Error()))
		return "", nil, false
	}
	row := store.Record{}
	for _, k := range tb.Keys {
		row[k] = vals[k]
	}
	k := Key(tb, row)
	e := tb.Get(k)
	if e == nil {
		d.fail(&foError{status: http.StatusNotFound, msg: fmt.Sprintf("No %s record with key (%s) was found.", tb.Name, key), typ: typeAx})
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

func (s *Service) metadata(d *request) {
	d.w.Header().Set("OData-Version", "4.0")
	d.w.Header().Set("Content-Type", "application/xml")
	d.w.WriteHeader(http.StatusOK)
	d.w.Write(s.schema().FinOpsCSDL())
}

// checkSelect checks the fields of a $select.
func (s *Service) checkSelect(ent *schema.Entity, sel []string) error {
	for _, c := range sel {
		if _, ok := ent.Field(c); !ok {
			if ent.Navigation[c] != "" || ent.Collections[c] != "" {
				return notImplemented("selecting the navigation property '" + c + "'")
			}
			return badQuery(fmt.Sprintf("Could not find a property named '%s' on type '%s.%s'.", c, schema.EnumNamespace, ent.TypeName))
		}
	}
	return nil
}

func (s *Service) get(d *request, tb *store.Table, ent *schema.Entity, e *store.Entry) {
	sel := wire.SelectList(d.r.URL.Query().Get("$select"))
	if err := s.checkSelect(ent, sel); err != nil {
		d.fail(err)
		return
	}
	out := s.out(e, sel)
	out["@odata.context"] = d.base + "$metadata#" + tb.Name + wire.SelectContext(sel) + "/$entity"
	d.w.Header().Set("ETag", etag(e))
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// readBody decodes a body and checks every field against the entity:
// unknown fields, values of the wrong type, and navigation bindings (not
// implemented). Enum values given as numbers are stored by member name.
func (s *Service) readBody(d *request, ent *schema.Entity) (store.Record, error) {
	body, err := wire.ReadBody(d.r)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	row := store.Record{}
	for f, v := range body {
		switch {
		case f == "@odata.type":
			if t, _ := v.(string); strings.TrimPrefix(t, "#") != schema.EnumNamespace+"."+ent.TypeName {
				return nil, badRequest(fmt.Sprintf("A resource with type '%v' was found, but it is not assignable to the expected type '%s.%s'.", v, schema.EnumNamespace, ent.TypeName))
			}
			continue
		case strings.HasSuffix(f, "@odata.bind"):
			return nil, notImplemented("binding navigation properties ('" + f + "')")
		case strings.Contains(f, "@"):
			continue // instance annotations such as Field@odata.type
		}
		if err := ent.CheckValue(s.schema(), f, v); err != nil {
			return nil, badRequest(err.Error())
		}
		row[f] = s.normalize(ent, f, v)
	}
	return row, nil
}

// normalize stores an enum given by its integer as its member name.
func (s *Service) normalize(ent *schema.Entity, name string, v any) any {
	f, _ := ent.Field(name)
	if f == nil || f.Type != schema.EnumField {
		return v
	}
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	en, ok := s.schema().Enum(f.Enum)
	if !ok {
		return v
	}
	i, err := n.Int64()
	if err != nil {
		return v
	}
	for _, m := range en.Members {
		if m.Known && int64(m.Value) == i {
			return m.Name
		}
	}
	return v
}

func (s *Service) update(d *request, tb *store.Table, ent *schema.Entity, k string, e *store.Entry) {
	if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etag(e) {
		d.fail(&foError{status: http.StatusPreconditionFailed, msg: "The record has been changed by another user since it was read (the ETag does not match).", typ: typeAx})
		return
	}
	body, err := s.readBody(d, ent)
	if err != nil {
		d.fail(err)
		return
	}
	next := store.Clone(e.Rec())
	for f, v := range body {
		if isKey(tb, f) && !strings.EqualFold(str(v), str(e.Get(f))) {
			d.fail(badRequest(fmt.Sprintf("The key field '%s' of %s cannot be changed by an update.", f, tb.Name)))
			return
		}
		next[f] = v
	}
	for _, kf := range tb.Keys {
		next[kf] = e.Get(kf)
	}
	s.commit(d, tb, ent, stackUpdate, k, e.Rec(), next, func() { wire.NoContent(d.w) })
}

func isKey(tb *store.Table, f string) bool {
	for _, k := range tb.Keys {
		if k == f {
			return true
		}
	}
	return false
}

func (s *Service) remove(d *request, tb *store.Table, ent *schema.Entity, k string, e *store.Entry) {
	if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etag(e) {
		d.fail(&foError{status: http.StatusPreconditionFailed, msg: "The record has been changed by another user since it was read (the ETag does not match).", typ: typeAx})
		return
	}
	t := s.Store.Begin()
	t.Delete(tb, k)
	if err := s.sync(t, tb, e.Rec(), nil); err != nil {
		t.Rollback()
		d.fail(writeFailed(stackDelete, fmt.Sprintf("Delete failed for table row of type '%s'. Infolog: Error: %s", tableRowType(ent), err.Error())))
		return
	}
	wire.NoContent(d.w)
}

// commit stores a row and runs dual-write, answering with done on
// success. A dual-write failure is a write failure (500, the cause in
// innererror) and undoes the write.
func (s *Service) commit(d *request, tb *store.Table, ent *schema.Entity, stack, key string, prev, row store.Record, done func()) {
	t := s.Store.Begin()
	if err := s.check(tb, prev, row); err != nil {
		d.fail(writeFailed(stack, fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Error: %s", tableRowType(ent), err.Error())))
		return
	}
	t.Put(tb, key, row)
	if err := s.sync(t, tb, prev, row); err != nil {
		t.Rollback()
		d.fail(writeFailed(stack, fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Error: %s", tableRowType(ent), err.Error())))
		return
	}
	done()
}

func (s *Service) create(d *request, tb *store.Table, ent *schema.Entity) {
	row, err := s.readBody(d, ent)
	if err != nil {
		d.fail(err)
		return
	}
	t := s.Store.Begin()
	s.Defaults(t, tb, row)
	for _, k := range tb.Keys {
		if str(row[k]) == "" {
			d.fail(writeFailed(stackCreate, fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Error: Field '%s' must be filled in.", tableRowType(ent), k)))
			return
		}
	}
	key := Key(tb, row)
	if tb.Get(key) != nil {
		d.fail(writeFailed(stackCreate, fmt.Sprintf("Write failed for table row of type '%s'. Infolog: Info: Cannot create a record in %s. %s.\nThe record already exists..",
			tableRowType(ent), tb.Name, keyText(tb, row))))
		return
	}
	s.commit(d, tb, ent, stackCreate, key, nil, row, func() {
		e := tb.Get(key)
		loc := d.base + tb.Name + "(" + keyLiteral(tb, row) + ")"
		d.w.Header().Set("Location", loc)
		d.w.Header().Set("ETag", etag(e))
		if strings.Contains(d.prefer(), "return=minimal") {
			d.w.Header().Set("OData-EntityId", loc)
			d.w.Header().Set("Preference-Applied", "return=minimal")
			wire.NoContent(d.w)
			return
		}
		out := s.out(e, nil)
		out["@odata.context"] = d.base + "$metadata#" + tb.Name + "/$entity"
		wire.WriteJSON(d.w, http.StatusCreated, out)
	})
}

// keyText describes a key as F&O's infolog does: "ProspectId: P-1".
func keyText(tb *store.Table, row store.Record) string {
	parts := make([]string, 0, len(tb.Keys))
	for _, k := range tb.Keys {
		parts = append(parts, k+": "+str(row[k]))
	}
	return strings.Join(parts, ", ")
}

// Defaults fills what Finance and Operations fills on create: the
// company, allocated numbers, enum defaults, and the fields F&O always
// returns (the non-nullable numbers as 0, dates as 1900-01-01T00:00:00Z,
// F&O's "no date").
func (s *Service) Defaults(t *store.Tx, tb *store.Table, row store.Record) {
	if tb.Company && str(row["dataAreaId"]) == "" {
		row["dataAreaId"] = s.Company
	}
	if ent, ok := s.schema().Entity(tb.Name); ok {
		for _, f := range ent.Fields() {
			if f.Nullable || row[f.Name] != nil {
				continue
			}
			switch f.Type {
			case schema.EdmInt32, schema.EdmInt64, schema.EdmDecimal:
				row[f.Name] = 0
			case schema.EdmDateTimeOffset:
				row[f.Name] = noDate
			}
		}
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

// nonNegative reads $top or $skip.
func nonNegative(q url.Values, name string) (int, bool, error) {
	v, ok := q[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 || len(v) > 1 {
		return 0, false, badQuery(fmt.Sprintf("Invalid value '%s' for %s query option found. The %s query option requires a non-negative integer value.", strings.Join(v, ","), name, name))
	}
	return n, true, nil
}

// matchRows returns the rows of a query: the company's (all with
// cross-company=true), filtered and ordered.
func (s *Service) matchRows(tb *store.Table, ent *schema.Entity, q url.Values) ([]*store.Entry, error) {
	cross := strings.EqualFold(q.Get("cross-company"), "true")
	var rows []*store.Entry
	for _, e := range tb.Sorted() {
		if !tb.Company || cross || strings.EqualFold(str(e.Get("dataAreaId")), s.Company) {
			rows = append(rows, e)
		}
	}
	if f := q.Get("$filter"); f != "" {
		x, err := s.parseFilter(ent, f)
		if err != nil {
			return nil, err
		}
		kept := rows[:0]
		for _, e := range rows {
			if matches(x, e.Rec()) {
				kept = append(kept, e)
			}
		}
		rows = kept
	}
	if ob := q.Get("$orderby"); ob != "" {
		items, err := s.parseOrderBy(ent, ob)
		if err != nil {
			return nil, err
		}
		sortRows(rows, items)
	}
	return rows, nil
}

// count answers <entity>/$count: the number of matching rows, as text.
func (s *Service) count(d *request, tb *store.Table, ent *schema.Entity) {
	rows, err := s.matchRows(tb, ent, d.r.URL.Query())
	if err != nil {
		d.fail(err)
		return
	}
	d.w.Header().Set("OData-Version", "4.0")
	d.w.Header().Set("Content-Type", "text/plain")
	d.w.WriteHeader(http.StatusOK)
	fmt.Fprint(d.w, len(rows))
}

func (s *Service) list(d *request, tb *store.Table, ent *schema.Entity) {
	q := d.r.URL.Query()
	sel := wire.SelectList(q.Get("$select"))
	if err := s.checkSelect(ent, sel); err != nil {
		d.fail(err)
		return
	}
	top, hasTop, err := nonNegative(q, "$top")
	if err != nil {
		d.fail(err)
		return
	}
	skip, _, err := nonNegative(q, "$skip")
	if err != nil {
		d.fail(err)
		return
	}
	withCount := false
	switch c := q.Get("$count"); c {
	case "", "false":
	case "true":
		withCount = true
	default:
		d.fail(badQuery(fmt.Sprintf("'%s' is not a valid count option.", c)))
		return
	}
	rows, err := s.matchRows(tb, ent, q)
	if err != nil {
		d.fail(err)
		return
	}
	total := len(rows)
	rows = rows[min(skip, len(rows)):]
	if hasTop && top < len(rows) {
		rows = rows[:top]
	}
	pageSize := maxPageSize
	if n, ok := wire.MaxPageSize(d.prefer()); ok {
		if n > 0 && n < maxPageSize {
			pageSize = n
		}
		d.w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	end := min(pageSize, len(rows))
	value := make([]any, 0, end)
	for _, e := range rows[:end] {
		value = append(value, s.out(e, sel))
	}
	out := map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + wire.SelectContext(sel), "value": value}
	if withCount {
		out["@odata.count"] = total
	}
	if end < len(rows) {
		// The next page link of ASP.NET Web API OData: the same query with
		// $skip moved past this page (and $top reduced by it).
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("$skip", strconv.Itoa(skip+end))
		if hasTop {
			nq.Set("$top", strconv.Itoa(top-end))
		}
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
