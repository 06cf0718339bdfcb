package commerce

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
)

// finopsSchema is the documented Finance and Operations schema the emulator
// embeds (see dualwrite/dualwritetest/internal/schema/README.md).
const finopsSchema = "../dualwrite/dualwritetest/internal/schema/finops.json"

type foSchema struct {
	Entities map[string]struct {
		Keys   []string `json:"keys"`
		Fields map[string]struct {
			Type string `json:"type"`
			Enum string `json:"enum"`
		} `json:"fields"`
	} `json:"entities"`
	Enums map[string]struct {
		Members map[string]*int `json:"members"`
	} `json:"enums"`
}

func readFinOpsSchema(t *testing.T) foSchema {
	t.Helper()
	b, err := os.ReadFile(finopsSchema)
	if err != nil {
		t.Fatal(err)
	}
	var s foSchema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// enumTypes are the Go types of this package's enum fields, with the F&O
// enum type each stands for and its constants.
var enumTypes = map[reflect.Type]struct {
	enum   string
	values []string
}{
	reflect.TypeOf(NoYes("")):            {EnumNoYes, []string{string(No), string(Yes)}},
	reflect.TypeOf(ProspectStatus("")):   {EnumProspectStatus, []string{string(ProspectPending), string(ProspectApproved), string(ProspectRejected), string(ProspectUnknown)}},
	reflect.TypeOf(HierarchyPurpose("")): {EnumHierarchyPurpose, []string{string(PurposeB2BOrganization)}},
	reflect.TypeOf(NodeRole("")):         {EnumNodeRole, []string{string(RoleAdmin), string(RoleUser)}},
	reflect.TypeOf(NodeType("")):         {EnumNodeType, []string{string(NodeCustomer)}},
	reflect.TypeOf(DualWriteStatus("")):  {EnumDualWriteStatus, []string{string(DualWriteEnabled), string(DualWriteDisabled), string(DualWriteQueueing)}},
}

// TestRecordsAgreeWithSchema checks every json tag of this package's record
// types against the documented entity (field names are case-sensitive in
// F&O), the enum types of enum fields and their constants, and the entity
// sets and keys the client addresses.
func TestRecordsAgreeWithSchema(t *testing.T) {
	s := readFinOpsSchema(t)
	for _, c := range []struct {
		record any
		entity entity
	}{
		{Prospect{}, prospects},
		{Customer{}, customers},
		{Hierarchy{}, hierarchies},
		{HierarchyNode{}, hierarchyNode},
		{DualWriteConfiguration{}, dualWriteMaps},
	} {
		typ := reflect.TypeOf(c.record)
		e, ok := s.Entities[c.entity.set]
		if !ok {
			t.Errorf("%s: entity set %s is not documented", typ.Name(), c.entity.set)
			continue
		}
		var keys []string
		if c.entity.companySpecific {
			keys = append(keys, "dataAreaId")
		}
		if c.entity.key != "" {
			keys = append(keys, c.entity.key)
		}
		if c.entity.key == "" {
			keys = e.Keys // a compound key built by its own methods
		}
		if !slices.Equal(keys, e.Keys) {
			t.Errorf("%s: key %v, documented %v", c.entity.set, keys, e.Keys)
		}
		tags := 0
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous || name == "" || name == "-" {
				continue
			}
			tags++
			doc, ok := e.Fields[name]
			if !ok {
				t.Errorf("%s.%s: json %q is not a field of %s", typ.Name(), f.Name, name, c.entity.set)
				continue
			}
			en, isEnum := enumTypes[f.Type]
			switch {
			case doc.Type == "enum" && !isEnum:
				t.Errorf("%s.%s: %s is an enum (%s); the Go type is %s", typ.Name(), f.Name, name, doc.Enum, f.Type)
			case isEnum && doc.Enum != en.enum:
				t.Errorf("%s.%s: Go enum %s stands for %s; the field's enum is %q", typ.Name(), f.Name, f.Type, en.enum, doc.Enum)
			}
		}
		if tags == 0 {
			t.Errorf("%s: no json tags found", typ.Name())
		}
	}
	for typ, en := range enumTypes {
		members, ok := s.Enums[en.enum]
		if !ok {
			t.Errorf("%s: enum %s is not documented", typ, en.enum)
			continue
		}
		for _, v := range en.values {
			if _, ok := members.Members[v]; !ok {
				t.Errorf("%s: %q is not a member of %s", typ, v, en.enum)
			}
			// Filterf writes the value as the documented enum's literal.
			val := reflect.ValueOf(v).Convert(typ).Interface()
			ev, ok := val.(d365.EnumValuer)
			if !ok {
				t.Errorf("%s does not implement d365.EnumValuer", typ)
				break
			}
			want := "Microsoft.Dynamics.DataEntities." + en.enum + "'" + v + "'"
			if got := d365.Filterf("%v", val); ev.Enum().Type != en.enum || got != want {
				t.Errorf("%s(%q) formats as %s, want %s", typ, v, got, want)
			}
		}
	}
}
