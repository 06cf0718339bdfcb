package query

import (
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 form.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// parseTime reads an RFC 3339 timestamp or a date.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		return parseTime(t)
	}
	return time.Time{}, false
}

// compare orders two non-null values: numbers numerically, timestamps in
// time, GUIDs and strings without regard to case (Dataverse's collation),
// booleans false < true. ok is false when they cannot be compared.
func compare(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	if x, ok := jsonnum.Float(a); ok {
		y, ok := jsonnum.Float(b)
		if !ok {
			if s, isStr := b.(string); isStr {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					y, ok = f, true
				}
			}
			if !ok {
				return 0, false
			}
		}
		return cmpFloat(x, y), true
	}
	if x, ok := a.(bool); ok {
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	}
	if ta, ok := timeOf(a); ok {
		if tb, ok := timeOf(b); ok {
			return ta.Compare(tb), true
		}
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		if ok1 {
			if f, ok := jsonnum.Float(b); ok {
				if g, err := strconv.ParseFloat(x, 64); err == nil {
					return cmpFloat(g, f), true
				}
			}
		}
		return 0, false
	}
	return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// equal is eq without null semantics: two nulls are equal.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	c, ok := compare(a, b)
	return ok && c == 0
}

// number returns a JSON number for an aggregate: an integer when whole.
func number(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

// edmType is the OData type of a column, for operand type checks.
func edmType(c Column) string {
	switch c.Type {
	case TypeString, TypeMemo, TypeEntityName:
		return "Edm.String"
	case TypeInteger, TypePicklist, TypeState, TypeStatus:
		return "Edm.Int32"
	case TypeBigInt:
		return "Edm.Int64"
	case TypeDecimal, TypeMoney:
		return "Edm.Decimal"
	case TypeDouble:
		return "Edm.Double"
	case TypeBoolean:
		return "Edm.Boolean"
	case TypeDateTime:
		return "Edm.DateTimeOffset"
	case TypeUniqueidentifier, TypeLookup, TypeCustomer, TypeOwner:
		return "Edm.Guid"
	}
	return ""
}

func isNumericEdm(t string) bool {
	switch t {
	case "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Byte", "Edm.Int16":
		return true
	}
	return false
}

// compatible reports whether operands of these OData types may be compared.
func compatible(a, b string) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	if isNumericEdm(a) && isNumericEdm(b) {
		return true
	}
	// Dataverse accepts a date literal against a date and time column.
	if (a == "Edm.Date" && b == "Edm.DateTimeOffset") || (b == "Edm.Date" && a == "Edm.DateTimeOffset") {
		return true
	}
	return false
}
