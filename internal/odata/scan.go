package odata

import (
	"bytes"
	"encoding/json"
	"errors"
)

// A small scanner over JSON text that finds the members of an object and
// the elements of an array without decoding them, so that a record's
// annotations and a page's records are reached in one cheap pass over the
// bytes. It never panics on malformed input: it reports an error instead.

var errScan = errors.New("malformed JSON")

// skipWS returns the index of the first non-space byte at or after i.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the string whose opening quote is
// at b[i], and whether the string holds escapes; -1 when it is not closed.
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
// or -1 when the value is not complete.
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

// members calls fn for each member of the JSON object in data, with the
// member's name as it is written (without quotes, escapes undecoded: use
// memberName for the string) and its value's bytes. It stops at the first
// error fn returns. Passing the raw name lets a caller skip the members it
// does not want without allocating their names.
func members(data []byte, fn func(rawName, value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errScan
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return errScan
		}
		end, _ := stringEnd(data, i)
		if end < 0 {
			return errScan
		}
		quoted := data[i:end]
		i = skipWS(data, end)
		if i >= len(data) || data[i] != ':' {
			return errScan
		}
		i = skipWS(data, i+1)
		vEnd := valueEnd(data, i)
		if vEnd < 0 {
			return errScan
		}
		if err := fn(quoted[1:len(quoted)-1], data[i:vEnd]); err != nil {
			return err
		}
		i = skipWS(data, vEnd)
		if i < len(data) && data[i] == ',' {
			i = skipWS(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			return nil
		}
		return errScan
	}
}

// memberName decodes a raw member name given by members.
func memberName(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var name string
	err := json.Unmarshal(quoted, &name)
	return name, err
}

// elements walks the JSON array in data: next returns the bytes of each
// element in turn, then nil at the end of the array.
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
