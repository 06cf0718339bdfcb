package query

import (
	"fmt"
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"sort"
	"strings"
)

// Apply is a parsed $apply: transformations applied in order, separated by
// '/' in the query ("Aggregate data using OData").
type Apply struct {
	Steps []ApplyStep
}

// ApplyStep is one transformation: filter(...), groupby(...) or aggregate(...).
type ApplyStep struct {
	Kind       string     // "filter", "groupby" or "aggregate"
	Filter     Expr       // filter
	GroupBy    [][]string // groupby: property paths ("statuscode", "primarycontactid/fullname")
	Aggregates []Aggregate
}

// Aggregate is "col with method as alias" or "$count as alias".
type Aggregate struct {
	Path   []string // nil for $count
	Method string   // sum, min, max, average, countdistinct; "count" for $count
	Alias  string
}

// ParseApply parses a $apply value.
func ParseApply(s string) (*Apply, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, syntaxError("The $apply expression is empty.")
	}
	a := &Apply{}
	for _, part := range splitTop(s, '/') {
		part = strings.TrimSpace(part)
		i := strings.IndexByte(part, '(')
		if i < 0 || !strings.HasSuffix(part, ")") {
			// a '/' inside a groupby path was split: that cannot happen at
			// depth 0, so this is a malformed transformation.
			return nil, syntaxError("'%s' is not a valid $apply transformation in '%s'.", part, s)
		}
		name, body := strings.TrimSpace(part[:i]), part[i+1:len(part)-1]
		var st ApplyStep
		var err error
		switch name {
		case "filter":
			st.Kind = "filter"
			st.Filter, err = ParseFilter(body, nil)
		case "groupby":
			st.Kind = "groupby"
			err = st.parseGroupBy(body)
		case "aggregate":
			st.Kind = "aggregate"
			st.Aggregates, err = parseAggregates(body)
		case "topcount", "topsum", "toppercent", "bottomcount", "bottomsum", "bottompercent", "identity",
			"concat", "expand", "search", "compute", "orderby", "top", "skip", "nest":
			return nil, notImplemented("the $apply transformation '%s'", name)
		default:
			return nil, syntaxError("'%s' is not a valid $apply transformation.", name)
		}
		if err != nil {
			return nil, err
		}
		a.Steps = append(a.Steps, st)
	}
	return a, nil
}

func (st *ApplyStep) parseGroupBy(body string) error {
	parts := splitTop(body, ',')
	first := strings.TrimSpace(parts[0])
	if !strings.HasPrefix(first, "(") || !strings.HasSuffix(first, ")") {
		return syntaxError("groupby needs a parenthesized list of properties: groupby((col1,col2)).")
	}
	for _, p := range strings.Split(first[1:len(first)-1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return syntaxError("groupby has an empty property.")
		}
		st.GroupBy = append(st.GroupBy, strings.Split(p, "/"))
	}
	for _, rest := range parts[1:] {
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "aggregate(") || !strings.HasSuffix(rest, ")") {
			return notImplemented("the groupby transformation '%s'", rest)
		}
		aggs, err := parseAggregates(rest[len("aggregate(") : len(rest)-1])
		if err != nil {
			return err
		}
		st.Aggregates = append(st.Aggregates, aggs...)
	}
	return nil
}

func parseAggregates(body string) ([]Aggregate, error) {
	var out []Aggregate
	for _, p := range splitTop(body, ',') {
		f := strings.Fields(p)
		switch {
		case len(f) == 3 && f[0] == "$count" && f[1] == "as":
			out = append(out, Aggregate{Method: "count", Alias: f[2]})
		case len(f) == 5 && f[1] == "with" && f[3] == "as":
			switch f[2] {
			case "sum", "min", "max", "average", "countdistinct":
			default:
				return nil, notImplemented("the aggregation method '%s'", f[2])
			}
			out = append(out, Aggregate{Path: strings.Split(f[0], "/"), Method: f[2], Alias: f[4]})
		default:
			return nil, syntaxError("'%s' is not a valid aggregate expression: use 'column with method as alias' or '$count as alias'.", strings.TrimSpace(p))
		}
	}
	return out, nil
}

