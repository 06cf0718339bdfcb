package finops

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/query"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// This file holds the Finance and Operations $filter and $orderby dialect.
// The syntax is parsed with the emulator's OData parser (package query);
// what is checked and how rows match is F&O's own, as Microsoft documents
// it ("Open Data Protocol (OData)", dynamics-365-unified-operations-public
// articles/fin-ops-core/dev-itpro/data-entities/odata.md):
//
//   - eq ne gt ge lt le, and or not, ( ). has and in are not supported
//     (400); add sub mul div divby mod are documented but not implemented
//     here (501).
//   - "Contains" is a wildcard: StringField eq '*retail*'. A * in an eq or
//     ne string literal matches any run of characters.
//   - Enums are typed literals, Microsoft.Dynamics.DataEntities.NoYes'Yes',
//     with eq and ne only. A plain string against an enum field is refused
//     with ODataLib's message for incompatible operand types (the message
//     of ODataLib's binder, as quoted on Stack Overflow q. 49457740; F&O's
//     OData stack is ODataLib).
//
// String comparisons ignore case, as F&O's SQL Server collation does (an
// inference: Microsoft does not document it for OData).

// operatorKind is ODataLib's BinaryOperatorKind name of a comparison.
var operatorKind = map[string]string{
	"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual",
}

// parseFilter parses and checks a $filter against the entity.
func (s *Service) parseFilter(ent *schema.Entity, text string) (query.Expr, error) {
	x, err := query.ParseFilter(text, nil)
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			for _, op := range []string{"has", "in"} {
				if strings.Contains(qe.Message, "operator '"+op+"'") {
					return nil, operatorError(op)
				}
			}
			if qe.Status == 501 {
				return nil, notImplemented(strings.TrimSuffix(strings.TrimPrefix(qe.Message, "The emulator does not implement "), ".") + " (Finance and Operations $filter)")
			}
			return nil, badQuery(qe.Message)
		}
		return nil, badQuery(err.Error())
	}
	if err := s.checkExpr(ent, x, true); err != nil {
		return nil, err
	}
	return x, nil
}

// operatorError refuses an operator that is not a comparison: has and in
// as F&O does (400), the others as not implemented.
func operatorError(op string) error {
	if op == "has" || op == "in" {
		return badQuery(fmt.Sprintf("The operator '%s' is not supported: Finance and Operations supports neither 'has' nor 'in'.", op))
	}
	return notImplemented("the $filter operator '" + op + "' (Finance and Operations $filter)")
}

// checkExpr checks a node; boolean tells that it must be a condition.
func (s *Service) checkExpr(ent *schema.Entity, x query.Expr, boolean bool) error {
	switch n := x.(type) {
	case query.Binary:
		if n.Op == "and" || n.Op == "or" {
			if err := s.checkExpr(ent, n.Left, true); err != nil {
				return err
			}
			return s.checkExpr(ent, n.Right, true)
		}
		if _, ok := operatorKind[n.Op]; !ok {
			return operatorError(n.Op)
		}
		return s.checkComparison(ent, n)
	case query.Not:
		return s.checkExpr(ent, n.X, true)
	case query.Call:
		return badQuery(fmt.Sprintf("The function '%s' is not supported by Finance and Operations: write a wildcard in an eq string literal instead, such as Name eq '*text*'.", n.Name))
	case query.Function:
		return badQuery(fmt.Sprintf("An unknown function with name '%s' was found.", n.Name))
	case query.Lambda:
		return notImplemented("the lambda operator '" + n.Op + "' in $filter")
	case query.Property:
		if _, err := s.filterField(ent, n); err != nil {
			return err
		}
		return badQuery("The $filter expression must evaluate to a single boolean value.")
	}
	if boolean {
		return badQuery("The $filter expression must evaluate to a single boolean value.")
	}
	return nil
}

// filterField resolves a property of a $filter or $orderby: one field of
// the entity.
func (s *Service) filterField(ent *schema.Entity, p query.Property) (*schema.Field, error) {
	if len(p.Path) != 1 || p.Var != "" {
		return nil, notImplemented("navigation paths in $filter ('" + strings.Join(p.Path, "/") + "')")
	}
	f, ok := ent.Field(p.Path[0])
	if !ok {
		return nil, badQuery(fmt.Sprintf("Could not find a property named '%s' on type '%s.%s'.", p.Path[0], schema.EnumNamespace, ent.TypeName))
	}
	return f, nil
}

// fieldType is the OData type of a field as ODataLib names it.
func fieldType(f *schema.Field) string {
	if f.Type == schema.EnumField {
		return schema.EnumNamespace + "." + f.Enum
	}
	return string(f.Type)
}

