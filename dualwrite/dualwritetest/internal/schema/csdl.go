package schema

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// CSDL returns the $metadata document of the Dataverse tables: one
// EntityType per table (in the Microsoft.Dynamics.CRM namespace, alias
// mscrm, based on mscrm.crmbaseentity) with its key, its Web API properties
// (lookups as their _x_value Edm.Guid properties), its single-valued
// navigation properties (with Partner and ReferentialConstraint) and its
// collection-valued ones, and an EntityContainer "System" with one
// EntitySet per table and its NavigationPropertyBindings. Navigation
// properties whose target table is not in the schema (campaign, sla, team,
// the polymorphic owner...) are left out, so that every type the document
// names is defined in it.
func (s *Schema) CSDL() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">` + "\n")
	b.WriteString(`<edmx:DataServices>` + "\n")
	b.WriteString(`<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">` + "\n")
	b.WriteString(`<EntityType Name="crmbaseentity" Abstract="true"/>` + "\n")
	b.WriteString(`<ComplexType Name="BooleanManagedProperty"><Property Name="Value" Type="Edm.Boolean" Nullable="false"/><Property Name="CanBeChanged" Type="Edm.Boolean" Nullable="false"/><Property Name="ManagedPropertyLogicalName" Type="Edm.String"/></ComplexType>` + "\n")
	tables := s.Tables()
	for _, t := range tables {
		fmt.Fprintf(&b, `<EntityType Name="%s" BaseType="mscrm.crmbaseentity">`+"\n", attr(t.LogicalName))
		fmt.Fprintf(&b, `<Key><PropertyRef Name="%s"/></Key>`+"\n", attr(t.PrimaryKey))
		for _, c := range t.ReadableColumns() {
			fmt.Fprintf(&b, `<Property Name="%s" Type="%s"`, attr(c.Property()), c.EdmType())
			if c.Type == String || c.Type == Memo {
				b.WriteString(` Unicode="false"`)
			}
			b.WriteString("/>\n")
		}
		for _, n := range t.Navigations() {
			target, ok := s.tables[n.Target]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, `<NavigationProperty Name="%s" Type="mscrm.%s" Nullable="false"`, attr(n.Name), attr(target.LogicalName))
			if _, ok := target.collection[n.Relationship]; ok && n.Relationship != "" {
				fmt.Fprintf(&b, ` Partner="%s"`, attr(n.Relationship))
			}
			b.WriteString(">")
			if c, ok := t.columns[n.Column]; ok && c.WebAPI {
				fmt.Fprintf(&b, `<ReferentialConstraint Property="%s" ReferencedProperty="%s"/>`, attr(c.LookupProperty), attr(target.PrimaryKey))
			}
			b.WriteString("</NavigationProperty>\n")
		}
		for _, n := range t.CollectionNavigations() {
			target, ok := s.tables[n.Target]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, `<NavigationProperty Name="%s" Type="Collection(mscrm.%s)"`, attr(n.Name), attr(target.LogicalName))
			if _, ok := target.single[n.Partner]; ok && n.Partner != "" {
				fmt.Fprintf(&b, ` Partner="%s"`, attr(n.Partner))
			}
			b.WriteString("/>\n")
		}
		b.WriteString("</EntityType>\n")
	}
	b.WriteString(`<EntityContainer Name="System">` + "\n")
	for _, t := range tables {
		fmt.Fprintf(&b, `<EntitySet Name="%s" EntityType="Microsoft.Dynamics.CRM.%s">`, attr(t.EntitySet), attr(t.LogicalName))
		for _, n := range t.Navigations() {
			if target, ok := s.tables[n.Target]; ok {
				fmt.Fprintf(&b, `<NavigationPropertyBinding Path="%s" Target="%s"/>`, attr(n.Name), attr(target.EntitySet))
			}
		}
		for _, n := range t.CollectionNavigations() {
			if target, ok := s.tables[n.Target]; ok {
				fmt.Fprintf(&b, `<NavigationPropertyBinding Path="%s" Target="%s"/>`, attr(n.Name), attr(target.EntitySet))
			}
		}
		b.WriteString("</EntitySet>\n")
	}
	b.WriteString("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	return b.Bytes()
}

