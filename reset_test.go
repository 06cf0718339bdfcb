package d365_test

import (
	"testing"

	"github.com/b2bflow/d365"
)

// A failed decode must not leave the previous value in place.
func TestUnmarshalJSONResetsTheReceiver(t *testing.T) {
	d := d365.Date{Year: 2026, Month: 1, Day: 2}
	if err := d.UnmarshalJSON([]byte(`"2026-13-40"`)); err == nil || !d.IsZero() {
		t.Errorf("Date after a bad value: %v, err %v; want the zero Date and an error", d, err)
	}
	n := d365.Decimal("19.99")
	if err := n.UnmarshalJSON([]byte(`"abc"`)); err == nil || !n.IsZero() {
		t.Errorf("Decimal after a bad value: %q, err %v; want empty and an error", n, err)
	}
}
