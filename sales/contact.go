package sales

import (
	"context"
	"fmt"
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
}

type contactJSON Contact

// UnmarshalJSON decodes a contact record with its annotations.
func (c *Contact) UnmarshalJSON(b []byte) error {
	*c = Contact{}
	return odata.DecodeRecord(b, (*contactJSON)(c), &c.Annotations)
}

func (c *Contact) createFields() *fields {
	f := newFields()
	f.required("Contact.LastName", "lastname", c.LastName, 50)
	for col, v := range map[string]string{
		"firstname": c.FirstName, "lastname": c.LastName, "emailaddress1": c.Email,
		"telephone1": c.Phone, "jobtitle": c.JobTitle, "msdyn_contactpersonid": c.ContactPersonID,
	} {
		set(f, col, v)
	}
	bindCustomer(f, "parentcustomerid", c.ParentCustomerID, c.LookupLogicalName("_parentcustomerid_value"))
	setPtr(f, "msdyn_sellable", c.Sellable)
	f.decimal("Contact.CreditLimit", "creditlimit", c.CreditLimit)
	return f
}

// ContactService reads and creates contacts. Get it from Client.Contacts.
type ContactService struct {
	r records[Contact]
}

// Create creates a contact from the columns of c that are set and returns
// its id. LastName is required; ParentCustomerID is bound as an account
// unless the record says it is a contact. When c.ID is set the create is
// idempotent.
func (s *ContactService) Create(ctx context.Context, c *Contact) (uuid.UUID, error) {
	if c == nil {
		return uuid.Nil, fmt.Errorf("sales: Contacts.Create: the contact is nil")
	}
	return s.r.create(ctx, "contactid", c.ID, c.createFields())
}

// Get reads the contact with the given id, with its annotations.
func (s *ContactService) Get(ctx context.Context, id uuid.UUID) (*Contact, error) {
	return s.r.get(ctx, id)
}

// List streams the contacts the query selects (nil: all of them).
func (s *ContactService) List(ctx context.Context, q *d365.Query) iter.Seq2[*Contact, error] {
	return s.r.list(ctx, q)
}
