package dualwrite

// Direction says which way dual-write copies a field.
type Direction int

const (
	// Both copies the field both ways (the "=" and "><" of the mapping
	// tables).
	Both Direction = iota
	// ToDataverseOnly copies the field from Finance and Operations to
	// Dataverse only.
	ToDataverseOnly
	// ToFinOpsOnly copies the field from Dataverse to Finance and Operations
	// only.
	ToFinOpsOnly
)

// String returns "both", "to Dataverse" or "to finance and operations".
func (d Direction) String() string {
	switch d {
	case Both:
		return "both"
	case ToDataverseOnly:
		return "to Dataverse"
	case ToFinOpsOnly:
		return "to finance and operations"
	}
	return "unknown direction"
}

// Value is one line of a value transform: the Finance and Operations value
// (an enum member's name, such as "Pending") and the Dataverse value it
// stands for (a choice value such as 192350000, or a bool).
type Value struct {
	FinOps    any
	Dataverse any
}

// Field is one line of a map: a Finance and Operations field and the
// Dataverse column it is kept equal to.
type Field struct {
	// FinOps is the data entity field, such as "B2BProspectStatus".
	FinOps string
	// Dataverse is the column's logical name, such as
	// "msdyn_b2bprospectstatus". A dotted name such as
	// "msdyn_partyid.msdyn_partynumber" is a lookup: the column
	// (msdyn_partynumber) of the record the lookup (msdyn_partyid) points
	// to. ToDataverse and ToFinOps use the dotted name as the key; whoever
	// writes the row resolves it (the emulator does).
	Dataverse string
	// LookupTable is the logical name of the table a dotted Dataverse name
	// points into, such as "msdyn_party". Empty for plain columns.
	LookupTable string
	// Direction is the way the field is copied.
	Direction Direction
	// Values is the value transform; nil copies the value as it is.
	Values []Value
}

// IsLookup reports whether the Dataverse side is a dotted lookup name.
func (f Field) IsLookup() bool { return f.LookupTable != "" }

// Condition is one term of a map's filter: Field Op Value, where Op is
// "eq" or "ne". A nil Value stands for null.
type Condition struct {
	Field string
	Op    string
	Value any
}

// Map is a dual-write table map: which Finance and Operations entity is kept
// in sync with which Dataverse table, for which rows, field by field.
//
// A Map is plain data; the package variables hold the maps B2B onboarding
// depends on. Maps are values: copy one and change the copy to describe a
// customised map.
type Map struct {
	// Name is the map's readable name, such as "Prospects (leads)". It is
	// also the ProjectName this package expects in
	// DualWriteProjectConfigurations (see CheckMaps for how rows match).
	Name string
	// FinOpsEntity is the public collection name of the data entity, such
	// as "Prospects" or "CustomersV3".
	FinOpsEntity string
	// DataverseTable is the table's logical name, such as "lead".
	DataverseTable string
	// DataverseEntitySet is the table's Web API collection, such as "leads".
	DataverseEntitySet string
	// FinOpsFilter and DataverseFilter are the map's filters as dual-write
	// writes them (documentation; FinOpsWhere and DataverseWhere are the
	// same filters as data).
	FinOpsFilter, DataverseFilter string
	// FinOpsWhere and DataverseWhere are the filters as conditions, all of
	// which must hold. Empty means every row.
	FinOpsWhere, DataverseWhere []Condition
	// Fields are the mapped fields.
	Fields []Field
}

// Choice values and enum members used by the maps.
const (
	// B2B prospect status choice values of lead.msdyn_b2bprospectstatus.
	DataversePending  = 192350000
	DataverseApproved = 192350001
	DataverseRejected = 192350002
)

var (
	noYes = []Value{{"No", false}, {"Yes", true}}
	// prospectStatus is RetailB2BProspectStatus <-> msdyn_b2bprospectstatus.
	prospectStatus = []Value{
		{"Pending", DataversePending},
		{"Approved", DataverseApproved},
		{"Rejected", DataverseRejected},
	}
)