func (s *Service) checkComparison(ent *schema.Entity, n query.Binary) error {
	prop, okL := n.Left.(query.Property)
	lit := n.Right
	if !okL {
		if p, ok := n.Right.(query.Property); ok {
			prop, lit = p, n.Left
		} else {
			return badQuery("A comparison needs a field on one side.")
		}
	}
	f, err := s.filterField(ent, prop)
	if err != nil {
		return err
	}
	if _, ok := lit.(query.Property); ok {
		return notImplemented("comparing two fields in $filter")
	}
	incompatible := func(other string) error {
		return badQuery(fmt.Sprintf("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", fieldType(f), other, operatorKind[n.Op]))
	}
	switch l := lit.(type) {
	case query.EnumLiteral:
		if f.Type != schema.EnumField {
			return incompatible(l.Type)
		}
		en, ok := s.schema().Enum(strings.TrimPrefix(l.Type, schema.EnumNamespace+"."))
		if !ok || l.Type != fieldType(f) {
			if !ok {
				return badQuery(fmt.Sprintf("The type '%s' is not defined in the model.", l.Type))
			}
			return incompatible(l.Type)
		}
		if len(en.Members) > 0 {
			if _, ok := en.Member(l.Value); !ok {
				return badQuery(fmt.Sprintf("The string '%s' is not a valid enumeration type constant.", l.Value))
			}
		}
		if n.Op != "eq" && n.Op != "ne" {
			return badQuery(fmt.Sprintf("The operator '%s' is not supported for the enum field '%s': Finance and Operations supports only eq and ne on enums.", n.Op, f.Name))
		}
		return nil
	case query.Literal:
		if l.Type == "" { // null
			return nil
		}
		if !compatible(f, l.Type) {
			return incompatible(l.Type)
		}
		return nil
	case query.ListLiteral:
		return badQuery("A JSON array is not a valid $filter operand.")
	}
	return badQuery("A comparison needs a literal on one side.")
}

// compatible tells whether a literal of OData type t compares with f.
func compatible(f *schema.Field, t string) bool {
	switch f.Type {
	case schema.EdmString:
		return t == "Edm.String"
	case schema.EdmInt32, schema.EdmInt64, schema.EdmDecimal:
		switch t {
		case "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double", "Edm.Single":
			return true
		}
	case schema.EdmDateTimeOffset:
		return t == "Edm.DateTimeOffset" || t == "Edm.Date"
	}
	return false
}

// matches evaluates a checked filter against a row.
func matches(x query.Expr, row store.Record) bool {
	switch n := x.(type) {
	case query.Binary:
		switch n.Op {
		case "and":
			return matches(n.Left, row) && matches(n.Right, row)
		case "or":
			return matches(n.Left, row) || matches(n.Right, row)
		}
		op := n.Op
		prop, okL := n.Left.(query.Property)
		lit := n.Right
		if !okL {
			prop, lit = n.Right.(query.Property), n.Left
			op = flip(op)
		}
		return compareField(row[prop.Path[0]], op, lit)
	case query.Not:
		return !matches(n.X, row)
	}
	return false
}

func flip(op string) string {
	switch op {
	case "gt":
		return "lt"
	case "lt":
		return "gt"
	case "ge":
		return "le"
	case "le":
		return "ge"
	}
	return op
}

// compareField compares a stored value (left) with a literal (right).
func compareField(v any, op string, lit query.Expr) bool {
	var want any
	switch l := lit.(type) {
	case query.EnumLiteral:
		want = l.Value
	case query.Literal:
		want = l.Value
	}
	if want == nil || v == nil {
		if want != nil { // a null field: only ne matches
			return op == "ne"
		}
		switch op {
		case "eq":
			return v == nil
		case "ne":
			return v != nil
		}
		return false
	}
	if w, ok := want.(string); ok {
		got := store.Text(v)
		if (op == "eq" || op == "ne") && strings.Contains(w, "*") {
			return wildcard(strings.ToLower(got), strings.ToLower(w)) == (op == "eq")
		}
		if t, ok := parseTime(w); ok {
			if g, ok := parseTime(got); ok {
				return order(op, g.Compare(t))
			}
		}
		return order(op, strings.Compare(strings.ToLower(got), strings.ToLower(w)))
	}
	g, ok1 := toFloat(v)
	w, ok2 := toFloat(want)
	if !ok1 || !ok2 {
		return op == "ne"
	}
	c := 0
	if g < w {
		c = -1
	} else if g > w {
		c = 1
	}
	return order(op, c)
}

func order(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// wildcard matches s against a pattern in which * stands for any run of
// characters.
func wildcard(s, pattern string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// orderItem is one $orderby item.
type orderItem struct {
	field string
	desc  bool
}

// parseOrderBy parses and checks a $orderby.
func (s *Service) parseOrderBy(ent *schema.Entity, text string) ([]orderItem, error) {
	var out []orderItem
	for _, part := range strings.Split(text, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 {
			return nil, badQuery(fmt.Sprintf("Syntax error in $orderby '%s'.", text))
		}
		it := orderItem{field: f[0]}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				it.desc = true
			default:
				return nil, badQuery(fmt.Sprintf("Syntax error in $orderby '%s': '%s' is neither asc nor desc.", text, f[1]))
			}
		}
		if _, err := s.filterField(ent, query.Property{Path: strings.Split(it.field, "/")}); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// sortRows sorts rows by the $orderby items, stably (creation order
// otherwise).
func sortRows(rows []*store.Entry, items []orderItem) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, it := range items {
			c := compareValues(rows[i].Rec()[it.field], rows[j].Rec()[it.field])
			if c == 0 {
				continue
			}
			if it.desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	_, as := a.(string)
	_, bs := b.(string)
	if x, ok := toFloat(a); ok && !as && !bs {
		if y, ok := toFloat(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(strings.ToLower(store.Text(a)), strings.ToLower(store.Text(b)))
}
