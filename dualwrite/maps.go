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
	// Constant is the value of a constant line (the ">>" and "<<" of the
	// mapping tables): a line with FinOps empty sets the Dataverse column to
	// Constant, a line with Dataverse empty sets the Finance and Operations
	// field (see Map.DataverseConstants and Map.FinOpsConstants). Nil for
	// the other lines.
	Constant any
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
	// B2B prospect status choice values of lead.msdyn_b2bprospectstatus,
	// spelled here once for the SDK (sales.B2BProspectStatus) and the
	// emulator.
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

// Prospects maps Commerce B2B prospects to Dataverse leads, as Microsoft's
// dual-write mapping reference prints the "Prospects (leads)" map (every
// line, in its order). Only B2B prospects travel: IsB2BProspect == Yes on
// one side, msdyn_b2bcommerceprospect eq true on the other.
//
// The person's name travels as ProspectName = fullname, both ways:
// Prospects has no first or last name field, and Dataverse composes a
// lead's fullname from firstname and lastname, so whoever writes the lead
// splits it. The address travels as the ISO country code and the state id
// (AddressCountryRegionISOCode, AddressStateId). The map ends with two
// constants: address1_addresstypecode = 1 toward Dataverse and
// AddressLocationRoles = "Business" toward Finance and Operations.
//
// The value map of B2BProspectStatus is not printed by Microsoft; the
// choice values are this project's (see DataversePending).
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
		{FinOps: "ProspectName", Dataverse: "fullname"},
		{FinOps: "ProspectPartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "ProspectId", Dataverse: "msdyn_prospectid"},
		{FinOps: "PrimaryPhoneNumber", Dataverse: "telephone1"},
		{FinOps: "PrimaryPhoneNumberExtension", Dataverse: "msdyn_telephone1extension"},
		{FinOps: "PrimaryPhoneNumberDescription", Dataverse: "description"},
		{FinOps: "PrimaryEmailAddress", Dataverse: "emailaddress1"},
		{FinOps: "PrimaryEmailAddressDescription", Dataverse: "msdyn_emailaddress1description"},
		{FinOps: "PrimaryURL", Dataverse: "websiteurl"},
		{FinOps: "PrimaryURLDescription", Dataverse: "msdyn_websiteurldescription"},
		{FinOps: "AddressCity", Dataverse: "address1_city"},
		{FinOps: "AddressCountryRegionISOCode", Dataverse: "address1_country"},
		{FinOps: "AddressCountyId", Dataverse: "address1_county"},
		{FinOps: "AddressStateId", Dataverse: "address1_stateorprovince"},
		{FinOps: "AddressStreet", Dataverse: "address1_line1"},
		{FinOps: "AddressZipCode", Dataverse: "address1_postalcode"},
		{FinOps: "AddressPostBox", Dataverse: "address1_postofficebox"},
		{FinOps: "AddressLocationRoles", Direction: ToFinOpsOnly, Constant: "Business"},
		{Dataverse: "address1_addresstypecode", Direction: ToDataverseOnly, Constant: 1},
		{FinOps: "CompanyName", Dataverse: "companyname"},
		{FinOps: "CompanySize", Dataverse: "numberofemployees"},
		{FinOps: "AddressLatitude", Dataverse: "address1_latitude"},
		{FinOps: "AddressLongitude", Dataverse: "address1_longitude"},
		{FinOps: "CurrencyCode", Dataverse: "transactioncurrencyid.isocurrencycode", LookupTable: "transactioncurrency"},
		{FinOps: "CustomerGroupId", Dataverse: "msdyn_customergroupid.msdyn_groupid", LookupTable: "msdyn_customergroup"},
		{FinOps: "SalesTaxGroupCode", Dataverse: "msdyn_salestaxgroup.msdyn_name", LookupTable: "msdyn_taxgroup"},
		{FinOps: "PrimaryFaxNumber", Dataverse: "fax"},
		{FinOps: "PrimaryFaxNumberDescription", Dataverse: "msdyn_faxdescription"},
		{FinOps: "PrimaryFaxNumberExtension", Dataverse: "msdyn_faxextension"},
		{FinOps: "RetailChannelOperatingUnitPartyNumber", Dataverse: "msdyn_retailchannel.msdyn_partynumber", LookupTable: "msdyn_retailchannel"},
		{FinOps: "IsB2BProspect", Dataverse: "msdyn_b2bcommerceprospect", Values: noYes},
		{FinOps: "B2BProspectStatus", Dataverse: "msdyn_b2bprospectstatus", Values: prospectStatus},
	},
}

