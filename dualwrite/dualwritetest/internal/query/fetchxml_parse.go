package query

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// Fetch is a parsed FetchXML query ("Use FetchXML to query data").
type Fetch struct {
	Top          *int   // top
	Count        *int   // count: the page size
	Page         *int   // page: the page number, from 1
	PagingCookie string // paging-cookie, XML-decoded
	Aggregate    bool   // aggregate='true'
	Distinct     bool   // distinct='true'
	// ReturnTotalRecordCount asks for @Microsoft.Dynamics.CRM.totalrecordcount.
	ReturnTotalRecordCount bool
	AggregateLimit         int // aggregatelimit
	Entity                 FetchEntity
}

// FetchEntity is the entity element, or the body of a link-entity.
type FetchEntity struct {
	Name          string
	AllAttributes bool
	Attributes    []FetchAttribute
	Orders        []FetchOrder
	Filters       []*FetchFilter
	Links         []*FetchLink
}

// FetchLink is a link-entity element.
type FetchLink struct {
	FetchEntity
	From, To string
	Alias    string // as written; see Key for the alias used in results
	LinkType string // inner (default), outer, any, not any, exists, in
	Key      string // alias in results: Alias, or the generated "<name><n>"
}

// FetchAttribute is an attribute element.
type FetchAttribute struct {
	Name, Alias  string
	Aggregate    string // count, countcolumn, sum, avg, min, max
	GroupBy      bool
	Distinct     bool
	DateGrouping string
}

// FetchOrder is an order element.
type FetchOrder struct {
	Attribute, Alias, EntityName string
	Descending                   bool
}

// FetchFilter is a filter element (type and, or).
type FetchFilter struct {
	Type       string // "and" or "or"
	Conditions []FetchCondition
	Filters    []*FetchFilter
}

// FetchCondition is a condition element.
type FetchCondition struct {
	Attribute, Operator, EntityName, ValueOf string
	Value                                    *string // the value attribute
	Values                                   []string
}

// ParseFetchXML parses a FetchXML document. It checks the syntax only;
// RunFetch checks names against the schema.
func ParseFetchXML(s string) (*Fetch, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	root, err := readElement(d)
	if err != nil {
		return nil, err
	}
	if root == nil || root.name != "fetch" {
		return nil, fetchError("The root element of a FetchXML query must be 'fetch'.")
	}
	if tok, err := d.Token(); err != io.EOF {
		if _, ws := tok.(xml.CharData); !ws || err != nil {
			return nil, fetchError("The FetchXML query has content after the 'fetch' element.")
		}
	}
	f := &Fetch{}
	for _, a := range root.attrs {
		v := a.Value
		switch a.Name.Local {
		case "top", "count", "page", "aggregatelimit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || a.Name.Local == "page" && n < 1 || a.Name.Local == "top" && n > 5000 || a.Name.Local == "count" && (n > 5000 || n < 1) {
				return nil, fetchError("The '%s' attribute has an invalid value '%s'.", a.Name.Local, v)
			}
			switch a.Name.Local {
			case "top":
				f.Top = &n
			case "count":
				f.Count = &n
			case "page":
				f.Page = &n
			default:
				f.AggregateLimit = n
			}
		case "paging-cookie":
			f.PagingCookie = v
		case "aggregate", "distinct", "returntotalrecordcount", "no-lock", "latematerialize", "useraworderby":
			b, err := parseBool(v)
			if err != nil {
				return nil, fetchError("The '%s' attribute has an invalid value '%s'.", a.Name.Local, v)
			}
			switch a.Name.Local {
			case "aggregate":
				f.Aggregate = b
			case "distinct":
				f.Distinct = b
			case "returntotalrecordcount":
				f.ReturnTotalRecordCount = b
			case "useraworderby":
				if b {
					return nil, notImplemented("the fetch attribute useraworderby")
				}
			}
		case "mapping", "version", "output-format", "options", "datasource":
			if a.Name.Local == "mapping" && v != "logical" {
				return nil, fetchError("The 'mapping' attribute must be 'logical'.")
			}
			if a.Name.Local == "datasource" && v != "retained" && v != "" {
				return nil, fetchError("The 'datasource' attribute has an invalid value '%s'.", v)
			}
			if a.Name.Local == "datasource" {
				return nil, notImplemented("the fetch attribute datasource")
			}
		case "min-active-row-version", "utc-offset":
			return nil, notImplemented("the fetch attribute %s", a.Name.Local)
		default:
			return nil, fetchError("The '%s' attribute is not declared.", a.Name.Local)
		}
	}
	if f.Top != nil && (f.Page != nil || f.Count != nil) {
		return nil, fetchError("The 'top' attribute can't be used together with the 'count' or 'page' attributes.")
	}
	var entities []*element
	for _, c := range root.children {
		if c.name != "entity" {
			return nil, fetchError("The element '%s' is not expected in 'fetch'.", c.name)
		}
		entities = append(entities, c)
	}
	if len(entities) != 1 {
		return nil, fetchError("A FetchXML query needs exactly one 'entity' element.")
	}
	for _, a := range entities[0].attrs {
		switch a.Name.Local {
		case "name":
			f.Entity.Name = a.Value
		case "enableprefiltering", "prefilterparametername":
		default:
			return nil, fetchError("The '%s' attribute is not declared on 'entity'.", a.Name.Local)
		}
	}
	if f.Entity.Name == "" {
		return nil, fetchError("The 'entity' element needs a 'name' attribute.")
	}
	n := 0
	if err := parseEntityBody(&f.Entity, entities[0], &n); err != nil {
		return nil, err
	}
	return f, nil
}

