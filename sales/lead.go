package sales

import (
	"encoding/json"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// MaxSubjectLength is the most characters a lead's Subject (topic) holds.
const MaxSubjectLength = 300

// Lead is a record of the leads table. Each field's json tag names its
// column. Empty fields are columns the service returned as null (or did not
// return).
//
// Read-only columns (FullName, QualifyingOpportunityID, State, CreatedOn,
// ModifiedOn) are never sent by Create.
type Lead struct {
	// Annotations holds the ETag, the formatted values and the lookups'
	// tables (see d365.Annotations).
	d365.Annotations

	// ID is the lead's id. Set it before Create to choose the id
	// yourself, which makes the create safe to retry.
	ID uuid.UUID `json:"leadid,omitzero"`
	// Subject is the topic: required, at most 300 characters.
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
	// NumberOfEmployees is nil when unknown.
	NumberOfEmployees *int `json:"numberofemployees,omitempty"`

	Address1Line1           string `json:"address1_line1,omitempty"`
	Address1Line2           string `json:"address1_line2,omitempty"`
	Address1City            string `json:"address1_city,omitempty"`
	Address1StateOrProvince string `json:"address1_stateorprovince,omitempty"`
	Address1PostalCode      string `json:"address1_postalcode,omitempty"`
	Address1Country         string `json:"address1_country,omitempty"`

	// BudgetAmount and EstimatedAmount are in the lead's currency.
	BudgetAmount    d365.Decimal `json:"budgetamount,omitempty"`
	EstimatedAmount d365.Decimal `json:"estimatedamount,omitempty"`
	// EstimatedCloseDate is a date only.
	EstimatedCloseDate d365.Date `json:"estimatedclosedate,omitzero"`

	// ParentAccountID is the lead's account.
	ParentAccountID uuid.UUID `json:"_parentaccountid_value,omitzero"`
	// ParentContactID is the lead's contact.
	ParentContactID uuid.UUID `json:"_parentcontactid_value,omitzero"`
	// TransactionCurrencyID is the lead's currency.
	TransactionCurrencyID uuid.UUID `json:"_transactioncurrencyid_value,omitzero"`
	// QualifyingOpportunityID is the opportunity created when the lead
	// was qualified. Read-only.
	QualifyingOpportunityID uuid.UUID `json:"_qualifyingopportunityid_value,omitzero"`

	// B2BCommerceProspect is true for a lead dual-write created from a
	// Commerce B2B onboarding request.
	B2BCommerceProspect *bool `json:"msdyn_b2bcommerceprospect,omitempty"`
	// B2BProspectStatus is zero when empty.
	B2BProspectStatus B2BProspectStatus `json:"msdyn_b2bprospectstatus,omitempty"`
	// ProspectID is the prospect's id in Commerce headquarters.
	ProspectID string `json:"msdyn_prospectid,omitempty"`

	// State is read-only (Qualify and Disqualify change it), nil when not
	// returned.
	State *LeadState `json:"statecode,omitempty"`
	// Status is the status reason, zero when not returned.
	Status LeadStatus `json:"statuscode,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only

	// ParentAccount and ParentContact are the lead's account and contact
	// when a Get or List expands them ($expand), nil otherwise.
	ParentAccount *Account `json:"parentaccountid,omitempty"`
	ParentContact *Contact `json:"parentcontactid,omitempty"`

	// Custom holds the columns the struct has no field for, by logical
	// name, such as a custom column new_vatnumber. Read: every other
	// column the service returned, kept as received until read
	// (Custom.Get, Custom.Map: numbers as json.Number, in the exact text
	// received; lookups as _<name>_value). Create sends them as they are
	// (empty: none; build them with d365.NewColumns or Custom.Set); a name
	// the struct has a field for is refused. See Example_customColumn.
	Custom d365.Columns `json:"-" d365:"custom"`
}

// leadJSON is Lead without its methods, for decoding.
type leadJSON Lead

// UnmarshalJSON decodes a lead record with its annotations.
func (l *Lead) UnmarshalJSON(b []byte) error {
	*l = Lead{}
	return odata.DecodeRecord(b, (*leadJSON)(l), &l.Annotations)
}

// write returns what Create sends: the writable fields of l that are set.
func (l *Lead) write() *leadWrite {
	w := &leadWrite{leadCreate: leadCreate{ID: l.ID}}
	odata.Convert(&w.LeadChanges, l)
	return w
}

// leadCreate is the body of Leads.Create: the id, and the columns.
type leadCreate struct {
	ID uuid.UUID `json:"leadid,omitzero"`
	LeadChanges
}

// createBody is the body Create sends for l: written straight from l's
// fields (odata.ProjectJSON) when nothing in it needs more than the tags'
// rules, else through the LeadChanges it converts to, with its checks.
// Both give the same bytes (FuzzLeadCreateBody).
func (l *Lead) createBody() ([]byte, error) {
	// Status and B2BProspectStatus are the columns LeadChanges.check
	// looks at.
	if l.Status == 0 && l.B2BProspectStatus == 0 {
		if body, ok := odata.ProjectJSON[leadCreate](l, true); ok {
			return body, nil
		}
	}
	return l.write().bodyJSON("Lead", true)
}

// LeadChanges lists the columns an update changes: only the fields that are
// not nil are sent, so an update never overwrites a column by accident.
// Build the pointers with Ptr:
//
//	sales.LeadChanges{Phone: sales.Ptr("+1 425 555 0100")}
//
// Set a pointer to "" or list a column in Clear to empty it. Each field's
// json tag names its column; nil leaves the column unchanged.
type LeadChanges struct {
	Subject           *string `json:"subject" d365:"required,max=300"` // not empty, at most 300 characters
	FirstName         *string `json:"firstname"`
	LastName          *string `json:"lastname"`
	CompanyName       *string `json:"companyname"`
	Email             *string `json:"emailaddress1"`
	Phone             *string `json:"telephone1"`
	WebsiteURL        *string `json:"websiteurl"`
	JobTitle          *string `json:"jobtitle"`
	Description       *string `json:"description"`
	NumberOfEmployees *int    `json:"numberofemployees"`

	Address1Line1           *string `json:"address1_line1"`
	Address1Line2           *string `json:"address1_line2"`
	Address1City            *string `json:"address1_city"`
	Address1StateOrProvince *string `json:"address1_stateorprovince"`
	Address1PostalCode      *string `json:"address1_postalcode"`
	Address1Country         *string `json:"address1_country"`

	BudgetAmount       *d365.Decimal `json:"budgetamount"`
	EstimatedAmount    *d365.Decimal `json:"estimatedamount"`
	EstimatedCloseDate *d365.Date    `json:"estimatedclosedate"`

	// The lookups take the id of the record to link; a pointer to
	// uuid.Nil is refused (list the lookup's column in Clear to unlink).
	ParentAccountID       *uuid.UUID `json:"parentaccountid@odata.bind" d365:"bind=accounts"`
	ParentContactID       *uuid.UUID `json:"parentcontactid@odata.bind" d365:"bind=contacts"`
	TransactionCurrencyID *uuid.UUID `json:"transactioncurrencyid@odata.bind" d365:"bind=transactioncurrencies"`

	B2BCommerceProspect *bool              `json:"msdyn_b2bcommerceprospect"`
	B2BProspectStatus   *B2BProspectStatus `json:"msdyn_b2bprospectstatus"`
	ProspectID          *string            `json:"msdyn_prospectid"`

	// Status moves an open lead between New and Contacted; use Qualify and
	// Disqualify for the other states.
	Status *LeadStatus `json:"statuscode"`

	// Clear lists columns to set to null, by column name (the json names
	// of the fields above).
	Clear []string `json:"-"`

	// Custom sets columns LeadChanges has no field for, such as a custom
	// column new_vatnumber, by logical name, sent as they are (nil: none;
	// a name that has a field here is refused).
	Custom map[string]any `json:"-" d365:"custom"`
}

// check refuses the values no lead may be given: a status other than New
// and Contacted (Qualify and Disqualify set those) and an unknown B2B
// prospect status. label names the type in errors.
func (ch *LeadChanges) check(label string) error {
	if s := ch.Status; s != nil && *s != LeadStatusNew && *s != LeadStatusContacted {
		return d365.NewInputError("", label+".Status", "is %s: only New and Contacted can be set; use Qualify or Disqualify", *s)
	}
	if s := ch.B2BProspectStatus; s != nil && !s.valid() {
		return d365.NewInputError("", label+".B2BProspectStatus", "%d is not a B2B prospect status", int(*s))
	}
	return nil
}

// leadWrite is the body of the writes on leads: the changes, and the
// columns only the SDK sets (the id of a lead created with a chosen id, the
// state Disqualify sets, the type of a bulk message's target).
type leadWrite struct {
	Type  string     `json:"@odata.type,omitempty"`
	State *LeadState `json:"statecode,omitempty"`
	leadCreate
}

// bodyJSON is body encoded as JSON, the same bytes, written from the fields
// without building the map when no column is cleared (see
// odata.MembersJSON): what Create sends.
func (w *leadWrite) bodyJSON(label string, create bool) ([]byte, error) {
	if len(w.Clear) > 0 {
		m, err := w.body(label, create)
		if err != nil {
			return nil, err
		}
		return json.Marshal(m)
	}
	if err := w.check(label); err != nil {
		return nil, err
	}
	return odata.MembersJSON(w, label, create)
}

// body returns the members w sends, checked, naming label in errors.
func (w *leadWrite) body(label string, create bool) (map[string]any, error) {
	if err := w.check(label); err != nil {
		return nil, err
	}
	m, err := odata.Members(w, label, create)
	if err != nil {
		return nil, err
	}
	return m, clearColumns(m, label+".Clear", w.Clear)
}
