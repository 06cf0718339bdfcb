package schema

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T) *Schema {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEveryTableAndColumnLoads reads the embedded JSON generically and
// checks that every table, column, entity, field, enum and map line is in
// the typed Schema with the same facts.
func TestEveryTableAndColumnLoads(t *testing.T) {
	s := load(t)
	var dv struct {
		Tables map[string]struct {
			EntitySet  string `json:"entity_set"`
			PrimaryKey string `json:"primary_key"`
			Columns    map[string]map[string]any
			Navigation struct {
				Single     map[string]map[string]any `json:"single"`
				Collection map[string]map[string]any `json:"collection"`
			} `json:"navigation"`
		} `json:"tables"`
	}
	b, _ := files.ReadFile("dataverse.json")
	if err := json.Unmarshal(b, &dv); err != nil {
		t.Fatal(err)
	}
	if len(dv.Tables) != 12 || len(s.Tables()) != 12 {
		t.Fatalf("tables: json %d, schema %d; want 12", len(dv.Tables), len(s.Tables()))
	}
	columns := 0
	for name, rt := range dv.Tables {
		tb, ok := s.Table(name)
		if !ok {
			t.Errorf("table %s missing", name)
			continue
		}
		if bySet, ok := s.TableBySet(rt.EntitySet); !ok || bySet != tb {
			t.Errorf("TableBySet(%s) = %v, %v", rt.EntitySet, bySet, ok)
		}
		if tb.PrimaryKey != rt.PrimaryKey {
			t.Errorf("%s: primary key %s, want %s", name, tb.PrimaryKey, rt.PrimaryKey)
		}
		for cn, rc := range rt.Columns {
			columns++
			c, ok := tb.Column(cn)
			if !ok {
				t.Errorf("column %s.%s missing", name, cn)
				continue
			}
			if string(c.Type) != rc["type"] || c.Create != rc["create"] || c.Update != rc["update"] || c.Read != rc["read"] {
				t.Errorf("%s.%s: %s c%v u%v r%v, want %v", name, cn, c.Type, c.Create, c.Update, c.Read, rc)
			}
			if ml, ok := rc["max_length"].(float64); ok && c.MaxLength != int(ml) {
				t.Errorf("%s.%s: max length %d, want %v", name, cn, c.MaxLength, ml)
			}
			if opts, ok := rc["options"].(map[string]any); ok && len(opts) != len(c.Options) {
				t.Errorf("%s.%s: %d options, want %d", name, cn, len(c.Options), len(opts))
			}
			if lp, ok := rc["lookup_property"].(string); ok {
				if c.LookupProperty != lp {
					t.Errorf("%s.%s: lookup property %s, want %s", name, cn, c.LookupProperty, lp)
				}
				if byProp, ok := tb.ColumnByLookupProperty(lp); c.WebAPI && (!ok || byProp != c) {
					t.Errorf("%s: ColumnByLookupProperty(%s) = %v", name, lp, byProp)
				}
			}
			if nav, ok := rc["navigation"].(map[string]any); ok {
				for target, n := range nav {
					if c.Navigation[target] != n {
						t.Errorf("%s.%s: navigation to %s = %q, want %v", name, cn, target, c.Navigation[target], n)
					}
					if _, ok := tb.Navigation(n.(string)); !ok {
						t.Errorf("%s: navigation %v of %s is not a navigation property", name, n, cn)
					}
				}
			}
			if w, ok := rc["webapi"]; ok && w == false && c.WebAPI {
				t.Errorf("%s.%s: WebAPI true, want false", name, cn)
			}
		}
		for nav := range rt.Navigation.Single {
			if _, ok := tb.Navigation(nav); !ok {
				t.Errorf("%s: single navigation %s missing", name, nav)
			}
		}
		for nav := range rt.Navigation.Collection {
			if _, ok := tb.CollectionNavigation(nav); !ok {
				t.Errorf("%s: collection navigation %s missing", name, nav)
			}
		}
	}
	if columns != 1066 {
		t.Errorf("%d columns in the JSON, want 1066 (SOURCES.md)", columns)
	}

	var fo struct {
		Entities map[string]struct {
			Keys   []string                  `json:"keys"`
			Fields map[string]map[string]any `json:"fields"`
		} `json:"entities"`
		Enums map[string]struct {
			Members map[string]any `json:"members"`
		} `json:"enums"`
		Maps []struct {
			Name   string `json:"name"`
			Fields []any  `json:"fields"`
		} `json:"dual_write_maps"`
	}
	b, _ = files.ReadFile("finops.json")
	if err := json.Unmarshal(b, &fo); err != nil {
		t.Fatal(err)
	}
	for name, re := range fo.Entities {
		e, ok := s.Entity(name)
		if !ok {
			t.Errorf("entity %s missing", name)
			continue
		}
		if diff := cmp.Diff(re.Keys, e.Keys); diff != "" {
			t.Errorf("%s keys (-json +schema):\n%s", name, diff)
		}
		if len(e.Fields()) != len(re.Fields) {
			t.Errorf("%s: %d fields, want %d", name, len(e.Fields()), len(re.Fields))
		}
		for fn, rf := range re.Fields {
			f, ok := e.Field(fn)
			if !ok || string(f.Type) != rf["type"] || f.Nullable != rf["nullable"] || (rf["enum"] != nil && f.Enum != rf["enum"]) {
				t.Errorf("%s.%s = %+v, want %v", name, fn, f, rf)
			}
		}
	}
	for name, re := range fo.Enums {
		e, ok := s.Enum(name)
		if !ok || len(e.Members) != len(re.Members) {
			t.Errorf("enum %s = %+v, want %d members", name, e, len(re.Members))
		}
	}
	got := s.DualWriteMaps()
	if len(got) != len(fo.Maps) {
		t.Fatalf("%d maps, want %d", len(got), len(fo.Maps))
	}
	for i, m := range fo.Maps {
		if got[i].Name != m.Name || len(got[i].Lines) != len(m.Fields) {
			t.Errorf("map %d: %s with %d lines, want %s with %d", i, got[i].Name, len(got[i].Lines), m.Name, len(m.Fields))
		}
	}
}

func TestLookupsAndNavigation(t *testing.T) {
	s := load(t)
	lead, _ := s.Table("lead")
	contact, _ := s.Table("contact")
	account, _ := s.Table("account")

	c, _ := lead.Column("customerid")
	if diff := cmp.Diff(map[string]string{"account": "customerid_account", "contact": "customerid_contact"}, c.Navigation); diff != "" {
		t.Errorf("lead.customerid navigation (-want +got):\n%s", diff)
	}
	if c.Type != Customer || c.Property() != "_customerid_value" {
		t.Errorf("lead.customerid = %s, %s", c.Type, c.Property())
	}
	if n, err := lead.CheckBind("customerid_account"); err != nil || n.Column != "customerid" || n.Target != "account" {
		t.Errorf("CheckBind(customerid_account) = %+v, %v", n, err)
	}
	if n, err := lead.CheckBind("msdyn_PredictiveScoreId"); err != nil || n.Column != "msdyn_predictivescoreid" {
		t.Errorf("CheckBind(msdyn_PredictiveScoreId) = %+v, %v", n, err)
	}
	// Case-sensitive, and no navigation for a contact's accountid.
	for _, nav := range []string{"msdyn_predictivescoreid", "CustomerId_Account", "customerid"} {
		if _, err := lead.CheckBind(nav); err == nil {
			t.Errorf("lead.CheckBind(%s) accepted", nav)
		}
	}
	acc, _ := contact.Column("accountid")
	if len(acc.Navigation) != 0 || acc.NavigationNote == "" {
		t.Errorf("contact.accountid navigation = %v (%q): want none", acc.Navigation, acc.NavigationNote)
	}
	if _, err := contact.CheckBind("accountid"); err == nil {
		t.Error("contact.CheckBind(accountid) accepted a lookup without navigation property")
	}
	if c, ok := contact.ColumnByLookupProperty("_parentcustomerid_value"); !ok || c.LogicalName != "parentcustomerid" {
		t.Errorf("ColumnByLookupProperty(_parentcustomerid_value) = %v", c)
	}
	// Collection-valued navigation with its partner.
	n, ok := lead.CollectionNavigation("Lead_Annotation")
	if !ok || n.Target != "annotation" || n.ReferencingColumn != "objectid" || n.Partner != "objectid_lead" {
		t.Errorf("Lead_Annotation = %+v", n)
	}
	note, _ := s.Table("annotation")
	if p, ok := note.Navigation(n.Partner); !ok || p.Target != "lead" {
		t.Errorf("partner %s = %+v", n.Partner, p)
	}
	if single, coll, err := account.CheckExpand("contact_customer_accounts"); err != nil || single != nil || coll.Target != "contact" {
		t.Errorf("CheckExpand(contact_customer_accounts) = %v %v %v", single, coll, err)
	}
	// Entity sets are case-sensitive.
	if _, err := s.ResolveSet("Leads"); !hasCode(err, 404, "0x8006088a", "Resource not found for the segment 'Leads'.") {
		t.Errorf("ResolveSet(Leads) = %v", err)
	}
	if tb, err := s.ResolveSet("opportunities"); err != nil || tb.LogicalName != "opportunity" || tb.PrimaryName != "name" {
		t.Errorf("ResolveSet(opportunities) = %v, %v", tb, err)
	}
	// System columns as the schema declares them.
	var sys []string
	for _, c := range lead.SystemColumns() {
		sys = append(sys, c.Property())
	}
	want := []string{"createdon", "_createdby_value", "_createdonbehalfby_value", "modifiedon", "_modifiedby_value", "_modifiedonbehalfby_value",
		"_ownerid_value", "_owninguser_value", "_owningteam_value", "_owningbusinessunit_value", "versionnumber", "statecode", "statuscode",
		"overriddencreatedon", "importsequencenumber", "timezoneruleversionnumber", "utcconversiontimezonecode"}
	if diff := cmp.Diff(want, sys); diff != "" {
		t.Errorf("lead system columns (-want +got):\n%s", diff)
	}
	// State/status and date-only behaviour.
	if st, ok := lead.DefaultStatus(1); !ok || st != 3 {
		t.Errorf("lead DefaultStatus(1) = %d", st)
	}
	ecd, _ := lead.Column("estimatedclosedate")
	created, _ := lead.Column("createdon")
	if !ecd.DateOnly() || ecd.EdmType() != "Edm.Date" || created.DateOnly() || created.EdmType() != "Edm.DateTimeOffset" {
		t.Errorf("date-only: %v %s, %v %s", ecd.DateOnly(), ecd.EdmType(), created.DateOnly(), created.EdmType())
	}
	sc, _ := lead.Column("statuscode")
	if l, ok := sc.Label(3); !ok || l != "Qualified" {
		t.Errorf("lead statuscode 3 label = %q", l)
	}
	// F&O.
	p, _ := s.Entity("Prospects")
	if diff := cmp.Diff([]string{"dataAreaId", "ProspectId"}, p.Keys); diff != "" || !p.CompanySpecific {
		t.Errorf("Prospects keys: %s", diff)
	}
	f, _ := p.Field("B2BProspectStatus")
	e, _ := s.Enum(f.Enum)
	if m, ok := e.Member("Approved"); !ok || m.Value != 1 || f.Type != EnumField {
		t.Errorf("B2BProspectStatus %+v member Approved = %+v", f, m)
	}
	if p.Navigation["AddressState"] != "AddressStates" {
		t.Errorf("Prospects navigation AddressState = %q", p.Navigation["AddressState"])
	}
}

func hasCode(err error, status int, code, msg string) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status && e.Code == code && (msg == "" || e.Message == msg)
}

