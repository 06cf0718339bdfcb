package query

import "strings"

// HierarchySchema is implemented by a Schema that knows the hierarchical
// (self-referencing) relationship of a table, which the Above, AboveOrEqual,
// Under, UnderOrEqual and NotUnder functions (FetchXML above, eq-or-above,
// under, eq-or-under, not-under) follow ("Query hierarchical data").
type HierarchySchema interface {
	// Hierarchy returns the lookup column pointing to a row's parent
	// ("parentaccountid"), false if the table has no hierarchy.
	Hierarchy(table string) (parentColumn string, ok bool)
}

func isHierarchyOperator(op string) bool {
	switch op {
	case "above", "eq-or-above", "under", "eq-or-under", "not-under":
		return true
	}
	return false
}

func (e *Env) hierarchyColumn(table string) (string, error) {
	if h, ok := e.Schema.(HierarchySchema); ok {
		if col, ok := h.Hierarchy(table); ok {
			return col, nil
		}
	}
	if e.Schema == nil {
		return "", notImplemented("hierarchy operators without a schema")
	}
	return "", badRequest(CodeQuery, "The table '%s' has no hierarchical relationship: the hierarchy operators cannot be used on it.", table)
}

// ancestors returns the ids above id in table's hierarchy, nearest first.
func (e *Env) ancestors(table, parentCol, id string) []string {
	var out []string
	seen := map[string]bool{strings.ToLower(id): true}
	for len(out) < 100 {
		r, ok := e.Data.Row(table, strings.ToLower(id))
		if !ok {
			break
		}
		p, _ := r["_"+parentCol+"_value"].(string)
		p = strings.ToLower(p)
		if p == "" || seen[p] {
			break
		}
		seen[p] = true
		out = append(out, p)
		id = p
	}
	return out
}

// testHierarchy evaluates a hierarchy operator: v is the row's key, x the
// referenced record's.
func (e *Env) testHierarchy(table, op string, v, x any) (bool, error) {
	col, err := e.hierarchyColumn(table)
	if err != nil {
		return false, err
	}
	id, _ := v.(string)
	ref, _ := x.(string)
	if id == "" {
		return false, nil
	}
	ref = strings.ToLower(strings.Trim(ref, "{}"))
	id = strings.ToLower(id)
	has := func(list []string, s string) bool {
		for _, a := range list {
			if a == s {
				return true
			}
		}
		return false
	}
	switch op {
	case "under":
		return has(e.ancestors(table, col, id), ref), nil
	case "eq-or-under":
		return id == ref || has(e.ancestors(table, col, id), ref), nil
	case "not-under":
		return !has(e.ancestors(table, col, id), ref), nil
	case "above":
		return has(e.ancestors(table, col, ref), id), nil
	case "eq-or-above":
		return id == ref || has(e.ancestors(table, col, ref), id), nil
	}
	return false, notImplemented("the condition operator '%s'", op)
}
