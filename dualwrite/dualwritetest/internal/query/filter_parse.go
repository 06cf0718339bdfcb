package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Expr is a node of a $filter expression.
type Expr interface{ isExpr() }

// Literal is a constant: a string, number, boolean, GUID, date or null.
type Literal struct {
	Value any    // string, int64, float64, bool or nil; GUIDs and dates as strings
	Type  string // its OData type: "Edm.String", "Edm.Int32", "Edm.Guid"... ("" for null)
}

// EnumLiteral is an enum member such as Microsoft.Dynamics.DataEntities.NoYes'Yes'.
type EnumLiteral struct {
	Type  string // "Microsoft.Dynamics.DataEntities.NoYes"
	Value string // "Yes"
}

// ListLiteral is a JSON array, as in PropertyValues=["5","2000"].
type ListLiteral struct{ Values []any }

// Property is a property path: "name", "_parentaccountid_value",
// "primarycontactid/fullname", or inside a lambda "o/subject" (Var "o").
type Property struct {
	Var  string   // lambda variable the path starts from, or ""
	Path []string // navigation properties then the property
}

// Binary is a comparison (eq ne gt ge lt le) or a logical operator (and or).
type Binary struct {
	Op          string
	Left, Right Expr
}

// Not is logical negation.
type Not struct{ X Expr }

// Call is an OData canonical function: contains, startswith or endswith.
type Call struct {
	Name string
	Args []Expr
}

// Lambda is Path/any(Var:Body) or Path/all(Var:Body); Body is nil for any().
type Lambda struct {
	Source Property // the collection-valued navigation property
	Op     string   // "any" or "all"
	Var    string
	Body   Expr
}

// Function is a Dataverse query function such as
// Microsoft.Dynamics.CRM.Between(PropertyName='x',PropertyValues=["1","2"]).
type Function struct {
	Name   string         // without the namespace: "Between"
	Params map[string]any // PropertyName (string), PropertyValue, PropertyValues ([]any)...
}

func (Literal) isExpr()     {}
func (EnumLiteral) isExpr() {}
func (ListLiteral) isExpr() {}
func (Property) isExpr()    {}
func (Binary) isExpr()      {}
func (Not) isExpr()         {}
func (Call) isExpr()        {}
func (Lambda) isExpr()      {}
func (Function) isExpr()    {}

type tok struct {
	kind string // "id", "str", "num", "guid", "date", "enum", "alias", or the punctuation itself
	text string
	v    any
	typ  string
	at   int
}

// jsonComma is Dataverse's error for a single quote inside a JSON array
// of a query function ("Filter rows using OData": Manage single quotes).
const jsonComma = "Invalid JSON. A comma character ',' was expected in scope 'Array'. Every two elements in an array and properties of an object must be separated by commas."

