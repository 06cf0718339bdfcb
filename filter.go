package d365

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365/internal/syntax"
	"github.com/google/uuid"
)

// Filterf formats an OData $filter expression. Each %v is replaced by its
// argument written as an OData literal of its type, so that no value can
// change the meaning of the expression. Other verbs (%s, %d, %q...) are not
// honoured: they write an invalid literal naming the verb, which the
// service refuses, rather than quietly acting as %v.
//
//   - string (and string kinds): in single quotes, each single quote in
//     the text doubled (see below)
//   - uuid.UUID: bare, as Dataverse expects for ids and lookups
//   - time.Time: ISO 8601 in UTC, 2024-05-01T09:30:00Z, with at most
//     milliseconds (2024-05-01T09:30:00.25Z): Dataverse keeps date and time
//     columns to the second (every documented example and capture is
//     written so), and OData's parser reads at most seven fractional
//     digits, so nanoseconds would be refused
//   - Date: 2024-05-01
//   - bool: true or false
//   - integers, floats, Decimal: as numbers (NaN and infinities are refused)
//   - Enum, and any EnumValuer (such as commerce.ProspectStatus): a
//     Finance and Operations enum literal,
//     Microsoft.Dynamics.DataEntities.NoYes'Yes'; Finance and Operations
//     refuses a plain string against an enum field
//   - nil, or a nil pointer: null
//   - a pointer to one of these: the value it points to
//
// Any other type is written as an invalid literal that names the type, so
// the service rejects the filter instead of running another query:
//
//	d365.Filterf("lastname eq %v", "O'Neil")
//	// lastname eq 'O''Neil'
//	d365.Filterf("companyname eq %v and msdyn_b2bcommerceprospect eq %v", name, true)
//	// companyname eq 'Fabrikam' and msdyn_b2bcommerceprospect eq true
func Filterf(format string, args ...any) string {
	lits := make([]any, len(args))
	for i, a := range args {
		lits[i] = literal{a}
	}
	return fmt.Sprintf(format, lits...)
}

// Enum is a Finance and Operations enum value in a filter or a key, such as
// Enum{Type: "NoYes", Value: "Yes"}. It formats as
// Microsoft.Dynamics.DataEntities.NoYes'Yes'.
type Enum struct {
	// Type is the enum's name, such as "NoYes" or "RetailB2BProspectStatus".
	Type string
	// Value is the member's name, such as "Yes" or "Pending".
	Value string
}

// String returns the OData enum literal.
func (e Enum) String() string {
	return "Microsoft.Dynamics.DataEntities." + e.Type + "'" + strings.ReplaceAll(e.Value, "'", "''") + "'"
}

// EnumValuer is implemented by the Go types of Finance and Operations enums
// (commerce.NoYes, commerce.ProspectStatus...): Filterf and FormatLiteral
// write such a value as its typed enum literal, so that
//
//	d365.Filterf("B2BProspectStatus eq %v", commerce.ProspectPending)
//	// B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'
//
// and never as the plain string 'Pending', which Finance and Operations
// refuses for an enum field.
type EnumValuer interface {
	// Enum returns the value as an enum type and member.
	Enum() Enum
}

// literal formats one Filterf argument.
type literal struct{ v any }

// Format implements fmt.Formatter: %v writes the OData literal; any other
// verb an invalid literal that names it.
func (l literal) Format(f fmt.State, verb rune) {
	if verb != 'v' {
		fmt.Fprintf(f, "%%!%c(d365.Filterf: use %%v for every value)", verb)
		return
	}
	s, err := FormatLiteral(l.v)
	if err != nil {
		fmt.Fprintf(f, "%%!(%v)", err)
		return
	}
	_, _ = f.Write([]byte(s))
}

// FormatLiteral writes v as an OData literal, with the rules of [Filterf]. It
// returns an error for a type that has no literal form.
func FormatLiteral(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case string:
		return quote(x), nil
	case uuid.UUID:
		return x.String(), nil
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999Z07:00"), nil
	case Date:
		return x.String(), nil
	case Decimal:
		if !x.valid() {
			return "", fmt.Errorf("d365: %q is not a decimal number", string(x))
		}
		return string(x), nil
	case Enum:
		if !syntax.IsName(x.Type) {
			return "", fmt.Errorf("d365: enum type %q is not a name", x.Type)
		}
		if x.Value == "" {
			return "", fmt.Errorf("d365: enum value of type %s is empty", x.Type)
		}
		return x.String(), nil
	case EnumValuer:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "null", nil
		}
		return FormatLiteral(x.Enum())
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return "null", nil
		}
		return FormatLiteral(rv.Elem().Interface())
	case reflect.String:
		return quote(rv.String()), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return formatFloat(rv.Float(), rv.Type().Bits())
	}
	return "", fmt.Errorf("d365: no OData literal for type %T", v)
}

func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("d365: %v has no OData literal", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}
