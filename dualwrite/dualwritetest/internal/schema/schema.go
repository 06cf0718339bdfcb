// Package schema is the documented shape of the two services the emulator
// stands in for: the Dataverse tables (columns with their types, lengths,
// create/update/read validity, choices, state/status pairs, lookups with
// their navigation properties, alternate keys) and the Finance and
// Operations data entities of Commerce headquarters (key fields, field
// types, enum types), together with the dual-write maps exactly as Microsoft
// documents them.
//
// The data is embedded from dataverse.json and finops.json, copied from the
// project's shared/reference/schema (see README.md and SOURCES.md in this
// directory for the provenance of every table and entity). Load parses it
// into a [Schema]; [Schema.Extend] adds the custom tables, columns and keys
// a real organization has; the Check methods return [*Error] values that
// carry Dataverse's documented error codes and messages; [Schema.CSDL] and
// [Schema.EntityDefinitions] describe the schema the way the service's
// $metadata and EntityDefinitions do.
//
// Names are case-sensitive, as in the services: entity set names
// ("accounts", not "Accounts"), column logical names (lower case), navigation
// property names ("customerid_account", "msdyn_PredictiveScoreId") and Finance
// and Operations field names ("PrimaryURL", "dataAreaId").
//
// The package imports neither the sales nor the commerce package.
package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"sync"
)

//go:embed dataverse.json finops.json
var files embed.FS

// Schema is the set of Dataverse tables and Finance and Operations entities
// the emulator knows. A Schema from Load is the caller's own: Extend changes
// it in place and nothing else shares it. A Schema is safe for concurrent
// reads once no Extend runs.
type Schema struct {
	tables   map[string]*Table // by logical name
	sets     map[string]*Table // by entity set name
	entities map[string]*Entity
	enums    map[string]*Enum
	maps     []DualWriteMap
}

// Load returns a new Schema holding the embedded tables and entities. The
// embedded JSON is parsed once per process; each call builds fresh values,
// so that extending one Schema never changes another.
func Load() (*Schema, error) {
	r, err := loadRaw()
	if err != nil {
		return nil, err
	}
	return build(r)
}

// MustLoad is Load for callers that treat a broken embedded schema as a
// programming error (it is covered by this package's tests).
func MustLoad() *Schema {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Table returns the table of a logical name ("lead").
func (s *Schema) Table(logicalName string) (*Table, bool) {
	t, ok := s.tables[logicalName]
	return t, ok
}

// TableBySet returns the table of an entity set name ("leads"). The match
// is case-sensitive, as Dataverse's is: "Leads" is no table.
func (s *Schema) TableBySet(entitySet string) (*Table, bool) {
	t, ok := s.sets[entitySet]
	return t, ok
}

// ResolveSet is TableBySet for a handler: a name that is no entity set is
// the 404 Dataverse answers, "Resource not found for the segment 'x'."
// (code 0x8006088a).
func (s *Schema) ResolveSet(entitySet string) (*Table, error) {
	if t, ok := s.sets[entitySet]; ok {
		return t, nil
	}
	return nil, errResourceNotFound(entitySet)
}

// Tables returns every table, sorted by logical name.
func (s *Schema) Tables() []*Table {
	out := slices.Collect(maps.Values(s.tables))
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalName < out[j].LogicalName })
	return out
}

// Entity returns the Finance and Operations entity of a public collection
// name ("Prospects", "CustomerHiearchies"). The match is case-sensitive.
func (s *Schema) Entity(entitySet string) (*Entity, bool) {
	e, ok := s.entities[entitySet]
	return e, ok
}

