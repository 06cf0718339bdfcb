package dataverse

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/query"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds the service's metadata, generated from the schema:
// $metadata (CSDL) and the EntityDefinitions a client reads entity set
// names and choice labels from ("Query table definitions using the Web
// API"):
//
//	EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName eq 'lead'
//	EntityDefinitions(LogicalName='lead')?$expand=Attributes
//	EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='statuscode')/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet
//	EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet
//
// $select, $filter (eq on a property, joined with and/or) and $expand of
// Attributes, OptionSet and GlobalOptionSet are evaluated; any other
// option is 501.

// metadata answers GET $metadata.
func (s *Service) metadata(d *request) {
	if d.r.Method != http.MethodGet {
		d.writeError(http.StatusMethodNotAllowed, query.CodeQuery, "The HTTP method '"+d.r.Method+"' is not allowed on $metadata.")
		return
	}
	if s.Schema == nil {
		d.notImplemented("$metadata without a schema")
		return
	}
	for k := range d.r.URL.Query() {
		if k != "annotations" {
			d.notImplemented("the $metadata parameter " + k)
			return
		}
	}
	d.w.Header().Set("Content-Type", "application/xml")
	d.w.Header().Set("OData-Version", "4.0")
	d.w.WriteHeader(http.StatusOK)
	_, _ = d.w.Write(s.Schema.CSDL())
}

var (
	metaKeyRE  = regexp.MustCompile(`^\((?:LogicalName='([^']*)'|([0-9A-Fa-f-]{36}))\)`)
	metaCastRE = regexp.MustCompile(`^/Microsoft\.Dynamics\.CRM\.([A-Za-z]+AttributeMetadata)$`)
)

// entityDefinitions answers GET EntityDefinitions..., rest being the path
// after "EntityDefinitions".
func (s *Service) entityDefinitions(d *request, rest string) {
	if d.r.Method != http.MethodGet {
		d.notImplemented("the " + d.r.Method + " method on EntityDefinitions (only reading is)")
		return
	}
	if s.Schema == nil {
		d.notImplemented("EntityDefinitions without a schema")
		return
	}
	vals, err := parseRawQuery(d.r.URL.RawQuery)
	if err != nil {
		d.queryError(err)
		return
	}
	for k := range vals {
		if k != "$select" && k != "$filter" && k != "$expand" {
			d.notImplemented("the query option " + k + " on EntityDefinitions")
			return
		}
	}
	expand, err := metaExpand(vals.Get("$expand"))
	if err != nil {
		d.queryError(err)
		return
	}
	var entities []map[string]any
	for _, t := range s.Schema.Tables() {
		b, _ := s.Schema.EntityDefinition(d.base, t.LogicalName)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			d.writeError(http.StatusInternalServerError, "0x80040216", err.Error())
			return
		}
		delete(m, "@odata.context")
		entities = append(entities, m)
	}
	ctx := d.base + "$metadata#EntityDefinitions"
	if rest == "" {
		list, err := metaList(entities, vals, expand, "Attributes")
		if err != nil {
			d.queryError(err)
			return
		}
		wire.WriteJSON(d.w, http.StatusOK, map[string]any{"@odata.context": ctx, "value": list})
		return
	}
	if !metaKeyRE.MatchString(rest) {
		d.notImplemented("the EntityDefinitions path " + rest + " (keys are (LogicalName='x') or a MetadataId)")
		return
	}
	ent, rest, ok := metaFind(entities, rest)
	if !ok {
		d.writeError(http.StatusNotFound, "0x80040217", "Could not find entity with the key "+strings.TrimPrefix(rest, "/")+".")
		return
	}
	if rest == "" {
		if vals.Has("$filter") {
			d.writeError(http.StatusBadRequest, query.CodeQuery, "The query parameter $filter is not supported on a single entity definition.")
			return
		}
		out, err := metaShape(ent, vals.Get("$select"), expand, "Attributes")
		if err != nil {
			d.queryError(err)
			return
		}
		out["@odata.context"] = ctx + "/$entity"
		wire.WriteJSON(d.w, http.StatusOK, out)
		return
	}
	if !strings.HasPrefix(rest, "/Attributes") {
		d.notImplemented("the EntityDefinitions path " + rest)
		return
	}
	rest = strings.TrimPrefix(rest, "/Attributes")
	var attrs []map[string]any
	if list, ok := ent["Attributes"].([]any); ok {
		for _, a := range list {
			if m, ok := a.(map[string]any); ok {
				attrs = append(attrs, m)
			}
		}
	}
	var single map[string]any
	if strings.HasPrefix(rest, "(") {
		if !metaKeyRE.MatchString(rest) {
			d.notImplemented("the Attributes key " + rest + " (keys are (LogicalName='x') or a MetadataId)")
			return
		}
		a, r, ok := metaFind(attrs, rest)
		if !ok {
			d.writeError(http.StatusNotFound, "0x80040217", "Could not find attribute with the key "+rest+".")
			return
		}
		single, rest = a, r
	}
	var sub string // OptionSet or GlobalOptionSet of a single attribute
	for _, p := range []string{"/OptionSet", "/GlobalOptionSet"} {
		if single != nil && strings.HasSuffix(rest, p) {
			sub, rest = p[1:], strings.TrimSuffix(rest, p)
		}
	}
	if rest != "" {
		m := metaCastRE.FindStringSubmatch(rest)
		if m == nil {
			d.notImplemented("the EntityDefinitions path " + rest)
			return
		}
		typ := "#Microsoft.Dynamics.CRM." + m[1]
		if single != nil && single["@odata.type"] != typ {
			d.writeError(http.StatusBadRequest, query.CodeQuery, "The attribute is not a "+m[1]+".")
			return
		}
		var kept []map[string]any
		for _, a := range attrs {
			if a["@odata.type"] == typ {
				kept = append(kept, a)
			}
		}
		attrs = kept
		ctx += "(" + str(ent["MetadataId"]) + ")/Attributes/Microsoft.Dynamics.CRM." + m[1]
	} else {
		ctx += "(" + str(ent["MetadataId"]) + ")/Attributes"
	}
	if single != nil && sub != "" {
		os, _ := single[sub].(map[string]any)
		if sub == "GlobalOptionSet" || os == nil {
			d.w.WriteHeader(http.StatusNoContent) // a null navigation property: the schema's choices are local
			return
		}
		out, err := metaShape(os, vals.Get("$select"), nil)
		if err != nil {
			d.queryError(err)
			return
		}
		out["@odata.context"] = ctx + "/" + sub + "/$entity"
		wire.WriteJSON(d.w, http.StatusOK, out)
		return
	}
	if single != nil {
		out, err := metaShape(single, vals.Get("$select"), expand, "OptionSet", "GlobalOptionSet")
		if err != nil {
			d.queryError(err)
			return
		}
		out["@odata.context"] = ctx + "/$entity"
		wire.WriteJSON(d.w, http.StatusOK, out)
		return
	}
	list, err := metaList(attrs, vals, expand, "OptionSet", "GlobalOptionSet")
	if err != nil {
		d.queryError(err)
		return
	}
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{"@odata.context": ctx, "value": list})
}