// FinOpsCSDL returns the $metadata document of the Finance and Operations
// entities: one EntityType per entity (namespace
// Microsoft.Dynamics.DataEntities) with its key fields and fields, the
// EnumTypes with their known members, and the container's EntitySets.
func (s *Schema) FinOpsCSDL() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">` + "\n<edmx:DataServices>\n")
	fmt.Fprintf(&b, `<Schema Namespace="%s" xmlns="http://docs.oasis-open.org/odata/ns/edm">`+"\n", EnumNamespace)
	for _, name := range sortedKeys(s.enums) {
		e := s.enums[name]
		fmt.Fprintf(&b, `<EnumType Name="%s">`, attr(name))
		for _, m := range e.Members {
			if m.Known {
				fmt.Fprintf(&b, `<Member Name="%s" Value="%d"/>`, attr(m.Name), m.Value)
			}
		}
		b.WriteString("</EnumType>\n")
	}
	ents := s.Entities()
	for _, e := range ents {
		fmt.Fprintf(&b, `<EntityType Name="%s"><Key>`, attr(e.TypeName))
		for _, k := range e.Keys {
			fmt.Fprintf(&b, `<PropertyRef Name="%s"/>`, attr(k))
		}
		b.WriteString("</Key>\n")
		for _, f := range e.Fields() {
			typ := string(f.Type)
			if f.Type == EnumField {
				typ = EnumNamespace + "." + f.Enum
			}
			fmt.Fprintf(&b, `<Property Name="%s" Type="%s" Nullable="%t"/>`+"\n", attr(f.Name), attr(typ), f.Nullable)
		}
		b.WriteString("</EntityType>\n")
	}
	b.WriteString(`<EntityContainer Name="Resources">` + "\n")
	for _, e := range ents {
		fmt.Fprintf(&b, `<EntitySet Name="%s" EntityType="%s.%s"/>`+"\n", attr(e.Name), EnumNamespace, attr(e.TypeName))
	}
	b.WriteString("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	return b.Bytes()
}

func attr(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// metadataID is a stable MetadataId for a name (a name-based UUID), so
// that EntityDefinitions answers the same ids on every run.
func metadataID(kind, name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("d365-dualwritetest:"+kind+":"+name)).String()
}

// EntityDefinitions returns the body of GET EntityDefinitions: every table
// as an EntityMetadata (MetadataId, LogicalName, EntitySetName,
// LogicalCollectionName, PrimaryIdAttribute, PrimaryNameAttribute,
// OwnershipType, IsCustomEntity), without attributes. base is the service
// root ("https://org.crm.dynamics.com/api/data/v9.2/") for @odata.context.
func (s *Schema) EntityDefinitions(base string) []byte {
	var list []map[string]any
	for _, t := range s.Tables() {
		list = append(list, entityMetadata(t))
	}
	return mustJSON(map[string]any{"@odata.context": base + "$metadata#EntityDefinitions", "value": list})
}

// EntityDefinition returns the body of
// GET EntityDefinitions(LogicalName='x')?$expand=Attributes: the table's
// EntityMetadata with its Attributes (LogicalName, AttributeType,
// AttributeTypeName, IsValidForCreate/Update/Read, RequiredLevel,
// MaxLength, Targets, DateTimeBehavior, and the OptionSet of Picklist,
// State, Status and MultiSelect columns, the TrueOption/FalseOption of
// Boolean ones, with their labels in LocalizedLabels/UserLocalizedLabel,
// language 1033). An unknown table is a 404 0x8006088a.
func (s *Schema) EntityDefinition(base, logicalName string) ([]byte, error) {
	t, ok := s.tables[logicalName]
	if !ok {
		return nil, &Error{Status: 404, Code: CodeResourceNotFound, Property: logicalName,
			Message: fmt.Sprintf("Could not find entity with logical name '%s'.", logicalName)}
	}
	m := entityMetadata(t)
	m["@odata.context"] = base + "$metadata#EntityDefinitions(Attributes())/$entity"
	var attrs []map[string]any
	for _, c := range t.Columns() {
		attrs = append(attrs, attributeMetadata(t, c))
	}
	m["Attributes"] = attrs
	return mustJSON(m), nil
}

func entityMetadata(t *Table) map[string]any {
	own := t.Ownership
	if own == "" {
		own = "UserOwned"
	}
	return map[string]any{
		"MetadataId":            metadataID("entity", t.LogicalName),
		"LogicalName":           t.LogicalName,
		"SchemaName":            t.LogicalName,
		"EntitySetName":         t.EntitySet,
		"LogicalCollectionName": t.EntitySet,
		"PrimaryIdAttribute":    t.PrimaryKey,
		"PrimaryNameAttribute":  nullable(t.PrimaryName),
		"OwnershipType":         own,
		"IsCustomEntity":        t.Custom,
		"DisplayName":           label(t.LogicalName),
	}
}

