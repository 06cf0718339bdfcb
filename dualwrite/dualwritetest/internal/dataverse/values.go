package dataverse

import (
	"fmt"
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	numRE  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?[mMdDfFlL]?$`)
)

// Value helpers of the record handlers: comparing, converting and
// reading the literals of keys.

// compareValues orders two values: numbers numerically, timestamps in time,
// strings without regard to case, bools for equality. ok is false when the
// values cannot be compared (a null against a value, different kinds).
func compareValues(a, b any) (int, bool) {
	if a == nil || b == nil {
		return 0, a == nil && b == nil
	}
	if x, ok := jsonnum.Float(a); ok {
		y, ok := jsonnum.Float(b)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		if tx, ok := parseTime(x); ok {
			if ty, ok := parseTime(y); ok {
				return tx.Compare(ty), true
			}
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	}
	if x, ok := a.(bool); ok {
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		if !x {
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

func toInt(v any) (int, bool) {
	f, ok := jsonnum.Float(v)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

func parseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(s[i])
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}

func numericLiteral(w string) (any, error) {
	switch {
	case guidRE.MatchString(w):
		return strings.ToLower(w), nil
	case numRE.MatchString(w):
		w = strings.TrimRight(w, "mMdDfFlL")
		if n, err := strconv.ParseInt(w, 10, 64); err == nil {
			return int(n), nil
		}
		f, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %s", w)
		}
		return f, nil
	}
	if _, ok := parseTime(w); ok {
		return w, nil
	}
	return nil, fmt.Errorf("bad literal %s", w)
}
