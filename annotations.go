package d365

import (
	"encoding/json"

	"github.com/b2bflow/d365/internal/columns"
)

// Annotation names that Dataverse adds to the columns of a record when the
// request says Prefer: odata.include-annotations="*".
const (
	// AnnotationFormattedValue carries a column's value as the user sees
	// it: the label of a choice, a formatted date or amount, the name of
	// a lookup's record.
	AnnotationFormattedValue = "OData.Community.Display.V1.FormattedValue"
	// AnnotationLookupLogicalName carries the table of a lookup column's
	// record, such as "account" or "contact" for a customer lookup.
	AnnotationLookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"
	// AnnotationNavigationProperty carries the navigation property behind
	// a lookup column, to bind it with "<property>@odata.bind".
	AnnotationNavigationProperty = "Microsoft.Dynamics.CRM.associatednavigationproperty"
)

// Annotations holds the OData annotations that came with a record: its ETag
// and the instance annotations of its columns (formatted values, lookup
// targets and any other "column@term" member).
//
// Typed records of the sales and commerce packages embed Annotations, so
// that lead.ETag and lead.FormattedValue("statuscode") work directly.
type Annotations struct {
	// ETag is the record's version (@odata.etag), such as W/"468026". Pass
	// it as IfMatch to update the record only if nobody changed it since.
	ETag string `json:"-"`
	// Raw holds every other annotation member exactly as received, keyed by
	// its full name, such as "statuscode@OData.Community.Display.V1.FormattedValue".
	// Nil when the record had none.
	Raw map[string]json.RawMessage `json:"-"`
}

// Annotation returns the value of the annotation term on column, if the
// record carried it. Its JSON is decoded when it is a string.
func (a *Annotations) Annotation(column, term string) (string, bool) {
	raw, ok := a.Raw[column+"@"+term]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw), true
	}
	return s, true
}

// FormattedValue returns the formatted value of a column, such as "Qualified"
// for statuscode 3, or "" when the record carries none (annotations were not
// requested, or the column is empty).
func (a *Annotations) FormattedValue(column string) string {
	s, _ := a.Annotation(column, AnnotationFormattedValue)
	return s
}

// LookupLogicalName returns the table of the record a lookup column points
// to, such as "account", or "" when unknown. Pass the lookup's value column,
// such as "_parentaccountid_value".
func (a *Annotations) LookupLogicalName(column string) string {
	s, _ := a.Annotation(column, AnnotationLookupLogicalName)
	return s
}

// Columns holds a record's columns by logical name: those the record came
// with that its Go type has no field for (kept as the JSON text received
// until they are read: a listing that never reads them pays one copy of
// their text, not a map), and those a program sets to send with a create.
// The zero value holds none. Get reads one column, Map all of them (numbers
// as json.Number, in the exact text received), Set sets one.
type Columns = columns.Columns

// NewColumns returns columns holding the entries of m, to send with a
// record, such as sales.Lead.Custom.
func NewColumns(m map[string]any) Columns { return columns.Of(m) }
