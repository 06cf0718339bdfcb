package schema

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Extension describes what an organization adds to the tables out of the
// box: custom tables, custom columns (on any table) and alternate keys.
// Real organizations always have some; tests declare theirs so that the
// emulator accepts them, and nothing else.
type Extension struct {
	Tables  []CustomTable
	Columns []CustomColumn
	Keys    []CustomKey
}

// CustomTable is a custom table. It gets the columns every user-owned table
// has (ownerid and the owning columns, createdon, createdby, modifiedon,
// modifiedby, versionnumber, statecode Active/Inactive and statuscode
// Active/Inactive), its primary key and its primary name column.
type CustomTable struct {
	// LogicalName is the table's logical name, lower case with the
	// publisher prefix ("new_project").
	LogicalName string
	// EntitySet is the Web API collection name ("new_projects").
	EntitySet string
	// PrimaryKey defaults to LogicalName + "id".
	PrimaryKey string
	// PrimaryName defaults to the prefix + "_name" ("new_name"); it is a
	// String of 100 characters.
	PrimaryName string
	// OrganizationOwned makes the table organization-owned (no ownerid).
	OrganizationOwned bool
}

// CustomColumn is a custom column of a table (a table of the schema or a
// CustomTable of the same Extension).
type CustomColumn struct {
	// Table is the table's logical name.
	Table string
	// LogicalName is the column's logical name, lower case ("new_tier").
	LogicalName string
	// Type is the column type: String, Memo, Integer, BigInt, Decimal,
	// Double, Money, Boolean, DateTime, Uniqueidentifier, Picklist,
	// MultiSelect, Lookup or Customer.
	Type Type
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
	// Target is the table a Lookup points to (required for a Lookup; a
	// Customer points to account and contact).
	Target string
	// Navigation is the single-valued navigation property of a Lookup
	// (default: LogicalName, Dataverse's default for custom lookups); the
	// Customer navigations are LogicalName + "_account" and "_contact".
	Navigation string
	// ReadOnly makes the column valid for read only (neither create nor
	// update), as calculated and rollup columns are.
	ReadOnly bool
}

// CustomKey is an alternate key on a table.
type CustomKey struct {
	Table string
	// Name is the key's schema name; defaults to the columns joined by "_".
	Name    string
	Columns []string
}

var logicalNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Extend adds the extension's tables, columns and keys to s. It checks the
// whole extension first: on error s is unchanged. A name that is already
// defined, an unknown table, target or key column, a Picklist without
// options or a name that is not a lower-case logical name is an error that
// names it.
func (s *Schema) Extend(ext Extension) error {
	n := s.clone()
	var errs []error
	for _, ct := range ext.Tables {
		if err := n.addCustomTable(ct); err != nil {
			errs = append(errs, err)
		}
	}
	for _, cc := range ext.Columns {
		if err := n.addCustomColumn(cc); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range ext.Keys {
		if err := n.addCustomKey(k); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*s = *n
	return nil
}

// clone copies the maps of tables (and the tables Extend changes), so that
// an extension never changes a Schema that shares tables with s.
func (s *Schema) clone() *Schema {
	n := &Schema{tables: map[string]*Table{}, sets: map[string]*Table{},
		entities: maps.Clone(s.entities), enums: maps.Clone(s.enums), maps: slices.Clone(s.maps)}
	for name, t := range s.tables {
		c := t.clone()
		n.tables[name] = c
		n.sets[c.EntitySet] = c
	}
	return n
}

func (s *Schema) addCustomTable(ct CustomTable) error {
	if !logicalNamePattern.MatchString(ct.LogicalName) {
		return fmt.Errorf("schema: custom table %q: the logical name must be lower case letters, digits and _", ct.LogicalName)
	}
	if ct.EntitySet == "" {
		return fmt.Errorf("schema: custom table %s: EntitySet is empty", ct.LogicalName)
	}
	if _, ok := s.tables[ct.LogicalName]; ok {
		return fmt.Errorf("schema: custom table %s: the table already exists", ct.LogicalName)
	}
	if o, ok := s.sets[ct.EntitySet]; ok {
		return fmt.Errorf("schema: custom table %s: entity set %s is already the set of %s", ct.LogicalName, ct.EntitySet, o.LogicalName)
	}
	pk := ct.PrimaryKey
	if pk == "" {
		pk = ct.LogicalName + "id"
	}
	name := ct.PrimaryName
	if name == "" {
		prefix, _, _ := strings.Cut(ct.LogicalName, "_")
		name = prefix + "_name"
	}
	t := &Table{LogicalName: ct.LogicalName, EntitySet: ct.EntitySet, PrimaryKey: pk, PrimaryName: name,
		Ownership: "UserOwned", StateStatus: map[int][]int{0: {1}, 1: {2}}, Custom: true,
		columns: map[string]*Column{}, props: map[string]*Column{}, single: map[string]*Navigation{},
		collection: map[string]*CollectionNavigation{}, manyToMany: map[string]string{}}
	if ct.OrganizationOwned {
		t.Ownership = "OrganizationOwned"
	}
	col := func(c Column) {
		c.Table, c.WebAPI, c.Read, c.Custom = t.LogicalName, true, true, true
		if c.Required == "" {
			c.Required = "None"
		}
		t.addColumn(&c)
	}
	col(Column{LogicalName: pk, Type: Uniqueidentifier, Create: true, Required: "SystemRequired"})
	col(Column{LogicalName: name, Type: String, Create: true, Update: true, MaxLength: 100, Required: "ApplicationRequired"})
	col(Column{LogicalName: "createdon", Type: DateTime, Behavior: "UserLocal", DateTimeFormat: "DateAndTime"})
	col(Column{LogicalName: "modifiedon", Type: DateTime, Behavior: "UserLocal", DateTimeFormat: "DateAndTime"})
	col(Column{LogicalName: "overriddencreatedon", Type: DateTime, Create: true, Behavior: "UserLocal", DateTimeFormat: "DateOnly"})
	col(Column{LogicalName: "versionnumber", Type: BigInt})
	col(Column{LogicalName: "importsequencenumber", Type: Integer, Create: true})
	col(Column{LogicalName: "statecode", Type: State, Update: true, Required: "SystemRequired",
		Options: []Option{{Value: 0, Label: "Active", DefaultStatus: 1}, {Value: 1, Label: "Inactive", DefaultStatus: 2}}})
	col(Column{LogicalName: "statuscode", Type: Status, Create: true, Update: true,
		Options: []Option{{Value: 1, Label: "Active", State: 0}, {Value: 2, Label: "Inactive", State: 1}}})
	lookup := func(column, target string, create bool) {
		rel := "lk_" + t.LogicalName + "_" + column
		col(Column{LogicalName: column, Type: Lookup, Create: create, Update: create, Targets: []string{target},
			LookupProperty: "_" + column + "_value", Navigation: map[string]string{target: column}})
		t.single[column] = &Navigation{Name: column, Column: column, Target: target, Relationship: rel}
		s.addPartner(target, rel, t.LogicalName, column, column)
	}
	for _, c := range []string{"createdby", "modifiedby", "createdonbehalfby", "modifiedonbehalfby"} {
		lookup(c, "systemuser", false)
	}
	if !ct.OrganizationOwned {
		col(Column{LogicalName: "ownerid", Type: Owner, Create: true, Update: true, Required: "SystemRequired",
			Targets: []string{"systemuser", "team"}, LookupProperty: "_ownerid_value",
			Navigation: map[string]string{"systemuser": "ownerid", "team": "ownerid"}})
		t.single["ownerid"] = &Navigation{Name: "ownerid", Column: "ownerid", Target: "owner", Relationship: "owner_" + ct.EntitySet}
		lookup("owninguser", "systemuser", false)
		col(Column{LogicalName: "owningteam", Type: Lookup, Targets: []string{"team"}, LookupProperty: "_owningteam_value",
			Navigation: map[string]string{"team": "owningteam"}})
		t.single["owningteam"] = &Navigation{Name: "owningteam", Column: "owningteam", Target: "team"}
		col(Column{LogicalName: "owningbusinessunit", Type: Lookup, Targets: []string{"businessunit"}, LookupProperty: "_owningbusinessunit_value",
			Navigation: map[string]string{"businessunit": "owningbusinessunit"}})
		t.single["owningbusinessunit"] = &Navigation{Name: "owningbusinessunit", Column: "owningbusinessunit", Target: "businessunit"}
	}
	return s.addTable(t)
}

// addPartner declares, on the target table when it is in the schema, the
// collection-valued navigation property of a new lookup.
func (s *Schema) addPartner(target, rel, referencing, column, partner string) {
	tt, ok := s.tables[target]
	if !ok {
		return
	}
	tt.collection[rel] = &CollectionNavigation{Name: rel, Target: referencing, ReferencingColumn: column, Partner: partner}
}

func (s *Schema) addCustomColumn(cc CustomColumn) error {
	t, ok := s.tables[cc.Table]
	if !ok {
		return fmt.Errorf("schema: custom column %q: no table %q", cc.LogicalName, cc.Table)
	}
	where := fmt.Sprintf("schema: custom column %s.%s", cc.Table, cc.LogicalName)
	if !logicalNamePattern.MatchString(cc.LogicalName) {
		return fmt.Errorf("%s: the logical name must be lower case letters, digits and _", where)
	}
	if _, ok := t.columns[cc.LogicalName]; ok {
		return fmt.Errorf("%s: the column already exists", where)
	}
	if _, ok := t.single[cc.LogicalName]; ok {
		return fmt.Errorf("%s: the name is a navigation property", where)
	}
	c := &Column{Table: t.LogicalName, LogicalName: cc.LogicalName, Type: cc.Type, Create: !cc.ReadOnly, Update: !cc.ReadOnly,
		Read: true, Required: "None", WebAPI: true, Custom: true, MaxLength: cc.MaxLength, Min: cc.Min, Max: cc.Max, Precision: cc.Precision}
	switch cc.Type {
	case String:
		if c.MaxLength == 0 {
			c.MaxLength = 100
		}
	case Memo:
		if c.MaxLength == 0 {
			c.MaxLength = 2000
		}
	case Integer, BigInt, Uniqueidentifier:
	case Decimal, Double, Money:
		if c.Precision == 0 {
			c.Precision = 2
		}
	case Boolean:
		c.TrueLabel, c.FalseLabel = cc.TrueLabel, cc.FalseLabel
		if c.TrueLabel == "" {
			c.TrueLabel = "Yes"
		}
		if c.FalseLabel == "" {
			c.FalseLabel = "No"
		}
		f := false
		c.DefaultBool = &f
	case DateTime:
		c.Behavior, c.DateTimeFormat = "UserLocal", "DateAndTime"
		if cc.DateOnly {
			c.Behavior, c.DateTimeFormat = "DateOnly", "DateOnly"
		}
	case Picklist, MultiSelect:
		if len(cc.Options) == 0 {
			return fmt.Errorf("%s: a %s needs Options", where, cc.Type)
		}
		for v, l := range cc.Options {
			c.Options = append(c.Options, Option{Value: v, Label: l})
		}
		slices.SortFunc(c.Options, func(a, b Option) int { return a.Value - b.Value })
	case Lookup:
		if _, ok := s.tables[cc.Target]; !ok {
			return fmt.Errorf("%s: the lookup's Target %q is no table", where, cc.Target)
		}
		nav := cc.Navigation
		if nav == "" {
			nav = cc.LogicalName
		}
		if _, ok := t.single[nav]; ok {
			return fmt.Errorf("%s: navigation property %s already exists", where, nav)
		}
		rel := cc.Target + "_" + t.LogicalName + "_" + cc.LogicalName
		c.Targets, c.LookupProperty, c.Navigation = []string{cc.Target}, "_"+cc.LogicalName+"_value", map[string]string{cc.Target: nav}
		t.single[nav] = &Navigation{Name: nav, Column: cc.LogicalName, Target: cc.Target, Relationship: rel, CascadeDelete: "RemoveLink"}
		s.addPartner(cc.Target, rel, t.LogicalName, cc.LogicalName, nav)
	case Customer:
		c.Targets, c.LookupProperty, c.Navigation = []string{"account", "contact"}, "_"+cc.LogicalName+"_value", map[string]string{}
		for _, target := range c.Targets {
			nav := cc.LogicalName + "_" + target
			if _, ok := t.single[nav]; ok {
				return fmt.Errorf("%s: navigation property %s already exists", where, nav)
			}
			rel := t.LogicalName + "_" + cc.LogicalName + "_" + target
			c.Navigation[target] = nav
			t.single[nav] = &Navigation{Name: nav, Column: cc.LogicalName, Target: target, Relationship: rel, CascadeDelete: "RemoveLink"}
			s.addPartner(target, rel, t.LogicalName, cc.LogicalName, nav)
		}
	default:
		return fmt.Errorf("%s: type %q cannot be a custom column", where, cc.Type)
	}
	t.addColumn(c)
	return nil
}

func (s *Schema) addCustomKey(k CustomKey) error {
	t, ok := s.tables[k.Table]
	if !ok {
		return fmt.Errorf("schema: alternate key %v: no table %q", k.Columns, k.Table)
	}
	if len(k.Columns) == 0 {
		return fmt.Errorf("schema: alternate key of %s: no columns", k.Table)
	}
	for _, c := range k.Columns {
		col, ok := t.columns[c]
		if !ok || !col.WebAPI {
			return fmt.Errorf("schema: alternate key of %s: no column %q", k.Table, c)
		}
	}
	if _, dup := t.AlternateKey(k.Columns...); dup {
		return fmt.Errorf("schema: alternate key of %s on %v already exists", k.Table, k.Columns)
	}
	name := k.Name
	if name == "" {
		name = strings.Join(k.Columns, "_")
	}
	t.AlternateKeys = append(t.AlternateKeys, AlternateKey{Name: name, Columns: slices.Clone(k.Columns)})
	return nil
}
