package odata

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

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
func DecodeRecord(data []byte, v any, ann *d365.Annotations) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if sh := shapeOf(reflect.TypeOf(v)); sh != nil && sh.custom != nil && reflect.TypeOf(v).Kind() == reflect.Pointer {
		if err := decodeCustom(data, v, sh); err != nil {
			return err
		}
	}
	if ann == nil || bytes.IndexByte(data, '@') < 0 && bytes.IndexByte(data, '\\') < 0 { // "\u0040" is an '@' too
		return nil
	}
	return collectAnnotations(data, ann)
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
