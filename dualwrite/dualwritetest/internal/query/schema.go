package query

import (
	"strings"
	"time"
)

// Column types, as Dataverse's AttributeTypeCode names them.
const (
	TypeString           = "String"
	TypeMemo             = "Memo"
	TypeInteger          = "Integer"
	TypeBigInt           = "BigInt"
	TypeDecimal          = "Decimal"
	TypeDouble           = "Double"
	TypeMoney            = "Money"
	TypeBoolean          = "Boolean"
	TypeDateTime         = "DateTime"
	TypePicklist         = "Picklist"
	TypeMultiSelect      = "MultiSelectPicklist"
	TypeState            = "State"
	TypeStatus           = "Status"
	TypeLookup           = "Lookup"
	TypeCustomer         = "Customer"
	TypeOwner            = "Owner"
	TypeUniqueidentifier = "Uniqueidentifier"
	TypeEntityName       = "EntityName"
)

// Table describes one Dataverse table.
type Table struct {
	LogicalName string // "account"
	EntitySet   string // "accounts"
	PrimaryKey  string // "accountid"
	PrimaryName string // "name"
}

// Column describes one column of a table.
type Column struct {
	Name    string   // logical name: "name", "parentaccountid"
	Type    string   // one of the Type constants
	Targets []string // for lookups, the tables it can point to
}

// IsLookup reports whether the column is a lookup (Lookup, Customer or
// Owner): its Web API property is _<name>_value.
func (c Column) IsLookup() bool {
	return c.Type == TypeLookup || c.Type == TypeCustomer || c.Type == TypeOwner
}

// Navigation describes a navigation property of a table.
type Navigation struct {
	Name   string // "parentaccountid", "Account_Tasks"
	Target string // logical name of the related table
	// Collection is true for collection-valued (one-to-many or
	// many-to-many) navigation properties.
	Collection bool
	// Column is, for a single-valued property, the lookup column of this
	// table ("parentaccountid"); for a one-to-many collection, the lookup
	// column of the target table that points back here ("regardingobjectid").
	Column string
	// ManyToMany marks a many-to-many collection; its rows come from
	// Data's optional Associated method.
	ManyToMany bool
}

// Schema answers what tables, columns and navigation properties exist.
// Names are case sensitive, as in Dataverse.
type Schema interface {
	// Table returns the table with this logical name.
	Table(logical string) (Table, bool)
	// Column returns the column with this logical name.
	Column(table, column string) (Column, bool)
	// Navigation returns the navigation property with this name.
	Navigation(table, name string) (Navigation, bool)
}

// Row is one record: column logical names (lookups as _<name>_value) to
// JSON-like values (string, float64, int, int64, json.Number, bool, nil).
// Dates are RFC 3339 strings. A row may carry annotations under keys
// containing '@' (such as "_x_value@Microsoft.Dynamics.CRM.lookuplogicalname"
// and "@odata.etag"); they are copied to the output as the Render function
// decides.
type Row = map[string]any

// Data reads rows.
type Data interface {
	// Rows returns every row of the table in a stable order (creation order).
	Rows(table string) []Row
	// Row returns the row of the table with this primary key value.
	Row(table, id string) (Row, bool)
}

// AssociatedData is implemented by a Data that stores many-to-many
// associations.
type AssociatedData interface {
	// Associated returns the rows related to table(id) through the
	// many-to-many navigation property nav.
	Associated(table, id, nav string) []Row
}

// Env is what a query is evaluated against.
type Env struct {
	Schema Schema
	Data   Data
	// Now is the clock for the date query functions; time.Now if nil.
	Now func() time.Time
	// Location is the time zone that "today" is computed in (the calling
	// user's); UTC if nil.
	Location *time.Location
	// UserID and BusinessUnitID answer EqualUserId and EqualBusinessId
	// (eq-userid, eq-businessid).
	UserID, BusinessUnitID string
	// Render turns a row into its output object with the given columns
	// (already resolved: lookups as _x_value, the primary key included). If
	// nil, the columns' values are copied along with "@odata.etag" and the
	// columns' annotations (keys "<column>@...").
	Render func(table string, row Row, columns []string) map[string]any
	// AggregateLimit is the most rows an aggregate may read (50000 if 0).
	AggregateLimit int
	// BaseURL prefixes the links Project writes (@odata.id of $ref and
	// <nav>@odata.nextLink), such as "https://org.example/api/data/v9.2/".
	BaseURL string
	// MaxPageSize is the request's odata.maxpagesize preference (0 if
	// none). When the query has a nested $expand, Dataverse pages every
	// expanded collection with it ("Join tables using OData": Nested $expand
	// on collection-valued navigation properties).
	MaxPageSize int
	// LookupETags keeps the "@odata.etag" of an expanded single-valued
	// navigation property. Dataverse sends it when one record is retrieved
	// (web-api-basic-operations-sample-020, web-api-query-data-sample-025)
	// and not in a collection (retrieve-related-entities-query-002).
	LookupETags bool
}

