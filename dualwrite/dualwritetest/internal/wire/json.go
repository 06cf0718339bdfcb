package wire

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// AppendJSON appends the JSON encoding of v to buf, byte for byte what a
// json.Encoder with SetEscapeHTML(false) writes (without its newline):
// object keys sorted, strings escaped the same way. The values records are
// made of (maps of strings to values, slices of values, strings, booleans,
// integers, json.Number integers, nil) are written directly, for speed;
// any other value, and any string or number that needs more than the
// simplest form, goes through encoding/json.
func AppendJSON(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x)
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case json.Number:
		if isPlainInteger(string(x)) {
			return append(buf, x...), nil
		}
	case map[string]any:
		if x == nil {
			return append(buf, "null"...), nil
		}
		return appendObject(buf, x)
	case []any:
		if x == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = AppendJSON(buf, e); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	}
	return appendStd(buf, v)
}

// keysPool holds the slices appendObject sorts keys in.
var keysPool = sync.Pool{New: func() any { s := make([]string, 0, 256); return &s }}

func appendObject(buf []byte, m map[string]any) ([]byte, error) {
	kp := keysPool.Get().(*[]string)
	keys := (*kp)[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = appendString(buf, k); err != nil {
			break
		}
		buf = append(buf, ':')
		if buf, err = AppendJSON(buf, m[k]); err != nil {
			break
		}
	}
	clear(keys)
	*kp = keys[:0]
	keysPool.Put(kp)
	if err != nil {
		return buf, err
	}
	return append(buf, '}'), nil
}

// appendString writes a string that holds only printable ASCII other than
// the quote and the backslash directly, any other through encoding/json
// (its escapes, \ufffd for invalid UTF-8, \u2028 and \u2029).
func appendString(buf []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return appendStd(buf, s)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"'), nil
}

// isPlainInteger reports whether s is an integer as JSON writes it:
// an optional minus, then 0 or a digit 1-9 followed by digits.
func isPlainInteger(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendStd appends v as encoding/json writes it with HTML characters
// left as they are.
func appendStd(buf []byte, v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return buf, err
	}
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

// Member is one member of a JSON object.
type Member struct {
	Name  string
	Value any
}

// AppendMembers appends the JSON object of ms to buf, as AppendJSON
// appends the map holding them: sorted by name, and of members with the
// same name the last one.
func AppendMembers(buf []byte, ms []Member) ([]byte, error) {
	// Sort positions, not members: swapping integers needs no write
	// barriers. Equal names are ordered by position, the last one kept.
	op := orderPool.Get().(*[]int32)
	order := (*op)[:0]
	for i := range ms {
		order = append(order, int32(i))
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(ms[a].Name, ms[b].Name); c != 0 {
			return c
		}
		return int(a - b)
	})
	buf = append(buf, '{')
	first := true
	var err error
	for i, j := range order {
		m := &ms[j]
		if i+1 < len(order) && ms[order[i+1]].Name == m.Name {
			continue // a later member replaces it
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		if buf, err = appendString(buf, m.Name); err != nil {
			break
		}
		buf = append(buf, ':')
		if buf, err = AppendJSON(buf, m.Value); err != nil {
			break
		}
	}
	*op = order[:0]
	orderPool.Put(op)
	if err != nil {
		return buf, err
	}
	return append(buf, '}'), nil
}

// orderPool holds the slices AppendMembers sorts positions in.
var orderPool = sync.Pool{New: func() any { s := make([]int32, 0, 512); return &s }}
