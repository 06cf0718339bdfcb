package query

import (
	"sort"
	"strings"
)

// Match returns the rows of table that q selects: filtered by $filter,
// sorted by $orderby and cut to $top. Dataverse ignores $top when the
// request sets odata.maxpagesize ("Page results using OData"): the handler
// then sets q.Top to nil and pages the result itself. With $apply, use
// RunApply instead.
func (e *Env) Match(table string, q *Query) ([]Row, error) {
	rows, err := e.filterRows(table, e.Data.Rows(table), q.Filter)
	if err != nil {
		return nil, err
	}
	e.sortRows(table, rows, q.OrderBy)
	if q.Top != nil && *q.Top < len(rows) {
		rows = rows[:*q.Top]
	}
	return rows, nil
}

func (e *Env) filterRows(table string, rows []Row, f Expr) ([]Row, error) {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if f != nil {
			ok, err := e.Matches(table, f, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// sortKey is the value a row sorts by: a lookup sorts by the primary name
// of the record it points to ("Order rows using OData"), a choice by its
// number.
func (e *Env) sortKey(table, col string, r Row) any {
	v := r[col]
	if e.Schema == nil || v == nil {
		return v
	}
	c, ok := lookupColumnName(col)
	if !ok {
		return v
	}
	colInfo, ok := e.Schema.Column(table, c)
	if !ok {
		return v
	}
	target, _ := r[col+"@Microsoft.Dynamics.CRM.lookuplogicalname"].(string)
	if target == "" && len(colInfo.Targets) == 1 {
		target = colInfo.Targets[0]
	}
	if tb, ok := e.Schema.Table(target); ok && tb.PrimaryName != "" {
		if id, ok := v.(string); ok {
			if rr, ok := e.Data.Row(target, strings.ToLower(id)); ok {
				return rr[tb.PrimaryName]
			}
		}
	}
	return v
}

// sortRows orders rows stably. Nulls sort first ascending and last
// descending, as SQL Server (Dataverse's store) orders them.
func (e *Env) sortRows(table string, rows []Row, order []OrderItem) {
	if len(order) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range order {
			col := o.Path[len(o.Path)-1]
			a, b := e.sortKey(table, col, rows[i]), e.sortKey(table, col, rows[j])
			c := orderCompare(a, b)
			if c != 0 {
				if o.Desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
}

func orderCompare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	c, _ := compare(a, b)
	return c
}

// columns resolves a $select list to row keys, adding the primary key and,
// when a money column is selected, the record's currency lookup (as
// Dataverse does).
func (e *Env) columns(table string, sel []string, row Row) []string {
	tb, _ := e.table(table)
	var cols []string
	if sel == nil {
		for k := range row {
			if !strings.Contains(k, "@") {
				cols = append(cols, k)
			}
		}
		sort.Strings(cols)
		return cols
	}
	cols = append(cols, sel...)
	money := false
	for _, c := range sel {
		if e.Schema != nil {
			if col, ok := e.Schema.Column(table, c); ok && col.Type == TypeMoney {
				money = true
			}
		}
	}
	if money {
		if _, ok := e.Schema.Column(table, "transactioncurrencyid"); ok && !contains(cols, "_transactioncurrencyid_value") {
			cols = append(cols, "_transactioncurrencyid_value")
		}
	}
	if tb.PrimaryKey != "" && !contains(cols, tb.PrimaryKey) {
		cols = append(cols, tb.PrimaryKey)
	}
	return cols
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Project renders rows of table as the Web API returns them: the $select
// columns (every column without $select) and the primary key, through
// Env.Render, with the $expand navigation properties nested.
func (e *Env) Project(table string, q *Query, rows []Row) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		o, err := e.projectRow(table, q.Select, q.Expand, q.nested, r)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (e *Env) projectRow(table string, sel []string, expand []*ExpandItem, nested bool, r Row) (map[string]any, error) {
	cols := e.columns(table, sel, r)
	for _, it := range expand {
		if it.Ref && !contains(cols, "_"+it.nav.Column+"_value") {
			cols = append(cols, "_"+it.nav.Column+"_value")
		}
	}
	o := e.render(table, r, cols)
	for _, it := range expand {
		v, extra, err := e.expandValue(table, it, nested, r)
		if err != nil {
			return nil, err
		}
		o[it.Nav] = v
		for k, x := range extra {
			o[k] = x
		}
	}
	return o, nil
}

func (e *Env) expandValue(table string, it *ExpandItem, nested bool, r Row) (any, map[string]any, error) {
	nav := it.nav
	tt, err := e.table(nav.Target)
	if err != nil {
		return nil, nil, err
	}
	if !nav.Collection {
		child, ok := e.follow(nav, r)
		if !ok {
			return nil, nil, nil
		}
		if it.Ref {
			id, _ := child[tt.PrimaryKey].(string)
			return map[string]any{"@odata.id": e.BaseURL + tt.EntitySet + "(" + id + ")"}, nil, nil
		}
		if it.Filter != nil {
			ok, err := e.Matches(nav.Target, it.Filter, child)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				return nil, nil, nil
			}
		}
		o, err := e.projectRow(nav.Target, it.Select, it.Expand, nested, child)
		if err != nil {
			return nil, nil, err
		}
		if !e.LookupETags {
			delete(o, "@odata.etag") // none for an expanded lookup in a collection
		}
		return o, nil, nil
	}
	children, err := e.related(table, nav, r)
	if err != nil {
		return nil, nil, err
	}
	if children, err = e.filterRows(nav.Target, children, it.Filter); err != nil {
		return nil, nil, err
	}
	e.sortRows(nav.Target, children, it.OrderBy)
	if it.Top != nil && *it.Top < len(children) {
		children = children[:*it.Top]
	}
	list := make([]any, 0, len(children))
	for _, c := range children {
		sel := it.Select
		if sel != nil && !nav.ManyToMany && nav.Column != "" && !contains(sel, "_"+nav.Column+"_value") {
			// Dataverse returns the lookup that relates each expanded row.
			sel = append(append([]string{}, sel...), "_"+nav.Column+"_value")
		}
		o, err := e.projectRow(nav.Target, sel, it.Expand, nested, c)
		if err != nil {
			return nil, nil, err
		}
		list = append(list, o)
	}
	more := false
	if nested && e.MaxPageSize > 0 && len(list) > e.MaxPageSize {
		list, children, more = list[:e.MaxPageSize], children[:e.MaxPageSize], true
	}
	tb, _ := e.table(table)
	id, _ := r[tb.PrimaryKey].(string)
	link := e.BaseURL + tb.EntitySet + "(" + id + ")/" + it.Nav
	var opts []string
	if it.Options != "" {
		for _, o := range splitTop(it.Options, ';') {
			opts = append(opts, strings.TrimSpace(o))
		}
	}
	if more {
		pk := tt.PrimaryKey
		first, _ := children[0][pk].(string)
		last, _ := children[len(children)-1][pk].(string)
		opts = append(opts, "$skiptoken="+NestedSkipToken(pk, 1, len(children), first, last))
	}
	if len(opts) > 0 {
		link += "?" + strings.Join(opts, "&")
	}
	return list, map[string]any{it.Nav + "@odata.nextLink": link}, nil
}

// Context returns the select-and-expand part of @odata.context for q:
// "(name,primarycontactid(fullname),Account_Tasks(subject))", or "" when q
// has neither $select nor $expand.
func (q *Query) Context() string {
	if q.Apply != nil {
		return ""
	}
	return selectContext(q.Select, q.Expand)
}

func selectContext(sel []string, expand []*ExpandItem) string {
	if sel == nil && len(expand) == 0 {
		return ""
	}
	parts := append([]string{}, sel...)
	for _, it := range expand {
		if it.Ref {
			parts = append(parts, it.Nav, it.Nav+"/$ref()")
			continue
		}
		sub := selectContext(it.Select, it.Expand)
		if sub == "" {
			sub = "()"
		}
		parts = append(parts, it.Nav+sub)
	}
	return "(" + strings.Join(parts, ",") + ")"
}
