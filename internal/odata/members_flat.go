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

// The fast path of MembersJSON: a write type's fields flattened (embedded
// structs' fields promoted) and sorted by wire name once per type, so that
// a body is written in one pass over the fields, in the order
// encoding/json sorts a map's keys, without collecting the members first.
//
// The fast path writes only bodies it can prove valid. At the first value a
// rule might refuse (a required column missing, a text too long, a bad
// decimal, a nil id to bind, a value it has no writer for) it gives up and
// MembersJSON takes the general path, which reports the first problem in
// field order, as Members does. TestMembersJSONIsMembersEncoded and
// FuzzMembersJSON hold the two paths to the same bytes and errors.

// flatPlan is a write type's fields in the order of their wire names.
type flatPlan struct {
	fields []flatField
}

// flatField is one field of a flatPlan.
type flatField struct {
	path  []int  // the index path from the write type, through embedded structs
	embed []bool // for each step of path but the last: whether it is a pointer to a struct
	key   []byte // the member's name as JSON, and ':'
	name  string
	rules rules
	kind  flatKind // the kind of the value (after the field's pointer)
	ptr   bool     // the field is a pointer
	// last is false when the next field has the same name: of such a
	// run, the body keeps the last value set, as a map does.
	last bool
	// bindPrefix is `"/<set>(` for a bound lookup whose set needs no
	// escaping; nil sends the lookup through the general path.
	bindPrefix []byte
}

// flatKind is how the fast path writes a value.
type flatKind uint8

const (
	flatGeneral flatKind = iota // through json.Marshal
	flatString
	flatBool
	flatInt
	flatDecimal
	flatUUID // only for bound lookups
)

var flatPlans sync.Map // [2]reflect.Type{write type, source type} → *flatPlan

// flatPlanOf returns the flat plan of the struct type t.
func flatPlanOf(t reflect.Type) *flatPlan { return flatPlanFrom(t, nil) }

// flatPlanFrom returns the flat plan of the write type t, reading each
// field's value from the struct type src instead (see ProjectJSON); nil
// src reads t itself.
func flatPlanFrom(t, src reflect.Type) *flatPlan {
	key := [2]reflect.Type{t, src}
	if p, ok := flatPlans.Load(key); ok {
		return p.(*flatPlan)
	}
	p := &flatPlan{}
	p.add(planOf(t), t, nil, nil, src)
	slices.SortStableFunc(p.fields, func(a, b flatField) int { return strings.Compare(a.name, b.name) })
	for i := range p.fields {
		p.fields[i].last = i+1 == len(p.fields) || p.fields[i+1].name != p.fields[i].name
	}
	flatPlans.Store(key, p)
	return p
}

// add appends the fields of the write plan wp (of the struct type t,
// reached from the top by path) in declaration order; with a source type,
// each field's path is that of src's field of the same Go name.
func (p *flatPlan) add(wp *writePlan, t reflect.Type, path []int, embed []bool, src reflect.Type) {
	for _, wf := range wp.fields {
		sf := t.Field(wf.index)
		at := append(slices.Clone(path), wf.index)
		if wf.embedded != nil {
			ft := sf.Type
			isPtr := ft.Kind() == reflect.Pointer
			if isPtr {
				ft = ft.Elem()
			}
			p.add(wf.embedded, ft, at, append(slices.Clone(embed), isPtr), src)
			continue
		}
		f := flatField{path: at, embed: embed, name: wf.name, rules: wf.rules}
		f.key = append(appendJSONString(nil, wf.name), ':')
		vt := sf.Type
		if vt.Kind() == reflect.Pointer {
			f.ptr, vt = true, vt.Elem()
		}
		if src != nil && !f.project(sf, src) {
			continue
		}
		switch vt {
		case reflect.TypeFor[string]():
			f.kind = flatString
		case reflect.TypeFor[bool]():
			f.kind = flatBool
		case reflect.TypeFor[int]():
			f.kind = flatInt
		case reflect.TypeFor[d365.Decimal]():
			f.kind = flatDecimal
		case reflect.TypeFor[uuid.UUID]():
			f.kind = flatUUID
		}
		if f.rules.bind != "" {
			prefix := "/" + f.rules.bind + "("
			if f.kind == flatUUID && string(appendJSONString(nil, prefix)) == `"`+prefix+`"` {
				f.bindPrefix = append([]byte{'"'}, prefix...)
			}
		} else if f.kind == flatUUID {
			f.kind = flatGeneral // an id sent as itself: encoding/json writes it
		}
		p.fields = append(p.fields, f)
	}
}