func TestValidationCodes(t *testing.T) {
	s := load(t)
	account, _ := s.Table("account")
	lead, _ := s.Table("lead")
	contact, _ := s.Table("contact")
	opp, _ := s.Table("opportunity")
	long := strings.Repeat("x", 301)
	for _, c := range []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"$select Name", account.CheckSelect("name", "Name"), 400, "0x80060888",
			"Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'."},
		{"$select lookup column", account.CheckSelect("parentaccountid"), 400, "0x80060888",
			"Could not find a property named 'parentaccountid' on type 'Microsoft.Dynamics.CRM.account'."},
		{"$select attribute-of column", account.CheckSelect("owneridname"), 400, "0x80060888", ""},
		{"$expand unknown", func() error { _, _, err := account.CheckExpand("Contacts"); return err }(), 400, "0x80060888", ""},
		{"body Name", account.CheckBody(Create, map[string]any{"Name": "Account name"}), 400, "0x0",
			"An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type."},
		{"body lookup property", account.CheckBody(Update, map[string]any{"_parentaccountid_value": "00000000-0000-0000-0000-000000000001"}), 400, "0x0", ""},
		{"bind parentcustomerid", contact.CheckBody(Create, map[string]any{"firstname": "test", "lastname": "contact",
			"parentcustomerid@odata.bind": "accounts(a779956b-d748-ed11-bb44-6045bd01152a)"}), 400, "0x80048d19",
			"Error identified in Payload provided by the user for Entity :'contacts'  ---->  InnerException : Microsoft.OData.ODataException: An undeclared property 'parentcustomerid' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values."},
		{"bind contact accountid", contact.CheckBody(Create, map[string]any{"accountid@odata.bind": "accounts(a779956b-d748-ed11-bb44-6045bd01152a)"}), 400, "0x80048d19", ""},
		{"primitive to navigation", lead.CheckBody(Create, map[string]any{"parentaccountid": "a779956b-d748-ed11-bb44-6045bd01152a"}), 400, "0x80048d19", ""},
		{"subject too long", lead.CheckBody(Create, map[string]any{"subject": long}), 400, "0x80044331",
			"A validation error occurred.  The length of the 'subject' attribute of the 'lead' entity exceeded the maximum allowed length of '300'."},
		{"choice outside", lead.CheckBody(Create, map[string]any{"leadsourcecode": 999}), 400, "0x8004431a", "The picklist value is out of the range."},
		{"status of another state", lead.CheckBody(Update, map[string]any{"statecode": 0, "statuscode": 3}), 400, "0x8004431a", ""},
		{"no such state", opp.CheckState(7, 1), 400, "0x80040203", ""},
		{"string for integer", lead.CheckBody(Create, map[string]any{"numberofemployees": "twelve"}), 400, "0x80048d19",
			"Error identified in Payload provided by the user for Entity :'leads'  ---->  InnerException : Microsoft.OData.ODataException: Cannot convert a primitive value to the expected type 'Edm.Int32'. See the inner exception for more details."},
		{"fraction for integer", lead.CheckBody(Create, map[string]any{"numberofemployees": 1.5}), 400, "0x80048d19", ""},
		{"number out of range", lead.CheckBody(Create, map[string]any{"numberofemployees": 1000001}), 400, "0x80044331", ""},
		{"date-time for date-only", lead.CheckBody(Create, map[string]any{"estimatedclosedate": "2024-05-01T10:00:00Z"}), 400, "0x80048d19", ""},
		{"bad guid", lead.CheckBody(Create, map[string]any{"leadid": "not-a-guid"}), 400, "0x80048d19", ""},
		{"number for bool", lead.CheckBody(Create, map[string]any{"msdyn_b2bcommerceprospect": 1}), 400, "0x80048d19", ""},
		{"read-only on create", lead.CheckBody(Create, map[string]any{"createdon": "2024-05-01T10:00:00Z"}), 400, "0x80040203",
			"The column 'createdon' of 'lead' is not valid for create."},
		{"create-only on update", lead.CheckBody(Update, map[string]any{"overriddencreatedon": "2024-05-01T10:00:00Z"}), 400, "0x80040203", ""},
		{"statecode on create", lead.CheckBody(Create, map[string]any{"statecode": 0}), 400, "0x80040203", ""},
		{"bind not a string", lead.CheckBody(Create, map[string]any{"parentaccountid@odata.bind": 7}), 400, "0x80048d19", ""},
		{"alternate key not declared", func() error { _, err := account.CheckAlternateKey("accountnumber"); return err }(), 400, "0x80060890",
			"The specified key attributes are not a defined key for the account entity"},
		{"record not found by key", account.ErrRecordNotFoundByKey(), 404, "0x80060891",
			"A record with the specified key values does not exist in account entity"},
	} {
		if !hasCode(c.err, c.status, c.code, c.msg) {
			t.Errorf("%s: err = %#v; want %d %s %q", c.name, c.err, c.status, c.code, c.msg)
		}
	}
	// What is valid passes.
	for name, err := range map[string]error{
		"select":     lead.CheckSelect("fullname", "_parentaccountid_value", "statecode", "msdyn_b2bprospectstatus"),
		"create":     lead.CheckBody(Create, map[string]any{"subject": "s", "lastname": "x", "numberofemployees": json.Number("12"), "estimatedclosedate": "2024-05-01", "parentaccountid@odata.bind": "/accounts(a779956b-d748-ed11-bb44-6045bd01152a)", "msdyn_b2bprospectstatus": 192350000.0, "@odata.type": "Microsoft.Dynamics.CRM.lead"}),
		"update":     lead.CheckBody(Update, map[string]any{"statecode": 1, "statuscode": 3, "description": nil, "parentaccountid@odata.bind": nil}),
		"documented": account.CheckBody(Create, map[string]any{"@odata.context": "[Organization URI]/api/data/v9.0/$metadata#accounts/$entity", "@odata.type": "#Microsoft.Dynamics.CRM.account", "name": "Contoso Ltd", "numberofemployees": "200", "parentaccountid@odata.bind": "accounts(c65127ed-2097-e711-80eb-00155db75426)"}),
		"deep":       account.CheckBody(Create, map[string]any{"name": "a", "primarycontactid": map[string]any{"lastname": "x"}, "contact_customer_accounts": []any{}}),
		"primarykey": func() error { _, err := account.CheckAlternateKey("accountid"); return err }(),
		"state":      opp.CheckState(1, 3),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Finance and Operations.
	p, _ := s.Entity("Prospects")
	if _, err := p.CheckField("PrimaryUrl"); err == nil || !strings.Contains(err.Error(), "'PrimaryUrl' does not exist on type 'Microsoft.Dynamics.DataEntities.Prospect'") {
		t.Errorf("CheckField(PrimaryUrl) = %v", err)
	}
	if _, err := p.CheckField("AddressState"); err == nil || !strings.Contains(err.Error(), "navigation property") {
		t.Errorf("CheckField(AddressState) = %v", err)
	}
	if f, err := p.CheckField("PrimaryURL"); err != nil || f.Type != EdmString {
		t.Errorf("CheckField(PrimaryURL) = %v, %v", f, err)
	}
	if err := p.CheckKey(map[string]string{"ProspectId": "P-1"}); err == nil || !strings.Contains(err.Error(), "Missing: dataAreaId.") {
		t.Errorf("CheckKey without dataAreaId = %v", err)
	}
	if err := p.CheckKey(map[string]string{"ProspectId": "P-1", "dataAreaId": "usrt"}); err != nil {
		t.Errorf("CheckKey = %v", err)
	}
	for _, c := range []struct {
		field string
		v     any
		ok    bool
	}{
		{"IsB2BProspect", "Yes", true}, {"IsB2BProspect", "yes", false}, {"IsB2BProspect", 1.0, true}, {"IsB2BProspect", 7.0, false},
		{"B2BProspectStatus", "Approved", true}, {"B2BProspectStatus", "UnderReview", false},
		{"CompanySize", 12.0, true}, {"CompanySize", 1.5, false}, {"CompanySize", nil, false},
		{"CreditLimit", "25000.5", true}, {"ProspectName", 3.0, false}, {"ProspectName", nil, true},
		{"AddressValidFrom", "1900-01-01T00:00:00Z", true}, {"AddressValidFrom", "yesterday", false},
		{"PrimaryUrl", "x", false},
	} {
		err := p.CheckValue(s, c.field, c.v)
		if (err == nil) != c.ok {
			t.Errorf("Prospects CheckValue(%s, %v) = %v; want ok %v", c.field, c.v, err, c.ok)
		}
	}
	if err := p.CheckValue(s, "B2BProspectStatus", "UnderReview"); err == nil || !strings.Contains(err.Error(), "Pending, Approved, Rejected, Unknown") {
		t.Errorf("enum error %v does not list the members", err)
	}
	h, _ := s.Entity("CustomerHiearchies")
	if err := h.CheckKey(map[string]string{"CustomerHierarchyId": "CH-1", "dataAreaId": "usrt"}); err == nil || !strings.Contains(err.Error(), "Not key properties: dataAreaId.") {
		t.Errorf("CheckKey with dataAreaId on a global entity = %v", err)
	}
}

