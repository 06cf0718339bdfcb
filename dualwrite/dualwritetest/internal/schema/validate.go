package schema

import (
	"encoding/json"
	"fmt"
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Op is the write a body is checked for.
type Op int

const (
	// Create is a POST: the columns must be valid for create.
	Create Op = iota
	// Update is a PATCH (or an upsert): the columns must be valid for
	// update.
	Update
)

// String names the operation.
func (o Op) String() string {
	if o == Create {
		return "create"
	}
	return "update"
}

// Property resolves a name used in $select, $filter or $orderby: a Web API
// column readable by the service, or a lookup property (_x_value). The
// lookup column's own name is not a property (it is a navigation property
// or nothing), nor is a column that is not a Web API property. An unknown
// name is the 400 0x80060888 "Could not find a property named 'x' on type
// 'Microsoft.Dynamics.CRM.lead'.".
func (t *Table) Property(name string) (*Column, error) {
	if c, ok := t.props[name]; ok {
		return c, nil
	}
	if c, ok := t.columns[name]; ok && c.WebAPI && c.Read && !c.Type.IsLookup() {
		return c, nil
	}
	return nil, errPropertyNotFound(t.LogicalName, name)
}

// CheckSelect checks the names of a $select (or $orderby, or the properties
// of a $filter) with Property and returns the first unknown one's error.
func (t *Table) CheckSelect(names ...string) error {
	for _, n := range names {
		if _, err := t.Property(strings.TrimSpace(n)); err != nil {
			return err
		}
	}
	return nil
}

// CheckExpand resolves a navigation property named in $expand:
// single-valued or collection-valued. An unknown name is 0x80060888, as for
// $select.
func (t *Table) CheckExpand(name string) (single *Navigation, collection *CollectionNavigation, err error) {
	if n, ok := t.single[name]; ok {
		return n, nil, nil
	}
	if n, ok := t.collection[name]; ok {
		return nil, n, nil
	}
	return nil, nil, errPropertyNotFound(t.LogicalName, name)
}

// CheckBind resolves the navigation property of an "x@odata.bind" key (x
// without the annotation). x must be a declared single-valued navigation
// property, case-sensitive; a lookup column without one (a contact's
// accountid) cannot be bound. Otherwise the 400 0x80048d19 "An undeclared
// property 'x' which only has property annotations in the payload..."
func (t *Table) CheckBind(nav string) (*Navigation, error) {
	if n, ok := t.single[nav]; ok {
		return n, nil
	}
	return nil, errUndeclaredNavigation(t.EntitySet, nav)
}

// CheckBody checks a request body for op: every key is a writable Web API
// column with a value of its type (String and Memo within MaxLength,
// numbers whole where the type is and within range, choices among the
// options, dates as the column's Edm type, GUIDs), "x@odata.bind" on a
// single-valued navigation property with a string (or null) value, an
// instance annotation ("@odata.type") or a property annotation of a known
// property; a navigation property given an object or an array (deep insert)
// is left to the caller. Values are as encoding/json decodes them (with or
// without UseNumber). The first refusal is returned; keys are checked in
// sorted order so that the refusal does not depend on map order. The
// statecode/statuscode pair is checked with CheckState when both are given.
func (t *Table) CheckBody(op Op, body map[string]any) error {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := t.checkKey(op, k, body[k]); err != nil {
			return err
		}
	}
	st, okS := body["statecode"]
	ss, okT := body["statuscode"]
	if okS && okT && st != nil && ss != nil {
		a, _ := wholeNumber(st)
		b, _ := wholeNumber(ss)
		return t.CheckState(int(a), int(b))
	}
	return nil
}

