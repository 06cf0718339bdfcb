package query

import (
	"strings"
)

// scope is the lambda variables visible while checking or evaluating.
type scope struct {
	name  string
	table string
	row   Row
	next  *scope
}

func (s *scope) find(name string) *scope {
	for ; s != nil; s = s.next {
		if s.name == name {
			return s
		}
	}
	return nil
}

// CheckFilter validates a parsed $filter against the schema of table: every
// property and navigation property must exist, operands must have
// comparable types, and query functions must be known. It returns the
// error Dataverse would send.
func (e *Env) CheckFilter(table string, x Expr) error {
	typ, err := e.check(table, x, nil)
	if err != nil {
		return err
	}
	if typ != "Edm.Boolean" && typ != "" {
		return syntaxError("The $filter expression must evaluate to a single boolean value.")
	}
	return nil
}

// resolvePath walks a property path from table: leading single-valued
// navigation properties, then a structural property. It returns the
// final table and property.
func (e *Env) resolvePath(table string, path []string) (string, property, []Navigation, error) {
	var navs []Navigation
	for i, seg := range path {
		if i == len(path)-1 {
			pr, err := e.resolveProperty(table, seg, CodeQuery)
			if err != nil {
				if nav, ok := e.navigation(table, seg); ok {
					if nav.Collection {
						return "", property{}, nil, syntaxError("The parent value for a property access of a property '%s' is not a single value. Property access can only be applied to a single value.", seg)
					}
					return "", property{}, nil, syntaxError("A binary operator with incompatible types was detected. The navigation property '%s' cannot be compared; use '_%s_value' or '%s/<property>'.", seg, nav.Column, seg)
				}
			}
			return table, pr, navs, err
		}
		if e.Schema == nil {
			navs = append(navs, Navigation{Name: seg, Target: seg, Column: seg})
			table = seg
			continue
		}
		nav, ok := e.navigation(table, seg)
		if !ok {
			return "", property{}, nil, unknownProperty(CodeQuery, seg, table)
		}
		if nav.Collection {
			return "", property{}, nil, syntaxError("The parent value for a property access of a property '%s' is not a single value. Property access can only be applied to a single value.", path[i+1])
		}
		navs = append(navs, nav)
		table = nav.Target
	}
	return "", property{}, nil, syntaxError("Empty property path.")
}

func (e *Env) check(table string, x Expr, sc *scope) (string, error) {
	switch n := x.(type) {
	case Literal:
		return n.Type, nil
	case EnumLiteral:
		return n.Type, nil
	case ListLiteral:
		return "", syntaxError("A JSON array is only valid as a query function parameter.")
	case Property:
		t := table
		if n.Var != "" {
			v := sc.find(n.Var)
			if v == nil {
				return "", syntaxError("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", n.Var, table)
			}
			t = v.table
		}
		_, pr, _, err := e.resolvePath(t, n.Path)
		if err != nil {
			return "", err
		}
		return edmType(pr.col), nil
	case Not:
		typ, err := e.check(table, n.X, sc)
		if err != nil {
			return "", err
		}
		if typ != "Edm.Boolean" && typ != "" {
			return "", syntaxError("A unary operator with an incompatible type was detected. Found operand type '%s' for operator kind 'Not'.", typ)
		}
		return "Edm.Boolean", nil
	case Binary:
		lt, err := e.check(table, n.Left, sc)
		if err != nil {
			return "", err
		}
		rt, err := e.check(table, n.Right, sc)
		if err != nil {
			return "", err
		}
		if n.Op == "and" || n.Op == "or" {
			for _, t := range []string{lt, rt} {
				if t != "Edm.Boolean" && t != "" {
					return "", syntaxError("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", lt, rt, opKind(n.Op))
				}
			}
			return "Edm.Boolean", nil
		}
		_, le := n.Left.(EnumLiteral)
		_, re := n.Right.(EnumLiteral)
		if (le || re) && n.Op != "eq" && n.Op != "ne" {
			return "", syntaxError("The operator %s is not supported on enum values (only eq and ne).", n.Op)
		}
		if !le && !re && !compatible(lt, rt) && !(guidString(n.Left, lt, rt) || guidString(n.Right, rt, lt)) {
			return "", syntaxError("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", lt, rt, opKind(n.Op))
		}
		return "Edm.Boolean", nil
	case Call:
		for _, a := range n.Args {
			t, err := e.check(table, a, sc)
			if err != nil {
				return "", err
			}
			if t != "Edm.String" && t != "" {
				return "", syntaxError("No function signature for the function with name '%s' matches the specified arguments. The function signatures considered are: %s(Edm.String Nullable=true, Edm.String Nullable=true).", n.Name, n.Name)
			}
		}
		return "Edm.Boolean", nil
	case Lambda:
		t := table
		path := n.Source.Path
		if n.Source.Var != "" {
			v := sc.find(n.Source.Var)
			if v == nil {
				return "", syntaxError("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", n.Source.Var, table)
			}
			t = v.table
		}
		target, err := e.collectionTarget(t, path)
		if err != nil {
			return "", err
		}
		if n.Body != nil {
			typ, err := e.check(table, n.Body, &scope{name: n.Var, table: target, next: sc})
			if err != nil {
				return "", err
			}
			if typ != "Edm.Boolean" && typ != "" {
				return "", syntaxError("The expression of the '%s' operator must be a boolean.", n.Op)
			}
		}
		return "Edm.Boolean", nil
	case Function:
		return "Edm.Boolean", e.checkFunction(table, n, sc)
	}
	return "", syntaxError("Unsupported $filter node.")
}

