package query

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Query is a parsed Web API collection query.
type Query struct {
	Select  []string // $select; nil selects every column
	Filter  Expr     // $filter; nil when absent
	OrderBy []OrderItem
	Top     *int // $top; nil when absent
	Count   bool // $count=true
	Expand  []*ExpandItem
	Apply   *Apply // $apply; nil when absent

	nested bool // some $expand has a nested $expand (Dataverse then refuses $top and $orderby in $expand)
}

// OrderItem is one $orderby term.
type OrderItem struct {
	Path []string // "name", or an alias of $apply's groupby
	Desc bool
}

// ExpandItem is one $expand term with its nested options.
type ExpandItem struct {
	Nav     string // navigation property name
	Ref     bool   // nav/$ref
	Select  []string
	Filter  Expr
	OrderBy []OrderItem
	Top     *int
	Expand  []*ExpandItem
	Options string // the options as written, for <nav>@odata.nextLink

	nav Navigation
}

// query options Dataverse documents as not supported.
var refusedOptions = map[string]bool{"$skip": true, "$search": true, "$format": true}

// handledElsewhere are parameters of a collection GET that are not query
// options of this package: the handler deals with them.
var handledElsewhere = map[string]bool{"$skiptoken": true, "$deltatoken": true, "fetchXml": true, "savedQuery": true, "userQuery": true}

// ParseQuery parses the query options of a GET on table's entity set and
// checks them against env's schema. Parameter aliases (@p1=...) are taken
// from q. Unknown $ options, $skip, $search and $format are refused as
// Dataverse refuses them. The handler deals with $skiptoken, $deltatoken,
// fetchXml, savedQuery and userQuery.
func (e *Env) ParseQuery(table string, q url.Values) (*Query, error) {
	if _, err := e.table(table); err != nil {
		return nil, err
	}
	aliases := map[string]string{}
	var names []string
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case strings.HasPrefix(k, "@"):
			aliases[k] = q.Get(k)
		case refusedOptions[k]:
			return nil, badRequest(CodeQuery, "The query parameter %s is not supported", k)
		case handledElsewhere[k]:
		case k == "$select" || k == "$filter" || k == "$orderby" || k == "$top" || k == "$count" || k == "$expand" || k == "$apply":
			if len(q[k]) > 1 {
				return nil, badRequest(CodeQuery, "Query option '%s' was specified more than once, but it must be specified at most once.", k)
			}
		case strings.HasPrefix(k, "$"):
			if k == "$levels" || k == "$compute" || k == "$index" || k == "$schemaversion" || k == "$id" {
				return nil, notImplemented("the query option %s", k)
			}
			return nil, badRequest(CodeQuery, "The query parameter %s is not supported", k)
		default:
			return nil, badRequest(CodeQuery, "The query parameter %s is not supported", k)
		}
	}
	qu := &Query{}
	var err error
	if v, ok := q["$select"]; ok {
		if qu.Select, err = e.parseSelect(table, v[0]); err != nil {
			return nil, err
		}
	}
	if v, ok := q["$filter"]; ok {
		if qu.Filter, err = ParseFilter(v[0], aliases); err != nil {
			return nil, err
		}
	}
	if v, ok := q["$top"]; ok {
		if qu.Top, err = parseTop(v[0]); err != nil {
			return nil, err
		}
	}
	if v, ok := q["$count"]; ok {
		switch v[0] {
		case "true":
			qu.Count = true
		case "false":
		default:
			return nil, badRequest(CodeQuery, "'%s' is not a valid count option.", v[0])
		}
	}
	if v, ok := q["$apply"]; ok {
		if qu.Apply, err = ParseApply(v[0]); err != nil {
			return nil, err
		}
	}
	if v, ok := q["$expand"]; ok {
		if qu.Expand, err = parseExpand(v[0], 0); err != nil {
			return nil, err
		}
	}
	if v, ok := q["$orderby"]; ok {
		if qu.OrderBy, err = parseOrderBy(v[0], aliases); err != nil {
			return nil, err
		}
	}
	if err := e.checkQuery(table, qu); err != nil {
		return nil, err
	}
	return qu, nil
}

func parseTop(s string) (*int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return nil, badRequest(CodeQuery, "Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", s)
	}
	return &n, nil
}

