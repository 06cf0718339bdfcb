package schema

import (
	"maps"
	"slices"
	"sort"
)

// Type is a column's AttributeType, as the table reference pages print it.
type Type string

// The column types. Lookup, Customer and Owner are lookups: their value is
// read from the lookup property (_x_value) and written through a
// single-valued navigation property with @odata.bind.
const (
	String           Type = "String"
	Memo             Type = "Memo"
	Integer          Type = "Integer"
	BigInt           Type = "BigInt"
	Decimal          Type = "Decimal"
	Double           Type = "Double"
	Money            Type = "Money"
	Boolean          Type = "Boolean"
	DateTime         Type = "DateTime"
	Uniqueidentifier Type = "Uniqueidentifier"
	Lookup           Type = "Lookup"
	Customer         Type = "Customer"
	Owner            Type = "Owner"
	Picklist         Type = "Picklist"
	State            Type = "State"
	Status           Type = "Status"
	// MultiSelect is a MultiSelectPicklist (choices) column: none of the
	// embedded tables has one, custom columns may.
	MultiSelect     Type = "MultiSelectPicklist"
	EntityName      Type = "EntityName"
	PartyList       Type = "PartyList"
	Image           Type = "Image"
	ManagedProperty Type = "ManagedProperty"
)

func (t Type) known() bool {
	switch t {
	case String, Memo, Integer, BigInt, Decimal, Double, Money, Boolean, DateTime, Uniqueidentifier,
		Lookup, Customer, Owner, Picklist, State, Status, MultiSelect, EntityName, PartyList, Image, ManagedProperty:
		return true
	}
	return false
}

// IsLookup reports whether the type is a lookup (Lookup, Customer, Owner).
func (t Type) IsLookup() bool { return t == Lookup || t == Customer || t == Owner }

// IsChoice reports whether the type holds option values (Picklist, State,
// Status, MultiSelect).
func (t Type) IsChoice() bool { return t == Picklist || t == State || t == Status || t == MultiSelect }

// Table is a Dataverse table.
type Table struct {
	// LogicalName is the table's logical name ("lead"); the OData entity
	// type is Microsoft.Dynamics.CRM.<LogicalName>.
	LogicalName string
	// EntitySet is the Web API collection ("leads").
	EntitySet string
	// PrimaryKey is the primary key column ("leadid").
	PrimaryKey string
	// PrimaryName is the primary name column ("fullname"); empty when
	// undocumented.
	PrimaryName string
	// Ownership is UserOwned, OrganizationOwned or BusinessOwned (empty
	// when undocumented).
	Ownership string
	// AlternateKeys are the keys a record can be addressed by besides the
	// primary key. None is documented out of the box; Extend adds them.
	AlternateKeys []AlternateKey
	// StateStatus maps each statecode to its valid statuscode values; empty
	// for tables without state.
	StateStatus map[int][]int
	// Inferred lists the table-level facts that were inferred.
	Inferred []string
	// Custom is true for a table added by Extend.
	Custom bool

	columns    map[string]*Column // by logical name
	props      map[string]*Column // lookup property (_x_value) -> lookup column
	single     map[string]*Navigation
	collection map[string]*CollectionNavigation
	manyToMany map[string]string // navigation -> intersect entity
}

// AlternateKey is an alternate key (entity key): the columns that together
// identify a record.
type AlternateKey struct {
	Name    string
	Columns []string
}

// Navigation is a single-valued navigation property: the way a lookup is
// written (@odata.bind) and expanded.
type Navigation struct {
	// Name is the navigation property, case-sensitive ("customerid_account").
	Name string
	// Column is the lookup column it sets ("customerid").
	Column string
	// Target is the logical name of the table it points to ("account");
	// "owner" for ownerid.
	Target string
	// Relationship is the relationship's schema name, the partner
	// collection-valued navigation property on the target.
	Relationship  string
	CascadeDelete string
	// Inferred is true when the name follows the documented pattern rather
	// than a page.
	Inferred bool
}

// CollectionNavigation is a collection-valued navigation property, from the
// one side of a one-to-many relationship ("Lead_Annotation").
type CollectionNavigation struct {
	Name string
	// Target is the table of the related records ("annotation").
	Target string
	// ReferencingColumn is the lookup column of Target that points back
	// ("objectid").
	ReferencingColumn string
	// Partner is the single-valued navigation property on Target
	// ("objectid_lead"); empty when Target is not in the schema.
	Partner string
}

