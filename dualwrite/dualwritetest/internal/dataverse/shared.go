package dataverse

// This file exports the query evaluation the Commerce service still uses
// (the $filter dialect of filter.go, $orderby and key predicates). The
// Dataverse handlers evaluate their queries with the query package.

// ParseKeyValues parses a key predicate, "a='x',b=2", or a lone value
// (returned under "").
func ParseKeyValues(key string) (map[string]any, error) { return parseKeyValues(key) }