func TestCSDL(t *testing.T) {
	s := load(t)
	doc := s.CSDL()
	// Well-formed XML.
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("CSDL is not well-formed: %v", err)
		}
	}
	lines := strings.Split(string(doc), "\n")
	for _, want := range []string{
		`<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
		`<EntityType Name="lead" BaseType="mscrm.crmbaseentity">`,
		`<Key><PropertyRef Name="leadid"/></Key>`,
		`<Property Name="_parentaccountid_value" Type="Edm.Guid"/>`,
		`<Property Name="estimatedclosedate" Type="Edm.Date"/>`,
		`<Property Name="subject" Type="Edm.String" Unicode="false"/>`,
		`<Property Name="msdyn_b2bprospectstatus" Type="Edm.Int32"/>`,
		`<NavigationProperty Name="parentaccountid" Type="mscrm.account" Nullable="false" Partner="lead_parent_account"><ReferentialConstraint Property="_parentaccountid_value" ReferencedProperty="accountid"/></NavigationProperty>`,
		`<NavigationProperty Name="customerid_account" Type="mscrm.account" Nullable="false" Partner="lead_customer_accounts"><ReferentialConstraint Property="_customerid_value" ReferencedProperty="accountid"/></NavigationProperty>`,
		`<NavigationProperty Name="Lead_Annotation" Type="Collection(mscrm.annotation)" Partner="objectid_lead"/>`,
		`<EntityContainer Name="System">`,
	} {
		found := false
		for _, l := range lines {
			if l == want {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("CSDL has no line %s", want)
		}
	}
	if !strings.Contains(string(doc), `<EntitySet Name="leads" EntityType="Microsoft.Dynamics.CRM.lead"><NavigationPropertyBinding Path="createdby" Target="systemusers"/>`) {
		t.Error("CSDL has no leads EntitySet with its bindings")
	}
	for _, absent := range []string{`Name="customeridname"`, `Name="parentaccountid" Type="Edm.Guid"`, `Name="sla_lead_sla"`} {
		if strings.Contains(string(doc), absent) {
			t.Errorf("CSDL has %s", absent)
		}
	}
	fo := s.FinOpsCSDL()
	for _, want := range []string{`<EnumType Name="NoYes"><Member Name="No" Value="0"/><Member Name="Yes" Value="1"/></EnumType>`,
		`<EntityType Name="Prospect"><Key><PropertyRef Name="dataAreaId"/><PropertyRef Name="ProspectId"/></Key>`,
		`<Property Name="IsB2BProspect" Type="Microsoft.Dynamics.DataEntities.NoYes" Nullable="true"/>`,
		`<EntitySet Name="CustomerHiearchies" EntityType="Microsoft.Dynamics.DataEntities.CustomerHiearchy"/>`} {
		if !strings.Contains(string(fo), want) {
			t.Errorf("F&O CSDL has no %s", want)
		}
	}
}

func TestEntityDefinitions(t *testing.T) {
	s := load(t)
	var list struct {
		Context string `json:"@odata.context"`
		Value   []struct{ LogicalName, EntitySetName, PrimaryIdAttribute string }
	}
	if err := json.Unmarshal(s.EntityDefinitions("https://org.example/api/data/v9.2/"), &list); err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{}
	for _, e := range list.Value {
		sets[e.LogicalName] = e.EntitySetName
	}
	if len(list.Value) != 12 || sets["opportunity"] != "opportunities" || sets["transactioncurrency"] != "transactioncurrencies" ||
		list.Context != "https://org.example/api/data/v9.2/$metadata#EntityDefinitions" {
		t.Errorf("EntityDefinitions = %s %v", list.Context, sets)
	}
	b, err := s.EntityDefinition("https://org.example/api/data/v9.2/", "lead")
	if err != nil {
		t.Fatal(err)
	}
	type label struct {
		UserLocalizedLabel struct {
			Label        string
			LanguageCode int
		}
	}
	var def struct {
		EntitySetName string
		Attributes    []struct {
			LogicalName       string
			AttributeType     string
			AttributeTypeName struct{ Value string }
			OptionSet         *struct {
				Options []struct {
					Value int
					State *int
					Label label
				}
				TrueOption *struct{ Label label }
			}
		}
	}
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range def.Attributes {
		switch a.LogicalName {
		case "statuscode":
			for _, o := range a.OptionSet.Options {
				if o.Value == 3 && o.State != nil && *o.State == 1 && o.Label.UserLocalizedLabel.LanguageCode == 1033 {
					got["statuscode 3"] = o.Label.UserLocalizedLabel.Label
				}
			}
		case "msdyn_b2bprospectstatus":
			got["b2b type"] = a.AttributeTypeName.Value
			for _, o := range a.OptionSet.Options {
				if o.Value == 192350001 {
					got["b2b 192350001"] = o.Label.UserLocalizedLabel.Label
				}
			}
		case "donotemail":
			got["donotemail true"] = a.OptionSet.TrueOption.Label.UserLocalizedLabel.Label
		}
	}
	want := map[string]string{"statuscode 3": "Qualified", "b2b type": "PicklistType", "b2b 192350001": "Approved", "donotemail true": "Do Not Allow"}
	if diff := cmp.Diff(want, got); diff != "" || def.EntitySetName != "leads" {
		t.Errorf("EntityDefinition(lead) %s (-want +got):\n%s", def.EntitySetName, diff)
	}
	if _, err := s.EntityDefinition("", "Lead"); !hasCode(err, 404, "0x8006088a", "") {
		t.Errorf("EntityDefinition(Lead) = %v", err)
	}
}

func TestExtend(t *testing.T) {
	s := load(t)
	one := 1.0
	err := s.Extend(Extension{
		Tables: []CustomTable{{LogicalName: "new_project", EntitySet: "new_projects"}},
		Columns: []CustomColumn{
			{Table: "account", LogicalName: "new_tier", Type: Picklist, Options: map[int]string{100000000: "Gold", 100000001: "Silver"}},
			{Table: "account", LogicalName: "new_code", Type: String, MaxLength: 5},
			{Table: "new_project", LogicalName: "new_accountid", Type: Lookup, Target: "account"},
			{Table: "new_project", LogicalName: "new_budget", Type: Money, Min: &one},
			{Table: "new_project", LogicalName: "new_start", Type: DateTime, DateOnly: true},
		},
		Keys: []CustomKey{{Table: "account", Columns: []string{"accountnumber"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	account, _ := s.Table("account")
	if err := account.CheckBody(Create, map[string]any{"name": "A", "new_tier": 100000001, "new_code": "ABCDE"}); err != nil {
		t.Errorf("custom columns refused: %v", err)
	}
	if err := account.CheckBody(Create, map[string]any{"new_tier": 7}); !hasCode(err, 400, "0x8004431a", "") {
		t.Errorf("new_tier 7: %v", err)
	}
	if err := account.CheckBody(Create, map[string]any{"new_code": "ABCDEF"}); !hasCode(err, 400, "0x80044331", "") {
		t.Errorf("new_code too long: %v", err)
	}
	if k, err := account.CheckAlternateKey("accountnumber"); err != nil || k.Name != "accountnumber" {
		t.Errorf("declared alternate key: %v, %v", k, err)
	}
	p, err := s.ResolveSet("new_projects")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckBody(Create, map[string]any{"new_name": "P", "new_accountid@odata.bind": "/accounts(a779956b-d748-ed11-bb44-6045bd01152a)",
		"new_budget": 10, "new_start": "2025-01-31", "ownerid@odata.bind": "/systemusers(a779956b-d748-ed11-bb44-6045bd01152a)"}); err != nil {
		t.Errorf("custom table body: %v", err)
	}
	if err := p.CheckBody(Create, map[string]any{"new_budget": 0.5}); !hasCode(err, 400, "0x80044331", "") {
		t.Errorf("new_budget below min: %v", err)
	}
	if err := p.CheckSelect("new_name", "_new_accountid_value", "_ownerid_value", "createdon", "versionnumber", "statecode"); err != nil {
		t.Errorf("custom table select: %v", err)
	}
	if n, ok := account.CollectionNavigation("account_new_project_new_accountid"); !ok || n.Partner != "new_accountid" || n.Target != "new_project" {
		t.Errorf("partner collection on account = %+v", n)
	}
	if len(p.SystemColumns()) < 10 {
		t.Errorf("custom table system columns = %d", len(p.SystemColumns()))
	}
	doc := string(s.CSDL())
	for _, want := range []string{`<EntitySet Name="new_projects" EntityType="Microsoft.Dynamics.CRM.new_project">`,
		`<Property Name="new_tier" Type="Edm.Int32"/>`, `<Property Name="new_start" Type="Edm.Date"/>`,
		`<NavigationProperty Name="new_accountid" Type="mscrm.account" Nullable="false" Partner="account_new_project_new_accountid">`} {
		if !strings.Contains(doc, want) {
			t.Errorf("CSDL lacks %s", want)
		}
	}
	// Another Load is not extended.
	fresh := load(t)
	fa, _ := fresh.Table("account")
	if _, ok := fa.Column("new_tier"); ok || len(fa.AlternateKeys) != 0 {
		t.Error("Extend changed another Schema")
	}
	if _, ok := fresh.TableBySet("new_projects"); ok {
		t.Error("Extend added a table to another Schema")
	}
	if _, ok := fa.CollectionNavigation("account_new_project_new_accountid"); ok {
		t.Error("Extend added a navigation to another Schema")
	}
	// A bad extension is refused whole, naming what is wrong.
	err = s.Extend(Extension{Columns: []CustomColumn{
		{Table: "lead", LogicalName: "new_ok", Type: String},
		{Table: "nosuchtable", LogicalName: "new_x", Type: String},
		{Table: "lead", LogicalName: "subject", Type: String},
		{Table: "lead", LogicalName: "new_choice", Type: Picklist},
		{Table: "lead", LogicalName: "New_Upper", Type: String},
		{Table: "lead", LogicalName: "new_ref", Type: Lookup, Target: "msdyn_party"},
	}, Keys: []CustomKey{{Table: "lead", Columns: []string{"nosuchcolumn"}}}})
	for _, want := range []string{`no table "nosuchtable"`, "lead.subject: the column already exists", "lead.new_choice: a Picklist needs Options",
		"lead.New_Upper: the logical name", `Target "msdyn_party" is no table`, `no column "nosuchcolumn"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Extend error %v does not say %s", err, want)
		}
	}
	lead, _ := s.Table("lead")
	if _, ok := lead.Column("new_ok"); ok {
		t.Error("a refused extension was partly applied")
	}
}