// guidString allows a quoted GUID against a GUID property, as Dataverse's
// documentation writes _owninguser_value eq '<systemuserid value>'.
func guidString(lit Expr, litType, other string) bool {
	l, ok := lit.(Literal)
	if !ok || litType != "Edm.String" || other != "Edm.Guid" {
		return false
	}
	s, _ := l.Value.(string)
	return IsGUID(s)
}

func opKind(op string) string {
	return map[string]string{"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
		"lt": "LessThan", "le": "LessThanOrEqual", "and": "And", "or": "Or"}[op]
}

// collectionTarget resolves nav (optionally after single-valued
// navigation properties) to a collection-valued navigation property and
// returns its target table.
func (e *Env) collectionTarget(table string, path []string) (string, error) {
	if e.Schema == nil {
		return path[len(path)-1], nil
	}
	for i, seg := range path {
		nav, ok := e.navigation(table, seg)
		if !ok {
			return "", unknownProperty(CodeQuery, seg, table)
		}
		if i < len(path)-1 {
			if nav.Collection {
				return "", syntaxError("The parent value for a property access of a property '%s' is not a single value. Property access can only be applied to a single value.", path[i+1])
			}
			return "", notImplemented("lambda operators on a collection reached through a lookup ('%s'), which Dataverse does not support either", strings.Join(path, "/"))
		}
		if !nav.Collection {
			return "", syntaxError("The 'any' and 'all' operators can only be applied to a collection-valued navigation property; '%s' is single-valued.", seg)
		}
		table = nav.Target
	}
	return table, nil
}

// Matches evaluates a checked $filter on one row of table.
func (e *Env) Matches(table string, x Expr, row Row) (bool, error) {
	v, err := e.eval(table, x, row, nil)
	return v == true, err
}

func (e *Env) value(table string, p Property, row Row, sc *scope) (any, error) {
	t, r := table, row
	if p.Var != "" {
		v := sc.find(p.Var)
		if v == nil {
			return nil, syntaxError("Unknown lambda variable '%s'.", p.Var)
		}
		t, r = v.table, v.row
	}
	for i, seg := range p.Path {
		if i == len(p.Path)-1 {
			return r[seg], nil
		}
		var nav Navigation
		if e.Schema == nil {
			nav = Navigation{Name: seg, Target: seg, Column: seg}
		} else {
			var ok bool
			if nav, ok = e.navigation(t, seg); !ok {
				return nil, unknownProperty(CodeQuery, seg, t)
			}
		}
		next, ok := e.follow(nav, r)
		if !ok {
			return nil, nil
		}
		t, r = nav.Target, next
	}
	return nil, nil
}

func (e *Env) eval(table string, x Expr, row Row, sc *scope) (any, error) {
	switch n := x.(type) {
	case Literal:
		return n.Value, nil
	case EnumLiteral:
		return n.Value, nil
	case Property:
		return e.value(table, n, row, sc)
	case Not:
		v, err := e.eval(table, n.X, row, sc)
		if v == nil {
			return nil, err // not null is null
		}
		return v != true, err
	case Binary:
		return e.binary(table, n, row, sc)
	case Call:
		a, err := e.eval(table, n.Args[0], row, sc)
		if err != nil {
			return nil, err
		}
		b, err := e.eval(table, n.Args[1], row, sc)
		if err != nil {
			return nil, err
		}
		s, ok1 := a.(string)
		t, ok2 := b.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		switch n.Name {
		case "contains":
			return like(s, "%"+t+"%"), nil
		case "startswith":
			return like(s, t+"%"), nil
		case "endswith":
			return like(s, "%"+t), nil
		}
		return nil, notImplemented("the OData function '%s'", n.Name)
	case Lambda:
		return e.lambda(table, n, row, sc)
	case Function:
		return e.function(table, n, row, sc)
	}
	return nil, syntaxError("Unsupported $filter node.")
}