// Column is a column of a table.
type Column struct {
	// Table is the table's logical name.
	Table string
	// LogicalName is the column's logical name (lower case).
	LogicalName string
	Type        Type
	// Create, Update and Read are IsValidForCreate, IsValidForUpdate and
	// IsValidForRead.
	Create, Update, Read bool
	// Required is the RequiredLevel (None, Recommended, ApplicationRequired,
	// SystemRequired).
	Required string
	// MaxLength is the most characters of a String or Memo (0: no limit
	// known).
	MaxLength int
	// Min and Max bound a number; nil when undocumented.
	Min, Max *float64
	// Precision is the number of decimals of a Decimal, Double or Money.
	Precision int
	// Format is the string or integer format (Email, Phone, Url, ...).
	Format string
	// Behavior is the DateTimeBehavior of a DateTime (UserLocal, DateOnly,
	// TimeZoneIndependent) and DateTimeFormat its Format (DateOnly,
	// DateAndTime).
	Behavior, DateTimeFormat string
	// Options are the choices of a Picklist, State, Status or MultiSelect,
	// sorted by value.
	Options []Option
	// DefaultBool, TrueLabel and FalseLabel describe a Boolean.
	DefaultBool           *bool
	TrueLabel, FalseLabel string
	// Targets are the tables a lookup points to.
	Targets []string
	// LookupProperty is the read-only Web API property holding a lookup's
	// GUID ("_parentaccountid_value").
	LookupProperty string
	// Navigation maps each target table to the single-valued navigation
	// property that writes the lookup. Empty for a lookup that has none
	// (a contact's accountid): binding it must be refused.
	Navigation map[string]string
	// NavigationNote says why a lookup has no navigation property.
	NavigationNote string
	// WebAPI is false for a column that exists in the metadata but is not
	// a Web API property (AttributeOf columns such as owneridname, activity
	// PartyList columns). A request naming one names an unknown property.
	WebAPI bool
	// AttributeOf names the column a WebAPI-false column belongs to.
	AttributeOf string
	// Inferred lists the facts of this column that were inferred, and
	// Sources the references of a column not from the table's own page.
	Inferred, Sources []string
	Note              string
	// Custom is true for a column added by Extend.
	Custom bool
}

// Option is one choice of a Picklist, State, Status or MultiSelect column.
type Option struct {
	Value int
	Label string
	// DefaultStatus is the default statuscode of a State option.
	DefaultStatus int
	// State is the statecode a Status option belongs to.
	State int
}

// Property returns the Web API property name of the column: the lookup
// property (_x_value) for a lookup, the logical name otherwise.
func (c *Column) Property() string {
	if c.Type.IsLookup() {
		return c.LookupProperty
	}
	return c.LogicalName
}

// DateOnly reports whether a DateTime column holds a date without time
// (DateTimeBehavior DateOnly): the Web API carries it as Edm.Date,
// "yyyy-MM-dd". Other DateTime columns carry a UTC Edm.DateTimeOffset.
func (c *Column) DateOnly() bool { return c.Type == DateTime && c.Behavior == "DateOnly" }

// Option returns the option of a value.
func (c *Column) Option(value int) (Option, bool) {
	for _, o := range c.Options {
		if o.Value == value {
			return o, true
		}
	}
	return Option{}, false
}

// Label returns the label of a choice value, or of a Boolean (pass 1 for
// true, 0 for false).
func (c *Column) Label(value int) (string, bool) {
	if c.Type == Boolean {
		l := c.FalseLabel
		if value != 0 {
			l = c.TrueLabel
		}
		return l, l != ""
	}
	o, ok := c.Option(value)
	return o.Label, ok
}

// EdmType returns the OData type of the column's Web API property:
// Edm.String, Edm.Int32, Edm.Int64, Edm.Decimal, Edm.Double, Edm.Boolean,
// Edm.DateTimeOffset, Edm.Date (date-only), Edm.Guid (also for lookup
// properties), Edm.Binary (Image) or mscrm.BooleanManagedProperty.
func (c *Column) EdmType() string {
	switch c.Type {
	case String, Memo, EntityName, MultiSelect:
		return "Edm.String"
	case Integer, Picklist, State, Status:
		return "Edm.Int32"
	case BigInt:
		return "Edm.Int64"
	case Decimal, Money:
		return "Edm.Decimal"
	case Double:
		return "Edm.Double"
	case Boolean:
		return "Edm.Boolean"
	case DateTime:
		if c.DateOnly() {
			return "Edm.Date"
		}
		return "Edm.DateTimeOffset"
	case Uniqueidentifier, Lookup, Customer, Owner:
		return "Edm.Guid"
	case Image:
		return "Edm.Binary"
	case ManagedProperty:
		return "mscrm.BooleanManagedProperty"
	}
	return "Edm.String"
}

