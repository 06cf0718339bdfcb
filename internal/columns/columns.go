// Package columns holds the type behind d365.Columns: the columns of a
// record that its Go type has no field for, kept as the JSON text received
// until they are read.
package columns

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
)

// Columns holds columns by logical name: those a record came with that its
// type has no field for (kept as received, decoded when read), and those
// the program set. The zero value holds none and is ready to use.
//
// Reading (Get, Map, Len) decodes the received text each time and changes
// nothing, so a record may be read from several goroutines; Set changes the
// value, as writing to a map does.
type Columns struct {
	raw []byte         // the columns received, a JSON object; nil when none
	set map[string]any // the columns set, over the received ones
}

// FromJSON returns the columns of raw, the text of a JSON object already
// checked (the record decoder builds it from the members it does not
// map to a field). It keeps raw: the caller must not change it.
func FromJSON(raw []byte) Columns { return Columns{raw: raw} }

// Of returns columns holding the entries of m (nil: none), to send with a
// record. It copies m.
func Of(m map[string]any) Columns {
	if len(m) == 0 {
		return Columns{}
	}
	return Columns{set: maps.Clone(m)}
}

// Map returns the columns in a new map, nil when there are none: numbers
// as json.Number in the exact text received, strings, booleans, nil for
// null, and what encoding/json makes of objects and arrays (with
// json.Number numbers).
func (c Columns) Map() map[string]any {
	var m map[string]any
	if len(c.raw) > 0 {
		d := json.NewDecoder(bytes.NewReader(c.raw))
		d.UseNumber()
		if d.Decode(&m) != nil {
			m = nil // not reached: the text was checked
		}
	}
	if len(c.set) > 0 {
		if m == nil {
			m = make(map[string]any, len(c.set))
		}
		maps.Copy(m, c.set)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// Get returns the column with the given logical name, as Map would hold it,
// and whether the record has it (a column received as null is there, with
// the value nil). It decodes the columns received: to read several, call
// Map once.
func (c Columns) Get(name string) (any, bool) {
	if v, ok := c.set[name]; ok {
		return v, true
	}
	if len(c.raw) == 0 {
		return nil, false
	}
	v, ok := c.Map()[name]
	return v, ok
}

// Len returns how many columns c holds.
func (c Columns) Len() int {
	if len(c.raw) == 0 {
		return len(c.set)
	}
	return len(c.Map())
}

// Set sets the column with the given logical name to v, sent as
// encoding/json encodes it (nil: null).
func (c *Columns) Set(name string, v any) {
	if c.set == nil {
		c.set = make(map[string]any)
	}
	c.set[name] = v
}

// Equal reports whether c and o hold the same columns with the same
// values (go-cmp uses it to compare records).
func (c Columns) Equal(o Columns) bool {
	a, b := c.Map(), o.Map()
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// IsZero reports whether c holds no column (encoding/json's omitzero uses
// it).
func (c Columns) IsZero() bool { return len(c.raw) == 0 && len(c.set) == 0 }
