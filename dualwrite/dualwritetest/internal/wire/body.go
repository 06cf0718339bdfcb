package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"unicode/utf8"
)

// ReadBody decodes a JSON object body, numbers kept as json.Number, as a
// json.Decoder with UseNumber decodes it (what follows the object is not
// read). A flat object (string, number, boolean and null members, no
// escapes) is parsed directly, for speed; anything else, including every
// body in error, goes through encoding/json, so errors read the same.
func ReadBody(r *http.Request) (map[string]any, error) {
	data, rerr := readAll(r)
	if rerr == nil {
		if m, ok := parseFlatObject(data); ok {
			return m, nil
		}
	}
	var src io.Reader = bytes.NewReader(data)
	if rerr != nil {
		src = io.MultiReader(src, errReader{rerr})
	}
	return decodeBody(src)
}

// decodeBody is ReadBody through encoding/json.
func decodeBody(src io.Reader) (map[string]any, error) {
	dec := json.NewDecoder(src)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the request body is not a JSON object: %v", err)
	}
	return m, nil
}

// readAll reads a request body, in one buffer of its Content-Length when
// it has one.
func readAll(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if n := r.ContentLength; n > 0 && n <= 1<<20 {
		buf := make([]byte, 0, n+1) // +1: the read that finds the end
		for {
			k, err := r.Body.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+k]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return buf, err
			}
			if len(buf) == cap(buf) {
				rest, err := io.ReadAll(r.Body)
				return append(buf, rest...), err
			}
		}
	}
	return io.ReadAll(r.Body)
}

// bodyMaps holds the maps parseFlatObject fills.
var bodyMaps = sync.Pool{New: func() any { return make(map[string]any, 8) }}

// ReleaseBody gives back a body ReadBody returned, once nothing uses the
// map any more (its values may be kept): the next body may reuse it.
func ReleaseBody(m map[string]any) {
	if m == nil || len(m) > 64 {
		return
	}
	clear(m)
	bodyMaps.Put(m)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// parseFlatObject parses a JSON object whose members are strings without
// escapes, numbers, booleans and null. ok is false for anything else.
func parseFlatObject(data []byte) (m map[string]any, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	// the names and values are cut from one string of the whole body,
	// not copied one by one
	text := string(data)
	m = bodyMaps.Get().(map[string]any)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return m, true
	}
	for {
		key, j, ok := flatString(data, text, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return nil, false
		}
		var v any
		switch c := data[i]; {
		case c == '"':
			s, j, ok := flatString(data, text, i)
			if !ok {
				return nil, false
			}
			v, i = s, j
		case c == 't' && bytes.HasPrefix(data[i:], []byte("true")):
			v, i = true, i+4
		case c == 'f' && bytes.HasPrefix(data[i:], []byte("false")):
			v, i = false, i+5
		case c == 'n' && bytes.HasPrefix(data[i:], []byte("null")):
			v, i = nil, i+4
		case c == '-' || c >= '0' && c <= '9':
			j, ok := scanNumber(data, i)
			if !ok {
				return nil, false
			}
			v, i = json.Number(text[i:j]), j
		default:
			return nil, false
		}
		m[key] = v
		i = skipSpace(data, i)
		if i >= len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return m, true
		default:
			return nil, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// flatString reads the string at data[i] (a quote): no escapes, no
// control characters, valid UTF-8. It returns a part of text, the string
// of data.
func flatString(data []byte, text string, i int) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s := data[i+1 : j]
			if !ascii && !utf8.Valid(s) {
				return "", 0, false
			}
			return text[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", 0, false
}

// scanNumber returns the end of the JSON number at data[i], and whether
// it is one: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, followed by
// something that is not part of a number.
func scanNumber(data []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i + 1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
