package odata

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// writePlan is what Members needs of a write type's fields, worked out once
// per type: the reflection on tags and the labels of errors are not redone
// for every body.
type writePlan struct {
	fields []writeField
}

type writeField struct {
	index    int
	embedded *writePlan // an embedded struct (or pointer to one) without a json tag
	name     string     // the json name
	goName   string
	rules    rules
}

var writePlans sync.Map // reflect.Type → *writePlan

func planOf(t reflect.Type) *writePlan {
	if p, ok := writePlans.Load(t); ok {
		return p.(*writePlan)
	}
	p := &writePlan{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		if f.Anonymous && !hasTag {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				p.fields = append(p.fields, writeField{index: i, embedded: planOf(ft)})
			}
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		p.fields = append(p.fields, writeField{index: i, name: name, goName: f.Name, rules: parseRules(f.Tag.Get("d365"))})
	}
	writePlans.Store(t, p)
	return p
}

// MembersJSON is Members encoded as the JSON body it makes, byte for byte
// what encoding/json writes for Members' map (keys sorted), with the same
// checks and errors, but without building the map: the values are written
// from the fields themselves, so a body costs a handful of allocations
// instead of one per column.
func MembersJSON(v any, label string, create bool) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return []byte("{}"), nil
		}
		rv = rv.Elem()
	}
	if s := shapeOf(rv.Type()); s != nil && s.custom != nil {
		if fv, err := rv.FieldByIndexErr(s.custom); err == nil && !fv.IsZero() {
			m, err := Members(v, label, create)
			if err != nil {
				return nil, err
			}
			return marshalBody(m)
		}
	}
	if body, ok := flatMembersJSON(rv, create); ok {
		return body, nil
	}
	mp := memberPool.Get().(*[]member)
	defer func() {
		clear(*mp)
		*mp = (*mp)[:0]
		memberPool.Put(mp)
	}()
	ms := *mp
	err := walkMembers(rv, label, create, func(name string, fv reflect.Value, bound string) {
		ms = append(ms, member{name, fv, bound})
	})
	*mp = ms
	if err != nil {
		return nil, err
	}
	// As in a map, a name set twice keeps its last value: a stable sort
	// (of indexes, cheaper to move than the members), then the last of
	// each run of equal names.
	var idxBuf [64]int32
	idx := idxBuf[:0]
	for i := range ms {
		idx = append(idx, int32(i))
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return strings.Compare(ms[a].name, ms[b].name) })
	// The body's size, exact for names and strings with nothing to escape
	// (a number or a bool is given 24 bytes), so that the body is one
	// allocation of about its length.
	size := 2
	for i := range ms {
		m := &ms[i]
		size += len(m.name) + 4
		switch {
		case !m.v.IsValid():
			size += len(m.bound) + 2
		case m.v.Kind() == reflect.String:
			size += m.v.Len() + 2
		default:
			size += 24
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '{')
	first := true
	for k, i := range idx {
		m := &ms[i]
		if k+1 < len(idx) && ms[idx[k+1]].name == m.name {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, m.name)
		buf = append(buf, ':')
		if m.v.IsValid() {
			if buf, err = appendValue(buf, m.v); err != nil {
				return nil, err
			}
		} else {
			buf = appendJSONString(buf, m.bound)
		}
	}
	return append(buf, '}'), nil
}

var memberPool = sync.Pool{New: func() any { return new([]member) }}

// member is one member of a write body: its field's value, or the text of
// a bound lookup.
type member struct {
	name  string
	v     reflect.Value
	bound string
}

// appendValue appends a field's value as encoding/json encodes it: the
// plain string, bool and int types directly, anything else (types with
// their own encoding among them) through json.Marshal.
func appendValue(buf []byte, v reflect.Value) ([]byte, error) {
	switch v.Type() {
	case reflect.TypeFor[string]():
		return appendJSONString(buf, v.String()), nil
	case reflect.TypeFor[bool]():
		return strconv.AppendBool(buf, v.Bool()), nil
	case reflect.TypeFor[int]():
		return strconv.AppendInt(buf, v.Int(), 10), nil
	case reflect.TypeFor[d365.Decimal]():
		// A valid Decimal's text is a compact JSON number: what
		// encoding/json writes for it. An invalid one goes through
		// json.Marshal, for its error.
		if b, err := d365.Decimal(v.String()).MarshalJSON(); err == nil {
			return append(buf, b...), nil
		}
	}
	b, err := json.Marshal(v.Interface())
	return append(buf, b...), err
}

func addMembers(m map[string]any, rv reflect.Value, label string, create bool) error {
	return walkMembers(rv, label, create, func(name string, fv reflect.Value, bound string) {
		if fv.IsValid() {
			m[name] = fv.Interface()
		} else {
			m[name] = bound
		}
	})
}