func (e *Env) binary(table string, n Binary, row Row, sc *scope) (any, error) {
	l, err := e.eval(table, n.Left, row, sc)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case "and":
		if l == false {
			return false, nil
		}
		r, err := e.eval(table, n.Right, row, sc)
		if err != nil {
			return nil, err
		}
		if l == true && r == true {
			return true, nil
		}
		if r == false {
			return false, nil
		}
		return nil, nil
	case "or":
		if l == true {
			return true, nil
		}
		r, err := e.eval(table, n.Right, row, sc)
		if err != nil {
			return nil, err
		}
		if r == true {
			return true, nil
		}
		if l == false && r == false {
			return false, nil
		}
		return nil, nil
	}
	r, err := e.eval(table, n.Right, row, sc)
	if err != nil {
		return nil, err
	}
	if (l == nil || r == nil) && !isNullLiteral(n.Left) && !isNullLiteral(n.Right) {
		_, lp := n.Left.(Property)
		_, rp := n.Right.(Property)
		if lp && rp {
			return false, nil // comparing two columns: a null matches nothing
		}
	}
	switch n.Op {
	case "eq":
		return equal(l, r), nil
	case "ne":
		// Dataverse's ne includes rows whose column is null.
		return !equal(l, r), nil
	}
	c, ok := compare(l, r)
	if !ok {
		return false, nil
	}
	switch n.Op {
	case "gt":
		return c > 0, nil
	case "ge":
		return c >= 0, nil
	case "lt":
		return c < 0, nil
	case "le":
		return c <= 0, nil
	}
	return nil, syntaxError("Unknown operator '%s'.", n.Op)
}

func (e *Env) lambda(table string, n Lambda, row Row, sc *scope) (any, error) {
	t, r := table, row
	if n.Source.Var != "" {
		v := sc.find(n.Source.Var)
		if v == nil {
			return nil, syntaxError("Unknown lambda variable '%s'.", n.Source.Var)
		}
		t, r = v.table, v.row
	}
	var nav Navigation
	if e.Schema == nil {
		seg := n.Source.Path[len(n.Source.Path)-1]
		nav = Navigation{Name: seg, Target: seg, Collection: true, Column: t}
	} else {
		var ok bool
		if nav, ok = e.navigation(t, n.Source.Path[0]); !ok {
			return nil, unknownProperty(CodeQuery, n.Source.Path[0], t)
		}
	}
	rows, err := e.related(t, nav, r)
	if err != nil {
		return nil, err
	}
	if n.Body == nil {
		return len(rows) > 0, nil
	}
	for _, child := range rows {
		v, err := e.eval(table, n.Body, child, &scope{name: n.Var, table: nav.Target, row: child, next: sc})
		if err != nil {
			return nil, err
		}
		if n.Op == "any" && v == true {
			return true, nil
		}
		if n.Op == "all" && v != true {
			return false, nil
		}
	}
	return n.Op == "all", nil
}

// like matches s against a T-SQL LIKE pattern (% _ [set] [^set]) without
// regard to case, as Dataverse's collation does.
func like(s, pattern string) bool {
	return likeMatch([]rune(strings.ToLower(s)), []rune(strings.ToLower(pattern)))
}

// likeMatch matches runes against a LIKE pattern by dynamic programming,
// in time proportional to len(s)*len(p) whatever the pattern.
func likeMatch(s, p []rune) bool {
	// Compile the pattern into items: any-sequence, any-one, a set, or a rune.
	type item struct {
		kind byte // '%', '_', '[', 'c'
		r    rune
		set  []rune
		neg  bool
	}
	var items []item
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%':
			if len(items) == 0 || items[len(items)-1].kind != '%' {
				items = append(items, item{kind: '%'})
			}
		case '_':
			items = append(items, item{kind: '_'})
		case '[':
			end := -1
			for j := i + 2; j < len(p); j++ {
				if p[j] == ']' {
					end = j
					break
				}
			}
			if end < 0 { // a lone '[' matches itself
				items = append(items, item{kind: 'c', r: '['})
				continue
			}
			set := p[i+1 : end]
			it := item{kind: '['}
			if len(set) > 1 && set[0] == '^' {
				it.neg, set = true, set[1:]
			}
			it.set = set
			items = append(items, it)
			i = end
		default:
			items = append(items, item{kind: 'c', r: p[i]})
		}
	}
	inSet := func(set []rune, c rune) bool {
		for i := 0; i < len(set); i++ {
			if i+2 < len(set) && set[i+1] == '-' {
				if c >= set[i] && c <= set[i+2] {
					return true
				}
				i += 2
				continue
			}
			if set[i] == c {
				return true
			}
		}
		return false
	}
	// cur[j]: the first i runes of s match the first j items.
	cur := make([]bool, len(items)+1)
	next := make([]bool, len(items)+1)
	cur[0] = true
	for j, it := range items {
		cur[j+1] = cur[j] && it.kind == '%'
	}
	for _, c := range s {
		next[0] = false
		for j, it := range items {
			switch it.kind {
			case '%':
				next[j+1] = next[j] || cur[j+1]
			case '_':
				next[j+1] = cur[j]
			case '[':
				next[j+1] = cur[j] && inSet(it.set, c) != it.neg
			default:
				next[j+1] = cur[j] && c == it.r
			}
		}
		cur, next = next, cur
	}
	return cur[len(items)]
}

func isNullLiteral(x Expr) bool {
	l, ok := x.(Literal)
	return ok && l.Value == nil
}
