package dualwrite

import (
	"fmt"
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"strings"
)

// ValueError reports a value that a map's value transform does not know.
type ValueError struct {
	Map   string // the map's name
	Field string // the source field or column
	Value any    // the value that has no counterpart
	Known []any  // the values the transform knows
}

// Error names the map, the field, the value and the values it knows.
func (e *ValueError) Error() string {
	known := make([]string, len(e.Known))
	for i, k := range e.Known {
		known[i] = fmt.Sprintf("%#v", k)
	}
	return fmt.Sprintf("dualwrite: map %q: field %s: unknown value %#v (known: %s)",
		e.Map, e.Field, e.Value, strings.Join(known, ", "))
}

// ToDataverse converts a Finance and Operations row (field name to value, as
// decoded from JSON) to Dataverse columns, applying the value transforms.
// Only fields present in row and copied toward Dataverse are written; a
// null value stays null. Lookup fields come out under their dotted names,
// such as "msdyn_partyid.msdyn_partynumber": the writer resolves them to the
// record they name. Fields the map does not know are left out.
//
// Constant lines are not written: see DataverseConstants.
//
// An enum value the transform does not know is an error that names the
// field and the value.
func (m Map) ToDataverse(row map[string]any) (map[string]any, error) {
	out := make(map[string]any)
	for _, f := range m.Fields {
		if f.Direction == ToFinOpsOnly || f.FinOps == "" {
			continue
		}
		v, ok := row[f.FinOps]
		if !ok {
			continue
		}
		w, err := m.convert(f, f.FinOps, v, true)
		if err != nil {
			return nil, err
		}
		out[f.Dataverse] = w
	}
	return out, nil
}

// ToFinOps converts Dataverse columns to a Finance and Operations row, the
// inverse of ToDataverse. Lookup columns are read under their dotted names
// ("msdyn_partyid.msdyn_partynumber"); the reader supplies them. Constant
// lines are not written: see FinOpsConstants.
func (m Map) ToFinOps(row map[string]any) (map[string]any, error) {
	out := make(map[string]any)
	for _, f := range m.Fields {
		if f.Direction == ToDataverseOnly || f.Dataverse == "" {
			continue
		}
		v, ok := row[f.Dataverse]
		if !ok {
			continue
		}
		w, err := m.convert(f, f.Dataverse, v, false)
		if err != nil {
			return nil, err
		}
		out[f.FinOps] = w
	}
	return out, nil
}

// DataverseConstants returns the constant lines toward Dataverse (">>"):
// column to value, such as customertypecode 3 for CustomerAccounts. The
// writer of a new Dataverse record adds them; ToDataverse converts fields
// only.
func (m Map) DataverseConstants() map[string]any {
	out := map[string]any{}
	for _, f := range m.Fields {
		if f.FinOps == "" && f.Dataverse != "" {
			out[f.Dataverse] = f.Constant
		}
	}
	return out
}

// FinOpsConstants returns the constant lines toward Finance and Operations
// ("<<"): field to value, such as PartyType "Organization" for
// CustomerAccounts. The writer of a new Finance and Operations row adds
// them; ToFinOps converts columns only.
func (m Map) FinOpsConstants() map[string]any {
	out := map[string]any{}
	for _, f := range m.Fields {
		if f.Dataverse == "" && f.FinOps != "" {
			out[f.FinOps] = f.Constant
		}
	}
	return out
}

func (m Map) convert(f Field, name string, v any, toDataverse bool) (any, error) {
	if v == nil || f.Values == nil {
		return v, nil
	}
	known := make([]any, 0, len(f.Values))
	for _, p := range f.Values {
		from, to := p.FinOps, p.Dataverse
		if !toDataverse {
			from, to = to, from
		}
		if Equal(v, from) {
			return to, nil
		}
		known = append(known, from)
	}
	return nil, &ValueError{Map: m.Name, Field: name, Value: v, Known: known}
}

// AppliesToFinOps reports whether a Finance and Operations row passes the
// map's filter, so that dual-write copies it.
func (m Map) AppliesToFinOps(row map[string]any) bool { return holds(m.FinOpsWhere, row) }

// AppliesToDataverse reports whether a Dataverse row passes the map's
// filter.
func (m Map) AppliesToDataverse(row map[string]any) bool { return holds(m.DataverseWhere, row) }

func holds(conds []Condition, row map[string]any) bool {
	for _, c := range conds {
		eq := Equal(row[c.Field], c.Value)
		if (c.Op == "ne") == eq {
			return false
		}
	}
	return true
}

// FieldByFinOps returns the field mapped from the Finance and Operations
// field name.
func (m Map) FieldByFinOps(name string) (Field, bool) {
	for _, f := range m.Fields {
		if f.FinOps == name && name != "" {
			return f, true
		}
	}
	return Field{}, false
}

// FieldByDataverse returns the field mapped from the Dataverse column name
// (dotted for lookups).
func (m Map) FieldByDataverse(name string) (Field, bool) {
	for _, f := range m.Fields {
		if f.Dataverse == name && name != "" {
			return f, true
		}
	}
	return Field{}, false
}

// Equal compares two values as dual-write does: numbers of any Go type (and
// json.Number) by value, strings without regard to case, anything else with
// ==. Nil equals only nil.
func Equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := jsonnum.Float(a); ok {
		y, ok := jsonnum.Float(b)
		return ok && x == y
	}
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		return ok && strings.EqualFold(x, y)
	}
	return a == b
}
