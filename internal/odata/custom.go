package odata

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/b2bflow/d365"
)

// Custom columns: a record type may have one field of type map[string]any
// tagged `json:"-" d365:"custom"`. DecodeRecord fills it with the record's
// columns the type does not name (numbers as json.Number, in the exact
// text received; nil when there are none), and Members merges it into a
// write body (nil: no custom column). A custom column may not be one the
// type names: the typed field is the one to set.

// shape is what the custom-column rules need of a struct type: the index
// of its custom field (nil: none) and the lower-case json names of its
// fields, promoted ones included.
type shape struct {
	custom []int
	names  map[string]bool
}

var shapes sync.Map // reflect.Type → *shape

// shapeOf returns the shape of t (a struct or a pointer to one), nil for
// any other type.
func shapeOf(t reflect.Type) *shape {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := &shape{names: map[string]bool{}}
	s.add(t, nil)
	shapes.Store(t, s)
	return s
}

func (s *shape) add(t reflect.Type, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		tag, hasTag := f.Tag.Lookup("json")
		if f.Anonymous && !hasTag {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[d365.Annotations]() {
				s.add(ft, idx)
			}
			continue
		}
		if f.Tag.Get("d365") == "custom" && f.Type == reflect.TypeFor[map[string]any]() && f.IsExported() {
			if s.custom == nil {
				s.custom = idx
			}
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "":
			s.names[strings.ToLower(f.Name)] = true
		default:
			s.names[strings.ToLower(name)] = true
		}
	}
}

// decodeCustom fills the custom field of v (a pointer to a struct with
// one) with the members of data that are neither annotations nor columns
// of v's type.
func decodeCustom(data []byte, v any, s *shape) error {
	var m map[string]any
	err := members(data, func(raw, value []byte) error {
		if bytes.IndexByte(raw, '@') >= 0 || s.names[string(raw)] { // no allocation for the usual lower-case names
			return nil
		}
		name := string(raw)
		if s.names[strings.ToLower(name)] {
			return nil
		}
		x, err := customValue(value)
		if err != nil {
			return err
		}
		if m == nil {
			m = map[string]any{}
		}
		m[name] = x
		return nil
	})
	if err != nil {
		return err
	}
	reflect.ValueOf(v).Elem().FieldByIndex(s.custom).Set(reflect.ValueOf(m))
	return nil
}

// customValue decodes one member's value: a string, a json.Number in the
// exact text received, a bool, nil, or (for an object or an array) what
// encoding/json makes of it, with json.Number numbers.
func customValue(value []byte) (any, error) {
	switch c := value[0]; {
	case c == 'n':
		return nil, nil
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == '-' || c >= '0' && c <= '9':
		return json.Number(value), nil
	case c == '"':
		if bytes.IndexByte(value, '\\') < 0 && utf8.Valid(value) {
			return string(value[1 : len(value)-1]), nil
		}
		var str string
		err := json.Unmarshal(value, &str)
		return str, err
	}
	d := json.NewDecoder(bytes.NewReader(value))
	d.UseNumber()
	var x any
	err := d.Decode(&x)
	return x, err
}

// mergeCustom adds the custom columns of rv (a struct) to the body m,
// refusing names that are no column name and columns the type names.
// label names the type in errors.
func mergeCustom(m map[string]any, rv reflect.Value, label string) error {
	s := shapeOf(rv.Type())
	if s == nil || s.custom == nil {
		return nil
	}
	fv, err := rv.FieldByIndexErr(s.custom)
	if err != nil { // behind a nil embedded pointer: no custom column
		return nil
	}
	custom, _ := fv.Interface().(map[string]any)
	field := label + "." + rv.Type().FieldByIndex(s.custom).Name
	for k, v := range custom {
		base, bind := strings.CutSuffix(k, "@odata.bind")
		if CheckName("column", base) != nil || base == "" {
			return d365.NewInputError("", field+"["+k+"]", "is not a column name: give the column's logical name, such as new_vatnumber (or <navigation>@odata.bind for a lookup)")
		}
		if s.names[strings.ToLower(k)] || (!bind && s.names[strings.ToLower(k)+"@odata.bind"]) {
			return d365.NewInputError("", field+"["+k+"]", "is a column %s has a field for: set that field instead", label)
		}
		if _, dup := m[k]; dup {
			return d365.NewInputError("", field+"["+k+"]", "is already in the body")
		}
		m[k] = v
	}
	return nil
}