// Column returns a column by logical name, Web API properties or not.
func (t *Table) Column(logicalName string) (*Column, bool) {
	c, ok := t.columns[logicalName]
	return c, ok
}

// Columns returns every column, sorted by logical name.
func (t *Table) Columns() []*Column {
	out := slices.Collect(maps.Values(t.columns))
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalName < out[j].LogicalName })
	return out
}

// ColumnByLookupProperty returns the lookup column of a lookup property
// ("_parentaccountid_value").
func (t *Table) ColumnByLookupProperty(property string) (*Column, bool) {
	c, ok := t.props[property]
	return c, ok
}

// Navigation returns a single-valued navigation property by its exact,
// case-sensitive name.
func (t *Table) Navigation(name string) (*Navigation, bool) {
	n, ok := t.single[name]
	return n, ok
}

// Navigations returns the single-valued navigation properties, sorted by
// name.
func (t *Table) Navigations() []*Navigation {
	out := slices.Collect(maps.Values(t.single))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CollectionNavigation returns a collection-valued navigation property by
// its exact name.
func (t *Table) CollectionNavigation(name string) (*CollectionNavigation, bool) {
	n, ok := t.collection[name]
	return n, ok
}

// CollectionNavigations returns the collection-valued navigation
// properties, sorted by name.
func (t *Table) CollectionNavigations() []*CollectionNavigation {
	out := slices.Collect(maps.Values(t.collection))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ManyToMany returns the intersect entity of a many-to-many navigation
// property.
func (t *Table) ManyToMany(name string) (string, bool) {
	e, ok := t.manyToMany[name]
	return e, ok
}

// systemColumnNames are the columns the platform fills on every record of a
// table that declares them: ownership, audit, version and state.
var systemColumnNames = []string{
	"createdon", "createdby", "createdonbehalfby",
	"modifiedon", "modifiedby", "modifiedonbehalfby",
	"ownerid", "owninguser", "owningteam", "owningbusinessunit",
	"versionnumber", "statecode", "statuscode",
	"overriddencreatedon", "importsequencenumber",
	"timezoneruleversionnumber", "utcconversiontimezonecode",
}

// SystemColumns returns the system columns of the table that a record read
// without $select carries (as null when unset): the audit columns
// (createdon, createdby, modifiedon, modifiedby and their onbehalfby),
// ownership (ownerid, owninguser, owningteam, owningbusinessunit),
// versionnumber, statecode and statuscode, overriddencreatedon,
// importsequencenumber and the time zone columns — those of them the table
// declares, in that order. Use Column.Property for the JSON name
// (_ownerid_value for ownerid).
func (t *Table) SystemColumns() []*Column {
	var out []*Column
	for _, n := range systemColumnNames {
		if c, ok := t.columns[n]; ok && c.WebAPI && c.Read {
			out = append(out, c)
		}
	}
	return out
}

// ReadableColumns returns the columns a record read without $select
// carries: every Web API column valid for read, sorted by logical name.
func (t *Table) ReadableColumns() []*Column {
	var out []*Column
	for _, c := range t.Columns() {
		if c.WebAPI && c.Read {
			out = append(out, c)
		}
	}
	return out
}

func (t *Table) addColumn(c *Column) {
	t.columns[c.LogicalName] = c
	if c.Type.IsLookup() && c.WebAPI {
		t.props[c.LookupProperty] = c
	}
}

func (t *Table) clone() *Table {
	n := *t
	n.AlternateKeys = slices.Clone(t.AlternateKeys)
	n.StateStatus = maps.Clone(t.StateStatus)
	n.columns = maps.Clone(t.columns)
	n.props = maps.Clone(t.props)
	n.single = maps.Clone(t.single)
	n.collection = maps.Clone(t.collection)
	n.manyToMany = maps.Clone(t.manyToMany)
	return &n
}