// metaFind finds the definition a key segment "(LogicalName='x')" or
// "(<MetadataId>)" names, returning the rest of the path.
func metaFind(list []map[string]any, rest string) (map[string]any, string, bool) {
	m := metaKeyRE.FindStringSubmatch(rest)
	if m == nil {
		return nil, rest, false
	}
	for _, e := range list {
		if (m[1] != "" && e["LogicalName"] == m[1]) || (m[2] != "" && strings.EqualFold(str(e["MetadataId"]), m[2])) {
			return e, rest[len(m[0]):], true
		}
	}
	return nil, rest, false
}

// metaExpandItem is one $expand term: a property with its own $select
// and, for Attributes, $filter.
type metaExpandItem struct{ sel, filter string }

func metaExpand(s string) (map[string]metaExpandItem, error) {
	out := map[string]metaExpandItem{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, opts, _ := strings.Cut(part, "(")
		it := metaExpandItem{}
		if opts != "" {
			opts = strings.TrimSuffix(opts, ")")
			for _, o := range strings.Split(opts, ";") {
				k, v, _ := strings.Cut(o, "=")
				switch k {
				case "$select":
					it.sel = v
				case "$filter":
					it.filter = v
				default:
					return nil, &query.Error{Status: http.StatusNotImplemented, Code: query.CodeQuery, Message: "The emulator does not implement " + k + " inside $expand on metadata."}
				}
			}
		}
		out[name] = it
	}
	return out, nil
}