func (t *Table) checkKey(op Op, k string, v any) error {
	if strings.HasPrefix(k, "@") {
		return nil // instance annotation (@odata.type, @odata.etag ...)
	}
	if base, ann, ok := strings.Cut(k, "@"); ok {
		if ann == "odata.bind" {
			if _, err := t.CheckBind(base); err != nil {
				return err
			}
			switch v.(type) {
			case string, nil:
				return nil
			}
			return errPayload(t.EntitySet, base, fmt.Sprintf("The value of the annotation '%s' must be a string: the URL of the related record.", k))
		}
		if _, ok := t.single[base]; ok {
			return nil
		}
		if _, err := t.Property(base); err != nil {
			return errInvalidProperty(t.LogicalName, base)
		}
		return nil
	}
	if _, ok := t.single[k]; ok {
		switch v.(type) {
		case map[string]any, []any:
			return nil // deep insert: the caller decides
		}
		return errPayload(t.EntitySet, k, "A 'PrimitiveValue' node with non-null value was found when trying to read the value of a navigation property; however, a 'StartArray' node, a 'StartObject' node, or a 'PrimitiveValue' node with null value was expected.")
	}
	if _, ok := t.collection[k]; ok {
		if _, isArray := v.([]any); isArray {
			return nil // deep insert of related records: the caller decides
		}
		return errPayload(t.EntitySet, k, fmt.Sprintf("The collection-valued navigation property '%s' needs an array of records.", k))
	}
	c, ok := t.columns[k]
	if !ok || !c.WebAPI || c.Type.IsLookup() {
		return errInvalidProperty(t.LogicalName, k)
	}
	if (op == Create && !c.Create) || (op == Update && !c.Update) {
		return &Error{Status: 400, Code: CodeInvalidArgument, Property: k,
			Message: fmt.Sprintf("The column '%s' of '%s' is not valid for %s.", k, t.LogicalName, op)}
	}
	return t.CheckValue(c, v)
}

// CheckValue checks one value (as encoding/json decodes it) against a
// column: its JSON kind, then length, range, choice and format. Null is
// accepted for every column.
func (t *Table) CheckValue(c *Column, v any) error {
	if v == nil {
		return nil
	}
	mismatch := func() error { return errTypeMismatch(t.EntitySet, c.LogicalName, c.EdmType()) }
	switch c.Type {
	case String, Memo, EntityName:
		s, ok := v.(string)
		if !ok {
			return mismatch()
		}
		if c.MaxLength > 0 && utf8.RuneCountInString(s) > c.MaxLength {
			return &Error{Status: 400, Code: CodeStringTooLong, Property: c.LogicalName,
				Message: fmt.Sprintf("A validation error occurred.  The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.", c.LogicalName, t.LogicalName, c.MaxLength)}
		}
	case Integer, BigInt:
		n, ok := wholeNumber(numericString(v))
		if !ok {
			return mismatch()
		}
		if c.Type == Integer && (n < math.MinInt32 || n > math.MaxInt32) {
			return mismatch()
		}
		return t.checkRange(c, float64(n))
	case Decimal, Money, Double:
		f, ok := jsonnum.Float(numericString(v))
		if !ok {
			return mismatch()
		}
		return t.checkRange(c, f)
	case Boolean:
		if _, ok := v.(bool); !ok {
			return mismatch()
		}
	case Picklist, State, Status:
		n, ok := wholeNumber(v)
		if !ok {
			return mismatch()
		}
		if _, ok := c.Option(int(n)); !ok {
			return errPicklist(c)
		}
	case MultiSelect:
		s, ok := v.(string)
		if !ok {
			return mismatch()
		}
		for _, p := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return mismatch()
			}
			if _, ok := c.Option(n); !ok {
				return errPicklist(c)
			}
		}
	case DateTime:
		s, ok := v.(string)
		if !ok || !validDate(c, s) {
			return mismatch()
		}
	case Uniqueidentifier:
		s, ok := v.(string)
		if !ok || !guidPattern.MatchString(s) {
			return mismatch()
		}
	case Image:
		if _, ok := v.(string); !ok {
			return mismatch()
		}
	case ManagedProperty:
		if _, ok := v.(map[string]any); !ok {
			return mismatch()
		}
	default:
		return errInvalidProperty(t.LogicalName, c.LogicalName)
	}
	return nil
}

func errPicklist(c *Column) *Error {
	return &Error{Status: 400, Code: CodePicklistOutOfRange, Property: c.LogicalName, Message: "The picklist value is out of the range."}
}

