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

// DecodeRecord decodes one record's JSON object into v (a pointer to a
// struct whose fields carry json tags, usually through a type without
// methods to avoid recursing into its UnmarshalJSON) and collects the
// record's annotation members (every name holding an '@', such as
// "@odata.etag" or "statuscode@OData.Community.Display.V1.FormattedValue")
// into ann. Members of v keep their exact JSON text when v's fields are
// json.RawMessage, json.Number or d365.Decimal. A field of v tagged
// d365:"custom" receives the other columns (see custom.go).
//
// It reads the record in one pass: the text is checked as encoding/json
// checks it, the annotations and the custom columns are taken out, and
// encoding/json decodes only the members v may hold (a record of 218
// members into a struct of 33 fields hands encoding/json 33 of them).
func DecodeRecord(data []byte, v any, ann *d365.Annotations) error {
	t := reflect.TypeOf(v)
	sh := shapeOf(t)
	if sh == nil || sh.decoded == nil || t.Kind() != reflect.Pointer || !isObject(data) {
		return decodeRecordPlain(data, v, ann, sh)
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.put()
	sc.known = append(sc.known[:0], '{')
	var wantCustom bool
	if sh.custom != nil {
		wantCustom = true
		sc.custom = sc.custom[:0]
	}
	err := walkObject(data, true, func(name, value []byte) error {
		if bytes.IndexByte(name, '@') >= 0 {
			if ann != nil && !bytes.HasSuffix(name, []byte("@odata.bind")) {
				sc.addAnnotation(name, value)
			}
		} else if wantCustom && sh.isCustom(name) {
			sc.custom = appendMember(sc.custom, name, value)
		}
		if sh.mayDecode(name, &sc.lower) {
			if len(sc.known) > 1 {
				sc.known = append(sc.known, ',')
			}
			sc.known = appendName(sc.known, name)
			sc.known = append(sc.known, ':')
			sc.known = append(sc.known, value...)
		}
		return nil
	})
	if err != nil {
		// Let encoding/json say what is wrong with the text.
		if jerr := json.Unmarshal(data, v); jerr != nil {
			return jerr
		}
		return err
	}
	sc.known = append(sc.known, '}')
	if err := json.Unmarshal(sc.known, v); err != nil {
		return err
	}
	if wantCustom {
		var raw []byte
		if len(sc.custom) > 0 {
			raw = append(make([]byte, 0, len(sc.custom)+1), sc.custom...)
			raw = append(raw, '}')
		}
		if sh.lazy {
			setCustom(v, sh, nil, raw)
		} else {
			var m map[string]any
			if raw != nil {
				var err error
				if m, err = customMap(raw); err != nil {
					return err
				}
			}
			setCustom(v, sh, m, nil)
		}
	}
	if ann != nil {
		sc.setAnnotations(ann)
	}
	return nil
}

// decodeRecordPlain is DecodeRecord for what the one-pass reader does not
// take: text that is not an object (null, or an error for a struct), and
// types with non-ASCII field names.
func decodeRecordPlain(data []byte, v any, ann *d365.Annotations, sh *shape) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if !isObject(data) {
		return nil // null: nothing, as encoding/json does
	}
	if sh != nil && sh.custom != nil && reflect.TypeOf(v).Kind() == reflect.Pointer {
		if err := decodeCustom(data, v, sh); err != nil {
			return err
		}
	}
	if ann == nil || bytes.IndexByte(data, '@') < 0 && bytes.IndexByte(data, '\\') < 0 { // "\u0040" is an '@' too
		return nil
	}
	return collectAnnotations(data, ann)
}

// customMap decodes the custom columns of raw (a JSON object) into a map, as
// customValue decodes each.
func customMap(raw []byte) (map[string]any, error) {
	m := map[string]any{}
	err := members(raw, func(name, value []byte) error {
		x, err := customValue(value)
		m[string(name)] = x
		return err
	})
	return m, err
}

// isObject reports whether data starts, after spaces, with '{'.
func isObject(data []byte) bool {
	i := skipWS(data, 0)
	return i < len(data) && data[i] == '{'
}

// mayDecode reports whether encoding/json may decode the member with the
// given (decoded) name into a field of the shape's type: a name that is a
// field's json name in any case, or any name that is not ASCII (whose case
// encoding/json folds in its own way). buf is scratch space.
func (s *shape) mayDecode(name []byte, buf *[]byte) bool {
	upper := false
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return true
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		return s.decoded[string(name)] // no allocation for a map lookup
	}
	*buf = (*buf)[:0]
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		*buf = append(*buf, c)
	}
	return s.decoded[string(*buf)]
}

// scratch holds the buffers of one DecodeRecord call.
type scratch struct {
	known, custom, lower []byte
	names, values        []byte   // the annotations' names and values, end to end
	anns                 []annRef // where each annotation is in names and values
}

type annRef struct{ name, value int } // ends in names and values

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (sc *scratch) put() {
	sc.names, sc.values, sc.anns = sc.names[:0], sc.values[:0], sc.anns[:0]
	if cap(sc.known) > 1<<20 || cap(sc.custom) > 1<<20 || cap(sc.values) > 1<<20 {
		return // do not keep a huge record's buffers
	}
	scratchPool.Put(sc)
}

func (sc *scratch) addAnnotation(name, value []byte) {
	sc.names = append(sc.names, name...)
	sc.values = append(sc.values, value...)
	sc.anns = append(sc.anns, annRef{len(sc.names), len(sc.values)})
}

// setAnnotations records the annotations collected, in order, as
// SetAnnotation does, with their names in one string and their values in
// one slice.
func (sc *scratch) setAnnotations(a *d365.Annotations) {
	if len(sc.anns) == 0 {
		return
	}
	names := string(sc.names)
	values := bytes.Clone(sc.values)
	n, v := 0, 0
	for _, r := range sc.anns {
		name, value := names[n:r.name], values[v:r.value:r.value]
		n, v = r.name, r.value
		if name == "@odata.etag" {
			var s string
			if json.Unmarshal(value, &s) == nil {
				a.ETag = s
				delete(a.Raw, name)
				continue
			}
			a.ETag = ""
		}
		if a.Raw == nil {
			a.Raw = make(map[string]json.RawMessage, len(sc.anns))
		}
		a.Raw[name] = value
	}
}

// collectAnnotations hands every top-level member of the JSON object in
// data whose name holds an '@' to ann (except "@odata.bind" members, which
// are requests, not annotations).
func collectAnnotations(data []byte, ann *d365.Annotations) error {
	return members(data, func(raw, value []byte) error {
		if bytes.IndexByte(raw, '@') < 0 && bytes.IndexByte(raw, '\\') < 0 {
			return nil // a plain column: most members, skipped without allocating
		}
		name, err := memberName(raw)
		if err != nil {
			return err
		}
		if strings.IndexByte(name, '@') >= 0 && !strings.HasSuffix(name, "@odata.bind") {
			SetAnnotation(ann, name, value)
		}
		return nil
	})
}

// unmarshal decodes data into v, calling v's UnmarshalJSON directly when it
// has one: json.Unmarshal would first check the whole text, which the
// record decoder does again.
func unmarshal(data []byte, v any) error {
	if u, ok := v.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(data)
	}
	return json.Unmarshal(data, v)
}
