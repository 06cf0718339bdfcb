package dataverse

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file holds the $filter language both services share: comparisons
// (eq ne gt ge lt le), and/or/not, parentheses, contains/startswith/endswith,
// and the literals of Dataverse and Finance and Operations.

type filterExpr interface {
	eval(get func(string) any) (any, error)
}

type (
	fieldRef   struct{ name string }
	literalVal struct {
		v    any
		enum bool // a Finance and Operations enum literal
	}
	binaryOp struct {
		op   string
		l, r filterExpr
	}
	notOp    struct{ x filterExpr }
	callExpr struct {
		fn   string
		args []filterExpr
	}
)

func (f fieldRef) eval(get func(string) any) (any, error) { return get(f.name), nil }
func (l literalVal) eval(func(string) any) (any, error)   { return l.v, nil }
func (n notOp) eval(get func(string) any) (any, error) {
	v, err := n.x.eval(get)
	return v != true, err
}
func (c callExpr) eval(get func(string) any) (any, error) { return c.call(get) }
func (b binaryOp) eval(get func(string) any) (any, error) { return b.apply(get) }

func (c callExpr) call(get func(string) any) (any, error) {
	if len(c.args) != 2 {
		return nil, fmt.Errorf("function %s takes 2 arguments, got %d", c.fn, len(c.args))
	}
	a, err := c.args[0].eval(get)
	if err != nil {
		return nil, err
	}
	b, err := c.args[1].eval(get)
	if err != nil {
		return nil, err
	}
	s, ok1 := a.(string)
	t, ok2 := b.(string)
	if !ok1 || !ok2 {
		return false, nil
	}
	s, t = strings.ToLower(s), strings.ToLower(t)
	switch c.fn {
	case "contains":
		return strings.Contains(s, t), nil
	case "startswith":
		return strings.HasPrefix(s, t), nil
	case "endswith":
		return strings.HasSuffix(s, t), nil
	}
	return nil, fmt.Errorf("unknown function %s", c.fn)
}

func (b binaryOp) apply(get func(string) any) (any, error) {
	l, err := b.l.eval(get)
	if err != nil {
		return nil, err
	}
	switch b.op {
	case "and":
		if l != true {
			return false, nil
		}
		r, err := b.r.eval(get)
		return r == true, err
	case "or":
		if l == true {
			return true, nil
		}
		r, err := b.r.eval(get)
		return r == true, err
	}
	r, err := b.r.eval(get)
	if err != nil {
		return nil, err
	}
	for _, side := range []filterExpr{b.l, b.r} {
		if lv, ok := side.(literalVal); ok && lv.enum && b.op != "eq" && b.op != "ne" {
			return nil, fmt.Errorf("the operator %s is not supported on enum values (only eq and ne)", b.op)
		}
	}
	c, ok := compareValues(l, r)
	switch b.op {
	case "eq":
		return ok && c == 0, nil
	case "ne":
		return !ok || c != 0, nil
	case "gt":
		return ok && c > 0, nil
	case "ge":
		return ok && c >= 0, nil
	case "lt":
		return ok && c < 0, nil
	case "le":
		return ok && c <= 0, nil
	}
	return nil, fmt.Errorf("unknown operator %s", b.op)
}

