package onboarding

import (
	"strings"

	"github.com/b2bflow/d365"
)

// anyOf is the filter "<column> eq <v1> or <column> eq <v2> ..." over
// items, each value (value of the item) written by d365.Filterf: how a
// group of records is read with one query. column is one of this package's
// column names, never the caller's text.
func anyOf[E any](column string, items []E, value func(E) any) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(d365.Filterf(column+" eq %v", value(it)))
	}
	return b.String()
}