var (
	dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?`)
	numRE  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?[mMdDfFlL]?`)
)

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lexFilter splits a $filter into tokens. Parameter aliases (@p1) are
// replaced by the tokens of their value; an alias without a value is null.
func lexFilter(s string, aliases map[string]string, depth int) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("()/,:=[]", c) >= 0:
			out = append(out, tok{kind: string(c), at: i})
			i++
		case c == '\'' || c == '"' && depth > 0 || c == '"' && inArray(out):
			str, n, err := readQuoted(s[i:], c)
			if err != nil {
				return nil, syntaxError("There is an unterminated literal at position %d in '%s'.", len(s), s)
			}
			if inArray(out) && i+n < len(s) && isIdentByte(s[i+n]) {
				return nil, syntaxError(jsonComma)
			}
			out = append(out, tok{kind: "str", v: str, typ: "Edm.String", at: i})
			i += n
		case c == '@':
			j := i + 1
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			name := s[i:j]
			if depth > 2 {
				return nil, syntaxError("The parameter alias '%s' refers to itself.", name)
			}
			val, ok := aliases[name]
			if !ok || strings.TrimSpace(val) == "" {
				out = append(out, tok{kind: "id", text: "null", at: i})
			} else {
				sub, err := lexFilter(val, aliases, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
			i = j
		case len(s)-i >= 36 && guidRE.MatchString(s[i:i+36]) && (len(s) == i+36 || !isIdentByte(s[i+36])):
			out = append(out, tok{kind: "guid", v: strings.ToLower(s[i : i+36]), typ: "Edm.Guid", at: i})
			i += 36
		case c >= '0' && c <= '9' || c == '-':
			if m := dateRE.FindString(s[i:]); m != "" && c != '-' {
				typ := "Edm.DateTimeOffset"
				if len(m) == 10 {
					typ = "Edm.Date"
				}
				out = append(out, tok{kind: "date", v: m, typ: typ, at: i})
				i += len(m)
				continue
			}
			m := numRE.FindString(s[i:])
			if m == "" || m == "-" {
				return nil, syntaxError("Syntax error at position %d in '%s'.", i, s)
			}
			v, typ, err := numberLiteral(m)
			if err != nil {
				return nil, syntaxError("Syntax error at position %d in '%s'.", i, s)
			}
			out = append(out, tok{kind: "num", v: v, typ: typ, at: i})
			i += len(m)
		case isIdentByte(c) || c == '$':
			j := i
			for j < len(s) && (isIdentByte(s[j]) || s[j] == '.') {
				j++
			}
			if c == '$' {
				j = i + 1
				for j < len(s) && isIdentByte(s[j]) {
					j++
				}
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' {
				str, n, err := readQuoted(s[j:], '\'')
				if err != nil {
					return nil, syntaxError("There is an unterminated literal at position %d in '%s'.", len(s), s)
				}
				out = append(out, tok{kind: "enum", text: word, v: str, at: i})
				i = j + n
				continue
			}
			out = append(out, tok{kind: "id", text: word, at: i})
			i = j
		default:
			return nil, syntaxError("Syntax error: character '%c' is not valid at position %d in '%s'.", c, i, s)
		}
	}
	return out, nil
}

// inArray reports whether the last unclosed bracket is '[' (a JSON array
// accepts double-quoted strings).
func inArray(toks []tok) bool {
	depth := 0
	for i := len(toks) - 1; i >= 0; i-- {
		switch toks[i].kind {
		case "]":
			depth++
		case "[":
			if depth == 0 {
				return true
			}
			depth--
		}
	}
	return false
}

func readQuoted(s string, q byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == q {
			if q == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		}
		if q == '"' && s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return "", 0, fmt.Errorf("unterminated")
}

func numberLiteral(w string) (any, string, error) {
	suffix := ""
	if last := w[len(w)-1]; strings.IndexByte("mMdDfFlL", last) >= 0 {
		suffix = strings.ToLower(string(last))
		w = w[:len(w)-1]
	}
	if !strings.ContainsAny(w, ".eE") {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return nil, "", err
		}
		typ := "Edm.Int32"
		if n > 1<<31-1 || n < -1<<31 || suffix == "l" {
			typ = "Edm.Int64"
		}
		switch suffix {
		case "m":
			typ = "Edm.Decimal"
		case "d", "f":
			typ = "Edm.Double"
		}
		return n, typ, nil
	}
	f, err := strconv.ParseFloat(w, 64)
	if err != nil {
		return nil, "", err
	}
	typ := "Edm.Decimal"
	if strings.ContainsAny(w, "eE") || suffix == "d" || suffix == "f" {
		typ = "Edm.Double"
	}
	return f, typ, nil
}

type parser struct {
	src  string
	toks []tok
	pos  int
	vars []string // lambda variables in scope
}

// ParseFilter parses a $filter expression. aliases holds the request's
// parameter aliases ("@p1" → "revenue"); it may be nil.
func ParseFilter(s string, aliases map[string]string) (Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, syntaxError("The $filter expression is empty.")
	}
	toks, err := lexFilter(s, aliases, 0)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.errAt(p.toks[p.pos])
	}
	return x, nil
}

func (p *parser) errAt(t tok) error {
	return syntaxError("Syntax error at position %d in '%s'.", t.at, p.src)
}

func (p *parser) peek() *tok {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) is(kind string) bool {
	t := p.peek()
	return t != nil && t.kind == kind
}

