package jsonnum

import (
	"encoding/json"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want float64
		ok   bool
	}{
		{1, 1, true}, {int32(-2), -2, true}, {int64(3), 3, true}, {float32(0.5), 0.5, true},
		{2.25, 2.25, true}, {json.Number("4990.0000000000"), 4990, true},
		{json.Number("x"), 0, false}, {"5", 0, false}, {nil, 0, false}, {true, 0, false},
	} {
		got, ok := Float(tc.v)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Float(%#v) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}
