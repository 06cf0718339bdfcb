package odata

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A small scanner over JSON text that finds the members of an object and
// the elements of an array without decoding them, so that a record's
// annotations and a page's records are reached in one cheap pass over the
// bytes. It never panics on malformed input: it reports an error instead.
//
// It reads what encoding/json reads: member names are compared after
// unescaping ("@odata.next\u004cink" is "@odata.nextLink"), invalid UTF-8 in
// a name becomes U+FFFD, a repeated member counts once with its last value
// (as in a map), and text that encoding/json rejects (bad literals,
// numbers, escapes or control characters, trailing data, nesting deeper
// than encoding/json's limit) is rejected. The fuzz targets of fuzz_test.go
// compare it with encoding/json.

var errScan = errors.New("malformed JSON")

// maxDepth is encoding/json's nesting limit: an object or array nested
// deeper than this is an error there, so here too.
const maxDepth = 10000

// skipWS returns the index of the first non-space byte at or after i.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the string whose opening quote is
// at b[i], and whether the string holds escapes; -1 when it is not closed.
// It does not check the string: use it on text already checked.
func stringEnd(b []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc
		}
	}
	return -1, esc
}

// valueEnd returns the index just after the JSON value starting at b[i],
// or -1 when the value is not complete. It does not check the value: use
// it on text already checked (validEnd checks).
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		e, _ := stringEnd(b, i)
		return e
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, _ := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	case ',', ':', '}', ']':
		return -1
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(b)
}

// validStringEnd checks the string whose opening quote is at b[i] as
// encoding/json does (no control character, only JSON's escapes) and
// returns the index just after it and whether it holds escapes, or -1.
func validStringEnd(b []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, esc
		case c == '\\':
			esc = true
			j++
			if j >= len(b) {
				return -1, esc
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return -1, esc
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return -1, esc
					}
				}
				j += 4
			default:
				return -1, esc
			}
		case c < 0x20:
			return -1, esc
		}
	}
	return -1, esc
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validEnd checks the JSON value starting at b[i], inside depth enclosing
// objects and arrays, and returns the index just after it, or -1 when it
// is not what encoding/json accepts.
func validEnd(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		e, _ := validStringEnd(b, i)
		return e
	case c == '{':
		if depth+1 > maxDepth {
			return -1
		}
		j := skipWS(b, i+1)
		if j < len(b) && b[j] == '}' {
			return j + 1
		}
		for {
			if j >= len(b) || b[j] != '"' {
				return -1
			}
			if j, _ = validStringEnd(b, j); j < 0 {
				return -1
			}
			if j = skipWS(b, j); j >= len(b) || b[j] != ':' {
				return -1
			}
			if j = validEnd(b, skipWS(b, j+1), depth+1); j < 0 {
				return -1
			}
			if j = skipWS(b, j); j >= len(b) {
				return -1
			}
			switch b[j] {
			case ',':
				j = skipWS(b, j+1)
			case '}':
				return j + 1
			default:
				return -1
			}
		}
	case c == '[':
		if depth+1 > maxDepth {
			return -1
		}
		j := skipWS(b, i+1)
		if j < len(b) && b[j] == ']' {
			return j + 1
		}
		for {
			if j = validEnd(b, j, depth+1); j < 0 {
				return -1
			}
			if j = skipWS(b, j); j >= len(b) {
				return -1
			}
			switch b[j] {
			case ',':
				j = skipWS(b, j+1)
			case ']':
				return j + 1
			default:
				return -1
			}
		}
	case c == 't':
		return literalEnd(b, i, "true")
	case c == 'f':
		return literalEnd(b, i, "false")
	case c == 'n':
		return literalEnd(b, i, "null")
	case c == '-' || isDigit(c):
		return numberEnd(b, i)
	}
	return -1
}

func literalEnd(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// numberEnd checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) int {
	j := i
	if b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && isDigit(b[j]):
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return -1
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return -1
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return -1
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j
}