func fetchError(format string, args ...any) *Error {
	return badRequest(CodeFetchXML, format, args...)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, strconv.ErrSyntax
}

type element struct {
	name     string
	attrs    []xml.Attr
	children []*element
	text     string
}

// readElement reads the next element and its subtree.
func readElement(d *xml.Decoder) (*element, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fetchError("The FetchXML query is empty.")
		}
		if err != nil {
			return nil, fetchError("The FetchXML query is not well-formed XML: %v.", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return readBody(d, t, 0)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, fetchError("The FetchXML query has text outside its elements.")
			}
		case xml.EndElement:
			return nil, fetchError("The FetchXML query is not well-formed XML.")
		}
	}
}

func readBody(d *xml.Decoder, start xml.StartElement, depth int) (*element, error) {
	if depth > 50 {
		return nil, fetchError("The FetchXML query is nested too deeply.")
	}
	el := &element{name: start.Name.Local, attrs: start.Attr}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fetchError("The FetchXML query is not well-formed XML: %v.", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			c, err := readBody(d, t, depth+1)
			if err != nil {
				return nil, err
			}
			el.children = append(el.children, c)
		case xml.CharData:
			el.text += string(t)
		case xml.EndElement:
			return el, nil
		}
	}
}

func parseEntityBody(ent *FetchEntity, el *element, n *int) error {
	for _, c := range el.children {
		switch c.name {
		case "all-attributes":
			ent.AllAttributes = true
		case "attribute":
			a, err := parseAttribute(c)
			if err != nil {
				return err
			}
			ent.Attributes = append(ent.Attributes, a)
		case "order":
			o := FetchOrder{}
			for _, at := range c.attrs {
				switch at.Name.Local {
				case "attribute":
					o.Attribute = at.Value
				case "alias":
					o.Alias = at.Value
				case "entityname":
					o.EntityName = at.Value
				case "descending":
					b, err := parseBool(at.Value)
					if err != nil {
						return fetchError("The 'descending' attribute has an invalid value '%s'.", at.Value)
					}
					o.Descending = b
				default:
					return fetchError("The '%s' attribute is not declared on 'order'.", at.Name.Local)
				}
			}
			if (o.Attribute == "") == (o.Alias == "") {
				return fetchError("An 'order' element needs either an 'attribute' or an 'alias'.")
			}
			ent.Orders = append(ent.Orders, o)
		case "filter":
			f, err := parseFilterElement(c)
			if err != nil {
				return err
			}
			ent.Filters = append(ent.Filters, f)
		case "link-entity":
			*n++
			l := &FetchLink{LinkType: "inner"}
			for _, at := range c.attrs {
				switch at.Name.Local {
				case "name":
					l.Name = at.Value
				case "from":
					l.From = at.Value
				case "to":
					l.To = at.Value
				case "alias":
					l.Alias = at.Value
				case "link-type":
					l.LinkType = at.Value
				case "visible", "intersect":
				default:
					return fetchError("The '%s' attribute is not declared on 'link-entity'.", at.Name.Local)
				}
			}
			if l.Name == "" {
				return fetchError("The 'link-entity' element needs a 'name' attribute.")
			}
			switch l.LinkType {
			case "inner", "outer", "any", "not any", "exists", "in":
			case "all", "not all", "matchfirstrowusingcrossapply":
				return notImplemented("link-type '%s'", l.LinkType)
			default:
				return fetchError("The link-type '%s' is not valid.", l.LinkType)
			}
			l.Key = l.Alias
			if l.Key == "" {
				l.Key = l.Name + strconv.Itoa(*n)
			}
			if err := parseEntityBody(&l.FetchEntity, c, n); err != nil {
				return err
			}
			ent.Links = append(ent.Links, l)
		default:
			return fetchError("The element '%s' is not expected in '%s'.", c.name, el.name)
		}
	}
	return nil
}