// Prospects maps Commerce B2B prospects to Dataverse leads. Only B2B
// prospects travel: IsB2BProspect == Yes on one side,
// msdyn_b2bcommerceprospect eq true on the other.
//
// ProspectName = fullname is copied to Finance and Operations only, because
// fullname is computed by Dataverse from firstname and lastname; the name
// reaches Dataverse through PersonFirstName = firstname and
// PersonLastName = lastname. Those two lines, Note = description and the
// address field names are inferences: the documented table says only
// "address fields = address1_*".
var Prospects = Map{
	Name:               "Prospects (leads)",
	FinOpsEntity:       "Prospects",
	DataverseTable:     "lead",
	DataverseEntitySet: "leads",
	FinOpsFilter:       "IsB2BProspect == Yes",
	DataverseFilter:    "msdyn_b2bcommerceprospect eq true",
	FinOpsWhere:        []Condition{{"IsB2BProspect", "eq", "Yes"}},
	DataverseWhere:     []Condition{{"msdyn_b2bcommerceprospect", "eq", true}},
	Fields: []Field{
		{FinOps: "ProspectName", Dataverse: "fullname", Direction: ToFinOpsOnly},
		{FinOps: "PersonFirstName", Dataverse: "firstname"},
		{FinOps: "PersonLastName", Dataverse: "lastname"},
		{FinOps: "ProspectId", Dataverse: "msdyn_prospectid"},
		{FinOps: "ProspectPartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "PrimaryEmailAddress", Dataverse: "emailaddress1"},
		{FinOps: "PrimaryPhoneNumber", Dataverse: "telephone1"},
		{FinOps: "PrimaryUrl", Dataverse: "websiteurl"},
		{FinOps: "CompanyName", Dataverse: "companyname"},
		{FinOps: "CompanySize", Dataverse: "numberofemployees"},
		{FinOps: "AddressStreet", Dataverse: "address1_line1"},
		{FinOps: "AddressCity", Dataverse: "address1_city"},
		{FinOps: "AddressState", Dataverse: "address1_stateorprovince"},
		{FinOps: "AddressZipCode", Dataverse: "address1_postalcode"},
		{FinOps: "AddressCountryRegionId", Dataverse: "address1_country"},
		{FinOps: "Note", Dataverse: "description"},
		{FinOps: "CurrencyCode", Dataverse: "transactioncurrencyid.isocurrencycode", LookupTable: "transactioncurrency"},
		{FinOps: "CustomerGroupId", Dataverse: "msdyn_customergroupid.msdyn_groupid", LookupTable: "msdyn_customergroup"},
		{FinOps: "RetailChannelOperatingUnitPartyNumber", Dataverse: "msdyn_retailchannel.msdyn_partynumber", LookupTable: "msdyn_retailchannel"},
		{FinOps: "IsB2BProspect", Dataverse: "msdyn_b2bcommerceprospect", Values: noYes},
		{FinOps: "B2BProspectStatus", Dataverse: "msdyn_b2bprospectstatus", Values: prospectStatus},
	},
}

// CustomerAccounts maps Commerce customers of party type Organization to
// Dataverse accounts (customertypecode 3, Customer).
var CustomerAccounts = Map{
	Name:               "Customers V3 (accounts)",
	FinOpsEntity:       "CustomersV3",
	DataverseTable:     "account",
	DataverseEntitySet: "accounts",
	FinOpsFilter:       `PartyType == "Organization"`,
	DataverseFilter:    "customertypecode eq 3",
	FinOpsWhere:        []Condition{{"PartyType", "eq", "Organization"}},
	DataverseWhere:     []Condition{{"customertypecode", "eq", 3}},
	Fields: []Field{
		{FinOps: "CustomerAccount", Dataverse: "accountnumber"},
		{FinOps: "CreditLimit", Dataverse: "creditlimit"},
		{FinOps: "PartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "OrganizationName", Dataverse: "name"},
	},
}

// CustomerContacts maps Commerce customers of party type Person to sellable
// Dataverse contacts (msdyn_sellable defaults to true).
var CustomerContacts = Map{
	Name:               "Customers V3 (contacts)",
	FinOpsEntity:       "CustomersV3",
	DataverseTable:     "contact",
	DataverseEntitySet: "contacts",
	FinOpsFilter:       `PartyType == "Person"`,
	DataverseFilter:    "msdyn_sellable eq true and msdyn_contactpersonid ne null",
	FinOpsWhere:        []Condition{{"PartyType", "eq", "Person"}},
	DataverseWhere:     []Condition{{"msdyn_sellable", "eq", true}, {"msdyn_contactpersonid", "ne", nil}},
	Fields: []Field{
		{FinOps: "CustomerAccount", Dataverse: "msdyn_contactpersonid"},
		{FinOps: "PersonFirstName", Dataverse: "firstname"},
		{FinOps: "PersonLastName", Dataverse: "lastname"},
		{FinOps: "PrimaryContactEmail", Dataverse: "emailaddress1"},
		{FinOps: "PartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
	},
}

// CustomerHierarchies maps Commerce customer hierarchies to
// msdyn_customerhierarchies. The Dataverse names of the purpose and
// organization columns (msdyn_purpose, msdyn_organizationpartyid) are
// inferences.
var CustomerHierarchies = Map{
	Name:               "Customer hierarchies (msdyn_customerhierarchies)",
	FinOpsEntity:       "CustomerHiearchies",
	DataverseTable:     "msdyn_customerhierarchy",
	DataverseEntitySet: "msdyn_customerhierarchies",
	Fields: []Field{
		{FinOps: "CustomerHierarchyId", Dataverse: "msdyn_customerhierarchynumber"},
		{FinOps: "Name", Dataverse: "msdyn_name"},
		{FinOps: "Purpose", Dataverse: "msdyn_purpose", Values: []Value{{"B2BOrganization", 192350000}}},
		{FinOps: "OrganizationPartyNumber", Dataverse: "msdyn_organizationpartyid.msdyn_partynumber", LookupTable: "msdyn_party"},
	},
}

// CustomerHierarchyNodes maps the nodes (members) of customer hierarchies
// to msdyn_customerhierarchynodes. The Dataverse column names other than
// the choice values are inferences.
var CustomerHierarchyNodes = Map{
	Name:               "Customer hierarchy nodes (msdyn_customerhierarchynodes)",
	FinOpsEntity:       "CustomerHierarchyNodes",
	DataverseTable:     "msdyn_customerhierarchynode",
	DataverseEntitySet: "msdyn_customerhierarchynodes",
	Fields: []Field{
		{FinOps: "CustomerHierarchyId", Dataverse: "msdyn_customerhierarchyid.msdyn_customerhierarchynumber", LookupTable: "msdyn_customerhierarchy"},
		{FinOps: "NodePartyNumber", Dataverse: "msdyn_nodepartyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "NodeType", Dataverse: "msdyn_nodetype", Values: []Value{{"Customer", 192350000}}},
		{FinOps: "Role", Dataverse: "msdyn_role", Values: []Value{{"Admin", 192350000}, {"User", 192350001}}},
	},
}

// Required returns the maps B2B onboarding needs, in the order the process
// uses them.
func Required() []Map {
	return []Map{Prospects, CustomerAccounts, CustomerContacts, CustomerHierarchies, CustomerHierarchyNodes}
}
