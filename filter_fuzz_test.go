package d365_test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
)

// Differential fuzz targets for the literals of Filterf: each literal read
// back by the standard library's parser of its type (strconv, time) gives
// the value written, and has the form OData's grammar gives it.

var (
	// OData's ABNF: decimalValue without exponent, as strconv's 'f'
	// format writes it; and a JSON number for Decimal.
	odataDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	jsonNumber   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	odataInt     = regexp.MustCompile(`^-?[0-9]+$`)
	// dateTimeOffsetValue in UTC, with optional fractional seconds.
	odataDateTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
)

// literalOf returns the literal Filterf writes for v.
func literalOf(t *testing.T, v any) string {
	t.Helper()
	got := d365.Filterf("x eq %v", v)
	lit, ok := strings.CutPrefix(got, "x eq ")
	if !ok {
		t.Fatalf("Filterf(%v) = %q", v, got)
	}
	return lit
}

func FuzzFilterfNumbers(f *testing.F) {
	f.Add(int64(0), uint64(0), 0.0, float32(0))
	f.Add(int64(math.MinInt64), uint64(math.MaxUint64), math.MaxFloat64, float32(math.SmallestNonzeroFloat32))
	f.Add(int64(-1), uint64(1), -0.000001, float32(1e38))
	f.Add(int64(42), uint64(7), 5e-324, float32(-3.4e38))
	f.Fuzz(func(t *testing.T, i int64, u uint64, fl float64, f32 float32) {
		if lit := literalOf(t, i); !odataInt.MatchString(lit) {
			t.Fatalf("int %d: literal %q", i, lit)
		} else if back, err := strconv.ParseInt(lit, 10, 64); err != nil || back != i {
			t.Fatalf("int %d: literal %q reads back as %d, %v", i, lit, back, err)
		}
		if lit := literalOf(t, u); !odataInt.MatchString(lit) {
			t.Fatalf("uint %d: literal %q", u, lit)
		} else if back, err := strconv.ParseUint(lit, 10, 64); err != nil || back != u {
			t.Fatalf("uint %d: literal %q reads back as %d, %v", u, lit, back, err)
		}
		for _, v := range []struct {
			f    float64
			bits int
			arg  any
		}{{fl, 64, fl}, {float64(f32), 32, f32}} {
			lit := literalOf(t, v.arg)
			if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
				if !strings.HasPrefix(lit, "%!(") {
					t.Fatalf("float %v: literal %q, want a refusal", v.f, lit)
				}
				continue
			}
			if !odataDecimal.MatchString(lit) {
				t.Fatalf("float %v: literal %q is no OData decimal", v.f, lit)
			}
			if back, err := strconv.ParseFloat(lit, v.bits); err != nil || back != v.f {
				t.Fatalf("float %v: literal %q reads back as %v, %v", v.f, lit, back, err)
			}
		}
	})
}

func FuzzFilterfTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(1714555800), int64(123456789), 7200)
	f.Add(int64(253402300799), int64(999999999), -36000) // 9999-12-31T23:59:59.999999999Z
	f.Add(int64(-62135596800), int64(0), 0)              // 0001-01-01T00:00:00Z
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		when := time.Unix(sec, nsec%1e9).In(time.FixedZone("z", offset%(18*3600)))
		if y := when.UTC().Year(); y < 1 || y > 9999 {
			return // OData's four-digit years
		}
		lit := literalOf(t, when)
		if !odataDateTime.MatchString(lit) {
			t.Fatalf("%v: literal %q", when, lit)
		}
		// Filterf keeps milliseconds (see its doc): the literal is the time
		// truncated to the millisecond, with at most three digits.
		if i := strings.IndexByte(lit, '.'); i >= 0 && len(strings.TrimRight(lit[i+1:], "Z")) > 3 {
			t.Fatalf("%v: literal %q has more than three fractional digits", when, lit)
		}
		back, err := time.Parse(time.RFC3339Nano, lit)
		if err != nil || !back.Equal(when.Truncate(time.Millisecond)) {
			t.Fatalf("%v: literal %q reads back as %v, %v", when, lit, back, err)
		}
	})
}

func FuzzFilterfDecimalAndEnum(f *testing.F) {
	f.Add("12345678901234.5678", "Yes")
	f.Add("-0.5e-3", "it's")
	f.Add("01", "''")
	f.Add(" 1", "a'b''c")
	f.Add("0", "") // no enum has an empty member: refused
	f.Fuzz(func(t *testing.T, dec, enumValue string) {
		lit := literalOf(t, d365.Decimal(dec))
		if strings.HasPrefix(lit, "%!(") {
			if jsonNumber.MatchString(dec) {
				if _, err := strconv.ParseFloat(dec, 64); err == nil {
					t.Fatalf("decimal %q refused: %s", dec, lit)
				}
			}
		} else if lit != dec || !jsonNumber.MatchString(lit) {
			t.Fatalf("decimal %q: literal %q", dec, lit)
		}
		// The enum member is one quoted string: unquoting gives it back.
		const prefix = "Microsoft.Dynamics.DataEntities.NoYes'"
		lit = literalOf(t, d365.Enum{Type: "NoYes", Value: enumValue})
		if enumValue == "" {
			// An enum has no empty member: Filterf refuses it.
			if !strings.HasPrefix(lit, "%!(") {
				t.Fatalf("empty enum value: literal %q, want the refusal", lit)
			}
			return
		}
		body, ok := strings.CutPrefix(lit, prefix)
		if !ok || !strings.HasSuffix(body, "'") {
			t.Fatalf("enum %q: literal %q", enumValue, lit)
		}
		body = body[:len(body)-1]
		if strings.Contains(strings.ReplaceAll(body, "''", ""), "'") {
			t.Fatalf("enum %q: a lone quote ends the literal early: %q", enumValue, lit)
		}
		if back := strings.ReplaceAll(body, "''", "'"); back != enumValue {
			t.Fatalf("enum %q: literal %q reads back as %q", enumValue, lit, back)
		}
	})
}