// hasGroupKey reports whether name is an output property of a groupby.
func (a *Apply) hasGroupKey(name string) bool {
	for _, st := range a.Steps {
		for _, g := range st.GroupBy {
			if strings.Join(g, "/") == name {
				return true
			}
		}
	}
	return false
}

func (e *Env) checkApply(table string, a *Apply) error {
	grouped := false
	for _, st := range a.Steps {
		if grouped {
			return notImplemented("a $apply transformation after groupby or aggregate")
		}
		switch st.Kind {
		case "filter":
			if err := e.CheckFilter(table, st.Filter); err != nil {
				return err
			}
		case "groupby", "aggregate":
			grouped = true
			for _, g := range st.GroupBy {
				if _, err := e.applyPath(table, g); err != nil {
					return err
				}
			}
			for _, ag := range st.Aggregates {
				if ag.Path == nil {
					continue
				}
				p, err := e.applyPath(table, ag.Path)
				if err != nil {
					return err
				}
				if (ag.Method == "sum" || ag.Method == "average") && p.col.Type != "" && !isNumericEdm(edmType(p.col)) {
					return badRequest(CodeQuery, "The aggregation method '%s' cannot be applied to '%s' of type %s.", ag.Method, strings.Join(ag.Path, "/"), p.col.Type)
				}
			}
		}
	}
	return nil
}

func (e *Env) applyPath(table string, path []string) (property, error) {
	if len(path) > 2 {
		return property{}, notImplemented("$apply paths through more than one navigation property")
	}
	_, p, _, err := e.resolvePath(table, path)
	return p, err
}

// applyKey is the output property of a groupby path: the column, or for
// nav/col the target table and column joined by '_' ("contact_fullname").
func applyKey(nav Navigation, path []string) string {
	if len(path) == 1 {
		return path[0]
	}
	return nav.Target + "_" + path[len(path)-1]
}

func (e *Env) applyValue(table string, path []string, r Row) (any, string, error) {
	if len(path) == 1 {
		return r[path[0]], path[0], nil
	}
	nav, _ := e.navigation(table, path[0])
	if e.Schema == nil {
		nav = Navigation{Name: path[0], Target: path[0], Column: path[0]}
	}
	v, err := e.value(table, Property{Path: path}, r, nil)
	return v, applyKey(nav, path), err
}

func (e *Env) aggregateLimit() int {
	if e.AggregateLimit > 0 {
		return e.AggregateLimit
	}
	return 50000
}

// RunApply evaluates a query with $apply: $filter first, then the
// transformations, then $orderby (on groupby properties) and $top. Null
// group values are left out of their group's object, as Dataverse does.
func (e *Env) RunApply(table string, q *Query) ([]map[string]any, error) {
	rows, err := e.filterRows(table, e.Data.Rows(table), q.Filter)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	grouped := false
	for _, st := range q.Apply.Steps {
		switch st.Kind {
		case "filter":
			if rows, err = e.filterRows(table, rows, st.Filter); err != nil {
				return nil, err
			}
		default:
			if len(rows) > e.aggregateLimit() {
				return nil, &Error{Status: 400, Code: CodeAggregateLimit, Message: "AggregateQueryRecordLimit exceeded. Cannot perform this operation."}
			}
			if out, err = e.group(table, rows, st.GroupBy, st.Aggregates); err != nil {
				return nil, err
			}
			grouped = true
		}
	}
	if !grouped {
		return nil, notImplemented("$apply without groupby or aggregate")
	}
	if len(q.OrderBy) > 0 {
		sort.SliceStable(out, func(i, j int) bool {
			for _, o := range q.OrderBy {
				key := o.Path[len(o.Path)-1]
				if len(o.Path) > 1 {
					nav, _ := e.navigation(table, o.Path[0])
					key = applyKey(nav, o.Path)
				}
				c := orderCompare(out[i][key], out[j][key])
				if c != 0 {
					return c < 0 != o.Desc
				}
			}
			return false
		})
	}
	if q.Top != nil && *q.Top < len(out) {
		out = out[:*q.Top]
	}
	return out, nil
}

