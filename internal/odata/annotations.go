package odata

import (
	"encoding/json"

	"github.com/b2bflow/d365"
)

// SetAnnotation records in a the annotation member named name (such as
// "@odata.etag" or "statuscode@OData.Community.Display.V1.FormattedValue")
// with its raw JSON value. Decoders call it for every member whose name
// holds an '@'.
func SetAnnotation(a *d365.Annotations, name string, value json.RawMessage) {
	if name == "@odata.etag" {
		// The last ETag given counts, whichever form it has.
		var s string
		if json.Unmarshal(value, &s) == nil {
			a.ETag = s
			delete(a.Raw, name)
			return
		}
		a.ETag = ""
	}
	if a.Raw == nil {
		a.Raw = make(map[string]json.RawMessage)
	}
	a.Raw[name] = append(json.RawMessage(nil), value...)
}