// metaList filters and shapes a list of definitions.
func metaList(list []map[string]any, vals url.Values, expand map[string]metaExpandItem, expandable ...string) ([]any, error) {
	out := []any{}
	for _, e := range list {
		ok, err := metaMatch(e, vals.Get("$filter"))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		m, err := metaShape(e, vals.Get("$select"), expand, expandable...)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

var metaCondRE = regexp.MustCompile(`^\(?\s*([A-Za-z]+(?:/Value)?)\s+(eq|ne)\s+('(?:[^']|'')*'|Microsoft\.Dynamics\.CRM\.[A-Za-z]+'[^']*'|true|false|-?\d+)\s*\)?$`)

// metaMatch evaluates a metadata $filter: comparisons with eq or ne of a
// property (or a complex property's /Value) to a literal, joined by and or
// or (and first).
func metaMatch(e map[string]any, filter string) (bool, error) {
	if strings.TrimSpace(filter) == "" {
		return true, nil
	}
	for _, alt := range strings.Split(filter, " or ") {
		all := true
		for _, c := range strings.Split(alt, " and ") {
			m := metaCondRE.FindStringSubmatch(strings.TrimSpace(c))
			if m == nil {
				return false, &query.Error{Status: http.StatusNotImplemented, Code: query.CodeQuery, Message: "The emulator does not implement the metadata $filter " + strings.TrimSpace(c) + " (only eq/ne of a property to a literal, with and/or)."}
			}
			path := strings.Split(m[1], "/")
			var v any = e
			for _, p := range path {
				mm, _ := v.(map[string]any)
				x, ok := mm[p]
				if !ok {
					return false, &query.Error{Status: http.StatusNotImplemented, Code: query.CodeQuery, Message: "The emulator does not implement the metadata property " + m[1] + " (it describes the properties its schema documents)."}
				}
				v = x
			}
			var lit any
			switch {
			case strings.HasPrefix(m[3], "'"):
				lit = strings.ReplaceAll(m[3][1:len(m[3])-1], "''", "'")
			case strings.HasPrefix(m[3], "Microsoft.Dynamics.CRM."): // an enum member: Type'Member'
				i := strings.Index(m[3], "'")
				lit = m[3][i+1 : len(m[3])-1]
			case m[3] == "true" || m[3] == "false":
				lit = m[3] == "true"
			default:
				var f float64
				_ = json.Unmarshal([]byte(m[3]), &f)
				lit = f
			}
			eq := v == lit
			if (m[2] == "eq") != eq {
				all = false
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

// metaShape applies $select and $expand to a definition: the expandable
// properties are left out unless expanded.
func metaShape(e map[string]any, sel string, expand map[string]metaExpandItem, expandable ...string) (map[string]any, error) {
	for k := range expand {
		if !contains(expandable, k) {
			return nil, &query.Error{Status: http.StatusNotImplemented, Code: query.CodeQuery, Message: "The emulator does not implement $expand=" + k + " here (it expands " + strings.Join(expandable, ", ") + ")."}
		}
	}
	out := map[string]any{}
	if strings.TrimSpace(sel) == "" {
		for k, v := range e {
			out[k] = v
		}
	} else {
		for _, p := range strings.Split(sel, ",") {
			p = strings.TrimSpace(p)
			v, ok := e[p]
			if !ok && !contains(expandable, p) {
				return nil, &query.Error{Status: http.StatusNotImplemented, Code: query.CodeQuery, Message: "The emulator does not implement the metadata property " + p + " (it describes the properties its schema documents)."}
			}
			out[p] = v
		}
		out["MetadataId"] = e["MetadataId"]
		if t, ok := e["@odata.type"]; ok {
			out["@odata.type"] = t
		}
	}
	for _, x := range expandable {
		it, ok := expand[x]
		if !ok {
			delete(out, x)
			continue
		}
		v := e[x]
		if x == "GlobalOptionSet" {
			v = nil // the schema's choices are local option sets
		}
		if it.filter != "" {
			list, _ := v.([]any)
			var kept []any
			for _, a := range list {
				am, _ := a.(map[string]any)
				ok, err := metaMatch(am, it.filter)
				if err != nil {
					return nil, err
				}
				if ok {
					kept = append(kept, a)
				}
			}
			v = kept
		}
		if it.sel != "" {
			switch vv := v.(type) {
			case map[string]any:
				m, err := metaShape(vv, it.sel, nil)
				if err != nil {
					return nil, err
				}
				v = m
			case []any:
				var list []any
				for _, a := range vv {
					if am, ok := a.(map[string]any); ok {
						m, err := metaShape(am, it.sel, nil)
						if err != nil {
							return nil, err
						}
						list = append(list, m)
					}
				}
				v = list
			}
		}
		if x == "Attributes" && v == nil {
			v = []any{}
		}
		out[x] = v
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
