package query

import (
	"fmt"
	"sort"
	"strings"
)

// FetchResult is the outcome of a FetchXML query, as the Web API returns it.
type FetchResult struct {
	Table string // logical name of the entity element
	// Rows are the output records: the entity's attributes under their Web
	// API names (lookups as _x_value) or their alias, the primary key,
	// link-entity attributes as "<alias>.<attribute>", or for an aggregate
	// query the aliases.
	Rows []map[string]any
	// MoreRecords is @Microsoft.Dynamics.CRM.morerecords: rows follow this page.
	MoreRecords bool
	// PagingCookie is the @Microsoft.Dynamics.CRM.fetchxmlpagingcookie
	// annotation, "" when MoreRecords is false.
	PagingCookie string
	// TotalRecordCount is @Microsoft.Dynamics.CRM.totalrecordcount when the
	// query sets returntotalrecordcount, else -1.
	TotalRecordCount int
	// TotalRecordCountLimitExceeded is
	// @Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded: more than 5000
	// rows match.
	TotalRecordCountLimitExceeded bool
	// Columns are the entity's output columns, for @odata.context.
	Columns []string
}

// joined is one result row before projection: the entity's row under ""
// and each link-entity's row under its key (nil for an outer join miss).
type joined map[string]Row

// RunFetch checks a parsed FetchXML query against the schema and runs it.
func (e *Env) RunFetch(f *Fetch) (*FetchResult, error) {
	root := f.Entity.Name
	if err := e.checkFetchEntity(&f.Entity, f.Aggregate, map[string]string{"": root}); err != nil {
		return nil, err
	}
	tables := map[string]string{"": root}
	collectLinks(&f.Entity, tables)
	var rows []joined
	for _, r := range e.Data.Rows(root) {
		rows = append(rows, joined{"": r})
	}
	rows, err := e.joinLinks(rows, "", root, &f.Entity)
	if err != nil {
		return nil, err
	}
	var kept []joined
	for _, jr := range rows {
		ok, err := e.fetchFilters(f.Entity.Filters, "", tables, jr)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, jr)
		}
	}
	res := &FetchResult{Table: root, TotalRecordCount: -1}
	if f.Aggregate {
		limit := e.aggregateLimit()
		if f.AggregateLimit > 0 && f.AggregateLimit < limit {
			limit = f.AggregateLimit
		}
		if len(kept) > limit {
			return nil, &Error{Status: 400, Code: CodeAggregateLimit, Message: "AggregateQueryRecordLimit exceeded. Cannot perform this operation."}
		}
		out, err := e.fetchAggregate(f, tables, kept)
		if err != nil {
			return nil, err
		}
		res.Rows, res.MoreRecords = simplePage(f, out)
		return res, nil
	}
	e.fetchSort(f, tables, kept)
	out, cols := e.fetchProject(f, tables, kept)
	res.Columns = cols
	if f.Distinct {
		out, kept = distinctRows(out, kept)
	}
	if f.ReturnTotalRecordCount {
		res.TotalRecordCount = min(len(out), 5000)
		res.TotalRecordCountLimitExceeded = len(out) > 5000
	}
	switch {
	case f.Top != nil:
		if *f.Top < len(out) {
			out = out[:*f.Top]
		}
	default:
		size := 5000
		if f.Count != nil {
			size = *f.Count
		}
		page := 1
		if f.Page != nil {
			page = *f.Page
		}
		from := min((page-1)*size, len(out))
		to := min(from+size, len(out))
		res.MoreRecords = to < len(out)
		if res.MoreRecords {
			res.PagingCookie = e.pagingCookie(f, kept[from:to], page)
		}
		out = out[from:to]
	}
	res.Rows = out
	return res, nil
}

func collectLinks(ent *FetchEntity, tables map[string]string) {
	for _, l := range ent.Links {
		tables[l.Key] = l.Name
		collectLinks(&l.FetchEntity, tables)
	}
}

func noAttribute(table, attr string) *Error {
	return badRequest(CodeFetchNoAttribute, "'%s' entity doesn't contain attribute with Name = '%s' and NameMapping = 'Logical'.", table, attr)
}

