package d365

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
)

// Decimal is a decimal or money value kept exactly as the service wrote it,
// so that no digit is lost: 4990.0000000000 and 12345678901234.5678 round
// trip unchanged, which a float64 cannot promise. The empty Decimal encodes
// as JSON null.
type Decimal string

// NewDecimal returns the Decimal for a number written in decimal notation,
// such as "19.99", or an error naming what is wrong.
func NewDecimal(s string) (Decimal, error) {
	d := Decimal(s)
	if !d.valid() {
		return "", NewInputError("d365: NewDecimal", "", "%q is not a decimal number", s)
	}
	return d, nil
}

func (d Decimal) valid() bool {
	if d == "" {
		return false
	}
	var n json.Number = json.Number(d)
	_, err := n.Float64()
	if err != nil {
		return false
	}
	return json.Valid([]byte(d))
}

// IsZero reports whether d is empty (no value).
func (d Decimal) IsZero() bool { return d == "" }

// Float64 returns the nearest float64, for display and arithmetic where
// exactness does not matter.
func (d Decimal) Float64() (float64, error) { return json.Number(d).Float64() }

// Rat returns the exact value as a big.Rat.
func (d Decimal) Rat() (*big.Rat, bool) { return new(big.Rat).SetString(string(d)) }

// String returns the number as written.
func (d Decimal) String() string { return string(d) }

// MarshalJSON writes the number as written, or null when empty.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("null"), nil
	}
	if !d.valid() {
		return nil, NewInputError("d365: Decimal", "", "%q is not a decimal number", string(d))
	}
	return []byte(d), nil
}

// UnmarshalJSON keeps the number's text. It accepts a JSON number, a number
// in a string (as some services send large values), or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	*d = ""
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("d365: decimal: %w", err)
		}
		b = []byte(s)
	}
	v := Decimal(b)
	if !v.valid() {
		return fmt.Errorf("d365: %q is not a decimal number", string(b))
	}
	*d = v
	return nil
}
