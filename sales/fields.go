package sales

import (
	"errors"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// convert returns the write type W of a record, converted field by field
// (see odata.Convert).
func convert[W, R any](r *R) *W {
	w := new(W)
	odata.Convert(w, r)
	return w
}

// clearColumns sets each listed column to null in the body m. field names
// the list in errors, such as "LeadChanges.Clear".
func clearColumns(m map[string]any, field string, cols []string) error {
	for _, c := range cols {
		if err := odata.CheckName("column", c); err != nil {
			return d365.NewInputError("", field, "%v", err)
		}
		m[c] = nil
	}
	return nil
}

// input names the method in an input error that does not name its call yet.
func (s entitySet) input(method string, err error) error {
	var e *d365.InputError
	if errors.As(err, &e) && e.Op == "" {
		e.Op = s.op(method)
	}
	return err
}