func attributeMetadata(t *Table, c *Column) map[string]any {
	kind, odataType := attributeKind(c)
	a := map[string]any{
		"@odata.type":       "#Microsoft.Dynamics.CRM." + odataType,
		"MetadataId":        metadataID("attribute", t.LogicalName+"."+c.LogicalName),
		"LogicalName":       c.LogicalName,
		"SchemaName":        c.LogicalName,
		"EntityLogicalName": t.LogicalName,
		"AttributeType":     attributeTypeCode(c.Type),
		"AttributeTypeName": map[string]any{"Value": kind},
		"AttributeOf":       nullable(c.AttributeOf),
		"IsValidForCreate":  c.Create,
		"IsValidForUpdate":  c.Update,
		"IsValidForRead":    c.Read,
		"IsCustomAttribute": c.Custom,
		"IsPrimaryId":       c.LogicalName == t.PrimaryKey,
		"IsPrimaryName":     c.LogicalName == t.PrimaryName,
		"RequiredLevel":     map[string]any{"Value": nonEmpty(c.Required, "None"), "CanBeChanged": true, "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings"},
	}
	if c.MaxLength > 0 {
		a["MaxLength"] = c.MaxLength
	}
	if c.Format != "" {
		a["Format"] = c.Format
	}
	if c.Min != nil {
		a["MinValue"] = *c.Min
	}
	if c.Max != nil {
		a["MaxValue"] = *c.Max
	}
	if c.Type.IsLookup() {
		a["Targets"] = c.Targets
	}
	if c.Type == DateTime {
		a["DateTimeBehavior"] = map[string]any{"Value": nonEmpty(c.Behavior, "UserLocal")}
		a["Format"] = nonEmpty(c.DateTimeFormat, "DateAndTime")
	}
	switch c.Type {
	case Picklist, State, Status, MultiSelect:
		var opts []map[string]any
		for _, o := range c.Options {
			om := map[string]any{"Value": o.Value, "Label": label(o.Label)}
			switch c.Type {
			case State:
				om["DefaultStatus"] = o.DefaultStatus
				om["@odata.type"] = "#Microsoft.Dynamics.CRM.StateOptionMetadata"
			case Status:
				om["State"] = o.State
				om["@odata.type"] = "#Microsoft.Dynamics.CRM.StatusOptionMetadata"
			}
			opts = append(opts, om)
		}
		a["OptionSet"] = map[string]any{
			"MetadataId":    metadataID("optionset", t.LogicalName+"."+c.LogicalName),
			"Name":          t.LogicalName + "_" + c.LogicalName,
			"IsGlobal":      false,
			"OptionSetType": optionSetType(c.Type),
			"Options":       opts,
		}
	case Boolean:
		a["OptionSet"] = map[string]any{
			"MetadataId":    metadataID("optionset", t.LogicalName+"."+c.LogicalName),
			"Name":          t.LogicalName + "_" + c.LogicalName,
			"OptionSetType": "Boolean",
			"TrueOption":    map[string]any{"Value": 1, "Label": label(c.TrueLabel)},
			"FalseOption":   map[string]any{"Value": 0, "Label": label(c.FalseLabel)},
		}
		if c.DefaultBool != nil {
			a["DefaultValue"] = *c.DefaultBool
		}
	}
	return a
}

// attributeKind returns the AttributeTypeName value and the metadata type.
func attributeKind(c *Column) (string, string) {
	switch c.Type {
	case String:
		return "StringType", "StringAttributeMetadata"
	case Memo:
		return "MemoType", "MemoAttributeMetadata"
	case Integer:
		return "IntegerType", "IntegerAttributeMetadata"
	case BigInt:
		return "BigIntType", "BigIntAttributeMetadata"
	case Decimal:
		return "DecimalType", "DecimalAttributeMetadata"
	case Double:
		return "DoubleType", "DoubleAttributeMetadata"
	case Money:
		return "MoneyType", "MoneyAttributeMetadata"
	case Boolean:
		return "BooleanType", "BooleanAttributeMetadata"
	case DateTime:
		return "DateTimeType", "DateTimeAttributeMetadata"
	case Uniqueidentifier:
		return "UniqueidentifierType", "UniqueIdentifierAttributeMetadata"
	case Lookup, Customer, Owner:
		return string(c.Type) + "Type", "LookupAttributeMetadata"
	case Picklist:
		return "PicklistType", "PicklistAttributeMetadata"
	case State:
		return "StateType", "StateAttributeMetadata"
	case Status:
		return "StatusType", "StatusAttributeMetadata"
	case MultiSelect:
		return "MultiSelectPicklistType", "MultiSelectPicklistAttributeMetadata"
	case EntityName:
		return "EntityNameType", "EntityNameAttributeMetadata"
	case Image:
		return "ImageType", "ImageAttributeMetadata"
	case ManagedProperty:
		return "ManagedPropertyType", "ManagedPropertyAttributeMetadata"
	case PartyList:
		return "PartyListType", "LookupAttributeMetadata"
	}
	return "StringType", "AttributeMetadata"
}

// attributeTypeCode returns the AttributeType value (AttributeTypeCode);
// MultiSelectPicklist and Image are Virtual there.
func attributeTypeCode(t Type) string {
	switch t {
	case MultiSelect, Image:
		return "Virtual"
	}
	return string(t)
}

func optionSetType(t Type) string {
	switch t {
	case State:
		return "State"
	case Status:
		return "Status"
	}
	return "Picklist"
}

func label(s string) map[string]any {
	l := map[string]any{"Label": s, "LanguageCode": 1033, "IsManaged": true, "MetadataId": metadataID("label", s), "HasChanged": nil}
	return map[string]any{"LocalizedLabels": []any{l}, "UserLocalizedLabel": l}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings, numbers and bools always marshal
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