// project points f at the field of src that Convert would set the write
// type's field sf from (the same Go name), as Convert sets it: a value of
// the same type as it is, a value for a pointer as the value pointed to.
// A field src does not have is never set (nil path); false leaves out a
// field that is not a plain value (a custom-columns field, which
// ProjectJSON does not write). It panics where Convert panics.
func (f *flatField) project(sf reflect.StructField, src reflect.Type) bool {
	from, ok := src.FieldByName(sf.Name)
	if !ok || !from.IsExported() {
		f.path, f.embed = nil, nil
		return true
	}
	switch {
	case from.Type.AssignableTo(sf.Type):
		// f.ptr stays as the write field's: a pointer in both.
	case sf.Type.Kind() == reflect.Pointer && from.Type.AssignableTo(sf.Type.Elem()):
		f.ptr = false
	case from.Type == reflect.TypeFor[d365.Columns]() && sf.Type == reflect.TypeFor[map[string]any]():
		return false
	default:
		panic("odata: ProjectJSON: field " + sf.Name + " is a " + from.Type.String() + ", not a " + sf.Type.String())
	}
	f.path, f.embed = from.Index, nil
	t := src
	for _, idx := range from.Index[:len(from.Index)-1] {
		ft := t.Field(idx).Type
		isPtr := ft.Kind() == reflect.Pointer
		if isPtr {
			ft = ft.Elem()
		}
		f.embed = append(f.embed, isPtr)
		t = ft
	}
	return true
}

// value returns the field's value in rv (a pointer dereferenced), and
// false when it is not set: a zero value, a nil pointer, or a nil embedded
// struct on its path.
func (f *flatField) value(rv reflect.Value) (reflect.Value, bool) {
	if f.path == nil {
		return reflect.Value{}, false
	}
	v := rv
	for i, idx := range f.path {
		v = v.Field(idx)
		if i < len(f.embed) && f.embed[i] {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
	}
	if f.ptr {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		return v.Elem(), true
	}
	if v.IsZero() {
		return reflect.Value{}, false
	}
	return v, true
}

// absent reports whether the field is skipped without a check: it is on a
// nil embedded struct, for which walkMembers checks nothing.
func (f *flatField) absent(rv reflect.Value) bool {
	if f.path == nil {
		return false
	}
	v := rv
	for i, idx := range f.path[:len(f.path)-1] {
		v = v.Field(idx)
		if f.embed[i] {
			if v.IsNil() {
				return true
			}
			v = v.Elem()
		}
	}
	return false
}

// flatBufs holds the scratch buffers bodies are written into.
var flatBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// flatMembersJSON writes the body of rv (a struct without custom
// columns) by the flat plan. ok is false when the body needs the general
// path: a rule may refuse a value, or a value has no fast writer.
func flatMembersJSON(rv reflect.Value, create bool) (body []byte, ok bool) {
	return flatJSON(flatPlanOf(rv.Type()), rv, create)
}

// ProjectJSON is the body MembersJSON writes for the write type W set
// from *src as Convert sets it (each field from src's field of the
// same Go name, through W's embedded structs), written from *src without
// building the W. ok is false, and nothing is written, when src has
// custom columns or a value a rule of W may refuse: then build the W and
// call MembersJSON, which reports the problem. Checks of the caller's own
// (a method of W) are not run: call it only for sources they pass.
func ProjectJSON[W any](src any, create bool) (body []byte, ok bool) {
	rv := reflect.ValueOf(src)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, false
	}
	rv = rv.Elem()
	if s := shapeOf(rv.Type()); s != nil && s.custom != nil {
		if fv, err := rv.FieldByIndexErr(s.custom); err != nil || !fv.IsZero() {
			return nil, false
		}
	}
	return flatJSON(flatPlanFrom(reflect.TypeFor[W](), rv.Type()), rv, create)
}

