package sales

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// Record is an untyped record of any table: its columns as decoded JSON
// values (numbers as json.Number, so that no digit is lost) and its
// annotations.
type Record struct {
	// Annotations holds the ETag and the columns' annotations.
	d365.Annotations
	// Columns maps column names to values: string, bool, json.Number,
	// nil, []any or map[string]any.
	Columns map[string]any
}

// UnmarshalJSON decodes a record: annotation members (names holding '@')
// go to Annotations, the others to Columns.
func (r *Record) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Record{Columns: make(map[string]any, len(raw))}
	for name, v := range raw {
		if strings.IndexByte(name, '@') >= 0 {
			odata.SetAnnotation(&r.Annotations, name, v)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var val any
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("sales: column %s: %w", name, err)
		}
		r.Columns[name] = val
	}
	return nil
}

// Table reads and writes the records of a table the package has no type for,
// by its entity set name, such as "msdyn_customerhierarchies". Get it from
// Client.Table. An invalid name makes every call fail before any request.
type Table struct{ entitySet }

// Table returns the untyped records of the entity set name.
func (c *Client) Table(name string) *Table {
	return &Table{entitySet{c, name, name + " record", "Table(" + name + ")"}}
}

// Get reads the record with the given id, with its annotations and the
// columns o selects (nil: every column).
func (t *Table) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Record, error) {
	return get[Record](ctx, t.entitySet, id, o)
}

// List streams the records o selects (nil: all of them).
func (t *Table) List(ctx context.Context, o *ListOptions) iter.Seq2[*Record, error] {
	return list[Record](ctx, t.entitySet, o)
}

// Pages streams the records o selects a page at a time (see
// LeadService.Pages).
func (t *Table) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Record], error] {
	return pages[Record](ctx, t.entitySet, o)
}

// Create creates a record with the given columns (values are encoded with
// encoding/json; bind lookups with "<navigation>@odata.bind":
// "/<set>(<id>)") and returns its id.
func (t *Table) Create(ctx context.Context, columns map[string]any) (uuid.UUID, error) {
	body, err := tableBody(columns)
	if err != nil {
		return uuid.Nil, t.input("Create", err)
	}
	return t.create(ctx, "Create", uuid.Nil, body)
}

// Update changes the given columns of the record, with If-Match as for
// Leads.Update.
func (t *Table) Update(ctx context.Context, id uuid.UUID, columns map[string]any, o *d365.UpdateOptions) error {
	body, err := tableBody(columns)
	if err != nil {
		return t.input("Update", err)
	}
	return t.update(ctx, "Update", id, body, o)
}

// Delete deletes the record.
func (t *Table) Delete(ctx context.Context, id uuid.UUID) error {
	return t.remove(ctx, id)
}

// tableBody copies the caller's columns into a body.
func tableBody(columns map[string]any) (map[string]any, error) {
	if len(columns) == 0 {
		return nil, d365.NewInputError("", "columns", "is empty: no column given")
	}
	if _, ok := columns[""]; ok {
		return nil, d365.NewInputError("", "columns", "has an empty column name")
	}
	return maps.Clone(columns), nil
}
