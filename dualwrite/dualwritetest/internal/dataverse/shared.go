package dataverse

import (
	"sort"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// This file exports the query evaluation the Commerce service still uses
// (the $filter dialect of filter.go, $orderby and key predicates). The
// Dataverse handlers evaluate their queries with the query package.

// FilterRows returns the entries a $filter expression matches, in order.
func FilterRows(rows []*store.Entry, filter string) ([]*store.Entry, error) {
	if strings.TrimSpace(filter) == "" {
		return rows, nil
	}
	expr, err := parseFilter(filter)
	if err != nil {
		return nil, err
	}
	var out []*store.Entry
	for _, e := range rows {
		v, err := expr.eval(func(n string) any { return e.Rec[n] })
		if err != nil {
			return nil, err
		}
		if v == true {
			out = append(out, e)
		}
	}
	return out, nil
}

// OrderRows sorts entries by an $orderby list ("name desc,createdon"),
// nulls first.
func OrderRows(rows []*store.Entry, orderby string) {
	if strings.TrimSpace(orderby) == "" {
		return
	}
	type key struct {
		col  string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(orderby, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		keys = append(keys, key{f[0], len(f) > 1 && strings.EqualFold(f[1], "desc")})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i].Rec[k.col], rows[j].Rec[k.col]
			c, ok := compareValues(a, b)
			if !ok {
				switch {
				case a == nil && b != nil:
					c = -1
				case a != nil && b == nil:
					c = 1
				}
			}
			if c != 0 {
				if k.desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
}

// ParseKeyValues parses a key predicate, "a='x',b=2", or a lone value
// (returned under "").
func ParseKeyValues(key string) (map[string]any, error) { return parseKeyValues(key) }