type group struct {
	keys []any
	rows []Row
}

func (e *Env) group(table string, rows []Row, by [][]string, aggs []Aggregate) ([]map[string]any, error) {
	index := map[string]*group{}
	var groups []*group
	names := make([]string, len(by))
	for _, r := range rows {
		keys := make([]any, len(by))
		var id strings.Builder
		for i, p := range by {
			v, name, err := e.applyValue(table, p, r)
			if err != nil {
				return nil, err
			}
			keys[i], names[i] = v, name
			fmt.Fprintf(&id, "%T:%v|", v, normKey(v))
		}
		g := index[id.String()]
		if g == nil {
			g = &group{keys: keys}
			index[id.String()] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	if len(by) == 0 {
		groups = []*group{{rows: rows}}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		for k := range by {
			if c := orderCompare(groups[i].keys[k], groups[j].keys[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	var out []map[string]any
	for _, g := range groups {
		o := map[string]any{}
		for i, k := range g.keys {
			if k != nil {
				o[names[i]] = k
			}
		}
		for _, ag := range aggs {
			v, err := e.aggregate(table, ag, g.rows)
			if err != nil {
				return nil, err
			}
			o[ag.Alias] = v
		}
		out = append(out, o)
	}
	return out, nil
}

func normKey(v any) any {
	if s, ok := v.(string); ok {
		return strings.ToLower(s)
	}
	if f, ok := jsonnum.Float(v); ok {
		return f
	}
	return v
}

// aggregate computes one aggregate over rows; nulls are not considered
// ("Aggregate data using FetchXml").
func (e *Env) aggregate(table string, ag Aggregate, rows []Row) (any, error) {
	if ag.Method == "count" {
		return len(rows), nil
	}
	var vals []any
	for _, r := range rows {
		v, _, err := e.applyValue(table, ag.Path, r)
		if err != nil {
			return nil, err
		}
		if v != nil {
			vals = append(vals, v)
		}
	}
	typ := ""
	if p, err := e.applyPath(table, ag.Path); err == nil {
		typ = p.col.Type
	}
	return aggregateValues(ag.Method, typ, vals)
}

// aggregateValues computes an aggregate. The average of a whole-number
// column is a whole number, truncated, as SQL Server's AVG computes it
// ("Aggregate data using FetchXml" shows 3,911 for 35,200 / 9).
func aggregateValues(method, colType string, vals []any) (any, error) {
	switch method {
	case "count", "countcolumn":
		return len(vals), nil
	case "countdistinct":
		seen := map[string]bool{}
		for _, v := range vals {
			seen[fmt.Sprintf("%T:%v", normKey(v), normKey(v))] = true
		}
		return len(seen), nil
	case "sum", "average", "avg":
		total := 0.0
		for _, v := range vals {
			f, ok := jsonnum.Float(v)
			if !ok {
				return nil, badRequest(CodeQuery, "The aggregate '%s' needs numbers, not %v.", method, v)
			}
			total += f
		}
		if method == "sum" {
			return number(total), nil
		}
		if len(vals) == 0 {
			return nil, nil
		}
		if colType == TypeInteger || colType == TypeBigInt {
			return int64(total / float64(len(vals))), nil
		}
		return total / float64(len(vals)), nil
	case "min", "max":
		var best any
		for _, v := range vals {
			if best == nil {
				best = v
				continue
			}
			c, ok := compare(v, best)
			if ok && (method == "min" && c < 0 || method == "max" && c > 0) {
				best = v
			}
		}
		return best, nil
	}
	return nil, notImplemented("the aggregate '%s'", method)
}
