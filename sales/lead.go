package sales

import (
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// MaxSubjectLength is the most characters a lead's subject (topic) holds.
const MaxSubjectLength = 300

// Lead is a record of the leads table. Each field names its Dataverse column.
// Empty fields are columns the service returned as null (or did not return).
//
// Read-only columns (FullName, QualifyingOpportunityID, State, CreatedOn,
// ModifiedOn) are never sent by Create.
type Lead struct {
	// Annotations holds the ETag, the formatted values (such as
	// lead.FormattedValue("statuscode")) and the lookups' tables (such as
	// lead.LookupLogicalName("_parentaccountid_value")).
	d365.Annotations

	// ID is leadid. Set it before Create to choose the id yourself, which
	// makes the create safe to retry.
	ID uuid.UUID `json:"leadid,omitzero"`
	// Subject is the topic (subject): required, at most 300 characters.
	Subject     string `json:"subject,omitempty"`
	FirstName   string `json:"firstname,omitempty"`
	LastName    string `json:"lastname,omitempty"`
	FullName    string `json:"fullname,omitempty"` // read-only, composed by the service
	CompanyName string `json:"companyname,omitempty"`
	Email       string `json:"emailaddress1,omitempty"`
	Phone       string `json:"telephone1,omitempty"`
	WebsiteURL  string `json:"websiteurl,omitempty"`
	JobTitle    string `json:"jobtitle,omitempty"`
	Description string `json:"description,omitempty"`
	// NumberOfEmployees is numberofemployees, nil when unknown.
	NumberOfEmployees *int `json:"numberofemployees,omitempty"`

	Address1Line1           string `json:"address1_line1,omitempty"`
	Address1Line2           string `json:"address1_line2,omitempty"`
	Address1City            string `json:"address1_city,omitempty"`
	Address1StateOrProvince string `json:"address1_stateorprovince,omitempty"`
	Address1PostalCode      string `json:"address1_postalcode,omitempty"`
	Address1Country         string `json:"address1_country,omitempty"`

	// BudgetAmount is budgetamount, in the lead's currency.
	BudgetAmount d365.Decimal `json:"budgetamount,omitempty"`
	// EstimatedAmount is estimatedamount, in the lead's currency.
	EstimatedAmount d365.Decimal `json:"estimatedamount,omitempty"`
	// EstimatedCloseDate is estimatedclosedate (date only).
	EstimatedCloseDate d365.Date `json:"estimatedclosedate,omitzero"`

	// ParentAccountID is the lead's account (parentaccountid).
	ParentAccountID uuid.UUID `json:"_parentaccountid_value,omitzero"`
	// ParentContactID is the lead's contact (parentcontactid).
	ParentContactID uuid.UUID `json:"_parentcontactid_value,omitzero"`
	// TransactionCurrencyID is the lead's currency (transactioncurrencyid).
	TransactionCurrencyID uuid.UUID `json:"_transactioncurrencyid_value,omitzero"`
	// QualifyingOpportunityID is the opportunity created when the lead
	// was qualified (qualifyingopportunityid). Read-only.
	QualifyingOpportunityID uuid.UUID `json:"_qualifyingopportunityid_value,omitzero"`

	// B2BCommerceProspect is msdyn_b2bcommerceprospect: true for a lead
	// dual-write created from a Commerce B2B onboarding request.
	B2BCommerceProspect *bool `json:"msdyn_b2bcommerceprospect,omitempty"`
	// B2BProspectStatus is msdyn_b2bprospectstatus, zero when empty.
	B2BProspectStatus B2BProspectStatus `json:"msdyn_b2bprospectstatus,omitempty"`
	// ProspectID is msdyn_prospectid, the prospect's id in Commerce
	// headquarters.
	ProspectID string `json:"msdyn_prospectid,omitempty"`

	// State is statecode (read-only: Qualify and Disqualify change it),
	// nil when not returned.
	State *LeadState `json:"statecode,omitempty"`
	// Status is statuscode, zero when not returned.
	Status LeadStatus `json:"statuscode,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only
}

// leadJSON is Lead without its methods, for decoding.
type leadJSON Lead

// UnmarshalJSON decodes a lead record with its annotations.
func (l *Lead) UnmarshalJSON(b []byte) error {
	*l = Lead{}
	return odata.DecodeRecord(b, (*leadJSON)(l), &l.Annotations)
}

// createFields returns the columns Create sends: the writable columns that
// are set.
func (l *Lead) createFields() *fields {
	f := newFields()
	f.required("Lead.Subject", "subject", l.Subject, MaxSubjectLength)
	for col, v := range map[string]string{
		"firstname": l.FirstName, "lastname": l.LastName, "companyname": l.CompanyName,
		"emailaddress1": l.Email, "telephone1": l.Phone, "websiteurl": l.WebsiteURL,
		"jobtitle": l.JobTitle, "description": l.Description,
		"address1_line1": l.Address1Line1, "address1_line2": l.Address1Line2,
		"address1_city": l.Address1City, "address1_stateorprovince": l.Address1StateOrProvince,
		"address1_postalcode": l.Address1PostalCode, "address1_country": l.Address1Country,
		"msdyn_prospectid": l.ProspectID, "subject": l.Subject,
	} {
		set(f, col, v)
	}
	setPtr(f, "numberofemployees", l.NumberOfEmployees)
	f.decimal("Lead.BudgetAmount", "budgetamount", l.BudgetAmount)
	f.decimal("Lead.EstimatedAmount", "estimatedamount", l.EstimatedAmount)
	set(f, "estimatedclosedate", l.EstimatedCloseDate)
	f.bind("parentaccountid", "accounts", l.ParentAccountID)
	f.bind("parentcontactid", "contacts", l.ParentContactID)
	f.bind("transactioncurrencyid", "transactioncurrencies", l.TransactionCurrencyID)
	setPtr(f, "msdyn_b2bcommerceprospect", l.B2BCommerceProspect)
	if l.B2BProspectStatus != 0 {
		if !l.B2BProspectStatus.valid() {
			f.fail("Lead.B2BProspectStatus (msdyn_b2bprospectstatus) %d is not a B2B prospect status", int(l.B2BProspectStatus))
		}
		f.m["msdyn_b2bprospectstatus"] = l.B2BProspectStatus
	}
	if l.Status != 0 {
		if l.Status != LeadStatusNew && l.Status != LeadStatusContacted {
			f.fail("Lead.Status (statuscode) is %s: a new lead is New or Contacted; use Qualify or Disqualify afterwards", l.Status)
		}
		f.m["statuscode"] = l.Status
	}
	return f
}

// LeadChanges lists the columns an update changes: only the fields that are
// not nil are sent, so an update never overwrites a column by accident.
// Build the pointers with Ptr:
//
//	sales.LeadChanges{Phone: sales.Ptr("+1 425 555 0100")}
//
// Set a pointer to "" or list a column in Clear to empty it.
type LeadChanges struct {
	Subject           *string // subject: not empty, at most 300 characters
	FirstName         *string // firstname
	LastName          *string // lastname
	CompanyName       *string // companyname
	Email             *string // emailaddress1
	Phone             *string // telephone1
	WebsiteURL        *string // websiteurl
	JobTitle          *string // jobtitle
	Description       *string // description
	NumberOfEmployees *int    // numberofemployees

	Address1Line1           *string // address1_line1
	Address1Line2           *string // address1_line2
	Address1City            *string // address1_city
	Address1StateOrProvince *string // address1_stateorprovince
	Address1PostalCode      *string // address1_postalcode
	Address1Country         *string // address1_country

	BudgetAmount       *d365.Decimal // budgetamount
	EstimatedAmount    *d365.Decimal // estimatedamount
	EstimatedCloseDate *d365.Date    // estimatedclosedate

	ParentAccountID       *uuid.UUID // parentaccountid, bound to /accounts(<id>)
	ParentContactID       *uuid.UUID // parentcontactid, bound to /contacts(<id>)
	TransactionCurrencyID *uuid.UUID // transactioncurrencyid

	B2BCommerceProspect *bool              // msdyn_b2bcommerceprospect
	B2BProspectStatus   *B2BProspectStatus // msdyn_b2bprospectstatus
	ProspectID          *string            // msdyn_prospectid

	// Status moves an open lead between New and Contacted; use Qualify and
	// Disqualify for the other states.
	Status *LeadStatus

	// Clear lists columns to set to null, such as "telephone1".
	Clear []string
}

// fields returns the columns the update sends.
func (ch *LeadChanges) fields() *fields {
	f := newFields()
	if ch == nil {
		return f
	}
	if ch.Subject != nil {
		f.required("LeadChanges.Subject", "subject", *ch.Subject, MaxSubjectLength)
	}
	for col, v := range map[string]*string{
		"subject": ch.Subject, "firstname": ch.FirstName, "lastname": ch.LastName,
		"companyname": ch.CompanyName, "emailaddress1": ch.Email, "telephone1": ch.Phone,
		"websiteurl": ch.WebsiteURL, "jobtitle": ch.JobTitle, "description": ch.Description,
		"address1_line1": ch.Address1Line1, "address1_line2": ch.Address1Line2,
		"address1_city": ch.Address1City, "address1_stateorprovince": ch.Address1StateOrProvince,
		"address1_postalcode": ch.Address1PostalCode, "address1_country": ch.Address1Country,
		"msdyn_prospectid": ch.ProspectID,
	} {
		setPtr(f, col, v)
	}
	setPtr(f, "numberofemployees", ch.NumberOfEmployees)
	if ch.BudgetAmount != nil {
		f.decimal("LeadChanges.BudgetAmount", "budgetamount", *ch.BudgetAmount)
	}
	if ch.EstimatedAmount != nil {
		f.decimal("LeadChanges.EstimatedAmount", "estimatedamount", *ch.EstimatedAmount)
	}
	setPtr(f, "estimatedclosedate", ch.EstimatedCloseDate)
	f.bindPtr("LeadChanges.ParentAccountID", "parentaccountid", "accounts", ch.ParentAccountID)
	f.bindPtr("LeadChanges.ParentContactID", "parentcontactid", "contacts", ch.ParentContactID)
	f.bindPtr("LeadChanges.TransactionCurrencyID", "transactioncurrencyid", "transactioncurrencies", ch.TransactionCurrencyID)
	setPtr(f, "msdyn_b2bcommerceprospect", ch.B2BCommerceProspect)
	if s := ch.B2BProspectStatus; s != nil {
		if !s.valid() {
			f.fail("LeadChanges.B2BProspectStatus (msdyn_b2bprospectstatus) %d is not a B2B prospect status", int(*s))
		}
		f.m["msdyn_b2bprospectstatus"] = *s
	}
	if s := ch.Status; s != nil {
		if *s != LeadStatusNew && *s != LeadStatusContacted {
			f.fail("LeadChanges.Status (statuscode) is %s: only New and Contacted can be set; use Qualify or Disqualify", *s)
		}
		f.m["statuscode"] = *s
	}
	f.clear("LeadChanges.Clear", ch.Clear)
	return f
}