func (e *Env) now() time.Time {
	t := time.Now()
	if e.Now != nil {
		t = e.Now()
	}
	if e.Location != nil {
		return t.In(e.Location)
	}
	return t.UTC()
}

func (e *Env) render(table string, row Row, cols []string) map[string]any {
	if e.Render != nil {
		return e.Render(table, row, cols)
	}
	out := map[string]any{}
	if v, ok := row["@odata.etag"]; ok {
		out["@odata.etag"] = v
	}
	for _, c := range cols {
		out[c] = row[c]
		for k, v := range row {
			if strings.HasPrefix(k, c+"@") {
				out[k] = v
			}
		}
	}
	return out
}

// property is a resolved Web API property of a table.
type property struct {
	name string // as it appears in rows: "name", "_parentaccountid_value"
	col  Column
}

// lookupColumnName returns x for "_x_value".
func lookupColumnName(p string) (string, bool) {
	if strings.HasPrefix(p, "_") && strings.HasSuffix(p, "_value") && len(p) > len("_")+len("_value") {
		return p[1 : len(p)-len("_value")], true
	}
	return "", false
}

// resolveProperty finds the structural property p of table t. Without a
// schema every name resolves.
func (e *Env) resolveProperty(t, p, code string) (property, error) {
	if e.Schema == nil {
		return property{name: p}, nil
	}
	if c, ok := lookupColumnName(p); ok {
		if col, ok := e.Schema.Column(t, c); ok && col.IsLookup() {
			return property{name: p, col: col}, nil
		}
		return property{}, unknownProperty(code, p, t)
	}
	col, ok := e.Schema.Column(t, p)
	if !ok || col.IsLookup() {
		return property{}, unknownProperty(code, p, t)
	}
	return property{name: p, col: col}, nil
}

func (e *Env) table(t string) (Table, error) {
	if e.Schema == nil {
		return Table{LogicalName: t, EntitySet: t, PrimaryKey: t + "id"}, nil
	}
	tb, ok := e.Schema.Table(t)
	if !ok {
		return Table{}, badRequest("0x8006088a", "Resource not found for the segment '%s'.", t)
	}
	return tb, nil
}

func (e *Env) navigation(t, name string) (Navigation, bool) {
	if e.Schema == nil {
		return Navigation{}, false
	}
	return e.Schema.Navigation(t, name)
}

// follow returns the row a single-valued navigation property of row points
// to.
func (e *Env) follow(nav Navigation, row Row) (Row, bool) {
	id, _ := row["_"+nav.Column+"_value"].(string)
	if id == "" {
		return nil, false
	}
	if ln, ok := row["_"+nav.Column+"_value@Microsoft.Dynamics.CRM.lookuplogicalname"].(string); ok && ln != "" && ln != nav.Target {
		return nil, false
	}
	return e.Data.Row(nav.Target, strings.ToLower(id))
}

// related returns the rows of a collection-valued navigation property.
func (e *Env) related(table string, nav Navigation, row Row) ([]Row, error) {
	tb, err := e.table(table)
	if err != nil {
		return nil, err
	}
	id, _ := row[tb.PrimaryKey].(string)
	if nav.ManyToMany {
		a, ok := e.Data.(AssociatedData)
		if !ok {
			return nil, notImplemented("the many-to-many navigation property '%s'", nav.Name)
		}
		return a.Associated(table, id, nav.Name), nil
	}
	var out []Row
	key := "_" + nav.Column + "_value"
	for _, r := range e.Data.Rows(nav.Target) {
		if v, ok := r[key].(string); ok && strings.EqualFold(v, id) && id != "" {
			if ln, ok := r[key+"@Microsoft.Dynamics.CRM.lookuplogicalname"].(string); ok && ln != "" && ln != table {
				continue
			}
			out = append(out, r)
		}
	}
	return out, nil
}