func (p *parser) expect(kind string) error {
	t := p.peek()
	if t == nil {
		return syntaxError("Expression expected at position %d in '%s'.", len(p.src), p.src)
	}
	if t.kind != kind {
		return p.errAt(*t)
	}
	p.pos++
	return nil
}

func (p *parser) keyword(w string) bool {
	t := p.peek()
	if t != nil && t.kind == "id" && t.text == w {
		p.pos++
		return true
	}
	return false
}

func (p *parser) parseOr() (Expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.keyword("or") {
		var r Expr
		r, err = p.parseAnd()
		l = Binary{"or", l, r}
	}
	return l, err
}

func (p *parser) parseAnd() (Expr, error) {
	l, err := p.parseComparison()
	for err == nil && p.keyword("and") {
		var r Expr
		r, err = p.parseComparison()
		l = Binary{"and", l, r}
	}
	return l, err
}

func (p *parser) parseComparison() (Expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t == nil || t.kind != "id" {
		return l, nil
	}
	switch t.text {
	case "eq", "ne", "gt", "ge", "lt", "le":
		p.pos++
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return Binary{t.text, l, r}, nil
	case "has", "in", "add", "sub", "mul", "div", "divby", "mod":
		return nil, notImplemented("the $filter operator '%s'", t.text)
	}
	return l, nil
}

