package schema

import (
	"fmt"
	"github.com/b2bflow/d365/dualwrite/internal/jsonnum"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// FieldType is the OData type of a Finance and Operations field:
// "Edm.String", "Edm.Int32", "Edm.Int64", "Edm.Decimal",
// "Edm.DateTimeOffset", or "enum" (see Field.Enum).
type FieldType string

// The field types of the embedded entities.
const (
	EdmString         FieldType = "Edm.String"
	EdmInt32          FieldType = "Edm.Int32"
	EdmInt64          FieldType = "Edm.Int64"
	EdmDecimal        FieldType = "Edm.Decimal"
	EdmDateTimeOffset FieldType = "Edm.DateTimeOffset"
	EnumField         FieldType = "enum"
)

// EnumNamespace is the namespace of Finance and Operations enum types, as
// written in $filter literals (Microsoft.Dynamics.DataEntities.NoYes'Yes').
const EnumNamespace = "Microsoft.Dynamics.DataEntities"

// Entity is a Finance and Operations data entity.
type Entity struct {
	// Name is the public collection name ("Prospects"); case-sensitive.
	Name string
	// TypeName is the entity type's name in the
	// Microsoft.Dynamics.DataEntities namespace. The embedded sources do
	// not give it; it is the public entity name (the collection name in the
	// singular), which is inferred.
	TypeName string
	// Keys are the key fields, dataAreaId first for company-specific
	// entities. Every one must be named to address a record.
	Keys []string
	// CompanySpecific is true when dataAreaId is part of the key.
	CompanySpecific bool
	// FieldsComplete is true when Fields lists every field of the entity.
	FieldsComplete bool
	// Navigation maps single-valued navigation properties to the target
	// entity sets, and Collections the collection-valued ones (only those
	// transcribed).
	Navigation, Collections map[string]string
	Notes                   []string

	fields map[string]*Field
}

// entityTypeNames are the inferred entity type names (see Entity.TypeName).
var entityTypeNames = map[string]string{
	"Prospects":                      "Prospect",
	"CustomersV3":                    "CustomerV3",
	"CustomerHiearchies":             "CustomerHiearchy",
	"CustomerHierarchyNodes":         "CustomerHierarchyNode",
	"DualWriteProjectConfigurations": "DualWriteProjectConfiguration",
}

// Field is a field of a Finance and Operations entity.
type Field struct {
	// Name is the field's exact name ("PrimaryURL").
	Name string
	Type FieldType
	// Enum is the enum type of an enum field ("NoYes").
	Enum string
	// Nullable is false for fields F&O always returns (numbers as 0, dates
	// as 1900-01-01T00:00:00Z, enums as their first member).
	Nullable bool
}

// Enum is a Finance and Operations enum type. F&O sends and accepts its
// values by member name.
type Enum struct {
	Name    string
	Members []EnumMember
	// Source tells where the members come from; Inferred is true when some
	// of them (or their values) are not documented.
	Source   string
	Inferred bool
}

// EnumMember is one member of an enum type.
type EnumMember struct {
	Name string
	// Value is the member's integer; Known is false when no source gives it.
	Value int
	Known bool
}

// Member returns the member of a name. The match is exact, as F&O's is.
func (e *Enum) Member(name string) (EnumMember, bool) {
	for _, m := range e.Members {
		if m.Name == name {
			return m, true
		}
	}
	return EnumMember{}, false
}

// Names returns the member names in value order.
func (e *Enum) Names() []string {
	out := make([]string, len(e.Members))
	for i, m := range e.Members {
		out[i] = m.Name
	}
	return out
}

// Field returns a field by its exact name.
func (e *Entity) Field(name string) (*Field, bool) {
	f, ok := e.fields[name]
	return f, ok
}

// Fields returns every field, sorted by name.
func (e *Entity) Fields() []*Field {
	out := slices.Collect(maps.Values(e.fields))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// qualified returns the entity type's full name.
func (e *Entity) qualified() string { return EnumNamespace + "." + e.TypeName }

// CheckField refuses a name that is no field of the entity, with the
// message ODataLib gives for an unknown property on a closed type (F&O's
// OData stack is ODataLib; the message is not in F&O's documentation).
func (e *Entity) CheckField(name string) (*Field, error) {
	if f, ok := e.fields[name]; ok {
		return f, nil
	}
	if e.Navigation[name] != "" || e.Collections[name] != "" {
		return nil, &Error{Status: 400, Property: name,
			Message: fmt.Sprintf("The property '%s' of type '%s' is a navigation property, not a field.", name, e.qualified())}
	}
	return nil, &Error{Status: 400, Property: name,
		Message: fmt.Sprintf("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type.", name, e.qualified())}
}

// CheckKey checks the key of a record address: every key field named once
// (dataAreaId included for a company-specific entity; F&O fills no default)
// and nothing else. The message for a wrong count is ODataLib's (not in
// F&O's documentation).
func (e *Entity) CheckKey(parts map[string]string) error {
	var missing, extra []string
	for _, k := range e.Keys {
		if _, ok := parts[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range parts {
		if !slices.Contains(e.Keys, k) {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	msg := fmt.Sprintf("The number of keys specified in the URI does not match number of key properties for the resource '%s'.", e.qualified())
	if len(missing) > 0 {
		msg += " Missing: " + strings.Join(missing, ", ") + "."
	}
	if len(extra) > 0 {
		msg += " Not key properties: " + strings.Join(extra, ", ") + "."
	}
	return &Error{Status: 400, Message: msg}
}

// CheckValue checks a body value (as encoding/json decodes it) against a
// field of the entity: a string for Edm.String, a whole number for
// Edm.Int32 and Edm.Int64, a number for Edm.Decimal, an ISO 8601 date-time
// for Edm.DateTimeOffset, and for an enum a member name of its enum type
// (case-sensitive; F&O also accepts the member's integer). Null is
// refused for a non-nullable field. The message is ODataLib's conversion
// error (not in F&O's documentation).
func (e *Entity) CheckValue(s *Schema, name string, v any) error {
	f, err := e.CheckField(name)
	if err != nil {
		return err
	}
	typ := string(f.Type)
	if f.Type == EnumField {
		typ = EnumNamespace + "." + f.Enum
	}
	bad := &Error{Status: 400, Property: name,
		Message: fmt.Sprintf("Cannot convert a primitive value to the expected type '%s'. See the inner exception for more details. (property '%s' of '%s')", typ, name, e.qualified())}
	if v == nil {
		if f.Nullable {
			return nil
		}
		bad.Message = fmt.Sprintf("A null value was found for the property named '%s', which has the expected type '%s[Nullable=False]'. The expected type '%s[Nullable=False]' does not allow null values.", name, typ, typ)
		return bad
	}
	switch f.Type {
	case EdmString:
		if _, ok := v.(string); !ok {
			return bad
		}
	case EdmInt32, EdmInt64:
		if _, ok := wholeNumber(numericString(v)); !ok {
			return bad
		}
	case EdmDecimal:
		if _, ok := jsonnum.Float(numericString(v)); !ok {
			return bad
		}
	case EdmDateTimeOffset:
		str, ok := v.(string)
		if !ok {
			return bad
		}
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			return bad
		}
	case EnumField:
		en, ok := s.enums[f.Enum]
		if !ok || len(en.Members) == 0 {
			return nil // members unknown: nothing to check
		}
		switch x := v.(type) {
		case string:
			if _, ok := en.Member(x); ok {
				return nil
			}
		default:
			if n, ok := wholeNumber(x); ok {
				for _, m := range en.Members {
					if m.Known && int64(m.Value) == n {
						return nil
					}
				}
			}
		}
		bad.Message = fmt.Sprintf("The value '%v' is not a member of the enum type '%s' (members: %s); property '%s' of '%s'.", v, typ, strings.Join(en.Names(), ", "), name, e.qualified())
		return bad
	}
	return nil
}

// DualWriteMap is a dual-write map exactly as Microsoft documents it.
type DualWriteMap struct {
	Name                 string
	FinOpsEntity         string
	DataverseTable       string
	DataverseEntitySet   string
	SourceFilter         string
	ReversedSourceFilter string
	Source               string
	Notes                []string
	Lines                []MapLine
}

// MapLine is one line of a documented map.
type MapLine struct {
	// FinOps is the exact Finance and Operations field; empty for a
	// constant written to Dataverse (">>").
	FinOps string
	// Map is the direction code: "=" both ways, "><" both ways with a
	// value map, ">" to Dataverse, "<" to F&O, ">>" a constant to
	// Dataverse, "<<" a constant to F&O.
	Map string
	// Dataverse is the column, dotted for a lookup
	// ("msdyn_partyid.msdyn_partynumber"); empty for a constant written to
	// F&O ("<<").
	Dataverse string
	// Default is the constant of a ">>" or "<<" line, as printed.
	Default string
	// Values is the value map where the page prints one (F&O member name to
	// Dataverse value).
	Values map[string]any
}
