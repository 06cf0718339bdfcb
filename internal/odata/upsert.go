package odata

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/b2bflow/d365"
)

// AlternateKeyPath returns the path of the record of set whose alternate
// key has the given column values, such as
// "accounts(accountnumber='ABC%2F1',name='Contoso')": the columns in name
// order, each value formatted as a key literal and escaped as EntityPath
// does. op names the call in input errors.
func AlternateKeyPath(op, set string, columns map[string]any) (string, error) {
	if len(columns) == 0 {
		return "", d365.NewInputError(op, "the alternate key of "+set, "has no column: give the key's column names and values")
	}
	names := make([]string, 0, len(columns))
	for n := range columns {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]KeyPart, len(names))
	for i, n := range names {
		if n == "" {
			return "", d365.NewInputError(op, "the alternate key of "+set, "has a column with no name")
		}
		parts[i] = KeyPart{Name: n, Value: columns[n]}
	}
	return EntityPath(set, parts...)
}

// UpsertWith patches the record at path with body, creating it when it
// does not exist, under the conditions of o: CreateOnly sends
// "If-None-Match: *", UpdateOnly "If-Match: *". A plain or update-only
// upsert has the same effect sent twice, so it is retried after a lost
// connection; a create-only upsert is not (a second attempt would meet
// the record the first one created). op names the call in input errors.
func UpsertWith(ctx context.Context, c *Client, op, path string, body any, o *d365.UpsertOptions) error {
	req := &Request{Method: http.MethodPatch, Path: path, Body: body, Idempotent: true}
	if o != nil {
		if o.CreateOnly && o.UpdateOnly {
			return d365.NewInputError(op, "UpsertOptions", "sets both CreateOnly and UpdateOnly: choose one")
		}
		if o.CreateOnly {
			req.IfNoneMatch = "*"
		}
		if o.UpdateOnly {
			req.IfMatch = "*"
		}
	}
	_, err := c.Do(ctx, req)
	return err
}

// UpsertTarget is one record of UpsertMultiple: the path of the record
// (by id or alternate key, as EntityPath and AlternateKeyPath build it)
// and the columns to write.
type UpsertTarget struct {
	Path string
	Body map[string]any
}

// UpsertMultiple sends the UpsertMultiple message on set, whose records
// are of the table logical (such as "lead"), in chunks of size targets per
// request: each target carries "@odata.type" and "@odata.id" (its path),
// as documented. Each chunk is atomic; sending it twice has the same
// effect, so it is retried after a lost connection. The bodies are not
// modified.
func UpsertMultiple(ctx context.Context, c *Client, op, set, logical string, targets []UpsertTarget, size int) error {
	if err := CheckName("table", logical); err != nil || logical == "" {
		return d365.NewInputError(op, "table logical name", "%q is not a table name", logical)
	}
	if len(targets) == 0 {
		return nil
	}
	if size <= 0 {
		size = len(targets)
	}
	body := make([]map[string]any, len(targets))
	for i, t := range targets {
		m := make(map[string]any, len(t.Body)+2)
		for k, v := range t.Body {
			m[k] = v
		}
		m["@odata.type"] = "Microsoft.Dynamics.CRM." + logical
		m["@odata.id"] = t.Path
		body[i] = m
	}
	for start := 0; start < len(body); start += size {
		end := min(start+size, len(body))
		_, err := c.Do(ctx, &Request{
			Method:     http.MethodPost,
			Path:       set + "/Microsoft.Dynamics.CRM.UpsertMultiple",
			Body:       map[string]any{"Targets": body[start:end]},
			Idempotent: true,
		})
		if err != nil {
			return fmt.Errorf("%s: records %d to %d: %w", op, start, end-1, err)
		}
	}
	return nil
}
