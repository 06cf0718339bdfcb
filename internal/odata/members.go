package odata

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// Members returns the members a write type sends, for a create or update
// body: one per field whose json tag names it, in the map encoding/json
// writes as the body. Each wire name is thus written once, in the write
// type's tag. The rules:
//
//   - A nil pointer or slice, or a zero value (a non-pointer field), is
//     not sent: nil means "unchanged". A pointer is sent as the value it
//     points to, even a zero value (a pointer to "" sends "").
//   - Fields of embedded structs are promoted, as encoding/json does.
//   - The d365 tag adds rules: "required" (a create must send it, and a
//     text sent must not be empty), "max=N" (a text holds at most N
//     characters), "bind=<set>" (the field is a record id, sent as
//     "/<set>(<id>)", its json name such as "parentaccountid@odata.bind";
//     a pointer to uuid.Nil is refused).
//   - A d365.Decimal must be a decimal number.
//   - A map[string]any or d365.Columns field tagged d365:"custom" adds its
//     columns as they are (custom columns, such as new_vatnumber); an
//     empty one adds none.
//
// label names the type in errors, such as "Lead" or "LeadChanges"; create
// tells whether the body creates a record (required fields must be set).
// An error is a *d365.InputError naming the field and its column, such as
// "Lead.Subject (subject) is empty: the column is required"; its Op is
// left for the caller to fill.
func Members(v any, label string, create bool) (map[string]any, error) {
	m := make(map[string]any)
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return m, nil
		}
		rv = rv.Elem()
	}
	if err := addMembers(m, rv, label, create); err != nil {
		return m, err
	}
	return m, mergeCustom(m, rv, label)
}

func addMembers(m map[string]any, rv reflect.Value, label string, create bool) error {
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), rv.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if f.Anonymous && !hasTag {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := addMembers(m, fv, label, create); err != nil {
					return err
				}
			}
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		rules := parseRules(f.Tag.Get("d365"))
		field := label + "." + f.Name
		col := field + " (" + strings.TrimSuffix(name, "@odata.bind") + ")"
		if fv.IsZero() {
			if create && rules.required {
				return d365.NewInputError("", col, "is empty: the column is required")
			}
			continue
		}
		if fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		val := fv.Interface()
		if rules.bind != "" {
			id, _ := val.(uuid.UUID)
			if id == uuid.Nil {
				return d365.NewInputError("", field, "is uuid.Nil: give the id of the %s record to link", rules.bind)
			}
			m[name] = "/" + rules.bind + "(" + id.String() + ")"
			continue
		}
		switch x := val.(type) {
		case string:
			if rules.required && x == "" {
				return d365.NewInputError("", col, "is empty: the column is required")
			}
			if n := utf8.RuneCountInString(x); rules.max > 0 && n > rules.max {
				return d365.NewInputError("", col, "has %d characters: the column holds at most %d", n, rules.max)
			}
		case d365.Decimal:
			if _, err := d365.NewDecimal(string(x)); x != "" && err != nil {
				return d365.NewInputError("", col, "%q is not a decimal number", string(x))
			}
		}
		m[name] = val
	}
	return nil
}

// rules are the d365 tag of a write type's field.
type rules struct {
	required bool
	max      int
	bind     string
}

func parseRules(tag string) rules {
	var r rules
	for _, opt := range strings.Split(tag, ",") {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "required":
			r.required = true
		case "max":
			r.max, _ = strconv.Atoi(v)
		case "bind":
			r.bind = v
		}
	}
	return r
}

// Column returns the wire name of the field of the struct type T named by
// its Go name: the name in its json tag. It panics when T has no such
// field, a mistake of the calling package that its tests catch.
func Column[T any](field string) string {
	f, ok := reflect.TypeFor[T]().FieldByName(field)
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if !ok || name == "" || name == "-" {
		panic("odata: " + reflect.TypeFor[T]().String() + " has no field " + field + " with a json name")
	}
	return name
}

// Convert sets each field of the struct *dst from the field of the same Go
// name of the struct *src, when that one is set (not its zero value): a
// read type converted to its write type field by field, never by column
// name. A pointer field of dst takes a pointer to a copy of the value. It
// panics when the types of two fields of the same name do not fit, a
// mistake of the calling package that its tests catch.
func Convert(dst, src any) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range d.NumField() {
		f := d.Type().Field(i)
		sv := s.FieldByName(f.Name)
		if !f.IsExported() || f.Anonymous || !sv.IsValid() || sv.IsZero() {
			continue
		}
		switch {
		case sv.Type().AssignableTo(f.Type):
			d.Field(i).Set(sv)
		case sv.Type() == reflect.TypeFor[d365.Columns]() && f.Type == reflect.TypeFor[map[string]any]():
			// A read type's custom columns, for its write type.
			d.Field(i).Set(reflect.ValueOf(sv.Interface().(d365.Columns).Map()))
		case f.Type.Kind() == reflect.Pointer && sv.Type().AssignableTo(f.Type.Elem()):
			p := reflect.New(f.Type.Elem())
			p.Elem().Set(sv)
			d.Field(i).Set(p)
		default:
			panic("odata: Convert: field " + f.Name + " is a " + sv.Type().String() + ", not a " + f.Type.String())
		}
	}
}
