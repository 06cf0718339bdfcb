package dualwritetest

import (
	"fmt"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
)

// SchemaExtension declares what an organization adds to the Dataverse
// tables out of the box: custom tables, custom columns (on any table) and
// alternate keys. The emulator checks every request against the documented
// tables, so a column, table or key a test needs and Microsoft does not
// document must be declared here (Options.Schema); anything else is
// refused as Dataverse refuses it.
type SchemaExtension struct {
	Tables  []CustomTable
	Columns []CustomColumn
	Keys    []AlternateKey
}

// CustomTable is a custom table. It gets the columns every user-owned table
// has (ownerid, createdon, createdby, modifiedon, modifiedby,
// versionnumber, statecode and statuscode Active/Inactive), its primary key
// and its primary name column.
type CustomTable struct {
	// LogicalName is the table's logical name, lower case with the
	// publisher prefix ("new_project").
	LogicalName string
	// EntitySet is the Web API collection name ("new_projects").
	EntitySet string
	// PrimaryKey defaults to LogicalName + "id".
	PrimaryKey string
	// PrimaryName defaults to the prefix + "_name" ("new_name"), a String
	// of 100 characters.
	PrimaryName string
	// OrganizationOwned makes the table organization-owned (no ownerid).
	OrganizationOwned bool
}

// ColumnType is the type of a custom column, as Dataverse's
// AttributeTypeCode names it.
type ColumnType string

// The column types a custom column may have.
const (
	String           ColumnType = "String"
	Memo             ColumnType = "Memo"
	Integer          ColumnType = "Integer"
	BigInt           ColumnType = "BigInt"
	Decimal          ColumnType = "Decimal"
	Double           ColumnType = "Double"
	Money            ColumnType = "Money"
	Boolean          ColumnType = "Boolean"
	DateTime         ColumnType = "DateTime"
	Uniqueidentifier ColumnType = "Uniqueidentifier"
	Picklist         ColumnType = "Picklist"
	MultiSelect      ColumnType = "MultiSelectPicklist"
	Lookup           ColumnType = "Lookup"
	Customer         ColumnType = "Customer"
)

// CustomColumn is a custom column of a table (a documented table or a
// CustomTable of the same extension).
type CustomColumn struct {
	// Table is the table's logical name ("account").
	Table string
	// LogicalName is the column's logical name, lower case ("new_tier").
	LogicalName string
	Type        ColumnType
	// MaxLength bounds a String (default 100) or a Memo (default 2000).
	MaxLength int
	// Min and Max bound a number; nil means the type's range.
	Min, Max *float64
	// Precision is the number of decimals of a Decimal, Double or Money
	// (default 2).
	Precision int
	// Options are the choices of a Picklist or MultiSelect (value to
	// label); required for those types.
	Options map[int]string
	// TrueLabel and FalseLabel label a Boolean (default "Yes" and "No").
	TrueLabel, FalseLabel string
	// DateOnly makes a DateTime a date-only column (Edm.Date).
	DateOnly bool
	// Target is the table a Lookup points to (required for a Lookup).
	Target string
	// Navigation is the navigation property that binds a Lookup
	// (default: LogicalName); a Customer's are LogicalName + "_account"
	// and LogicalName + "_contact".
	Navigation string
	// ReadOnly makes the column valid for read only, as calculated and
	// rollup columns are.
	ReadOnly bool
}

// AlternateKey is an alternate key of a table: records can then be read,
// updated and upserted with <set>(col1='a',col2=2). Keys on columns no key
// declares are refused (400 0x80060890), as in Dataverse.
type AlternateKey struct {
	// Table is the table's logical name.
	Table string
	// Name is the key's schema name; it defaults to the columns joined
	// with "_".
	Name    string
	Columns []string
}

// buildSchema returns the documented schema with the extension.
func buildSchema(ext *SchemaExtension) (*schema.Schema, error) {
	s, err := schema.Load()
	if err != nil {
		return nil, err
	}
	if ext == nil {
		return s, nil
	}
	var e schema.Extension
	for _, t := range ext.Tables {
		e.Tables = append(e.Tables, schema.CustomTable{LogicalName: t.LogicalName, EntitySet: t.EntitySet,
			PrimaryKey: t.PrimaryKey, PrimaryName: t.PrimaryName, OrganizationOwned: t.OrganizationOwned})
	}
	for _, c := range ext.Columns {
		e.Columns = append(e.Columns, schema.CustomColumn{Table: c.Table, LogicalName: c.LogicalName, Type: schema.Type(c.Type),
			MaxLength: c.MaxLength, Min: c.Min, Max: c.Max, Precision: c.Precision, Options: c.Options,
			TrueLabel: c.TrueLabel, FalseLabel: c.FalseLabel, DateOnly: c.DateOnly, Target: c.Target,
			Navigation: c.Navigation, ReadOnly: c.ReadOnly})
	}
	for _, k := range ext.Keys {
		e.Keys = append(e.Keys, schema.CustomKey{Table: k.Table, Name: k.Name, Columns: k.Columns})
	}
	if err := s.Extend(e); err != nil {
		return nil, fmt.Errorf("dualwritetest: Options.Schema: %w", err)
	}
	return s, nil
}
