// Package jsonnum reads the numbers a decoded JSON value can hold, for the
// dual-write maps and the emulator's packages alike.
package jsonnum

import "encoding/json"

// Float returns v as a float64 when it is a number: a Go integer or float
// (as tests and the store write them) or a json.Number (as a decoder with
// UseNumber reads them). Anything else, strings included, is not a number.
func Float(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