// onHoldStatus is CustVendorBlocked <-> account.msdyn_onholdstatus, as the
// 2021 mapping reference prints it.
var onHoldStatus = []Value{
	{"No", 806380000}, {"Invoice", 806380001}, {"All", 806380002},
	{"Payment", 806380003}, {"Requisition", 806380004}, {"Never", 806380005},
}

// CustomerAccounts maps Commerce customers of party type Organization to
// Dataverse accounts (customertypecode 3, Customer): every line of
// Microsoft's "Customers V3 (accounts)" map, plus OrganizationName = name,
// which only the older standalone page printed (the current map carries
// the name through the CDS Parties map, which this project does not use).
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
		{FinOps: "SalesCurrencyCode", Dataverse: "transactioncurrencyid.isocurrencycode", LookupTable: "transactioncurrency"},
		{FinOps: "SalesMemo", Dataverse: "description"},
		{FinOps: "CreditLimitIsMandatory", Dataverse: "msdyn_creditlimitismandatory", Values: noYes},
		{FinOps: "CreditRating", Dataverse: "msdyn_creditrating"},
		{FinOps: "CustomerGroupId", Dataverse: "msdyn_customergroupid.msdyn_groupid", LookupTable: "msdyn_customergroup"},
		{FinOps: "IdentificationNumber", Dataverse: "msdyn_identificationnumber"},
		{FinOps: "InvoiceAccount", Dataverse: "msdyn_billingaccount.accountnumber", LookupTable: "account"},
		{FinOps: "IsOneTimeCustomer", Dataverse: "msdyn_onetimecustomer", Values: noYes},
		{FinOps: "OnHoldStatus", Dataverse: "msdyn_onholdstatus", Values: onHoldStatus},
		{FinOps: "PartyCountry", Dataverse: "msdyn_partycountry"},
		{FinOps: "PartyState", Dataverse: "msdyn_partystateprovince"},
		{FinOps: "PaymentDay", Dataverse: "msdyn_paymentday.msdyn_name", LookupTable: "msdyn_paymentday"},
		{FinOps: "PaymentMethod", Dataverse: "msdyn_customerpaymentmethod.msdyn_name", LookupTable: "msdyn_customerpaymentmethod"},
		{FinOps: "PaymentSchedule", Dataverse: "msdyn_paymentschedule.msdyn_name", LookupTable: "msdyn_paymentschedule"},
		{FinOps: "PaymentTerms", Dataverse: "msdyn_paymentterm.msdyn_name", LookupTable: "msdyn_paymentterm"},
		{FinOps: "PaymentTermsBaseDays", Dataverse: "msdyn_paymenttermsbasedays"},
		{FinOps: "TaxExemptNumber", Dataverse: "msdyn_taxexemptnumber"},
		{FinOps: "VendorAccount", Dataverse: "msdyn_vendor.msdyn_vendoraccountnumber", LookupTable: "msdyn_vendor"},
		{Dataverse: "customertypecode", Direction: ToDataverseOnly, Constant: 3},
		{FinOps: "PartyType", Direction: ToFinOpsOnly, Constant: "Organization"},
		{FinOps: "PartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "ContactPersonId", Dataverse: "msdyn_primarycontact.msdyn_contactforpartynumber", LookupTable: "msdyn_contactforparty"},
		{FinOps: "SalesTaxGroup", Dataverse: "msdyn_salestaxgroup.msdyn_name", LookupTable: "msdyn_taxgroup"},
		{FinOps: "OrganizationName", Dataverse: "name"},
	},
}