func (t *Table) checkRange(c *Column, f float64) error {
	if (c.Min != nil && f < *c.Min) || (c.Max != nil && f > *c.Max) {
		return &Error{Status: 400, Code: CodeValueOutOfRange, Property: c.LogicalName,
			Message: fmt.Sprintf("A validation error occurred.  The value %v of the '%s' attribute of the '%s' entity is outside the valid range (%v to %v).", f, c.LogicalName, t.LogicalName, deref(c.Min), deref(c.Max))}
	}
	return nil
}

func deref(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// CheckState checks a statecode/statuscode pair: the statecode must be one
// of the table's (0x80040203) and the statuscode one of that state's
// (0x8004431a).
func (t *Table) CheckState(state, status int) error {
	valid, ok := t.StateStatus[state]
	if !ok {
		return &Error{Status: 400, Code: CodeInvalidArgument, Property: "statecode",
			Message: fmt.Sprintf("%d is not a valid state code on %s.", state, t.LogicalName)}
	}
	if !slices.Contains(valid, status) {
		return &Error{Status: 400, Code: CodePicklistOutOfRange, Property: "statuscode",
			Message: fmt.Sprintf("The picklist value is out of the range. %d is not a valid status code for state code %d on %s (valid: %v).", status, state, t.LogicalName, valid)}
	}
	return nil
}

// DefaultStatus returns the default statuscode of a statecode.
func (t *Table) DefaultStatus(state int) (int, bool) {
	if c, ok := t.columns["statecode"]; ok {
		if o, ok := c.Option(state); ok && o.DefaultStatus != 0 {
			return o.DefaultStatus, true
		}
	}
	if s := t.StateStatus[state]; len(s) > 0 {
		return s[0], true
	}
	return 0, false
}

// AlternateKey returns the declared alternate key made of exactly these
// columns (in any order).
func (t *Table) AlternateKey(columns ...string) (*AlternateKey, bool) {
	want := slices.Clone(columns)
	sort.Strings(want)
	for i := range t.AlternateKeys {
		k := &t.AlternateKeys[i]
		got := slices.Clone(k.Columns)
		sort.Strings(got)
		if slices.Equal(got, want) {
			return k, true
		}
	}
	return nil, false
}

// CheckAlternateKey checks the names of a key segment such as
// accounts(accountnumber='A1'): a declared alternate key of exactly these
// columns (lookup columns named by their lookup property, _x_value, as the
// documentation says), else 0x80060890 "The specified key attributes are
// not a defined key for the account entity". The primary key alone
// (accounts(accountid=...)) is always a key.
func (t *Table) CheckAlternateKey(names ...string) (*AlternateKey, error) {
	if len(names) == 1 && names[0] == t.PrimaryKey {
		return &AlternateKey{Name: "primary key", Columns: []string{t.PrimaryKey}}, nil
	}
	cols := make([]string, len(names))
	for i, n := range names {
		cols[i] = n
		if c, ok := t.props[n]; ok {
			cols[i] = c.LogicalName
		}
	}
	if k, ok := t.AlternateKey(cols...); ok {
		return k, nil
	}
	return nil, &Error{Status: 400, Code: CodeEntityKeyNotDefined,
		Message: fmt.Sprintf("The specified key attributes are not a defined key for the %s entity", t.LogicalName)}
}

// ErrRecordNotFoundByKey is the 404 for a declared alternate key that
// matches no record: 0x80060891 "A record with the specified key values
// does not exist in account entity".
func (t *Table) ErrRecordNotFoundByKey() *Error {
	return &Error{Status: 404, Code: CodeRecordNotFoundByKey,
		Message: fmt.Sprintf("A record with the specified key values does not exist in %s entity", t.LogicalName)}
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func validDate(c *Column, s string) bool {
	if c.DateOnly() {
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return true
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// numericString turns a number sent as a JSON string ("200") into a
// json.Number: ODataLib converts string values to the property's numeric
// type, and Microsoft's own create example sends "numberofemployees":"200"
// (create-entity-web-api.md, "Create with data returned"). Other values are
// returned as they are.
func numericString(v any) any {
	if s, ok := v.(string); ok {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
	}
	return v
}

func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	f, ok := jsonnum.Float(v)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}