// walkMembers checks the fields of rv that a body sends and hands each to
// put: its json name and its value (a pointer dereferenced), or for a bound
// lookup an invalid value and the text to send.
func walkMembers(rv reflect.Value, label string, create bool, put func(name string, fv reflect.Value, bound string)) error {
	for _, wf := range planOf(rv.Type()).fields {
		fv := rv.Field(wf.index)
		if wf.embedded != nil {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if err := walkMembers(fv, label, create, put); err != nil {
				return err
			}
			continue
		}
		rules, name := &wf.rules, wf.name
		col := func() string { return label + "." + wf.goName + " (" + strings.TrimSuffix(name, "@odata.bind") + ")" }
		if fv.IsZero() {
			if create && rules.required {
				return d365.NewInputError("", col(), "is empty: the column is required")
			}
			continue
		}
		if fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		if rules.bind != "" {
			id, _ := fv.Interface().(uuid.UUID)
			if id == uuid.Nil {
				return d365.NewInputError("", label+"."+wf.goName, "is uuid.Nil: give the id of the %s record to link", rules.bind)
			}
			put(name, reflect.Value{}, "/"+rules.bind+"("+id.String()+")")
			continue
		}
		switch fv.Type() {
		case reflect.TypeFor[string]():
			x := fv.String()
			if rules.required && x == "" {
				return d365.NewInputError("", col(), "is empty: the column is required")
			}
			if rules.max > 0 && len(x) > rules.max {
				if n := utf8.RuneCountInString(x); n > rules.max {
					return d365.NewInputError("", col(), "has %d characters: the column holds at most %d", n, rules.max)
				}
			}
		case reflect.TypeFor[d365.Decimal]():
			if x := fv.String(); x != "" {
				if _, err := d365.NewDecimal(x); err != nil {
					return d365.NewInputError("", col(), "%q is not a decimal number", x)
				}
			}
		}
		put(name, fv, "")
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
	plan := convertPlanOf(d.Type(), s.Type())
	var block reflect.Value // the values the pointers of dst point to, allocated at once
	for _, f := range plan.fields {
		var sv reflect.Value
		if len(f.src) == 1 {
			sv = s.Field(f.src[0])
		} else {
			sv = s.FieldByIndex(f.src)
		}
		if sv.IsZero() {
			continue
		}
		switch f.mode {
		case convertAssign:
			d.Field(f.dst).Set(sv)
		case convertPointer:
			if !block.IsValid() {
				block = reflect.New(plan.block).Elem()
			}
			p := block.Field(f.slot).Addr()
			p.Elem().Set(sv)
			d.Field(f.dst).Set(p)
		case convertColumns:
			d.Field(f.dst).Set(reflect.ValueOf(sv.Interface().(d365.Columns).Map()))
		}
	}
}

// convertPlan is how Convert sets the fields of one type from another: the
// fields, and a struct type with a field for each value a pointer of dst
// points to, so that one allocation holds them all.
type convertPlan struct {
	fields []convertField
	block  reflect.Type
}

// A convertField is one field Convert sets: the field of dst at index dst
// from the field of src at index path src.
type convertField struct {
	dst  int
	src  []int
	mode int
	slot int // the field of the plan's block, for convertPointer
}

const (
	convertAssign  = iota // the same type
	convertPointer        // a pointer to a copy
	convertColumns        // a read type's d365.Columns to a write type's map[string]any
)

var convertPlans sync.Map // [2]reflect.Type → *convertPlan

// convertPlanOf works out once per pair of types which fields Convert
// sets, and how.
func convertPlanOf(dt, st reflect.Type) *convertPlan {
	key := [2]reflect.Type{dt, st}
	if p, ok := convertPlans.Load(key); ok {
		return p.(*convertPlan)
	}
	plan := &convertPlan{}
	var slots []reflect.StructField
	for i := range dt.NumField() {
		f := dt.Field(i)
		sf, ok := st.FieldByName(f.Name)
		if !f.IsExported() || f.Anonymous || !ok {
			continue
		}
		cf := convertField{dst: i, src: sf.Index}
		switch {
		case sf.Type.AssignableTo(f.Type):
			cf.mode = convertAssign
		case f.Type.Kind() == reflect.Pointer && sf.Type.AssignableTo(f.Type.Elem()):
			cf.mode, cf.slot = convertPointer, len(slots)
			slots = append(slots, reflect.StructField{Name: "F" + strconv.Itoa(len(slots)), Type: f.Type.Elem()})
		case sf.Type == reflect.TypeFor[d365.Columns]() && f.Type == reflect.TypeFor[map[string]any]():
			cf.mode = convertColumns
		default:
			panic("odata: Convert: field " + f.Name + " is a " + sf.Type.String() + ", not a " + f.Type.String())
		}
		plan.fields = append(plan.fields, cf)
	}
	plan.block = reflect.StructOf(slots)
	convertPlans.Store(key, plan)
	return plan
}