// members calls fn for each member of the JSON object in data, in order,
// with the member's name decoded as encoding/json decodes it (unescaped;
// the bytes of data themselves when the name holds no escape, so that
// skipping a member costs no allocation) and its value's bytes. It stops at
// the first error fn returns. The text must already have been checked by
// encoding/json (as DecodeRecord does): members only finds the boundaries.
// A repeated name is passed each time it occurs.
func members(data []byte, fn func(name, value []byte) error) error {
	return walkObject(data, false, fn)
}

// pageMembers calls fn once for each distinct member of the JSON object in
// data, with its decoded name and the value of its last occurrence (what a
// map filled by encoding/json holds), after checking the whole text as
// encoding/json would. Use it on text nobody checked yet, such as a page.
func pageMembers(data []byte, fn func(name, value []byte) error) error {
	type member struct{ name, value []byte }
	var ms []member
	if err := walkObject(data, true, func(name, value []byte) error {
		ms = append(ms, member{name, value})
		return nil
	}); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ms))
	for i := len(ms) - 1; i >= 0; i-- {
		if seen[string(ms[i].name)] {
			continue
		}
		seen[string(ms[i].name)] = true
		if err := fn(ms[i].name, ms[i].value); err != nil {
			return err
		}
	}
	return nil
}

// walkObject walks the members of the object in data; strict checks the
// text as it goes, including that nothing but spaces follows the object.
func walkObject(data []byte, strict bool, fn func(name, value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errScan
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return endObject(data, i+1, strict)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return errScan
		}
		var end int
		var esc bool
		if strict {
			end, esc = validStringEnd(data, i)
		} else {
			end, esc = stringEnd(data, i)
		}
		if end < 0 {
			return errScan
		}
		name := decodeName(data[i+1:end-1], esc)
		i = skipWS(data, end)
		if i >= len(data) || data[i] != ':' {
			return errScan
		}
		i = skipWS(data, i+1)
		var vEnd int
		if strict {
			vEnd = validEnd(data, i, 1)
		} else {
			vEnd = valueEnd(data, i)
		}
		if vEnd < 0 {
			return errScan
		}
		if err := fn(name, data[i:vEnd]); err != nil {
			return err
		}
		i = skipWS(data, vEnd)
		if i < len(data) && data[i] == ',' {
			i = skipWS(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			return endObject(data, i+1, strict)
		}
		return errScan
	}
}

// endObject checks, when strict, that only spaces follow the object.
func endObject(data []byte, i int, strict bool) error {
	if strict && skipWS(data, i) != len(data) {
		return errScan
	}
	return nil
}

// decodeName returns a member name (between its quotes) as encoding/json
// decodes it: escapes resolved, invalid UTF-8 replaced by U+FFFD. It
// returns raw itself when there is nothing to decode.
func decodeName(raw []byte, esc bool) []byte {
	if !esc && utf8.Valid(raw) {
		return raw
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return raw // not reached: the caller checked the string
	}
	return []byte(name)
}

// memberName returns a name given by members as a string. Names are
// already decoded, so this only converts; it is kept for the callers that
// decode only the names they want.
func memberName(name []byte) (string, error) {
	return string(name), nil
}

// elements walks the JSON array in data: next returns the bytes of each
// element in turn, then nil at the end of the array. The text must already
// have been checked (pageMembers checks a page's value array).
type elements struct {
	data []byte
	i    int
	err  error
}

func newElements(data []byte) *elements {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '[' {
		return &elements{err: errScan}
	}
	return &elements{data: data, i: skipWS(data, i+1)}
}

func (e *elements) next() []byte {
	if e.err != nil || e.i >= len(e.data) {
		if e.err == nil {
			e.err = errScan
		}
		return nil
	}
	if e.data[e.i] == ']' {
		return nil
	}
	end := valueEnd(e.data, e.i)
	if end < 0 {
		e.err = errScan
		return nil
	}
	v := e.data[e.i:end]
	e.i = skipWS(e.data, end)
	switch {
	case e.i < len(e.data) && e.data[e.i] == ',':
		e.i = skipWS(e.data, e.i+1)
	case e.i < len(e.data) && e.data[e.i] == ']':
	default:
		e.err = errScan
		return nil
	}
	return v
}
