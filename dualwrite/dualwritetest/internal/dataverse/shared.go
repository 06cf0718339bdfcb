package dataverse

import "github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"

// This file exports the query evaluation the Commerce service shares with
// Dataverse (the $filter dialect of filter.go, $orderby and key
// predicates), until both use a query package of their own.

// FilterRows returns the entries a $filter expression matches, in order.
func FilterRows(rows []*store.Entry, filter string) ([]*store.Entry, error) {
	return filterRows(rows, filter)
}

// OrderRows sorts entries by an $orderby list ("name desc,createdon").
func OrderRows(rows []*store.Entry, orderby string) { orderRows(rows, orderby) }

// ParseKeyValues parses a key predicate, "a='x',b=2", or a lone value
// (returned under "").
func ParseKeyValues(key string) (map[string]any, error) { return parseKeyValues(key) }