// Entities returns every Finance and Operations entity, sorted by name.
func (s *Schema) Entities() []*Entity {
	out := slices.Collect(maps.Values(s.entities))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Enum returns a Finance and Operations enum type ("NoYes").
func (s *Schema) Enum(name string) (*Enum, bool) {
	e, ok := s.enums[name]
	return e, ok
}

// DualWriteMaps returns the dual-write maps exactly as Microsoft documents
// them (finops.json dual_write_maps), for checking the project's maps.
func (s *Schema) DualWriteMaps() []DualWriteMap { return slices.Clone(s.maps) }

// --- raw JSON -----------------------------------------------------------

type rawDataverse struct {
	Format string               `json:"format"`
	Tables map[string]*rawTable `json:"tables"`
}

type rawTable struct {
	EntitySet     string                `json:"entity_set"`
	PrimaryKey    string                `json:"primary_key"`
	PrimaryName   *string               `json:"primary_name"`
	Ownership     *string               `json:"ownership"`
	AlternateKeys []rawKey              `json:"alternate_keys"`
	StateStatus   map[string][]int      `json:"state_status"`
	Columns       map[string]*rawColumn `json:"columns"`
	Navigation    rawNavigation         `json:"navigation"`
	Inferred      []string              `json:"inferred"`
}

type rawKey struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

type rawNavigation struct {
	Single     map[string]rawSingle     `json:"single"`
	Collection map[string]rawCollection `json:"collection"`
	ManyToMany map[string]struct {
		Relationship    string `json:"relationship"`
		IntersectEntity string `json:"intersect_entity"`
	} `json:"many_to_many"`
}

type rawSingle struct {
	Column        string `json:"column"`
	Target        string `json:"target"`
	Relationship  string `json:"relationship"`
	CascadeDelete string `json:"cascade_delete"`
	Inferred      bool   `json:"inferred"`
}

type rawCollection struct {
	Target            string `json:"target"`
	ReferencingColumn string `json:"referencing_column"`
	Partner           string `json:"partner"`
}

type rawColumn struct {
	Type           string                     `json:"type"`
	Create         bool                       `json:"create"`
	Update         bool                       `json:"update"`
	Read           bool                       `json:"read"`
	Required       string                     `json:"required"`
	MaxLength      int                        `json:"max_length"`
	Min            *float64                   `json:"min"`
	Max            *float64                   `json:"max"`
	Precision      *int                       `json:"precision"`
	Format         string                     `json:"format"`
	Behavior       string                     `json:"behavior"`
	DateTimeFormat string                     `json:"datetime_format"`
	Options        map[string]json.RawMessage `json:"options"`
	Default        *bool                      `json:"default"`
	TrueLabel      string                     `json:"true_label"`
	FalseLabel     string                     `json:"false_label"`
	Targets        []string                   `json:"targets"`
	LookupProperty string                     `json:"lookup_property"`
	Navigation     map[string]string          `json:"navigation"`
	NavigationNote string                     `json:"navigation_note"`
	WebAPI         *bool                      `json:"webapi"`
	AttributeOf    string                     `json:"attribute_of"`
	Inferred       []string                   `json:"inferred"`
	Source         json.RawMessage            `json:"source"`
	Note           string                     `json:"note"`
}

type rawFinOps struct {
	Format   string                `json:"format"`
	Entities map[string]*rawEntity `json:"entities"`
	Enums    map[string]*rawEnum   `json:"enums"`
	Maps     []rawMap              `json:"dual_write_maps"`
}

type rawEntity struct {
	EntitySet       string   `json:"entity_set"`
	Keys            []string `json:"keys"`
	CompanySpecific bool     `json:"company_specific"`
	Fields          map[string]struct {
		Type     string `json:"type"`
		Enum     string `json:"enum"`
		Nullable bool   `json:"nullable"`
	} `json:"fields"`
	FieldsComplete bool            `json:"fields_complete"`
	Navigation     json.RawMessage `json:"navigation"`
	Notes          []string        `json:"notes"`
}

type rawEnum struct {
	Members  map[string]*int `json:"members"`
	Source   string          `json:"source"`
	Inferred json.RawMessage `json:"inferred"`
}

type rawMap struct {
	Name                 string   `json:"name"`
	FinOpsEntity         string   `json:"finops_entity"`
	DataverseTable       string   `json:"dataverse_table"`
	DataverseEntitySet   string   `json:"dataverse_entity_set"`
	SourceFilter         string   `json:"source_filter"`
	ReversedSourceFilter string   `json:"reversed_source_filter"`
	Source               string   `json:"source"`
	Notes                []string `json:"notes"`
	Fields               []struct {
		FinOps      *string        `json:"finops"`
		FinOpsField string         `json:"finops_field"`
		Map         string         `json:"map"`
		Dataverse   *string        `json:"dataverse"`
		Default     string         `json:"default"`
		Values      map[string]any `json:"values"`
	} `json:"fields"`
}

type raw struct {
	dv rawDataverse
	fo rawFinOps
}

var loadRaw = sync.OnceValues(func() (*raw, error) {
	r := &raw{}
	for name, v := range map[string]any{"dataverse.json": &r.dv, "finops.json": &r.fo} {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
	}
	if r.dv.Format != "dataverse-table-schema/1" || r.fo.Format != "finops-data-entity-schema/1" {
		return nil, fmt.Errorf("schema: unexpected formats %q, %q", r.dv.Format, r.fo.Format)
	}
	return r, nil
})

// --- building ------------------------------------------------------------

func build(r *raw) (*Schema, error) {
	s := &Schema{tables: map[string]*Table{}, sets: map[string]*Table{}, entities: map[string]*Entity{}, enums: map[string]*Enum{}}
	for name, rt := range r.dv.Tables {
		t, err := buildTable(name, rt)
		if err != nil {
			return nil, err
		}
		if err := s.addTable(t); err != nil {
			return nil, err
		}
	}
	for name, re := range r.fo.Entities {
		e, err := buildEntity(name, re)
		if err != nil {
			return nil, err
		}
		s.entities[name] = e
	}
	for name, re := range r.fo.Enums {
		s.enums[name] = buildEnum(name, re)
	}
	for _, rm := range r.fo.Maps {
		m := DualWriteMap{Name: rm.Name, FinOpsEntity: rm.FinOpsEntity, DataverseTable: rm.DataverseTable,
			DataverseEntitySet: rm.DataverseEntitySet, SourceFilter: rm.SourceFilter,
			ReversedSourceFilter: rm.ReversedSourceFilter, Source: rm.Source, Notes: slices.Clone(rm.Notes)}
		for _, f := range rm.Fields {
			l := MapLine{FinOps: f.FinOpsField, Map: f.Map, Default: f.Default, Values: maps.Clone(f.Values)}
			if f.Dataverse != nil {
				l.Dataverse = *f.Dataverse
			}
			m.Lines = append(m.Lines, l)
		}
		s.maps = append(s.maps, m)
	}
	return s, nil
}

func (s *Schema) addTable(t *Table) error {
	if _, dup := s.tables[t.LogicalName]; dup {
		return fmt.Errorf("schema: table %s is already defined", t.LogicalName)
	}
	if o, dup := s.sets[t.EntitySet]; dup {
		return fmt.Errorf("schema: entity set %s of table %s is already the set of %s", t.EntitySet, t.LogicalName, o.LogicalName)
	}
	s.tables[t.LogicalName] = t
	s.sets[t.EntitySet] = t
	return nil
}

func buildTable(name string, rt *rawTable) (*Table, error) {
	t := &Table{
		LogicalName: name,
		EntitySet:   rt.EntitySet,
		PrimaryKey:  rt.PrimaryKey,
		StateStatus: map[int][]int{},
		Inferred:    slices.Clone(rt.Inferred),
		columns:     map[string]*Column{},
		props:       map[string]*Column{},
		single:      map[string]*Navigation{},
		collection:  map[string]*CollectionNavigation{},
		manyToMany:  map[string]string{},
	}
	if rt.PrimaryName != nil {
		t.PrimaryName = *rt.PrimaryName
	}
	if rt.Ownership != nil {
		t.Ownership = *rt.Ownership
	}
	if t.EntitySet == "" || t.PrimaryKey == "" {
		return nil, fmt.Errorf("schema: table %s: no entity set or primary key", name)
	}
	for _, k := range rt.AlternateKeys {
		t.AlternateKeys = append(t.AlternateKeys, AlternateKey{Name: k.Name, Columns: slices.Clone(k.Columns)})
	}
	for st, statuses := range rt.StateStatus {
		n, err := strconv.Atoi(st)
		if err != nil {
			return nil, fmt.Errorf("schema: table %s: state %q: %w", name, st, err)
		}
		t.StateStatus[n] = slices.Clone(statuses)
	}
	for cn, rc := range rt.Columns {
		c, err := buildColumn(name, cn, rc)
		if err != nil {
			return nil, err
		}
		t.addColumn(c)
	}
	for nav, rs := range rt.Navigation.Single {
		t.single[nav] = &Navigation{Name: nav, Column: rs.Column, Target: rs.Target, Relationship: rs.Relationship,
			CascadeDelete: rs.CascadeDelete, Inferred: rs.Inferred}
	}
	for nav, rc := range rt.Navigation.Collection {
		t.collection[nav] = &CollectionNavigation{Name: nav, Target: rc.Target, ReferencingColumn: rc.ReferencingColumn, Partner: rc.Partner}
	}
	for nav, m := range rt.Navigation.ManyToMany {
		t.manyToMany[nav] = m.IntersectEntity
	}
	// The column-level navigation names must agree with the table's list.
	for _, c := range t.columns {
		for target, nav := range c.Navigation {
			n, ok := t.single[nav]
			if !ok {
				// A few lookups list their navigation only on the column
				// (the pattern rule); declare it on the table too.
				t.single[nav] = &Navigation{Name: nav, Column: c.LogicalName, Target: target, Inferred: true}
				continue
			}
			if n.Column != c.LogicalName {
				return nil, fmt.Errorf("schema: table %s: navigation %s is of column %s, not %s", name, nav, n.Column, c.LogicalName)
			}
		}
	}
	if _, ok := t.columns[t.PrimaryKey]; !ok {
		// The dual-write tables are known only from their maps; their
		// primary key exists all the same.
		t.addColumn(&Column{Table: name, LogicalName: t.PrimaryKey, Type: Uniqueidentifier, Create: true, Read: true,
			Required: "SystemRequired", WebAPI: true, Inferred: []string{"column"}})
	}
	return t, nil
}

func buildColumn(table, name string, rc *rawColumn) (*Column, error) {
	c := &Column{
		Table:          table,
		LogicalName:    name,
		Type:           Type(rc.Type),
		Create:         rc.Create,
		Update:         rc.Update,
		Read:           rc.Read,
		Required:       rc.Required,
		MaxLength:      rc.MaxLength,
		Min:            rc.Min,
		Max:            rc.Max,
		Format:         rc.Format,
		DateTimeFormat: rc.DateTimeFormat,
		Behavior:       rc.Behavior,
		DefaultBool:    rc.Default,
		TrueLabel:      rc.TrueLabel,
		FalseLabel:     rc.FalseLabel,
		Targets:        slices.Clone(rc.Targets),
		LookupProperty: rc.LookupProperty,
		Navigation:     maps.Clone(rc.Navigation),
		NavigationNote: rc.NavigationNote,
		WebAPI:         rc.WebAPI == nil || *rc.WebAPI,
		AttributeOf:    rc.AttributeOf,
		Inferred:       slices.Clone(rc.Inferred),
		Note:           rc.Note,
	}
	if rc.Precision != nil {
		c.Precision = *rc.Precision
	}
	if !c.Type.known() {
		return nil, fmt.Errorf("schema: column %s.%s: unknown type %q", table, name, rc.Type)
	}
	if c.Type.IsLookup() && c.LookupProperty == "" {
		c.LookupProperty = "_" + name + "_value"
	}
	for v, m := range rc.Options {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("schema: column %s.%s: option %q: %w", table, name, v, err)
		}
		o := Option{Value: n}
		switch c.Type {
		case State:
			var x struct {
				Label         string `json:"label"`
				DefaultStatus int    `json:"default_status"`
			}
			if err := json.Unmarshal(m, &x); err != nil {
				return nil, fmt.Errorf("schema: column %s.%s: option %s: %w", table, name, v, err)
			}
			o.Label, o.DefaultStatus = x.Label, x.DefaultStatus
		case Status:
			var x struct {
				Label string `json:"label"`
				State int    `json:"state"`
			}
			if err := json.Unmarshal(m, &x); err != nil {
				return nil, fmt.Errorf("schema: column %s.%s: option %s: %w", table, name, v, err)
			}
			o.Label, o.State = x.Label, x.State
		default:
			if err := json.Unmarshal(m, &o.Label); err != nil {
				return nil, fmt.Errorf("schema: column %s.%s: option %s: %w", table, name, v, err)
			}
		}
		c.Options = append(c.Options, o)
	}
	sort.Slice(c.Options, func(i, j int) bool { return c.Options[i].Value < c.Options[j].Value })
	switch src := rc.Source; {
	case len(src) == 0:
	case src[0] == '"':
		var one string
		_ = json.Unmarshal(src, &one)
		c.Sources = []string{one}
	default:
		_ = json.Unmarshal(src, &c.Sources)
	}
	return c, nil
}

