package sales

import (
	"fmt"
	"unicode/utf8"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// fields collects the columns of a create or update body, keeping only the
// columns that are set, and remembers the first invalid value.
type fields struct {
	m   map[string]any
	err error
}

func newFields() *fields { return &fields{m: make(map[string]any)} }

// fail records an error, unless one is already recorded.
func (f *fields) fail(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("sales: "+format, args...)
	}
}

// set writes v unless it is its type's zero value.
func set[T comparable](f *fields, col string, v T) {
	var zero T
	if v != zero {
		f.m[col] = v
	}
}

// setPtr writes *v when v is not nil.
func setPtr[T any](f *fields, col string, v *T) {
	if v != nil {
		f.m[col] = *v
	}
}

// decimal writes a non-empty decimal after checking it.
func (f *fields) decimal(field, col string, d d365.Decimal) {
	if d == "" {
		return
	}
	if _, err := d365.NewDecimal(string(d)); err != nil {
		f.fail("%s (%s) %q is not a decimal number", field, col, string(d))
		return
	}
	f.m[col] = d
}

// bind writes a lookup as "<nav>@odata.bind": "/<set>(<id>)" when id is set.
func (f *fields) bind(nav, set string, id uuid.UUID) {
	if id != uuid.Nil {
		f.m[nav+"@odata.bind"] = "/" + set + "(" + id.String() + ")"
	}
}

// bindPtr writes a lookup change; a pointer to uuid.Nil is refused.
func (f *fields) bindPtr(field, nav, set string, id *uuid.UUID) {
	if id == nil {
		return
	}
	if *id == uuid.Nil {
		f.fail("%s is uuid.Nil: give the id of the %s record to link", field, set)
		return
	}
	f.bind(nav, set, *id)
}

// clear writes null for each listed column.
func (f *fields) clear(field string, cols []string) {
	for _, c := range cols {
		if err := odata.CheckName("column", c); err != nil {
			f.fail("%s: %v", field, err)
			return
		}
		f.m[c] = nil
	}
}

// required fails when a required text column is empty or longer than max
// characters (max 0: no limit).
func (f *fields) required(field, col, v string, max int) {
	if v == "" {
		f.fail("%s (%s) is empty: the column is required", field, col)
		return
	}
	f.maxLen(field, col, v, max)
}

// maxLen fails when v has more than max characters.
func (f *fields) maxLen(field, col, v string, max int) {
	if n := utf8.RuneCountInString(v); max > 0 && n > max {
		f.fail("%s (%s) has %d characters: the column holds at most %d", field, col, n, max)
	}
}

// requiredID fails when a required lookup is uuid.Nil.
func (f *fields) requiredID(field, col string, id uuid.UUID) {
	if id == uuid.Nil {
		f.fail("%s (%s) is empty: the column is required", field, col)
	}
}