// flatJSON writes the body of rv by plan; see flatMembersJSON.
func flatJSON(plan *flatPlan, rv reflect.Value, create bool) (body []byte, ok bool) {
	bp := flatBufs.Get().(*[]byte)
	buf := append((*bp)[:0], '{')
	defer func() {
		if cap(buf) <= 64<<10 {
			*bp = buf[:0]
			flatBufs.Put(bp)
		}
	}()
	fields := plan.fields
	for i := 0; i < len(fields); i++ {
		f := &fields[i]
		v, set := f.value(rv)
		if !set {
			if create && f.rules.required && !f.absent(rv) {
				return nil, false
			}
			continue
		}
		if !f.last {
			// An earlier value of a repeated name: the body keeps the
			// last one set. Any check it fails is the general path's.
			if !f.valid(v) {
				return nil, false
			}
			if laterSet(fields[i+1:], f.name, rv) {
				continue
			}
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, f.key...)
		var good bool
		if buf, good = f.appendValue(buf, v); !good {
			return nil, false
		}
	}
	buf = append(buf, '}')
	return append([]byte(nil), buf...), true
}

// laterSet reports whether a field after this one in fields, of the same
// name, is set in rv.
func laterSet(fields []flatField, name string, rv reflect.Value) bool {
	for i := range fields {
		if fields[i].name != name {
			return false
		}
		if _, set := fields[i].value(rv); set {
			return true
		}
	}
	return false
}

// valid reports whether v passes the field's rules (see walkMembers).
func (f *flatField) valid(v reflect.Value) bool {
	switch f.kind {
	case flatString:
		x := v.String()
		if f.rules.required && x == "" {
			return false
		}
		if f.rules.max > 0 && len(x) > f.rules.max && utf8.RuneCountInString(x) > f.rules.max {
			return false
		}
	case flatDecimal:
		if x := v.String(); x != "" && !plainDecimal(x) {
			if _, err := d365.NewDecimal(x); err != nil {
				return false
			}
		}
	case flatUUID:
		if f.bindPrefix == nil || !v.CanAddr() || [16]byte(v.Bytes()) == uuid.Nil {
			return false
		}
	}
	if f.rules.bind != "" && f.kind != flatUUID {
		return false
	}
	return true
}

// appendValue checks v by the field's rules and appends it as
// encoding/json writes it; false means the general path must write it.
func (f *flatField) appendValue(buf []byte, v reflect.Value) ([]byte, bool) {
	if !f.valid(v) {
		return buf, false
	}
	switch f.kind {
	case flatString:
		return appendJSONString(buf, v.String()), true
	case flatBool:
		return strconv.AppendBool(buf, v.Bool()), true
	case flatInt:
		return strconv.AppendInt(buf, v.Int(), 10), true
	case flatDecimal:
		if x := v.String(); plainDecimal(x) {
			return append(buf, x...), true
		}
		b, err := d365.Decimal(v.String()).MarshalJSON()
		if err != nil {
			return buf, false
		}
		return append(buf, b...), true
	case flatUUID:
		buf = append(buf, f.bindPrefix...)
		buf = appendUUID(buf, [16]byte(v.Bytes()))
		return append(buf, ')', '"'), true
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return buf, false
	}
	return append(buf, b...), true
}

// appendUUID appends u in its canonical form, as uuid.UUID.String writes
// it.
func appendUUID(buf []byte, u [16]byte) []byte {
	const hex = "0123456789abcdef"
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hex[b>>4], hex[b&0x0f])
	}
	return buf
}

// plainDecimal reports whether s is a short decimal number without an
// exponent ("-12.50", "5000000"), which is valid JSON and a finite
// float64: what d365.Decimal accepts, checked without parsing it.
func plainDecimal(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	i := 0
	if s[0] == '-' {
		i++
	}
	switch {
	case i == len(s):
		return false
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
