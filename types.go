package d365

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"time"
)

// Date is a calendar date without a time of day or a time zone, as Dataverse
// sends date-only columns ("2023-06-25"). The zero Date is "no date" and
// encodes as JSON null.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("d365: %q is not a date (YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns the date as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time returns midnight of the date in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalJSON encodes "2006-01-02", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON decodes "2006-01-02" or null. A full timestamp is accepted
// too and keeps its date part.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("d365: date: %w", err)
	}
	if len(s) > len(time.DateOnly) {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("d365: %q is not a date", s)
		}
		*d = DateOf(t)
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

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
		return "", fmt.Errorf("d365: %q is not a decimal number", s)
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
		return nil, fmt.Errorf("d365: %q is not a decimal number", string(d))
	}
	return []byte(d), nil
}

// UnmarshalJSON keeps the number's text. It accepts a JSON number, a number
// in a string (as some services send large values), or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = ""
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