// splitTop splits s at sep outside parentheses, brackets and quotes.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseSelect reads and checks a $select list.
func (e *Env) parseSelect(table, s string) ([]string, error) {
	var cols []string
	seen := map[string]bool{}
	for _, part := range splitTop(s, ',') {
		c := strings.TrimSpace(part)
		if c == "" {
			continue // Dataverse accepts a trailing comma ("$select=name,userqueryid,")
		}
		if c == "*" {
			return nil, nil
		}
		if _, err := e.resolveProperty(table, c, CodeSelectProperty); err != nil {
			if nav, ok := e.navigation(table, c); ok {
				return nil, notImplemented("selecting the navigation property '%s' (use $expand)", nav.Name)
			}
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	if cols == nil {
		cols = []string{}
	}
	return cols, nil
}

func parseOrderBy(s string, aliases map[string]string) ([]OrderItem, error) {
	var out []OrderItem
	for _, part := range splitTop(s, ',') {
		f := strings.Fields(part)
		if len(f) == 0 {
			return nil, syntaxError("Expression expected at position %d in '%s'.", len(s), s)
		}
		if len(f) > 2 {
			return nil, syntaxError("Syntax error at position %d in '%s'.", strings.Index(s, f[2]), s)
		}
		name := f[0]
		if strings.HasPrefix(name, "@") {
			v, ok := aliases[name]
			if !ok {
				return nil, syntaxError("The parameter alias '%s' in $orderby has no value.", name)
			}
			name = strings.TrimSpace(v)
		}
		it := OrderItem{Path: strings.Split(name, "/")}
		if len(f) == 2 {
			switch f[1] {
			case "asc":
			case "desc":
				it.Desc = true
			default:
				return nil, syntaxError("Syntax error at position %d in '%s'.", strings.Index(s, f[1]), s)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// parseExpand reads an $expand list.
func parseExpand(s string, depth int) ([]*ExpandItem, error) {
	var out []*ExpandItem
	for _, part := range splitTop(s, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, syntaxError("Expression expected in $expand '%s'.", s)
		}
		it := &ExpandItem{}
		name, opts := part, ""
		if i := strings.IndexByte(part, '('); i >= 0 {
			if !strings.HasSuffix(part, ")") {
				return nil, syntaxError("Found an unbalanced bracket expression in $expand '%s'.", s)
			}
			name, opts = strings.TrimSpace(part[:i]), part[i+1:len(part)-1]
		}
		if n, ok := strings.CutSuffix(name, "/$ref"); ok {
			name, it.Ref = n, true
		}
		if name == "*" {
			return nil, notImplemented("$expand=*")
		}
		if strings.Contains(name, "/") {
			return nil, notImplemented("the $expand path '%s'", name)
		}
		it.Nav, it.Options = name, opts
		if strings.TrimSpace(opts) != "" {
			if err := it.parseOptions(opts, depth); err != nil {
				return nil, err
			}
		}
		out = append(out, it)
	}
	return out, nil
}

func (it *ExpandItem) parseOptions(opts string, depth int) error {
	for _, o := range splitTop(opts, ';') {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return syntaxError("Syntax error in the options of $expand=%s: '%s'.", it.Nav, o)
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "$select":
			it.Select = []string{}
			for _, c := range strings.Split(v, ",") {
				if c = strings.TrimSpace(c); c != "" {
					it.Select = append(it.Select, c)
				}
			}
		case "$filter":
			// Dataverse does not allow parameter aliases inside $expand.
			it.Filter, err = ParseFilter(v, nil)
		case "$orderby":
			it.OrderBy, err = parseOrderBy(v, nil)
		case "$top":
			it.Top, err = parseTop(v)
		case "$expand":
			if depth >= 10 {
				return syntaxError("The $expand is nested too deeply.")
			}
			it.Expand, err = parseExpand(v, depth+1)
		case "$skip", "$count", "$search", "$levels":
			return badRequest(CodeQuery, "The query option '%s' is not supported in $expand (Dataverse supports $select, $filter, $orderby, $top and $expand).", k)
		default:
			return syntaxError("The query option '%s' is not valid in $expand.", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkQuery validates a parsed query against the schema.
func (e *Env) checkQuery(table string, q *Query) error {
	if q.Filter != nil {
		if err := e.CheckFilter(table, q.Filter); err != nil {
			return err
		}
	}
	if q.Apply != nil {
		if q.Select != nil || len(q.Expand) > 0 {
			return notImplemented("$apply combined with $select or $expand")
		}
		if q.Count {
			return notImplemented("$apply combined with $count")
		}
		if err := e.checkApply(table, q.Apply); err != nil {
			return err
		}
		for _, o := range q.OrderBy {
			if !q.Apply.hasGroupKey(strings.Join(o.Path, "/")) {
				return badRequest(CodeQuery, "The query node SingleValueOpenPropertyAccess is not supported.")
			}
		}
		return nil
	}
	for _, o := range q.OrderBy {
		if err := e.checkOrder(table, o); err != nil {
			return err
		}
	}
	count := 0
	q.nested = hasNested(q.Expand)
	return e.checkExpand(table, q.Expand, q.nested, &count)
}

func hasNested(items []*ExpandItem) bool {
	for _, it := range items {
		if len(it.Expand) > 0 {
			return true
		}
	}
	return false
}

func (e *Env) checkOrder(table string, o OrderItem) error {
	if len(o.Path) > 1 {
		return notImplemented("$orderby through a navigation property ('%s')", strings.Join(o.Path, "/"))
	}
	if _, err := e.resolveProperty(table, o.Path[0], CodeQuery); err != nil {
		return err
	}
	return nil
}

func (e *Env) checkExpand(table string, items []*ExpandItem, nested bool, count *int) error {
	manyToMany := false
	for _, it := range items {
		*count++
		if *count > 15 {
			return badRequest(CodeQuery, "The number of $expand options exceeds 15.")
		}
		nav, ok := e.navigation(table, it.Nav)
		if !ok {
			if e.Schema == nil {
				return notImplemented("$expand without a schema")
			}
			return unknownProperty(CodeQuery, it.Nav, table)
		}
		it.nav = nav
		if nav.ManyToMany {
			manyToMany = true
			if len(it.Expand) > 0 {
				return badRequest(CodeQuery, "A nested $expand is not supported on the many-to-many navigation property '%s'.", it.Nav)
			}
		}
		if it.Ref {
			if nav.Collection {
				return badRequest(CodeQuery, "Expand with $ref is only supported on lookup type navigation property.")
			}
			if it.Options != "" {
				return syntaxError("No query options are allowed with $expand=%s/$ref.", it.Nav)
			}
			continue
		}
		if (it.Top != nil || it.OrderBy != nil) && (!nav.Collection || nested) {
			return badRequest(CodeQuery, "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.")
		}
		for _, c := range it.Select {
			if _, err := e.resolveProperty(nav.Target, c, CodeSelectProperty); err != nil {
				return err
			}
		}
		if it.Filter != nil {
			if err := e.CheckFilter(nav.Target, it.Filter); err != nil {
				return err
			}
		}
		for _, o := range it.OrderBy {
			if err := e.checkOrder(nav.Target, o); err != nil {
				return err
			}
		}
		if err := e.checkExpand(nav.Target, it.Expand, nested, count); err != nil {
			return err
		}
	}
	if manyToMany && len(items) > 1 {
		return badRequest(CodeQuery, "A many-to-many navigation property cannot be expanded together with other navigation properties.")
	}
	return nil
}

// ParseRawQuery splits a URL's raw query into values like url.ParseQuery,
// but keeps semicolons: Go's url.ParseQuery (and so Request.URL.Query)
// drops every parameter containing ';', which $expand options use
// ($expand=Account_Tasks($select=subject;$top=2)). '+' is kept as '+'.
func ParseRawQuery(raw string) (url.Values, error) {
	out := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.PathUnescape(k)
		if err != nil {
			return nil, badRequest(CodeQuery, "The query parameter '%s' is not correctly URL-encoded.", k)
		}
		val, err := url.PathUnescape(v)
		if err != nil {
			return nil, badRequest(CodeQuery, "The value of the query parameter '%s' is not correctly URL-encoded.", key)
		}
		out[key] = append(out[key], val)
	}
	return out, nil
}
