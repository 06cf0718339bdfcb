package sales

import (
	"context"
	"iter"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// Contact is a record of the contacts table.
type Contact struct {
	// Annotations holds the ETag, the formatted values and the lookups'
	// tables, such as c.LookupLogicalName("_parentcustomerid_value").
	d365.Annotations

	// ID is contactid. Set it before Create to choose the id yourself.
	ID        uuid.UUID `json:"contactid,omitzero"`
	FirstName string    `json:"firstname,omitempty"`
	// LastName is lastname: required.
	LastName string `json:"lastname,omitempty"`
	FullName string `json:"fullname,omitempty"` // read-only
	Email    string `json:"emailaddress1,omitempty"`
	Phone    string `json:"telephone1,omitempty"`
	JobTitle string `json:"jobtitle,omitempty"`

	// ParentCustomerID is the contact's company (parentcustomerid), an
	// account or a contact: see LookupLogicalName("_parentcustomerid_value").
	ParentCustomerID uuid.UUID `json:"_parentcustomerid_value,omitzero"`
	// ContactPersonID is msdyn_contactpersonid, the Commerce customer
	// account of the person once dual-write has synced the contact.
	ContactPersonID string `json:"msdyn_contactpersonid,omitempty"`
	// Sellable is msdyn_sellable: whether dual-write syncs the contact to
	// Commerce as a customer.
	Sellable *bool `json:"msdyn_sellable,omitempty"`
	// CreditLimit is creditlimit.
	CreditLimit d365.Decimal `json:"creditlimit,omitempty"`

	// State is statecode: 0 Active, 1 Inactive (read-only here).
	State *int `json:"statecode,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only

	// Custom holds the columns the struct has no field for, by logical
	// name, such as a custom column new_vatnumber. Read: every other
	// column the service returned, kept as received until read
	// (Custom.Get, Custom.Map: numbers as json.Number, in the exact text
	// received; lookups as _<name>_value). Create sends them as they are
	// (empty: none; build them with d365.NewColumns or Custom.Set); a name
	// the struct has a field for is refused. See Example_customColumn.
	Custom d365.Columns `json:"-" d365:"custom"`
}

type contactJSON Contact

// UnmarshalJSON decodes a contact record with its annotations.
func (c *Contact) UnmarshalJSON(b []byte) error {
	*c = Contact{}
	return odata.DecodeRecord(b, (*contactJSON)(c), &c.Annotations)
}

// write returns what Create sends: the writable fields of c that are set.
func (c *Contact) write() *contactWrite {
	w := convert[contactWrite](c)
	w.ParentCustomerAccount, w.ParentCustomerContact = customer(c.ParentCustomerID, c.LookupLogicalName(odata.Column[Contact]("ParentCustomerID")))
	return w
}

// contactWrite is the body of Contacts.Create.
type contactWrite struct {
	ID        uuid.UUID `json:"contactid"`
	FirstName string    `json:"firstname"`
	LastName  string    `json:"lastname" d365:"required,max=50"`
	Email     string    `json:"emailaddress1"`
	Phone     string    `json:"telephone1"`
	JobTitle  string    `json:"jobtitle"`
	// The company is an account or a contact, each bound through its own
	// navigation property.
	ParentCustomerAccount uuid.UUID    `json:"parentcustomerid_account@odata.bind" d365:"bind=accounts"`
	ParentCustomerContact uuid.UUID    `json:"parentcustomerid_contact@odata.bind" d365:"bind=contacts"`
	ContactPersonID       string       `json:"msdyn_contactpersonid"`
	Sellable              *bool        `json:"msdyn_sellable"`
	CreditLimit           d365.Decimal `json:"creditlimit"`

	Custom map[string]any `json:"-" d365:"custom"` // the read type's Custom
}

// ContactService reads and creates contacts. Get it from Client.Contacts.
type ContactService struct{ entitySet }

// Create creates a contact from the columns of c that are set and returns
// its id. LastName is required; ParentCustomerID is bound as an account
// unless the record says it is a contact. When c.ID is set the create is
// idempotent.
func (s *ContactService) Create(ctx context.Context, c *Contact) (uuid.UUID, error) {
	if c == nil {
		return uuid.Nil, d365.NewInputError(s.op("Create"), "contact", "is nil")
	}
	body, err := odata.Members(c.write(), "Contact", true)
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	return s.create(ctx, "Create", c.ID, body)
}

// Get reads the contact with the given id, with its annotations and the
// columns o selects (nil: every column).
func (s *ContactService) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Contact, error) {
	return get[Contact](ctx, s.entitySet, id, o)
}

// List streams the contacts o selects (nil: all of them).
func (s *ContactService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Contact, error] {
	return list[Contact](ctx, s.entitySet, o)
}

// Pages streams the contacts o selects a page at a time (see
// LeadService.Pages).
func (s *ContactService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Contact], error] {
	return pages[Contact](ctx, s.entitySet, o)
}
