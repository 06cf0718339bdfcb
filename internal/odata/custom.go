package odata

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/columns"
)

// Custom columns: a record type may have one field of type d365.Columns
// (a read type) or map[string]any (a write type) tagged
// `json:"-" d365:"custom"`. DecodeRecord fills it with the record's
// columns the type does not name: a d365.Columns keeps their JSON text
// until it is read; a map gets them decoded (numbers as json.Number, in the
// exact text received; nil when there are none). Members merges it into a
// write body (empty: no custom column). A custom column may not be one the
// type names: the typed field is the one to set.

// shape is what the record decoder and the custom-column rules need of a
// struct type: the index of its custom field (nil: none) and whether it is
// a d365.Columns, the lower-case json names of its fields, promoted ones
// included, and the names encoding/json may match a member to.
type shape struct {
	custom  []int
	lazy    bool // the custom field is a d365.Columns
	names   map[string]bool
	decoded map[string]bool // lower-case json names encoding/json knows, when all are ASCII
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
	s := &shape{names: map[string]bool{}, decoded: map[string]bool{}}
	s.add(t, nil)
	if !jsonNames(t, s.decoded, 0) {
		s.decoded = nil
	}
	shapes.Store(t, s)
	return s
}

// jsonNames adds to names the lower-case names of the fields of the struct
// type t that encoding/json may decode a member into (embedded structs
// included), and reports whether they are all ASCII (encoding/json folds
// the case of others in ways a lower-case comparison does not follow).
func jsonNames(t reflect.Type, names map[string]bool, depth int) bool {
	if depth > 32 {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if !jsonNames(ft, names, depth+1) {
					return false
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		for j := 0; j < len(name); j++ {
			if name[j] >= utf8.RuneSelf {
				return false
			}
		}
		names[strings.ToLower(name)] = true
	}
	return true
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
		if f.Tag.Get("d365") == "custom" && (f.Type == reflect.TypeFor[map[string]any]() || f.Type == reflect.TypeFor[d365.Columns]()) && f.IsExported() {
			if s.custom == nil {
				s.custom = idx
				s.lazy = f.Type == reflect.TypeFor[d365.Columns]()
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
	var raw []byte
	err := members(data, func(name, value []byte) error {
		if !s.isCustom(name) {
			return nil
		}
		if s.lazy {
			raw = appendMember(raw, name, value)
			return nil
		}
		x, err := customValue(value)
		if err != nil {
			return err
		}
		if m == nil {
			m = map[string]any{}
		}
		m[string(name)] = x
		return nil
	})
	if err != nil {
		return err
	}
	if raw != nil {
		raw = append(raw, '}')
	}
	setCustom(v, s, m, raw)
	return nil
}

// appendMember appends to buf, the text of a JSON object being built
// (empty: not started), the member with the decoded name and the value's
// text.
func appendMember(buf, name, value []byte) []byte {
	if len(buf) == 0 {
		buf = append(buf, '{')
	} else {
		buf = append(buf, ',')
	}
	buf = appendName(buf, name)
	buf = append(buf, ':')
	return append(buf, value...)
}

// appendName appends a decoded member name as a JSON string.
func appendName(buf, name []byte) []byte {
	plain := utf8.Valid(name)
	for _, c := range name {
		if c < 0x20 || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		buf = append(buf, '"')
		buf = append(buf, name...)
		return append(buf, '"')
	}
	q, _ := json.Marshal(string(name))
	return append(buf, q...)
}

// isCustom reports whether a member (its decoded name) is a custom column
// of the shape: neither an annotation nor a column the type names.
func (s *shape) isCustom(name []byte) bool {
	if bytes.IndexByte(name, '@') >= 0 || s.names[string(name)] {
		return false
	}
	for _, c := range name {
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return !s.names[strings.ToLower(string(name))]
		}
	}
	return true // already in lower case, and not a name of the type
}

// setCustom sets the custom field of v (a pointer to a struct of shape s):
// to m for a map field, to the columns of raw (a JSON object, nil: none)
// for a d365.Columns.
func setCustom(v any, s *shape, m map[string]any, raw []byte) {
	f := reflect.ValueOf(v).Elem().FieldByIndex(s.custom)
	if s.lazy {
		f.Set(reflect.ValueOf(columns.FromJSON(raw)))
		return
	}
	f.Set(reflect.ValueOf(m))
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
	var custom map[string]any
	switch x := fv.Interface().(type) {
	case map[string]any:
		custom = x
	case d365.Columns:
		custom = x.Map()
	}
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