// compareValues orders two values: numbers numerically, timestamps in time,
// strings without regard to case, bools for equality. ok is false when the
// values cannot be compared (a null against a value, different kinds).
func compareValues(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, a == nil && b == nil
	}
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		if tx, ok := parseTime(x); ok {
			if ty, ok := parseTime(y); ok {
				return tx.Compare(ty), true
			}
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	}
	if x, ok := a.(bool); ok {
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		if !x {
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func toInt(v any) (int, bool) {
	f, ok := toFloat(v)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

var (
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	numRE  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?[mMdDfFlL]?$`)
)

// parseFilter parses a $filter expression.
func parseFilter(s string) (filterExpr, error) {
	p := &filterParser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("syntax error at position %d in '%s'", p.toks[p.pos].at, s)
	}
	return e, nil
}

type token struct {
	kind string // "id", "str", "enum", "lit", "(", ")", ","
	text string
	v    any
	at   int
}

type filterParser struct {
	src  string
	toks []token
	pos  int
}

func (p *filterParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			p.toks = append(p.toks, token{kind: string(c), at: i})
			i++
		case c == '\'':
			str, n, err := readQuoted(s[i:])
			if err != nil {
				return fmt.Errorf("%v at position %d", err, i)
			}
			p.toks = append(p.toks, token{kind: "str", v: str, at: i})
			i += n
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == '/' || s[j] == '@') {
				j++
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' && strings.Contains(word, ".") {
				str, n, err := readQuoted(s[j:])
				if err != nil {
					return fmt.Errorf("%v at position %d", err, j)
				}
				p.toks = append(p.toks, token{kind: "enum", text: word, v: str, at: i})
				i = j + n
				continue
			}
			if guidRE.MatchString(s[i:min(len(s), i+36)]) && len(s) >= i+36 {
				p.toks = append(p.toks, token{kind: "lit", v: strings.ToLower(s[i : i+36]), at: i})
				i += 36
				continue
			}
			p.toks = append(p.toks, token{kind: "id", text: word, at: i})
			i = j
		case c >= '0' && c <= '9' || c == '-':
			j := i + 1
			for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9' || strings.IndexByte("-:.+", s[j]) >= 0) {
				j++
			}
			word := s[i:j]
			v, err := numericLiteral(word)
			if err != nil {
				return fmt.Errorf("%v at position %d", err, i)
			}
			p.toks = append(p.toks, token{kind: "lit", v: v, at: i})
			i = j
		default:
			return fmt.Errorf("unexpected character %q at position %d", c, i)
		}
	}
	return nil
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(s[i])
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

func numericLiteral(w string) (any, error) {
	switch {
	case guidRE.MatchString(w):
		return strings.ToLower(w), nil
	case numRE.MatchString(w):
		w = strings.TrimRight(w, "mMdDfFlL")
		if n, err := strconv.ParseInt(w, 10, 64); err == nil {
			return int(n), nil
		}
		f, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %s", w)
		}
		return f, nil
	}
	if _, ok := parseTime(w); ok {
		return w, nil
	}
	return nil, fmt.Errorf("bad literal %s", w)
}

func (p *filterParser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *filterParser) keyword(w string) bool {
	t := p.peek()
	if t != nil && t.kind == "id" && t.text == w {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) parseOr() (filterExpr, error) {
	l, err := p.parseAnd()
	for err == nil && p.keyword("or") {
		var r filterExpr
		r, err = p.parseAnd()
		l = binaryOp{"or", l, r}
	}
	return l, err
}

func (p *filterParser) parseAnd() (filterExpr, error) {
	l, err := p.parseUnary()
	for err == nil && p.keyword("and") {
		var r filterExpr
		r, err = p.parseUnary()
		l = binaryOp{"and", l, r}
	}
	return l, err
}

func (p *filterParser) parseUnary() (filterExpr, error) {
	if p.keyword("not") {
		x, err := p.parseUnary()
		return notOp{x}, err
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t != nil && t.kind == "id" {
		switch t.text {
		case "eq", "ne", "gt", "ge", "lt", "le":
			p.pos++
			r, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			return binaryOp{t.text, l, r}, nil
		case "has", "in":
			return nil, fmt.Errorf("the operator '%s' is not supported", t.text)
		}
	}
	return l, nil
}

func (p *filterParser) parseOperand() (filterExpr, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("unexpected end of the expression '%s'", p.src)
	}
	p.pos++
	switch t.kind {
	case "(":
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.kind != ")" {
			return nil, fmt.Errorf("missing ')' in '%s'", p.src)
		}
		p.pos++
		return e, nil
	case "str", "lit":
		return literalVal{v: t.v}, nil
	case "enum":
		return literalVal{v: t.v, enum: true}, nil
	case "id":
		switch t.text {
		case "true":
			return literalVal{v: true}, nil
		case "false":
			return literalVal{v: false}, nil
		case "null":
			return literalVal{v: nil}, nil
		}
		if c := p.peek(); c != nil && c.kind == "(" {
			p.pos++
			fn := strings.ToLower(t.text)
			if fn != "contains" && fn != "startswith" && fn != "endswith" {
				return nil, fmt.Errorf("the function '%s' is not supported", t.text)
			}
			var args []filterExpr
			for {
				a, err := p.parseOperand()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				c := p.peek()
				if c == nil {
					return nil, fmt.Errorf("missing ')' in '%s'", p.src)
				}
				p.pos++
				if c.kind == ")" {
					break
				}
				if c.kind != "," {
					return nil, fmt.Errorf("syntax error at position %d in '%s'", c.at, p.src)
				}
			}
			return callExpr{fn, args}, nil
		}
		return fieldRef{t.text}, nil
	}
	return nil, fmt.Errorf("syntax error at position %d in '%s'", t.at, p.src)
}