func buildEntity(name string, re *rawEntity) (*Entity, error) {
	e := &Entity{
		Name:            name,
		TypeName:        entityTypeNames[name],
		Keys:            slices.Clone(re.Keys),
		CompanySpecific: re.CompanySpecific,
		FieldsComplete:  re.FieldsComplete,
		Notes:           slices.Clone(re.Notes),
		fields:          map[string]*Field{},
		Navigation:      map[string]string{},
		Collections:     map[string]string{},
	}
	if e.TypeName == "" {
		e.TypeName = name
	}
	for fn, rf := range re.Fields {
		e.fields[fn] = &Field{Name: fn, Type: FieldType(rf.Type), Enum: rf.Enum, Nullable: rf.Nullable}
	}
	for _, k := range e.Keys {
		if _, ok := e.fields[k]; !ok {
			return nil, fmt.Errorf("schema: entity %s: key field %s is not a field", name, k)
		}
	}
	if len(re.Navigation) > 0 {
		var nav struct {
			Single     map[string]string `json:"single"`
			Collection map[string]string `json:"collection"`
		}
		if err := json.Unmarshal(re.Navigation, &nav); err != nil {
			return nil, fmt.Errorf("schema: entity %s: navigation: %w", name, err)
		}
		maps.Copy(e.Navigation, nav.Single)
		maps.Copy(e.Collections, nav.Collection)
	}
	return e, nil
}

func buildEnum(name string, re *rawEnum) *Enum {
	e := &Enum{Name: name, Source: re.Source, Inferred: len(re.Inferred) > 0 && string(re.Inferred) != "false"}
	for m, v := range re.Members {
		mem := EnumMember{Name: m}
		if v != nil {
			mem.Value, mem.Known = *v, true
		}
		e.Members = append(e.Members, mem)
	}
	sort.Slice(e.Members, func(i, j int) bool {
		a, b := e.Members[i], e.Members[j]
		if a.Known != b.Known {
			return a.Known
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Name < b.Name
	})
	return e
}
