package commerce

import (
	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// Customer is a record of the CustomersV3 entity. Its key is DataAreaID +
// CustomerAccount. An approved B2B prospect yields two customers: the
// organization (PartyType Organization) and the requester (Person).
type Customer struct {
	// Annotations holds the record's ETag.
	d365.Annotations

	// DataAreaID is the company (dataAreaId), such as "usrt".
	DataAreaID      string `json:"dataAreaId,omitempty"`
	CustomerAccount string `json:"CustomerAccount,omitempty"`
	// PartyType is "Organization" or "Person".
	PartyType PartyType `json:"PartyType,omitempty"`
	// PartyNumber is the customer's party in the global address book.
	PartyNumber string `json:"PartyNumber,omitempty"`
	// OrganizationName is set for an Organization customer.
	OrganizationName string `json:"OrganizationName,omitempty"`
	// PersonFirstName and PersonLastName are set for a Person customer.
	PersonFirstName     string       `json:"PersonFirstName,omitempty"`
	PersonLastName      string       `json:"PersonLastName,omitempty"`
	PrimaryContactEmail string       `json:"PrimaryContactEmail,omitempty"`
	CreditLimit         d365.Decimal `json:"CreditLimit,omitempty"`
	// CreditLimitIsMandatory is the "Mandatory credit limit" option of the
	// Credit and collections FastTab: Yes checks the credit limit even when
	// the credit limit type is None.
	CreditLimitIsMandatory NoYes `json:"CreditLimitIsMandatory,omitempty"`
	// AllowOnAccount is the "Allow on account" payment default: Yes lets a
	// B2B site take the customer account ("on-account") payment method.
	AllowOnAccount NoYes `json:"AllowOnAccount,omitempty"`
	// InvoiceAccount is the customer account that invoices of this
	// customer go to; a B2B user's Person customer names its
	// organization's account, whose credit limit the site then uses.
	InvoiceAccount    string `json:"InvoiceAccount,omitempty"`
	CustomerGroupID   string `json:"CustomerGroupId,omitempty"`
	SalesCurrencyCode string `json:"SalesCurrencyCode,omitempty"`
	// AddressValidFrom and AddressValidTo bound the primary address's
	// validity; the zero time means "no date" (1900-01-01T00:00:00Z on
	// the wire).
	AddressValidFrom DateTime `json:"AddressValidFrom,omitzero"`
	AddressValidTo   DateTime `json:"AddressValidTo,omitzero"`
}

// UnmarshalJSON decodes the record and its annotations.
func (c *Customer) UnmarshalJSON(b []byte) error {
	*c = Customer{}
	type plain Customer
	return odata.DecodeRecord(b, (*plain)(c), &c.Annotations)
}
