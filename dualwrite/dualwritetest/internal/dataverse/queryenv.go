package dataverse

import (
	"fmt"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/query"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// This file adapts the schema and the store to the query package: a
// query.Schema over *schema.Schema, a query.Data over store.Store, and the
// Env a request's query is evaluated in.

// querySchema is the schema as the query package reads it. A navigation
// property to a table the schema documents but the emulator does not have
// (task, email, team...) is recorded in missing, for a 501.
type querySchema struct {
	s       *schema.Schema
	missing *string
}

func (q querySchema) target(nav, target string) {
	if _, ok := q.s.Table(target); !ok && q.missing != nil && *q.missing == "" {
		*q.missing = fmt.Sprintf("the navigation property %s: the emulator has no %s table", nav, target)
	}
}

func (q querySchema) Table(logical string) (query.Table, bool) {
	t, ok := q.s.Table(logical)
	if !ok {
		return query.Table{}, false
	}
	return query.Table{LogicalName: t.LogicalName, EntitySet: t.EntitySet, PrimaryKey: t.PrimaryKey, PrimaryName: t.PrimaryName}, true
}

func (q querySchema) Column(table, column string) (query.Column, bool) {
	t, ok := q.s.Table(table)
	if !ok {
		return query.Column{}, false
	}
	c, ok := t.Column(column)
	if !ok || !c.WebAPI {
		return query.Column{}, false
	}
	return query.Column{Name: c.LogicalName, Type: string(c.Type), Targets: c.Targets}, true
}

func (q querySchema) Navigation(table, name string) (query.Navigation, bool) {
	t, ok := q.s.Table(table)
	if !ok {
		return query.Navigation{}, false
	}
	if n, ok := t.Navigation(name); ok {
		q.target(n.Name, n.Target)
		return query.Navigation{Name: n.Name, Target: n.Target, Column: n.Column}, true
	}
	if n, ok := t.CollectionNavigation(name); ok {
		q.target(n.Name, n.Target)
		return query.Navigation{Name: n.Name, Target: n.Target, Collection: true, Column: n.ReferencingColumn}, true
	}
	if e, ok := t.ManyToMany(name); ok {
		q.target(name, e)
		return query.Navigation{Name: name, Collection: true, ManyToMany: true}, true
	}
	return query.Navigation{}, false
}

// queryData is the store as the query package reads it: the stored
// records themselves (never changed in place), in creation order.
type queryData struct{ st store.Store }

func (q queryData) Rows(table string) []query.Row {
	tb := q.st.Dataverse(table)
	if tb == nil || tb.Logical == "" {
		return nil
	}
	es := tb.Sorted()
	out := make([]query.Row, len(es))
	for i, e := range es {
		out[i] = e.Rec()
	}
	return out
}

func (q queryData) Row(table, id string) (query.Row, bool) {
	tb := q.st.Dataverse(table)
	if tb == nil || tb.Logical == "" {
		return nil, false
	}
	e := tb.Get(strings.ToLower(id))
	if e == nil {
		return nil, false
	}
	return e.Rec(), true
}

// queryEnv returns the Env the request's queries on the table run in. A
// table the schema does not describe (an msdyn_ table made on first use)
// is queried without checks.
func (s *Service) queryEnv(d *request, tb *table, pageSize int) *query.Env {
	env := &query.Env{
		Data:           queryData{s.Store},
		UserID:         s.UserID,
		BusinessUnitID: s.BusinessUnitID,
		BaseURL:        d.base,
		MaxPageSize:    pageSize,
	}
	if s.Schema != nil {
		if _, ok := s.Schema.Table(tb.Logical); ok {
			env.Schema = querySchema{s: s.Schema, missing: &d.missing}
		}
	}
	annotations := d.annotations()
	env.Render = func(table string, row query.Row, cols []string) map[string]any {
		t := s.Store.Dataverse(table)
		if t == nil {
			return copyColumns(row, cols)
		}
		e := t.Get(strings.ToLower(store.Text(row[t.Key])))
		if e == nil {
			return copyColumns(row, cols)
		}
		if allColumns(row, cols) {
			cols = nil // every column: the record as a GET without $select reads it
		}
		return s.out(t, e, cols, annotations)
	}
	return env
}

// allColumns reports whether cols are every column of row.
func allColumns(row query.Row, cols []string) bool {
	n := 0
	for k := range row {
		if !strings.Contains(k, "@") {
			n++
		}
	}
	if n != len(cols) {
		return false
	}
	for _, c := range cols {
		if _, ok := row[c]; !ok {
			return false
		}
	}
	return true
}

func copyColumns(row query.Row, cols []string) map[string]any {
	out := map[string]any{}
	for _, c := range cols {
		out[c] = row[c]
	}
	return out
}
