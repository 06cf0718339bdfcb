package odata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/b2bflow/d365"
)

// DecodeRecord decodes one record's JSON object into v (a pointer to a
// struct whose fields carry json tags, usually through a type without
// methods to avoid recursing into its UnmarshalJSON) and collects the
// record's annotation members (every name holding an '@', such as
// "@odata.etag" or "statuscode@OData.Community.Display.V1.FormattedValue")
// into ann. Members of v keep their exact JSON text when v's fields are
// json.RawMessage, json.Number or d365.Decimal.
func DecodeRecord(data []byte, v any, ann *d365.Annotations) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if ann == nil || bytes.IndexByte(data, '@') < 0 {
		return nil
	}
	return collectAnnotations(data, ann)
}

// collectAnnotations walks the top level of a JSON object and hands every
// member whose name holds an '@' to ann.
func collectAnnotations(data []byte, ann *d365.Annotations) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("d365: a record must be a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if strings.IndexByte(name, '@') >= 0 && !strings.HasSuffix(name, "@odata.bind") {
			ann.SetAnnotation(name, raw)
		}
	}
	return nil
}
