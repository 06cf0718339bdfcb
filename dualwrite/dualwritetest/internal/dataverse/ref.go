package dataverse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds the paths below a record: a single property (GET, PUT,
// DELETE) and associating or disassociating records through $ref, as
// documented in update-delete-entities-using-web-api.md ("Update a single
// property value", "Delete a single property value") and
// associate-disassociate-entities-using-web-api.md:
//
//	GET    <set>(id)/<column>                  {"@odata.context":...,"value":v}
//	PUT    <set>(id)/<column>   {"value": v}   204
//	DELETE <set>(id)/<column>                  204 (the column is cleared)
//	PUT    <set>(id)/<single-nav>/$ref   {"@odata.id": url}   204
//	DELETE <set>(id)/<single-nav>/$ref                         204
//	POST   <set>(id)/<collection-nav>/$ref {"@odata.id": url}  204
//	DELETE <set>(id)/<collection-nav>/$ref?$id=<url>          204
//	DELETE <set>(id)/<collection-nav>(<id>)/$ref               204
//
// A collection-valued navigation property of a one-to-many relationship is
// written on the related record (its lookup points back here); a
// many-to-many one is 501, as is reading a navigation property.

// recordPath answers the paths below a record.
func (s *Service) recordPath(d *request, tb *table, st *schema.Table, id string, found bool, tail string) {
	first, rest, _ := strings.Cut(tail, "/")
	if name, qualified := messageName(first); qualified || knownMessages[name] {
		d.unimplemented("the function or action '" + name + "'")
		return
	}
	navName, navKey := first, ""
	if i := strings.IndexByte(first, '('); i > 0 && strings.HasSuffix(first, ")") {
		navName, navKey = first[:i], first[i+1:len(first)-1]
	}
	single, _ := st.Navigation(navName)
	coll, _ := st.CollectionNavigation(navName)
	_, m2m := st.ManyToMany(navName)
	isNav := single != nil || coll != nil || m2m
	switch {
	case rest == "$ref" && isNav:
		if !found {
			d.notFound(tb, id)
			return
		}
		s.ref(d, tb, st, id, navName, navKey, single, coll, m2m)
	case rest == "" && single != nil && navKey == "" && d.r.Method == http.MethodGet:
		if !found {
			d.notFound(tb, id)
			return
		}
		s.related(d, tb, id, single)
	case rest == "" && isNav:
		d.unimplemented(fmt.Sprintf("%s of the navigation property '%s' of a record", d.r.Method, navName))
	case rest == "" || rest == "$value":
		c, ok := st.Column(first)
		if !ok {
			if pc, err := st.Property(first); err == nil {
				c, ok = pc, true
			}
		}
		if !ok || !c.WebAPI || navKey != "" {
			d.noSegment(first)
			return
		}
		if !found {
			d.notFound(tb, id)
			return
		}
		s.property(d, tb, st, id, c, rest == "$value")
	default:
		d.noSegment(first)
	}
}

// related answers GET <set>(id)/<single-nav>: the related record (with
// $select), or 204 when the lookup is empty.
func (s *Service) related(d *request, tb *table, id string, n *schema.Navigation) {
	rec := tb.Get(id).Rec()
	col := "_" + n.Column + "_value"
	rid, logical := str(rec[col]), str(rec[col+"@Microsoft.Dynamics.CRM.lookuplogicalname"])
	if n.Target != "owner" && logical != n.Target {
		rid = ""
	}
	rt, rst, ok := s.tableByLogical(logical)
	if rid == "" || !ok || rt.Get(rid) == nil {
		wire.NoContent(d.w)
		return
	}
	if !d.checkOptions(rt, rst) {
		return
	}
	e := rt.Get(rid)
	sel := wire.SelectList(d.r.URL.Query().Get("$select"))
	out := d.filterAnnotations(s.out(rt, e, sel, d.annotations()))
	out["@odata.context"] = d.base + "$metadata#" + rt.Name + wire.SelectContext(sel) + "/$entity"
	d.w.Header().Set("ETag", etagOf(e))
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// property answers GET, PUT and DELETE of a single column.
func (s *Service) property(d *request, tb *table, st *schema.Table, id string, c *schema.Column, raw bool) {
	e := tb.Get(id)
	switch d.r.Method {
	case http.MethodGet:
		v := e.Get(c.Property())
		if raw {
			if v == nil {
				d.w.WriteHeader(http.StatusNoContent)
				return
			}
			d.w.Header().Set("Content-Type", "text/plain")
			d.w.Header().Set("OData-Version", "4.0")
			d.w.WriteHeader(http.StatusOK)
			fmt.Fprint(d.w, str(v))
			return
		}
		wire.WriteJSON(d.w, http.StatusOK, map[string]any{
			"@odata.context": d.base + "$metadata#" + tb.Name + "(" + id + ")/" + c.Property(), "value": v})
	case http.MethodPut, http.MethodDelete:
		if raw {
			d.unimplemented("writing a property through $value")
			return
		}
		if c.Type.IsLookup() {
			d.writeError(http.StatusBadRequest, "0x80060888", fmt.Sprintf("The property '%s' is a lookup: set it with PUT %s(%s)/<navigation property>/$ref.", c.Property(), tb.Name, id))
			return
		}
		var v any
		if d.r.Method == http.MethodPut {
			body, err := wire.ReadBody(d.r)
			if err != nil {
				d.badBody(err.Error())
				return
			}
			val, ok := body["value"]
			if !ok || len(body) != 1 {
				d.badBody(fmt.Sprintf("The body of PUT %s(%s)/%s must be {\"value\": <the new value>}.", tb.Name, id, c.LogicalName))
				return
			}
			v = val
		}
		body := map[string]any{c.LogicalName: v}
		if !s.checkWrite(d, tb, schema.Update, body) || !s.checkStateChange(d, tb, body) {
			return
		}
		if im := d.r.Header.Get("If-Match"); im != "" && im != "*" && im != etagOf(e) {
			d.writeError(http.StatusPreconditionFailed, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")
			return
		}
		s.writeQuiet(d, tb, id, e.Rec(), body)
	default:
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+d.r.Method+"' is not allowed on a property.")
	}
}

// writeQuiet writes body onto the record with dual-write and answers 204.
func (s *Service) writeQuiet(d *request, tb *table, id string, prev record, body map[string]any) {
	t := s.Store.Begin()
	if err := s.writeSynced(t, tb, id, prev, body); err != nil {
		t.Rollback()
		d.fail(err)
		return
	}
	wire.NoContent(d.w)
}

// ref associates or disassociates through <nav>/$ref.
func (s *Service) ref(d *request, tb *table, st *schema.Table, id, navName, navKey string, single *schema.Navigation, coll *schema.CollectionNavigation, m2m bool) {
	if m2m {
		d.unimplemented("many-to-many relationships (the navigation property '" + navName + "')")
		return
	}
	method := d.r.Method
	if single != nil {
		if navKey != "" {
			d.noSegment(navName + "(" + navKey + ")")
			return
		}
		switch method {
		case http.MethodPut:
			target, err := d.refTarget()
			if err != nil {
				d.badBody(err.Error())
				return
			}
			s.writeQuiet(d, tb, id, tb.Get(id).Rec(), map[string]any{navName + "@odata.bind": target})
		case http.MethodDelete:
			if _, ok := d.r.URL.Query()["$id"]; ok {
				d.writeError(http.StatusBadRequest, "0x80060888", fmt.Sprintf("'%s' is a single-valued navigation property: DELETE its $ref without $id.", navName))
				return
			}
			s.writeQuiet(d, tb, id, tb.Get(id).Rec(), map[string]any{navName + "@odata.bind": nil})
		default:
			d.writeError(http.StatusMethodNotAllowed, "0x80060888", fmt.Sprintf("The HTTP method '%s' is not allowed on the single-valued navigation property '%s': use PUT or DELETE.", method, navName))
		}
		return
	}
	// One-to-many: the related record's lookup points back to this one.
	related, rst, ok := s.tableByLogical(coll.Target)
	partner := coll.Partner
	if ok && partner == "" { // a self-referential relationship (account_parent_account)
		for _, n := range rst.Navigations() {
			if n.Column == coll.ReferencingColumn && n.Target == tb.Logical {
				partner = n.Name
			}
		}
	}
	if !ok || partner == "" {
		d.unimplemented(fmt.Sprintf("the relationship '%s' (its table '%s' is not in the schema)", navName, coll.Target))
		return
	}
	var relatedURL string
	switch method {
	case http.MethodPost:
		if navKey != "" {
			d.noSegment(navName + "(" + navKey + ")")
			return
		}
		u, err := d.refTarget()
		if err != nil {
			d.badBody(err.Error())
			return
		}
		relatedURL = u
	case http.MethodDelete:
		if navKey != "" {
			relatedURL = related.Name + "(" + navKey + ")"
		} else if v := d.r.URL.Query().Get("$id"); v != "" {
			relatedURL = v
		} else {
			d.writeError(http.StatusBadRequest, "0x80060888", fmt.Sprintf("'%s' is a collection-valued navigation property: name the record to disassociate with $id or %s(<id>)/$ref.", navName, navName))
			return
		}
	default:
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", fmt.Sprintf("The HTTP method '%s' is not allowed on the collection-valued navigation property '%s': use POST or DELETE.", method, navName))
		return
	}
	rt, rid, err := s.parseBind(relatedURL)
	if err != nil {
		d.keyError(err)
		return
	}
	if rt != related {
		d.badBody(fmt.Sprintf("The navigation property '%s' relates %s records, not %s.", navName, coll.Target, rt.Logical))
		return
	}
	rec := related.Get(rid).Rec()
	lookup := "_" + coll.ReferencingColumn + "_value"
	if method == http.MethodDelete {
		if str(rec[lookup]) != id {
			d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("The %s record %s is not related to %s(%s) through '%s'.", coll.Target, rid, tb.Name, id, navName))
			return
		}
		s.writeQuiet(d, related, rid, rec, map[string]any{partner + "@odata.bind": nil})
		return
	}
	s.writeQuiet(d, related, rid, rec, map[string]any{partner + "@odata.bind": Bind(tb.Name, id)})
}

// refTarget reads the {"@odata.id": url} body of a $ref request.
func (d *request) refTarget() (string, error) {
	var body map[string]any
	dec := json.NewDecoder(d.r.Body)
	if err := dec.Decode(&body); err != nil {
		return "", fmt.Errorf("the body of a $ref request must be {\"@odata.id\": <the URL of the related record>}: %v", err)
	}
	u, ok := body["@odata.id"].(string)
	if !ok || u == "" {
		return "", fmt.Errorf("the body of a $ref request must be {\"@odata.id\": <the URL of the related record>}")
	}
	if p, err := url.Parse(u); err == nil && p.IsAbs() {
		return p.Path, nil
	}
	return u, nil
}

// tableByLogical returns the store and schema tables of a logical name.
func (s *Service) tableByLogical(logical string) (*table, *schema.Table, bool) {
	st, ok := s.schemaOf().Table(logical)
	if !ok {
		return nil, nil, false
	}
	return s.Store.AddDataverse(st.EntitySet, st.LogicalName, st.PrimaryKey), st, true
}