func (p *parser) parseUnary() (Expr, error) {
	if p.keyword("not") {
		x, err := p.parseUnary()
		return Not{x}, err
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.peek()
	if t == nil {
		return nil, syntaxError("Expression expected at position %d in '%s'.", len(p.src), p.src)
	}
	p.pos++
	switch t.kind {
	case "(":
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return x, nil
	case "str", "num", "guid", "date":
		return Literal{Value: t.v, Type: t.typ}, nil
	case "enum":
		switch strings.ToLower(t.text) {
		case "duration", "binary", "x", "geography", "geometry":
			return nil, notImplemented("%s literals in $filter", t.text)
		}
		return EnumLiteral{Type: t.text, Value: t.v.(string)}, nil
	case "[":
		return p.parseList()
	case "id":
		switch t.text {
		case "true", "false":
			return Literal{Value: t.text == "true", Type: "Edm.Boolean"}, nil
		case "null":
			return Literal{}, nil
		}
		if strings.HasPrefix(t.text, "$") {
			return nil, notImplemented("'%s' in $filter", t.text)
		}
		if p.is("(") {
			if strings.Contains(t.text, ".") {
				return p.parseFunction(t.text)
			}
			return p.parseCall(t.text)
		}
		return p.parsePath(t.text)
	}
	return nil, p.errAt(*t)
}

func (p *parser) parseList() (Expr, error) {
	var vals []any
	if p.is("]") {
		p.pos++
		return ListLiteral{}, nil
	}
	for {
		t := p.peek()
		if t == nil {
			return nil, syntaxError("Invalid JSON. An unexpected end of input was found in '%s'.", p.src)
		}
		p.pos++
		switch t.kind {
		case "str", "num", "guid", "date":
			vals = append(vals, t.v)
		case "id":
			switch t.text {
			case "true", "false":
				vals = append(vals, t.text == "true")
			case "null":
				vals = append(vals, nil)
			default:
				return nil, syntaxError("Invalid JSON. Unexpected token '%s' in '%s'.", t.text, p.src)
			}
		default:
			return nil, p.errAt(*t)
		}
		if p.is("]") {
			p.pos++
			return ListLiteral{Values: vals}, nil
		}
		if !p.is(",") {
			return nil, syntaxError(jsonComma)
		}
		p.pos++
	}
}

func (p *parser) parsePath(first string) (Expr, error) {
	prop := Property{}
	for _, v := range p.vars {
		if v == first {
			prop.Var = first
		}
	}
	if prop.Var == "" {
		prop.Path = append(prop.Path, first)
	}
	for p.is("/") {
		p.pos++
		t := p.peek()
		if t == nil || t.kind != "id" {
			return nil, syntaxError("Expression expected at position %d in '%s'.", len(p.src), p.src)
		}
		p.pos++
		if (t.text == "any" || t.text == "all") && p.is("(") {
			return p.parseLambda(prop, t.text)
		}
		prop.Path = append(prop.Path, t.text)
	}
	if len(prop.Path) == 0 {
		return nil, syntaxError("The lambda variable '%s' must be followed by a property in '%s'.", prop.Var, p.src)
	}
	return prop, nil
}

func (p *parser) parseLambda(src Property, op string) (Expr, error) {
	p.pos++ // (
	if len(src.Path) == 0 {
		return nil, syntaxError("The '%s' operator needs a collection in '%s'.", op, p.src)
	}
	l := Lambda{Source: src, Op: op}
	if p.is(")") {
		p.pos++
		if op == "all" {
			return nil, syntaxError("The 'all' operator needs a lambda expression in '%s'.", p.src)
		}
		return l, nil
	}
	t := p.peek()
	if t == nil || t.kind != "id" || strings.Contains(t.text, ".") {
		return nil, syntaxError("Syntax error at position %d in '%s'.", len(p.src), p.src)
	}
	p.pos++
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	l.Var = t.text
	p.vars = append(p.vars, t.text)
	body, err := p.parseOr()
	p.vars = p.vars[:len(p.vars)-1]
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	l.Body = body
	return l, nil
}

var canonicalFunctions = map[string]bool{
	"contains": true, "startswith": true, "endswith": true,
}

var otherODataFunctions = map[string]bool{
	"length": true, "indexof": true, "substring": true, "tolower": true, "toupper": true, "trim": true,
	"concat": true, "year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true,
	"fractionalseconds": true, "date": true, "time": true, "totaloffsetminutes": true, "now": true,
	"maxdatetime": true, "mindatetime": true, "totalseconds": true, "round": true, "floor": true,
	"ceiling": true, "cast": true, "isof": true, "geo.distance": true, "geo.length": true, "geo.intersects": true,
	"matchespattern": true,
}

func (p *parser) parseCall(name string) (Expr, error) {
	if !canonicalFunctions[name] {
		if otherODataFunctions[strings.ToLower(name)] {
			return nil, notImplemented("the OData function '%s' in $filter", name)
		}
		return nil, syntaxError("An unknown function with name '%s' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.", name)
	}
	p.pos++ // (
	var args []Expr
	for {
		a, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.is(",") {
			p.pos++
			continue
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		break
	}
	if len(args) != 2 {
		return nil, syntaxError("No function signature for the function with name '%s' matches the specified arguments.", name)
	}
	return Call{Name: name, Args: args}, nil
}

func (p *parser) parseFunction(full string) (Expr, error) {
	const ns = "Microsoft.Dynamics.CRM."
	if !strings.HasPrefix(full, ns) {
		return nil, syntaxError("An unknown function with name '%s' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.", full)
	}
	f := Function{Name: full[len(ns):], Params: map[string]any{}}
	p.pos++ // (
	if p.is(")") {
		p.pos++
		return f, nil
	}
	for {
		t := p.peek()
		if t == nil || t.kind != "id" {
			return nil, syntaxError("Syntax error at position %d in '%s'.", len(p.src), p.src)
		}
		p.pos++
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v := p.peek()
		if v == nil {
			return nil, syntaxError("Expression expected at position %d in '%s'.", len(p.src), p.src)
		}
		p.pos++
		switch v.kind {
		case "str", "num", "guid", "date":
			f.Params[t.text] = v.v
		case "[":
			l, err := p.parseList()
			if err != nil {
				return nil, err
			}
			f.Params[t.text] = l.(ListLiteral).Values
		case "id":
			switch v.text {
			case "true", "false":
				f.Params[t.text] = v.text == "true"
			case "null":
				f.Params[t.text] = nil
			default:
				// A bare name: Dataverse expects a quoted property name.
				return nil, syntaxError("The parameter '%s' of the function '%s' must be a literal in '%s'.", t.text, full, p.src)
			}
		default:
			return nil, p.errAt(*v)
		}
		if p.is(",") {
			p.pos++
			continue
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return f, nil
	}
}