// CustomerContacts maps Commerce customers of party type Person to sellable
// Dataverse contacts (msdyn_sellable true): every line of Microsoft's
// "Customers V3 (contacts)" map, plus PersonFirstName = firstname,
// PersonLastName = lastname and PrimaryContactEmail = emailaddress1, which
// only the older standalone page printed. Note that this map's payment terms
// column is msdyn_paymentterms (the accounts map's is msdyn_paymentterm).
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
		{Dataverse: "msdyn_sellable", Direction: ToDataverseOnly, Constant: true},
		{FinOps: "PartyType", Direction: ToFinOpsOnly, Constant: "Person"},
		{FinOps: "PartyNumber", Dataverse: "msdyn_partyid.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "CustomerAccount", Dataverse: "msdyn_contactpersonid"},
		{FinOps: "CustomerGroupId", Dataverse: "msdyn_customergroupid.msdyn_groupid", LookupTable: "msdyn_customergroup"},
		{FinOps: "IdentificationNumber", Dataverse: "msdyn_identificationnumber"},
		{FinOps: "PartyCountry", Dataverse: "msdyn_partycountry"},
		{FinOps: "PartyState", Dataverse: "msdyn_partystateprovince"},
		{FinOps: "SalesCurrencyCode", Dataverse: "transactioncurrencyid.isocurrencycode", LookupTable: "transactioncurrency"},
		{FinOps: "SalesMemo", Dataverse: "description"},
		{FinOps: "PaymentDay", Dataverse: "msdyn_paymentday.msdyn_name", LookupTable: "msdyn_paymentday"},
		{FinOps: "PaymentSchedule", Dataverse: "msdyn_paymentschedule.msdyn_name", LookupTable: "msdyn_paymentschedule"},
		{FinOps: "PaymentMethod", Dataverse: "msdyn_customerpaymentmethod.msdyn_name", LookupTable: "msdyn_customerpaymentmethod"},
		{FinOps: "SalesTaxGroup", Dataverse: "msdyn_salestaxgroup.msdyn_name", LookupTable: "msdyn_taxgroup"},
		{FinOps: "PaymentTerms", Dataverse: "msdyn_paymentterms.msdyn_name", LookupTable: "msdyn_paymentterm"},
		{FinOps: "ContactPersonId", Dataverse: "msdyn_primarycontact.msdyn_contactforpartynumber", LookupTable: "msdyn_contactforparty"},
		{FinOps: "PersonFirstName", Dataverse: "firstname"},
		{FinOps: "PersonLastName", Dataverse: "lastname"},
		{FinOps: "PrimaryContactEmail", Dataverse: "emailaddress1"},
	},
}

// CustomerHierarchies maps Commerce customer hierarchies to
// msdyn_customerhierarchies. The organization is the lookup
// msdyn_organizationpartynumber (a lookup to msdyn_party despite its name).
var CustomerHierarchies = Map{
	Name:               "Customer hierarchies (msdyn_customerhierarchies)",
	FinOpsEntity:       "CustomerHiearchies",
	DataverseTable:     "msdyn_customerhierarchy",
	DataverseEntitySet: "msdyn_customerhierarchies",
	Fields: []Field{
		{FinOps: "CustomerHierarchyId", Dataverse: "msdyn_customerhierarchynumber"},
		{FinOps: "Name", Dataverse: "msdyn_name"},
		{FinOps: "OrganizationPartyNumber", Dataverse: "msdyn_organizationpartynumber.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "Purpose", Dataverse: "msdyn_purpose", Values: []Value{{"B2BOrganization", 192350000}}},
	},
}

// CustomerHierarchyNodes maps the nodes (members) of customer hierarchies
// to msdyn_customerhierarchynodes. The node's lookups are named after the
// numbers they resolve: msdyn_customerhierarchynumber (to the hierarchy)
// and msdyn_nodepartynumber (to the party).
var CustomerHierarchyNodes = Map{
	Name:               "Customer hierarchy nodes (msdyn_customerhierarchynodes)",
	FinOpsEntity:       "CustomerHierarchyNodes",
	DataverseTable:     "msdyn_customerhierarchynode",
	DataverseEntitySet: "msdyn_customerhierarchynodes",
	Fields: []Field{
		{FinOps: "CustomerHierarchyId", Dataverse: "msdyn_customerhierarchynumber.msdyn_customerhierarchynumber", LookupTable: "msdyn_customerhierarchy"},
		{FinOps: "NodePartyNumber", Dataverse: "msdyn_nodepartynumber.msdyn_partynumber", LookupTable: "msdyn_party"},
		{FinOps: "NodeType", Dataverse: "msdyn_nodetype", Values: []Value{{"Customer", 192350000}}},
		{FinOps: "Role", Dataverse: "msdyn_role", Values: []Value{{"Admin", 192350000}, {"User", 192350001}}},
	},
}

// Required returns the maps B2B onboarding needs, in the order the process
// uses them.
func Required() []Map {
	return []Map{Prospects, CustomerAccounts, CustomerContacts, CustomerHierarchies, CustomerHierarchyNodes}
}