func parseAttribute(c *element) (FetchAttribute, error) {
	a := FetchAttribute{}
	for _, at := range c.attrs {
		switch at.Name.Local {
		case "name":
			a.Name = at.Value
		case "alias":
			a.Alias = at.Value
		case "aggregate":
			switch at.Value {
			case "count", "countcolumn", "sum", "avg", "min", "max":
				a.Aggregate = at.Value
			default:
				return a, fetchError("The aggregate '%s' is not valid.", at.Value)
			}
		case "groupby", "distinct", "usertimezone":
			b, err := parseBool(at.Value)
			if err != nil {
				return a, fetchError("The '%s' attribute has an invalid value '%s'.", at.Name.Local, at.Value)
			}
			switch at.Name.Local {
			case "groupby":
				a.GroupBy = b
			case "distinct":
				a.Distinct = b
			}
		case "dategrouping":
			switch at.Value {
			case "day", "week", "month", "quarter", "year":
				a.DateGrouping = at.Value
			case "fiscal-period", "fiscal-year":
				return a, notImplemented("dategrouping '%s'", at.Value)
			default:
				return a, fetchError("The dategrouping '%s' is not valid.", at.Value)
			}
		case "rowaggregate":
			return a, notImplemented("rowaggregate")
		case "build", "addedby":
		default:
			return a, fetchError("The '%s' attribute is not declared on 'attribute'.", at.Name.Local)
		}
	}
	if a.Name == "" {
		return a, fetchError("The 'attribute' element needs a 'name' attribute.")
	}
	return a, nil
}

func parseFilterElement(el *element) (*FetchFilter, error) {
	f := &FetchFilter{Type: "and"}
	for _, at := range el.attrs {
		switch at.Name.Local {
		case "type":
			if at.Value != "and" && at.Value != "or" {
				return nil, fetchError("The filter type '%s' is not valid: use 'and' or 'or'.", at.Value)
			}
			f.Type = at.Value
		case "isquickfindfields", "overridequickfindrecordlimitenabled", "overridequickfindrecordlimitdisabled", "hint":
		default:
			return nil, fetchError("The '%s' attribute is not declared on 'filter'.", at.Name.Local)
		}
	}
	for _, c := range el.children {
		switch c.name {
		case "condition":
			cond := FetchCondition{}
			for _, at := range c.attrs {
				switch at.Name.Local {
				case "attribute":
					cond.Attribute = at.Value
				case "operator":
					cond.Operator = at.Value
				case "value":
					v := at.Value
					cond.Value = &v
				case "entityname":
					cond.EntityName = at.Value
				case "valueof":
					cond.ValueOf = at.Value
				case "uiname", "uitype", "uihidden":
				case "aggregate", "alias", "rowaggregate", "column":
					return nil, notImplemented("the condition attribute '%s'", at.Name.Local)
				default:
					return nil, fetchError("The '%s' attribute is not declared on 'condition'.", at.Name.Local)
				}
			}
			for _, v := range c.children {
				if v.name != "value" {
					return nil, fetchError("The element '%s' is not expected in 'condition'.", v.name)
				}
				cond.Values = append(cond.Values, strings.TrimSpace(v.text))
			}
			if cond.Attribute == "" || cond.Operator == "" {
				return nil, fetchError("A 'condition' element needs 'attribute' and 'operator' attributes.")
			}
			f.Conditions = append(f.Conditions, cond)
		case "filter":
			sub, err := parseFilterElement(c)
			if err != nil {
				return nil, err
			}
			f.Filters = append(f.Filters, sub)
		case "link-entity":
			return nil, notImplemented("link-entity inside a filter")
		default:
			return nil, fetchError("The element '%s' is not expected in 'filter'.", c.name)
		}
	}
	return f, nil
}