// fetchColumn resolves a FetchXML attribute name (a logical name) to the
// row key holding its value.
func (e *Env) fetchColumn(table, attr string) (string, Column, error) {
	if e.Schema == nil {
		return attr, Column{Name: attr}, nil
	}
	col, ok := e.Schema.Column(table, attr)
	if !ok {
		return "", Column{}, noAttribute(table, attr)
	}
	if col.IsLookup() {
		return "_" + attr + "_value", col, nil
	}
	return attr, col, nil
}

func (e *Env) checkFetchEntity(ent *FetchEntity, aggregate bool, seen map[string]string) error {
	if e.Schema != nil {
		if _, ok := e.Schema.Table(ent.Name); !ok {
			return badRequest(CodeFetchNoEntity, "The entity with a name = '%s' with namemapping = 'Logical' was not found in the MetadataCache.", ent.Name)
		}
	}
	if aggregate && ent.AllAttributes {
		return fetchError("An aggregate query cannot use all-attributes.")
	}
	for _, a := range ent.Attributes {
		_, col, err := e.fetchColumn(ent.Name, a.Name)
		if err != nil {
			return err
		}
		if aggregate {
			if a.Alias == "" {
				return fetchError("Every attribute of an aggregate query needs an alias; '%s' has none.", a.Name)
			}
			if (a.Aggregate == "") == !a.GroupBy {
				return fetchError("Every attribute of an aggregate query needs either an aggregate or groupby='true'; '%s' has %s.", a.Name, map[bool]string{true: "both", false: "neither"}[a.Aggregate != ""])
			}
			if (a.Aggregate == "sum" || a.Aggregate == "avg") && col.Type != "" && !isNumericEdm(edmType(col)) {
				return fetchError("The aggregate '%s' cannot be applied to '%s' of type %s.", a.Aggregate, a.Name, col.Type)
			}
			if a.DateGrouping != "" && col.Type != "" && col.Type != TypeDateTime {
				return fetchError("dategrouping needs a date and time attribute; '%s' is %s.", a.Name, col.Type)
			}
		} else if a.Aggregate != "" || a.GroupBy {
			return fetchError("The attribute '%s' uses aggregate or groupby in a query without aggregate='true'.", a.Name)
		}
	}
	for _, o := range ent.Orders {
		if o.Attribute != "" {
			if _, _, err := e.fetchColumn(ent.Name, o.Attribute); err != nil {
				return err
			}
			if aggregate {
				return fetchError("An order in an aggregate query must use an alias, not the attribute '%s'.", o.Attribute)
			}
		}
		if o.Alias != "" && !aggregate {
			return notImplemented("order by alias outside an aggregate query")
		}
	}
	for _, l := range ent.Links {
		if _, dup := seen[l.Key]; dup {
			return fetchError("The alias '%s' is used more than once.", l.Key)
		}
		seen[l.Key] = l.Name
		if l.From == "" || l.To == "" {
			return fetchError("The link-entity '%s' needs 'from' and 'to' attributes.", l.Name)
		}
		if err := e.checkFetchEntity(&l.FetchEntity, aggregate, seen); err != nil {
			return err
		}
		if _, _, err := e.fetchColumn(l.Name, l.From); err != nil {
			return err
		}
		if _, _, err := e.fetchColumn(ent.Name, l.To); err != nil {
			return err
		}
	}
	for _, fl := range ent.Filters {
		if err := e.checkFetchFilter(ent.Name, fl, seen); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) checkFetchFilter(table string, f *FetchFilter, seen map[string]string) error {
	for _, c := range f.Conditions {
		t := table
		if c.EntityName != "" {
			lt, ok := seen[c.EntityName]
			if !ok {
				return fetchError("The entityname '%s' of a condition is not the alias of a link-entity of the query.", c.EntityName)
			}
			t = lt
		}
		_, col, err := e.fetchColumn(t, c.Attribute)
		if err != nil {
			return err
		}
		if c.ValueOf != "" {
			if _, _, err := e.fetchColumn(t, c.ValueOf); err != nil {
				return err
			}
			switch c.Operator {
			case "eq", "ne", "neq", "gt", "ge", "lt", "le":
			default:
				return fetchError("valueof can only be used with eq, ne, gt, ge, lt and le, not '%s'.", c.Operator)
			}
			continue
		}
		if notImplementedOperators[c.Operator] {
			return notImplemented("the condition operator '%s'", c.Operator)
		}
		arity, ok := fetchOperators[c.Operator]
		if !ok {
			return fetchError("The condition operator '%s' is not valid.", c.Operator)
		}
		n := len(c.Values)
		if c.Value != nil {
			n++
		}
		switch {
		case arity == 0 && n != 0:
			return fetchError("The condition operator '%s' takes no value.", c.Operator)
		case arity == 1 && n != 1:
			return fetchError("The condition operator '%s' takes exactly one value.", c.Operator)
		case arity == 2 && n != 2:
			return fetchError("The condition operator '%s' takes exactly two values.", c.Operator)
		case arity == -1 && n == 0:
			return fetchError("The condition operator '%s' needs at least one value.", c.Operator)
		}
		var v any
		if c.Value != nil {
			v = *c.Value
		}
		if err := e.checkOperator(c.Operator, col, t, v); err != nil {
			return err
		}
	}
	for _, sub := range f.Filters {
		if err := e.checkFetchFilter(table, sub, seen); err != nil {
			return err
		}
	}
	return nil
}

// joinLinks joins the link-entities of ent (whose rows are under key) to rows.
func (e *Env) joinLinks(rows []joined, key, table string, ent *FetchEntity) ([]joined, error) {
	for _, l := range ent.Links {
		toKey, _, _ := e.fetchColumn(table, l.To)
		fromKey, _, _ := e.fetchColumn(l.Name, l.From)
		children := e.Data.Rows(l.Name)
		var out []joined
		for _, jr := range rows {
			parent := jr[key]
			var matches []Row
			if parent != nil && parent[toKey] != nil {
				for _, c := range children {
					if !equal(c[fromKey], parent[toKey]) {
						continue
					}
					ok, err := e.fetchFilters(l.Filters, l.Key, map[string]string{l.Key: l.Name}, joined{l.Key: c})
					if err != nil {
						return nil, err
					}
					if ok {
						matches = append(matches, c)
					}
				}
			}
			switch l.LinkType {
			case "inner":
				for _, m := range matches {
					out = append(out, with(jr, l.Key, m))
				}
			case "outer":
				if len(matches) == 0 {
					out = append(out, with(jr, l.Key, nil))
				}
				for _, m := range matches {
					out = append(out, with(jr, l.Key, m))
				}
			case "any", "exists", "in":
				if len(matches) > 0 {
					out = append(out, jr)
				}
			case "not any":
				if len(matches) == 0 {
					out = append(out, jr)
				}
			}
		}
		rows = out
		if l.LinkType == "inner" || l.LinkType == "outer" {
			var err error
			if rows, err = e.joinLinks(rows, l.Key, l.Name, &l.FetchEntity); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

func with(jr joined, key string, r Row) joined {
	out := make(joined, len(jr)+1)
	for k, v := range jr {
		out[k] = v
	}
	out[key] = r
	return out
}

// fetchFilters evaluates filters (all must hold) on a joined row; key is
// the row the conditions apply to unless they name an entityname.
func (e *Env) fetchFilters(fs []*FetchFilter, key string, tables map[string]string, jr joined) (bool, error) {
	for _, f := range fs {
		ok, err := e.fetchFilter(f, key, tables, jr)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (e *Env) fetchFilter(f *FetchFilter, key string, tables map[string]string, jr joined) (bool, error) {
	or := f.Type == "or"
	terms := 0
	for _, c := range f.Conditions {
		terms++
		ok, err := e.fetchCondition(c, key, tables, jr)
		if err != nil {
			return false, err
		}
		if ok == or {
			return or, nil
		}
	}
	for _, sub := range f.Filters {
		terms++
		ok, err := e.fetchFilter(sub, key, tables, jr)
		if err != nil {
			return false, err
		}
		if ok == or {
			return or, nil
		}
	}
	return !or || terms == 0, nil
}

func (e *Env) fetchCondition(c FetchCondition, key string, tables map[string]string, jr joined) (bool, error) {
	k := key
	if c.EntityName != "" {
		k = c.EntityName
	}
	table := tables[k]
	row := jr[k]
	col, _, _ := e.fetchColumn(table, c.Attribute)
	var v any
	if row != nil {
		v = row[col]
	}
	if c.ValueOf != "" {
		other, _, _ := e.fetchColumn(table, c.ValueOf)
		var w any
		if row != nil {
			w = row[other]
		}
		if v == nil || w == nil {
			return false, nil
		}
		return e.test(c.Operator, v, []any{w})
	}
	_, colInfo, _ := e.fetchColumn(table, c.Attribute)
	var vals []any
	if c.Value != nil {
		vals = append(vals, coerce(colInfo, *c.Value))
	}
	for _, x := range c.Values {
		vals = append(vals, coerce(colInfo, x))
	}
	if isHierarchyOperator(c.Operator) {
		return e.testHierarchy(table, c.Operator, v, vals[0])
	}
	return e.test(c.Operator, v, vals)
}

// coerce turns a FetchXML value (always text) into the column's kind:
// booleans from "1"/"true", GUIDs without braces ("{E062...}").
func coerce(col Column, s string) any {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' && IsGUID(s[1:37]) {
		return strings.ToLower(s[1:37])
	}
	if col.Type == TypeBoolean {
		if b, err := parseBool(s); err == nil {
			return b
		}
	}
	return s
}

// fetchSort orders rows by the order elements of the entity and its
// link-entities (entity orders first).
func (e *Env) fetchSort(f *Fetch, tables map[string]string, rows []joined) {
	type key struct {
		alias, col string
		desc       bool
	}
	var keys []key
	var walk func(k string, ent *FetchEntity)
	walk = func(k string, ent *FetchEntity) {
		for _, o := range ent.Orders {
			ek := k
			if o.EntityName != "" {
				ek = o.EntityName
			}
			col, _, _ := e.fetchColumn(tables[ek], o.Attribute)
			keys = append(keys, key{ek, col, o.Descending})
		}
		for _, l := range ent.Links {
			walk(l.Key, &l.FetchEntity)
		}
	}
	walk("", &f.Entity)
	if len(keys) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			var a, b any
			if r := rows[i][k.alias]; r != nil {
				a = e.sortKey(tables[k.alias], k.col, r)
			}
			if r := rows[j][k.alias]; r != nil {
				b = e.sortKey(tables[k.alias], k.col, r)
			}
			if c := orderCompare(a, b); c != 0 {
				return c < 0 != k.desc
			}
		}
		return false
	})
}

// fetchProject renders the joined rows.
func (e *Env) fetchProject(f *Fetch, tables map[string]string, rows []joined) ([]map[string]any, []string) {
	root := f.Entity.Name
	tb, _ := e.table(root)
	var cols []string
	aliases := map[string]string{} // row key -> alias
	for _, a := range f.Entity.Attributes {
		k, _, _ := e.fetchColumn(root, a.Name)
		if !contains(cols, k) {
			cols = append(cols, k)
		}
		if a.Alias != "" {
			aliases[k] = a.Alias
		}
	}
	out := make([]map[string]any, 0, len(rows))
	var ctx []string
	for i, jr := range rows {
		base := jr[""]
		c := cols
		if f.Entity.AllAttributes {
			c = e.columns(root, nil, base)
		} else {
			c = e.columns(root, cols, base)
		}
		if i == 0 {
			ctx = c
		}
		o := e.render(root, base, c)
		for k, alias := range aliases {
			if v, ok := o[k]; ok {
				delete(o, k)
				o[alias] = v
			}
		}
		e.linkColumns(o, jr, tables, &f.Entity)
		out = append(out, o)
	}
	if ctx == nil {
		ctx = e.columns(root, cols, Row{})
	}
	_ = tb
	return out, ctx
}

func (e *Env) linkColumns(o map[string]any, jr joined, tables map[string]string, ent *FetchEntity) {
	for _, l := range ent.Links {
		if l.LinkType != "inner" && l.LinkType != "outer" {
			continue
		}
		r := jr[l.Key]
		add := func(name, alias, rowKey string) {
			k := l.Key + "." + name
			if alias != "" {
				k = alias
			}
			if r == nil {
				return // Dataverse omits null values of an outer join
			}
			if v := r[rowKey]; v != nil {
				o[k] = v
			}
		}
		if l.AllAttributes && r != nil {
			for _, k := range e.columns(l.Name, nil, r) {
				name := k
				if c, ok := lookupColumnName(k); ok {
					name = c
				}
				add(name, "", k)
			}
		}
		for _, a := range l.Attributes {
			k, _, _ := e.fetchColumn(l.Name, a.Name)
			add(a.Name, a.Alias, k)
		}
		e.linkColumns(o, jr, tables, &l.FetchEntity)
	}
}

func distinctRows(out []map[string]any, rows []joined) ([]map[string]any, []joined) {
	seen := map[string]bool{}
	var o2 []map[string]any
	var r2 []joined
	for i, o := range out {
		var keys []string
		for k, v := range o {
			if k == "@odata.etag" || strings.Contains(k, "@") {
				continue
			}
			keys = append(keys, fmt.Sprintf("%s=%v", k, normKey(v)))
		}
		sort.Strings(keys)
		id := strings.Join(keys, "|")
		if seen[id] {
			continue
		}
		seen[id] = true
		o2 = append(o2, o)
		r2 = append(r2, rows[i])
	}
	return o2, r2
}

// fetchAggregate groups and aggregates ("Aggregate data using FetchXml").
func (e *Env) fetchAggregate(f *Fetch, tables map[string]string, rows []joined) ([]map[string]any, error) {
	type attr struct {
		FetchAttribute
		key, rowKey string
	}
	var attrs []attr
	var walk func(k string, ent *FetchEntity)
	walk = func(k string, ent *FetchEntity) {
		for _, a := range ent.Attributes {
			rk, _, _ := e.fetchColumn(tables[k], a.Name)
			attrs = append(attrs, attr{a, k, rk})
		}
		for _, l := range ent.Links {
			walk(l.Key, &l.FetchEntity)
		}
	}
	walk("", &f.Entity)
	value := func(a attr, jr joined) any {
		r := jr[a.key]
		if r == nil {
			return nil
		}
		v := r[a.rowKey]
		if a.DateGrouping != "" && v != nil {
			t, ok := timeOf(v)
			if !ok {
				return nil
			}
			t = t.In(e.now().Location())
			switch a.DateGrouping {
			case "year":
				return t.Year()
			case "quarter":
				return (int(t.Month())-1)/3 + 1
			case "month":
				return int(t.Month())
			case "week":
				_, w := t.ISOWeek()
				return w
			case "day":
				return t.Day()
			}
		}
		return v
	}
	type grp struct {
		keys []any
		rows []joined
	}
	index := map[string]*grp{}
	var groups []*grp
	for _, jr := range rows {
		var keys []any
		var id strings.Builder
		for _, a := range attrs {
			if a.GroupBy {
				v := value(a, jr)
				keys = append(keys, v)
				fmt.Fprintf(&id, "%T:%v|", normKey(v), normKey(v))
			}
		}
		g := index[id.String()]
		if g == nil {
			g = &grp{keys: keys}
			index[id.String()] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, jr)
	}
	if len(groups) == 0 && !hasGroupBy(attrs) {
		groups = []*grp{{}}
	}
	var out []map[string]any
	for _, g := range groups {
		o := map[string]any{}
		gi := 0
		for _, a := range attrs {
			if a.GroupBy {
				o[a.Alias] = g.keys[gi]
				gi++
				continue
			}
			var vals []any
			for _, jr := range g.rows {
				if v := value(a, jr); v != nil {
					vals = append(vals, v)
				}
			}
			method := a.Aggregate
			switch {
			case method == "count":
				o[a.Alias] = len(g.rows)
				continue
			case method == "countcolumn" && a.Distinct:
				method = "countdistinct"
			}
			_, col, _ := e.fetchColumn(tables[a.key], a.Name)
			v, err := aggregateValues(method, col.Type, vals)
			if err != nil {
				return nil, err
			}
			o[a.Alias] = v
		}
		out = append(out, o)
	}
	var orders []FetchOrder
	var collect func(ent *FetchEntity)
	collect = func(ent *FetchEntity) {
		orders = append(orders, ent.Orders...)
		for _, l := range ent.Links {
			collect(&l.FetchEntity)
		}
	}
	collect(&f.Entity)
	for _, o := range orders {
		found := false
		for _, a := range attrs {
			found = found || a.Alias == o.Alias
		}
		if !found {
			return nil, fetchError("The order alias '%s' is not the alias of an attribute.", o.Alias)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		for _, o := range orders {
			if c := orderCompare(out[i][o.Alias], out[j][o.Alias]); c != 0 {
				return c < 0 != o.Descending
			}
		}
		return false
	})
	if f.Top != nil && *f.Top < len(out) {
		out = out[:*f.Top]
	}
	return out, nil
}

func hasGroupBy[T interface{ isGroupBy() bool }](attrs []T) bool {
	for _, a := range attrs {
		if a.isGroupBy() {
			return true
		}
	}
	return false
}

func (a FetchAttribute) isGroupBy() bool { return a.GroupBy }

// pagingCookie builds the @Microsoft.Dynamics.CRM.fetchxmlpagingcookie
// value for a page: the inner cookie names the entity's order attributes
// and primary key with the page's last and first values, URL-encoded
// twice ("Page results using FetchXml").
func (e *Env) pagingCookie(f *Fetch, page []joined, number int) string {
	if len(page) == 0 {
		return ""
	}
	root := f.Entity.Name
	tb, _ := e.table(root)
	first, last := page[0][""], page[len(page)-1][""]
	var b strings.Builder
	fmt.Fprintf(&b, `<cookie page="%d">`, number)
	cookieValue := func(v any) string {
		s := fmt.Sprint(v)
		if v == nil {
			s = ""
		}
		if IsGUID(s) {
			return "{" + strings.ToUpper(s) + "}"
		}
		return xmlAttr(s)
	}
	for _, o := range f.Entity.Orders {
		if o.Attribute == "" || o.Attribute == tb.PrimaryKey {
			continue
		}
		k, _, _ := e.fetchColumn(root, o.Attribute)
		fmt.Fprintf(&b, `<%s last="%s" first="%s" />`, o.Attribute, cookieValue(last[k]), cookieValue(first[k]))
	}
	fmt.Fprintf(&b, `<%s last="%s" first="%s" />`, tb.PrimaryKey, cookieValue(last[tb.PrimaryKey]), cookieValue(first[tb.PrimaryKey]))
	b.WriteString(`</cookie>`)
	return fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="False" />`, number+1, urlEncodeLower(urlEncodeLower(b.String())))
}

func xmlAttr(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// urlEncodeLower percent-encodes every byte but letters, digits, '-', '_'
// and '.', with lower-case hex digits, as Dataverse writes paging cookies.
func urlEncodeLower(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Context returns the select part of @odata.context for a FetchXML result,
// as web-api-query-data-sample-034 shows it: the columns, each lookup
// followed by its navigation property name,
// "(fullname,annualincome,_transactioncurrencyid_value,transactioncurrencyid,contactid)".
// It is "" for an aggregate query.
func (r *FetchResult) Context() string {
	if len(r.Columns) == 0 {
		return ""
	}
	var parts []string
	for _, c := range r.Columns {
		parts = append(parts, c)
		if n, ok := lookupColumnName(c); ok {
			parts = append(parts, n)
		}
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// simplePage applies count and page to aggregated rows (no paging cookie:
// Dataverse returns none for aggregates).
func simplePage(f *Fetch, out []map[string]any) ([]map[string]any, bool) {
	if f.Count == nil && f.Page == nil {
		return out, false
	}
	size, page := 5000, 1
	if f.Count != nil {
		size = *f.Count
	}
	if f.Page != nil {
		page = *f.Page
	}
	from := min((page-1)*size, len(out))
	to := min(from+size, len(out))
	return out[from:to], to < len(out)
}
